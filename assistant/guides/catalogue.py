"""The service items held in the store, by name: what a guide is assembled from.

Every ingested service-item record carries its fields (department, place, time limits, phone,
materials…) in its chunks' payload. The catalogue reads them back once and keeps them in memory until
the set of stored documents changes, so a guide looks items up by name without a search per step.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from assistant.ingest.records import ITEM_NAME_LABEL
from assistant.retrieval.search import SearchResult
from assistant.retrieval.store import VectorStore


@dataclass(frozen=True)
class CatalogueItem:
    """One service-item record; ``result`` is its first chunk, the passage a guide cites."""

    result: SearchResult

    @property
    def name(self) -> str:
        return self.result.title

    @property
    def fields(self) -> dict[str, Any]:
        return self.result.fields

    @property
    def access(self) -> str:
        return str(self.fields.get("access") or "public")

    @property
    def materials(self) -> list[str]:
        value = self.fields.get("materials") or []
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]


class Catalogue:
    """Service items of every stored document, in ingest order; rebuilt when documents come or go."""

    def __init__(self, store: VectorStore) -> None:
        self.store = store
        self._items: list[CatalogueItem] = []
        self._version: tuple[str, ...] | None = None
        self._lock = threading.Lock()

    def items(self, access: list[str] | None = None) -> list[CatalogueItem]:
        """Items the caller may read (``access`` levels; None or [] = all)."""
        with self._lock:
            version = tuple(sorted(d["doc_id"] for d in self.store.list_documents()))
            if version != self._version:
                self._items = self._read(version)
                self._version = version
            items = self._items
        return [i for i in items if not access or i.access in access]

    def _read(self, doc_ids: tuple[str, ...]) -> list[CatalogueItem]:
        items: list[CatalogueItem] = []
        for doc_id in doc_ids:
            seen: set[tuple[Any, str]] = set()
            for hit in self.store.scroll_chunks(doc_id):
                result = SearchResult.from_hit(hit)
                if not _is_service_item(result):
                    continue
                key = (result.fields.get("item_id"), result.title)  # pieces of one record share both
                if key not in seen:
                    seen.add(key)
                    items.append(CatalogueItem(result))
        return items


def _is_service_item(result: SearchResult) -> bool:
    return result.text.startswith(f"{ITEM_NAME_LABEL}：")
