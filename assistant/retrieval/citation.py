"""A numbered source passage, as answers, drafts and guides cite it."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.retrieval.results import SearchResult


@dataclass
class Citation:
    """A numbered source; ``[n]`` in an answer or a draft refers to it."""

    n: int
    title: str  # the passage's own title (a service item's name), else its document's title
    section: str
    text: str
    doc_id: str
    chunk_id: str
    source: str
    score: float = 0.0
    doc_title: str = ""
    status: str = ""  # the document's status when it is not final, e.g. 征求意见稿
    citation: str = ""  # a statute article's citation name, e.g. 《中华人民共和国行政许可法》第三十二条
    date: str = ""  # the document's date (ISO), when known
    issuer: str = ""  # the body that issued the document (a service item: its department)
    region: str = ""  # the place the document or item applies to, when known

    @classmethod
    def from_result(cls, n: int, result: SearchResult) -> Citation:
        return cls(
            n=n,
            title=result.title or result.doc_title,
            section=result.section,
            text=result.text,
            doc_id=result.doc_id,
            chunk_id=result.chunk_id,
            source=result.source,
            score=result.score,
            doc_title=result.doc_title,
            status=str(result.fields.get("status") or ""),
            citation=str(result.fields.get("citation") or ""),
            date=str(result.fields.get("date") or ""),
            issuer=str(result.fields.get("issuer") or result.fields.get("dept") or ""),
            region=str(result.fields.get("region") or result.fields.get("area") or ""),
        )

    @property
    def origin(self) -> str:
        """Whose and what the passage is: titles, issuer and region (missing ones left out)."""
        return " ".join(v for v in (self.doc_title, self.title, self.issuer, self.region) if v)

    @property
    def cited_title(self) -> str:
        """The document as a basis is cited: its title with its status when not final, e.g. （征求意见稿）."""
        title = (self.doc_title or self.title).replace("《", "〈").replace("》", "〉")  # nested 《》 become 〈〉
        return f"{title}（{self.status}）" if self.status and self.status not in title else title
