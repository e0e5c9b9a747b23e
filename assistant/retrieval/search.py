"""Search over the store: embed the query, run hybrid retrieval, shape results as citations."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.config import Settings
from assistant.models.embedding import Embedder
from assistant.retrieval.sparse import SparseEncoder
from assistant.retrieval.store import Hit, SearchFilter, SearchMode, VectorStore


@dataclass
class SearchResult:
    """One retrieved chunk with everything a citation needs."""

    text: str
    score: float
    doc_id: str
    chunk_id: str
    chunk_index: int
    title: str
    doc_title: str
    section: str
    heading_path: list[str]
    source: str
    fields: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_hit(cls, hit: Hit) -> SearchResult:
        p = hit.payload
        known = {"text", "doc_id", "chunk_index", "title", "doc_title", "section", "heading_path", "source"}
        return cls(
            text=p.get("text", ""),
            score=round(float(hit.score), 6),
            doc_id=p.get("doc_id", ""),
            chunk_id=hit.id,
            chunk_index=int(p.get("chunk_index", 0)),
            title=p.get("title") or p.get("doc_title", ""),
            doc_title=p.get("doc_title", ""),
            section=p.get("section", ""),
            heading_path=list(p.get("heading_path") or []),
            source=p.get("source", ""),
            fields={k: v for k, v in p.items() if k not in known and k not in ("committed", "kind")},
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SearchResponse:
    query: str
    results: list[SearchResult]
    evidence: bool

    def as_dict(self) -> dict[str, Any]:
        return {"query": self.query, "evidence": self.evidence, "results": [r.as_dict() for r in self.results]}


class Searcher:
    def __init__(self, settings: Settings, store: VectorStore, embedder: Embedder, sparse: SparseEncoder) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.sparse = sparse

    def search(
        self,
        query: str,
        top_k: int | None = None,
        flt: SearchFilter | None = None,
        mode: SearchMode = "hybrid",
    ) -> SearchResponse:
        limit = top_k or self.settings.top_k
        dense = self.embedder.embed_query(query) if mode != "sparse" else None
        sparse = self.sparse.encode_query(query) if mode != "dense" else None
        hits = self.store.search(
            dense, sparse, flt or SearchFilter(), limit, mode=mode, prefetch_limit=self.settings.prefetch_k
        )
        results = [SearchResult.from_hit(h) for h in hits]
        return SearchResponse(query=query, results=results, evidence=bool(results))
