"""The store interface the project owns; Qdrant Edge (embedded) and Qdrant server implement it."""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

import numpy as np

from assistant.errors import AssistantError

SearchMode = Literal["hybrid", "dense", "sparse"]
FusionWeights = tuple[float, float]  # (dense, sparse) weights of the two ranked lists in the fusion

DENSE = "dense"  # names of the two vectors of every chunk point
SPARSE = "sparse"
# Third vector, of record heads only (the first piece of a service item or other record): the
# embedding of its name line and search note, what the record is for. Search uses it to order the
# records it found (see ``retrieval/about.py``); it never selects candidates on its own.
ABOUT = "about"
# RRF constant: a result at 0-based position p of a list weighted w scores 1/((p+1)/w + RRF_K - 1),
# Qdrant's weighted RRF. 60 is the value of the original RRF paper; Qdrant's own default (2) lets the
# first few places of either list dominate.
RRF_K = 60
# Equal weights make exact ties (a passage 3rd by dense and 7th by sparse scores what one 7th and 3rd
# does), and Qdrant breaks ties in no fixed order: one question could get different results from run
# to run. Fusing with the sparse weight a thousandth smaller lets the dense order decide ties (the
# difference must survive float32 scores: ~1e-8 at rank 200, against a resolution of ~4e-9).
TIE_BREAK = 1e-3
# Chunk payload fields with an index, by index type.
KEYWORD_FIELDS = ("doc_id", "source", "issuer", "status", "access", "kind", "region", "article")
BOOL_FIELDS = ("committed",)
DATETIME_FIELDS = ("date",)
# Statuses of documents that do not (or not yet, or no longer) apply: drafts, repealed and superseded texts.
NOT_IN_FORCE = (
    "征求意见稿", "送审稿", "讨论稿", "修订草案", "草案", "代拟稿", "审议稿", "试行草案",
    "已修订", "已修正", "已修改", "已废止", "已失效", "失效", "尚未生效",
)  # fmt: skip
_DOCUMENT_NAMESPACE = uuid.UUID("0b6d2c8e-3f4a-4c1b-9e57-7a2d5f8c1e90")
# Chunk point ids derive from (doc_id, chunk index): re-ingesting identical content rewrites the same
# points, and a chunk's neighbours can be fetched by id.
_CHUNK_NAMESPACE = uuid.UUID("6f1c3a52-8d7e-4a8e-9a43-2f1f0c9b7d11")


class StoreError(AssistantError):
    """The store was asked for something it cannot do (the message says what)."""


class StoreBusy(StoreError):
    """The embedded store directory is locked by another process."""


class StoreMismatch(StoreError):
    """The stored collection was built for vectors of another dimension."""


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
    about: np.ndarray | None = None  # a record head's ABOUT vector


@dataclass
class SearchFilter:
    """What a search may return. Empty fields do not restrict."""

    doc_ids: list[str] = field(default_factory=list)
    issuers: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)  # keep only these statuses
    exclude_statuses: list[str] = field(default_factory=list)  # e.g. ["征求意见稿"]
    date_from: str | None = None  # ISO yyyy-mm-dd, inclusive; chunks without a date never match a date range
    date_to: str | None = None
    access: list[str] = field(default_factory=lambda: ["public"])  # levels the caller may see; [] = all
    regions: list[str] = field(default_factory=list)  # keep only these regions, e.g. ["重庆市", "全国"]
    articles: list[str] = field(default_factory=list)  # keep only these statute articles, e.g. ["第三十二条"]
    in_force: bool = False  # leave out documents not in force (drafts, repealed, superseded, not yet effective)
    # Not a restriction but an order: the caller's own region (e.g. a city portal's), whose documents come
    # first when the question names no place (``Searcher.search``); the store ignores it.
    prefer_region: str | None = None

    def matches(self) -> list[tuple[str, list[str]]]:
        """(payload field, accepted values) pairs a chunk must match, the same for every engine."""
        pairs = [
            ("doc_id", self.doc_ids),
            ("issuer", self.issuers),
            ("status", self.statuses),
            ("access", self.access),
            ("region", self.regions),
            ("article", self.articles),
        ]
        return [(key, list(values)) for key, values in pairs if values]

    def excluded_statuses(self) -> list[str]:
        """Statuses a chunk must not have: those asked to exclude and, with ``in_force``, all not in force."""
        return list(dict.fromkeys([*self.exclude_statuses, *(NOT_IN_FORCE if self.in_force else ())]))

    def validate(self) -> None:
        """Raise StoreError for a date that is not ISO yyyy-mm-dd or a range that ends before it starts."""
        for name in ("date_from", "date_to"):
            value = getattr(self, name)
            if value is None:
                continue
            try:
                date.fromisoformat(value)
            except (TypeError, ValueError):
                raise StoreError(f"{name} must be an ISO date (yyyy-mm-dd), got {value!r}") from None
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise StoreError(f"date_from {self.date_from} is after date_to {self.date_to}")

    def date_bounds(self) -> tuple[str | None, str | None]:
        """(first day, the day after the last day): an exclusive end still matches a time on the last day."""
        end = (date.fromisoformat(self.date_to) + timedelta(days=1)).isoformat() if self.date_to else None
        return self.date_from, end


@dataclass
class Hit:
    id: str
    score: float
    payload: dict[str, Any]


class VectorStore(ABC):
    """Hybrid dense + sparse storage of chunks, plus a small registry of documents.

    Chunks carry ``doc_id`` and ``committed`` in their payload; searches only see committed chunks,
    which is how an interrupted ingest leaves nothing half-stored. ``upsert_chunks`` always writes
    chunks uncommitted and ``set_committed`` publishes them. Document records live apart from the
    chunks (see ``documents_collection``), so they never show up in searches or counts.

    Reads before ``ensure_collection`` has ever run see an empty store.
    """

    @abstractmethod
    def ensure_collection(self, dim: int) -> None:
        """Create the chunk and document collections and payload indexes if they are missing.

        Raises StoreMismatch when the chunk collection exists with another vector dimension.
        """

    @abstractmethod
    def upsert_chunks(self, points: Sequence[StoredPoint]) -> None:
        """Write chunk points (each with dense and sparse vectors and a ``doc_id``), uncommitted."""

    @abstractmethod
    def set_committed(self, *doc_ids: str) -> None:
        """Mark every chunk of these documents searchable, in one write."""

    @abstractmethod
    def delete_uncommitted(self) -> int:
        """Remove chunks of ingests that never finished; return how many went.

        Chunks this store object wrote and has not yet committed or deleted are spared: they belong to
        an ingest still running in this process (another API request, say), not to an interrupted one.
        """

    @abstractmethod
    def delete_document(self, doc_id: str) -> int:
        """Remove a document's chunks and its record; return how many chunks went."""

    @abstractmethod
    def upsert_documents(self, records: Mapping[str, dict[str, Any]]) -> None:
        """Write (replace) the records of documents by id, in one write; each id is added to its stored payload."""

    def upsert_document(self, doc_id: str, payload: dict[str, Any]) -> None:
        """Write (replace) one document's record."""
        self.upsert_documents({doc_id: payload})

    @abstractmethod
    def get_document(self, doc_id: str) -> dict[str, Any] | None: ...

    @abstractmethod
    def list_documents(self) -> list[dict[str, Any]]:
        """Every document record, ordered by source then doc_id."""

    @abstractmethod
    def search(
        self,
        dense: np.ndarray | None,
        sparse: SparseVector | None,
        flt: SearchFilter | None,
        limit: int,
        mode: SearchMode = "hybrid",
        prefetch_limit: int = 40,
        weights: FusionWeights | None = None,
    ) -> list[Hit]:
        """Committed chunks best first; hybrid fuses dense and sparse candidates with RRF.

        Hybrid takes ``prefetch_limit`` candidates from each of dense and sparse search and fuses them
        with weighted RRF (``RRF_K``); ``weights`` defaults to the store's, set when it was opened.
        Hybrid with an empty sparse query (only stopwords) is dense search. ``flt=None`` restricts to
        committed chunks only. Raises StoreError for a missing vector or bad limits, weights or dates.
        """

    @abstractmethod
    def about_scores(self, dense: np.ndarray, ids: Sequence[str]) -> dict[str, float]:
        """Cosine of the query vector with the ABOUT vector of each of ``ids`` that has one.

        Chunks without one (document chunks, a record's later pieces) are left out; so is everything
        in a collection created before ABOUT vectors existed, which then searches as before.
        """

    @abstractmethod
    def retrieve(self, ids: Sequence[str]) -> list[Hit]:
        """The committed chunks among ``ids`` (missing ones are left out), in no particular order."""

    @abstractmethod
    def count(self, flt: SearchFilter | None = None) -> int:
        """Committed chunks matching the filter (``None``: all committed chunks)."""

    @abstractmethod
    def scroll_chunks(self, doc_id: str) -> Iterator[Hit]:
        """Every committed chunk of a document, in chunk order."""

    @abstractmethod
    def optimize(self) -> None:
        """Build the search indexes now, after a large ingest; engines that index on their own do nothing.

        Searches are correct either way, only faster once indexed.
        """

    @abstractmethod
    def close(self) -> None:
        """Release the store (for the embedded one: flush and unlock its directory). Safe to repeat."""


def documents_collection(collection: str) -> str:
    """Where the document records of a chunk collection live."""
    return f"{collection}_documents"


def document_point_id(doc_id: str) -> str:
    """The point id of a document record (Qdrant ids are UUIDs or integers)."""
    return str(uuid.uuid5(_DOCUMENT_NAMESPACE, doc_id))


def chunk_point_id(doc_id: str, index: int) -> str:
    return str(uuid.uuid5(_CHUNK_NAMESPACE, f"{doc_id}:{index}"))


def check_dense(vector: np.ndarray, dim: int, what: str) -> list[float]:
    """The vector as a list, after checking it has the collection's dimension."""
    if vector.shape != (dim,):
        raise StoreMismatch(
            f"{what} has shape {vector.shape} but the collection stores {dim}-dimensional vectors; "
            "it was built with another embedding model (re-ingest into a fresh data directory)"
        )
    return vector.astype(np.float32).tolist()


def chunk_parts(
    point: StoredPoint, dim: int, with_about: bool
) -> tuple[dict[str, list[float]], SparseVector, dict[str, Any]]:
    """A chunk's dense vectors by name, its sparse vector and the payload to store (marked as an
    uncommitted chunk), once checked complete. ``with_about``: the collection has an ABOUT vector."""
    if point.dense is None or point.sparse is None:
        raise StoreError(f"chunk {point.id} needs both a dense and a sparse vector")
    if not point.payload.get("doc_id"):
        raise StoreError(f"chunk {point.id} has no doc_id in its payload")
    dense = {DENSE: check_dense(point.dense, dim, f"chunk {point.id}")}
    if point.about is not None and with_about:
        dense[ABOUT] = check_dense(point.about, dim, f"the about vector of chunk {point.id}")
    return dense, point.sparse, {**point.payload, "kind": "chunk", "committed": False}


def rrf_weights(weights: FusionWeights) -> list[float]:
    """The weights a fused query sends: the caller's, with ties going to the dense order (``TIE_BREAK``)."""
    return [weights[0], weights[1] * (1 - TIE_BREAK)]


def plan_search(
    dense: np.ndarray | None,
    sparse: SparseVector | None,
    limit: int,
    mode: SearchMode,
    prefetch_limit: int,
    weights: FusionWeights,
) -> SearchMode | None:
    """Check a search request; return the mode to run, or None when nothing can match.

    Shared by every engine so they accept and reject exactly the same requests.
    """
    if mode not in ("hybrid", "dense", "sparse"):
        raise StoreError(f"search mode must be hybrid, dense or sparse, got {mode!r}")
    if limit < 1 or prefetch_limit < 1:
        raise StoreError(f"search limit and prefetch limit must be at least 1, got {limit} and {prefetch_limit}")
    if mode in ("hybrid", "dense") and dense is None:
        raise StoreError(f"{mode} search needs a dense query vector")
    if mode == "sparse" and sparse is None:
        raise StoreError("sparse search needs a sparse query vector")
    if mode == "hybrid" and (min(weights) < 0 or max(weights) <= 0):
        raise StoreError(f"fusion weights must be non-negative and not both zero, got {weights}")
    has_terms = sparse is not None and len(sparse.indices) > 0
    if mode == "sparse" and not has_terms:
        return None
    if mode == "hybrid" and not has_terms:
        return "dense"
    return mode
