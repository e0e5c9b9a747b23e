"""Logging what the API and the page do into the audit log, in the words of ``assistant.audit.details``.

Entries are queued (``AuditLog.record``) and written by the audit writer, so none of this waits for the
database. An answer's entry id becomes its ``audit_id``, which the person rates it by.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from assistant.answer.types import Answer, AnswerEvent
from assistant.audit.details import answer_detail, question_detail
from assistant.audit.log import ANSWER, CASE_ACTION, QUESTION, Actor, AuditLog, Origin
from assistant.retrieval.store import SearchFilter


def log_question(
    audit: AuditLog, actor: Actor, question: str, flt: SearchFilter, channel: str, origin: Origin | None = None
) -> None:
    audit.record(QUESTION, actor, question_detail(question, flt.access, channel), origin)


def log_answer(
    audit: AuditLog, actor: Actor, answer: Answer, flt: SearchFilter, channel: str, origin: Origin | None = None
) -> Answer:
    """Log ``answer`` (its citations, whether it declined) and set its ``audit_id``."""
    answer.audit_id = audit.record(ANSWER, actor, answer_detail(answer, flt.access, channel), origin)
    return answer


async def logged_answers(
    events: AsyncIterator[AnswerEvent], audit: AuditLog, actor: Actor, flt: SearchFilter, channel: str
) -> AsyncIterator[AnswerEvent]:
    """``events`` unchanged, except that the final answer is logged (and carries its ``audit_id``) first."""
    try:
        async for event in events:
            if event.answer is not None:
                log_answer(audit, actor, event.answer, flt, channel)
            yield event
    finally:
        await events.aclose()  # type: ignore[attr-defined]  # leaving early stops the run


@dataclass(frozen=True)
class CaseApplicant:
    """An applicant acting on a case by its verification code, without an API key (the case is in the detail)."""

    key_id: str = "case-code"
    role: str = "applicant"


def log_case_action(
    audit: AuditLog, actor: Actor, action: str, number: str, origin: Origin | None = None, **detail: Any
) -> None:
    """One case action (submit, view, transition, upload, download, notice, delete) on case ``number``;
    ``origin`` for the page (the API's comes from its request)."""
    audit.record(CASE_ACTION, actor, {"action": action, "case": number, **detail}, origin)
