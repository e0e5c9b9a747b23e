"""POST /v1/ask: a grounded answer with numbered citations, whole or streamed as Server-Sent Events."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.answer.service import MAX_QUESTION_CHARS
from assistant.answer.types import AnswerEvent
from assistant.api.audit_trail import log_answer, log_question, logged_answers
from assistant.api.deps import AnyCaller, State
from assistant.api.errors import error_body_for, error_responses
from assistant.api.generation import AnswerStreamResponse, complete_answer, sse, start_answer
from assistant.api.redact import mask_personal_data
from assistant.api.search_router import SearchFilters, non_blank, store_filter

log = logging.getLogger(__name__)
router = APIRouter(tags=["answers"])

MAX_HISTORY_MESSAGES = 20
# Status nginx and others log for a request whose client left before the response.
CLIENT_CLOSED_REQUEST = 499


class HistoryMessage(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(min_length=1, max_length=8000)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(max_length=MAX_QUESTION_CHARS, description="The question, in natural language.")
    history: list[HistoryMessage] = Field(
        default_factory=list,
        max_length=MAX_HISTORY_MESSAGES,
        description="Earlier turns of the conversation, oldest first; a follow-up question is read in their light.",
    )
    filters: SearchFilters | None = None
    stream: bool = Field(
        default=False,
        description="Stream Server-Sent Events: `citations`, `excerpt`, then `token`s, then `done` carrying the "
        "whole answer.",
    )

    @field_validator("question")
    @classmethod
    def _question_not_blank(cls, value: str) -> str:
        return non_blank(value, "question")


class CitationModel(BaseModel):
    """A numbered source; `[n]` in the answer text refers to it."""

    n: int
    title: str
    section: str
    text: str
    doc_id: str
    chunk_id: str
    source: str
    score: float
    doc_title: str = Field(default="", description="The title of the document the passage is from.")
    status: str = Field(default="", description="The document's status when it is not final, e.g. 征求意见稿.")
    citation: str = Field(
        default="", description="A statute article's citation name, e.g. 《中华人民共和国行政许可法》第三十二条."
    )
    date: str = Field(default="", description="The document's date (ISO), when known.")
    issuer: str = Field(default="", description="The body that issued the document, or a service item's department.")
    region: str = Field(default="", description="The place the document or item applies to, when known.")


class ExcerptModel(BaseModel):
    """A sentence of a cited passage that matches the question ("政策原文"), verbatim."""

    n: int = Field(description="The citation it is from.")
    title: str
    text: str
    chunk_id: str


class FindingModel(BaseModel):
    """What the faithfulness check found in the model's text, and what it did about it."""

    kind: Literal["polarity", "number", "place", "repeat", "filler", "status", "whose"]
    action: Literal["replaced", "marked", "dropped", "noted"] = Field(
        description="replaced with the source's words, marked （待核实） in the text, dropped, or noted at the top."
    )
    sentence: str = Field(description="The sentence as the model wrote it; for a note, the note.")
    source: str = ""
    detail: str = ""


class AskResponse(BaseModel):
    question: str
    standalone_question: str = Field(description="The question rewritten with the conversation: what was searched.")
    answer: str
    citations: list[CitationModel]
    grounded: bool = Field(description="False when declined or when no sentence is supported by a citation.")
    declined: bool = Field(description="True when the documents held no evidence and the model was not called.")
    label: str = Field(description="The AI-generated-content notice to show with the answer.")
    unsupported_sentences: list[str] = Field(default_factory=list)
    audit_id: str | None = Field(default=None, description="This answer's audit entry: rate it with POST /v1/feedback.")
    excerpt: list[ExcerptModel] = Field(default_factory=list, description="Key sentences of the cited passages.")
    findings: list[FindingModel] = Field(default_factory=list)
    answered_by: Literal["model", "record", "none"] = Field(
        default="model", description="record: answered from a service item's fields without the model."
    )


def event_payload(event: AnswerEvent) -> dict[str, Any]:
    """The JSON an ``AnswerEvent`` travels as."""
    if event.type == "citations":
        return {"citations": [vars(c) for c in event.citations or []]}
    if event.type == "excerpt":
        return {"excerpt": [s.as_dict() for s in event.excerpt or []]}
    if event.type == "token":
        return {"token": event.token}
    return event.answer.as_dict() if event.answer else {}


async def _server_sent_events(events: AsyncIterator[AnswerEvent]) -> AsyncIterator[str]:
    async with aclosing(events):  # type: ignore[type-var]
        try:
            async for event in events:
                yield sse(event.type, json.dumps(event_payload(event), ensure_ascii=False))
        except Exception as exc:  # the status line is gone: report the failure as the last event
            yield sse("error", json.dumps(error_body_for(exc), ensure_ascii=False))


_SSE_DESCRIPTION = (
    'With `stream: true`: Server-Sent Events. `event: citations` (data `{"citations": [...]}`) first, then '
    '`event: excerpt` (data `{"excerpt": [...]}`, the key sentences of the passages, before the model starts), then '
    '`event: token` (data `{"token": "..."}`) per piece of text, then `event: done` whose data is the whole '
    "answer as in the JSON response. A failure after the stream started arrives as `event: error` with the "
    "error body."
)


@router.post(
    "/v1/ask",
    response_model=AskResponse,
    responses={
        200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}, "description": _SSE_DESCRIPTION},
        **error_responses(401, 422, 429, 503),
    },
    summary="Ask a question",
)
async def ask(body: AskRequest, request: Request, caller: AnyCaller, state: State) -> Any:
    """Answer from the documents the caller's role may read, citing the passages used as `[n]`.

    When nothing relevant is found the answer is declined without calling the model. The model
    answers one question at a time; waiting requests queue, and a full queue gets 429 with
    Retry-After. A client that disconnects stops its generation.
    """
    log.info("ask by %s: %s", caller.name, mask_personal_data(body.question))
    flt = store_filter(body.filters, caller)
    history = [m.model_dump() for m in body.history]
    audit = state.components.audit
    log_question(audit, caller, body.question, flt, "api")
    run = await start_answer(state, body.question, history, flt)
    if body.stream:
        return AnswerStreamResponse(_server_sent_events(logged_answers(run.events(), audit, caller, flt, "api")), run)
    answer = await complete_answer(request, run)
    if answer is None:
        return Response(status_code=CLIENT_CLOSED_REQUEST)
    return log_answer(audit, caller, answer, flt, "api").as_dict()
