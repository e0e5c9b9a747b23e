"""The store interface the project owns; Qdrant Edge (embedded) and Qdrant server implement it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

SearchMode = Literal["hybrid", "dense", "sparse"]


@dataclass
class SparseVector:
    indices: list[int]
    values: list[float]


@dataclass
class StoredPoint:
    """A point to write: a chunk (dense + sparse) or a document record (payload only)."""

    id: str  # UUID string
    payload: dict[str, Any]
    dense: np.ndarray | None = None
    sparse: SparseVector | None = None


@dataclass
class SearchFilter:
    """What a search may return. Empty fields do not restrict."""

    doc_ids: list[str] = field(default_factory=list)
    issuers: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)  # keep only these statuses
    exclude_statuses: list[str] = field(default_factory=list)  # e.g. ["征求意见稿"]
    date_from: str | None = None  # ISO yyyy-mm-dd, inclusive
    date_to: str | None = None
    access: list[str] = field(default_factory=lambda: ["public"])  # levels the caller may see


@dataclass
class Hit:
    id: str
    score: float
    payload: dict[str, Any]


class VectorStore(ABC):
    """Hybrid dense + sparse storage of chunks, plus a small registry of documents.

    Chunks carry ``doc_id`` and ``committed`` in their payload; searches only see committed chunks,
    which is how an interrupted ingest leaves nothing half-stored.
    """

    @abstractmethod
    def ensure_collection(self, dim: int) -> None:
        """Create the chunk and document collections and payload indexes if they are missing."""

    @abstractmethod
    def upsert_chunks(self, points: Sequence[StoredPoint]) -> None: ...

    @abstractmethod
    def set_committed(self, doc_id: str) -> None:
        """Mark every chunk of ``doc_id`` searchable."""

    @abstractmethod
    def delete_uncommitted(self) -> int:
        """Remove chunks of ingests that never finished; return how many went."""

    @abstractmethod
    def delete_document(self, doc_id: str) -> int:
        """Remove a document's chunks and its record; return how many chunks went."""

    @abstractmethod
    def upsert_document(self, doc_id: str, payload: dict[str, Any]) -> None: ...

    @abstractmethod
    def get_document(self, doc_id: str) -> dict[str, Any] | None: ...

    @abstractmethod
    def list_documents(self) -> list[dict[str, Any]]: ...

    @abstractmethod
    def search(
        self,
        dense: np.ndarray | None,
        sparse: SparseVector | None,
        flt: SearchFilter | None,
        limit: int,
        mode: SearchMode = "hybrid",
        prefetch_limit: int = 40,
    ) -> list[Hit]:
        """Committed chunks best first; hybrid fuses dense and sparse candidates with RRF."""

    @abstractmethod
    def count(self, flt: SearchFilter | None = None) -> int:
        """Committed chunks matching the filter."""

    @abstractmethod
    def scroll_chunks(self, doc_id: str) -> Iterator[Hit]:
        """Every committed chunk of a document, in chunk order."""

    @abstractmethod
    def close(self) -> None: ...
