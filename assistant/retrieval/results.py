"""What a search returns per passage: shared by the searcher and the stages that re-order its results."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.retrieval.store import Hit


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
    context: str = ""  # the chunk with its neighbours of the same section, in reading order
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
            context=p.get("text", ""),
            fields={k: v for k, v in p.items() if k not in known and k not in ("committed", "kind")},
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
