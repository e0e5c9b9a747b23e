"""What an audit entry says about each kind of action: one builder per kind, shared by the API, UI and CLI.

Builders keep identifiers and decisions, not whole texts: a citation is its document, chunk and title,
a draft is its id, type, title and grounding. Personal data is masked by ``AuditLog.record``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.answer.types import Answer
    from assistant.drafting.draft import Draft
    from assistant.guides.service import Guide
    from assistant.ingest.pipeline import FileOutcome
    from assistant.retrieval.citation import Citation
    from assistant.retrieval.search import SearchResponse


def _citations(citations: Iterable[Citation]) -> list[dict[str, Any]]:
    return [{"n": c.n, "doc_id": c.doc_id, "chunk_id": c.chunk_id, "title": c.title} for c in citations]


def question_detail(question: str, access: Sequence[str], channel: str) -> dict[str, Any]:
    return {"question": question, "access": list(access), "channel": channel}


def answer_detail(answer: Answer, access: Sequence[str], channel: str) -> dict[str, Any]:
    return {
        "question": answer.question,
        "standalone_question": answer.standalone_question,
        "declined": answer.declined,
        "grounded": answer.grounded,
        "citations": _citations(answer.citations),
        "access": list(access),
        "channel": channel,
    }


def search_detail(query: str, response: SearchResponse, access: Sequence[str], mode: str) -> dict[str, Any]:
    return {
        "query": query,
        "access": list(access),
        "mode": mode,
        "evidence": response.evidence,
        "results": [{"doc_id": r.doc_id, "chunk_id": r.chunk_id, "title": r.title} for r in response.results],
    }


def guide_detail(question: str, guide: Guide, access: Sequence[str]) -> dict[str, Any]:
    return {
        "question": question,
        "found": guide.found,
        "title": guide.title,
        "citations": _citations(guide.citations),
        "access": list(access),
    }


def draft_detail(draft: Draft) -> dict[str, Any]:
    return {
        "draft_id": draft.id,
        "doc_type": draft.doc_type,
        "title": draft.title,
        "issuer": draft.issuer,
        "citations": _citations(draft.citations),
    }


def upload_detail(outcomes: Iterable[FileOutcome], access: str | None) -> dict[str, Any]:
    return {
        "access": access,
        "files": [
            {"source": o.source, "status": o.status, "doc_id": o.doc_id, "title": o.title, "error": o.error}
            for o in outcomes
        ],
    }


def deletion_detail(doc_id: str, document: dict[str, Any] | None, chunks: int) -> dict[str, Any]:
    document = document or {}
    return {"doc_id": doc_id, "title": document.get("title"), "source": document.get("source"), "chunks": chunks}
