"""OpenAI-compatible endpoints, so a portal built on an OpenAI client can use the assistant unchanged.

The last user message is the question and earlier user/assistant messages are the conversation;
system messages are ignored (the assistant answers with its own grounded instructions). Sampling
parameters (temperature, max_tokens …) are accepted and ignored: answers are generated with the
service's settings. Citations travel in an extra top-level ``citations`` field (in the final chunk
when streaming), which OpenAI clients keep as an extra attribute.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from assistant.answer.service import MAX_QUESTION_CHARS
from assistant.answer.types import Answer, AnswerEvent
from assistant.api.ask_router import CLIENT_CLOSED_REQUEST, CitationModel
from assistant.api.audit_trail import log_answer, log_question, logged_answers
from assistant.api.deps import AnyCaller, State
from assistant.api.errors import error_body_for, error_responses
from assistant.api.generation import AnswerStreamResponse, complete_answer, start_answer
from assistant.api.redact import mask_personal_data
from assistant.api.search_router import SearchFilters, store_filter
from assistant.config import Settings

log = logging.getLogger(__name__)
router = APIRouter(tags=["openai-compatible"])


class TextPart(BaseModel):
    type: Literal["text"]
    text: str


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[TextPart] | None = None

    @property
    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(part.text for part in self.content)
        return self.content or ""


class ChatCompletionRequest(BaseModel):
    """An OpenAI chat completion request; parameters not listed here are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(description="Any name; the response names the model the service runs.")
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    filters: SearchFilters | None = Field(
        default=None, description="Assistant extension (send through the client's `extra_body`): search filters."
    )

    @model_validator(mode="after")
    def _ends_with_a_question(self) -> ChatCompletionRequest:
        last = self.messages[-1]
        if last.role != "user":
            raise ValueError(f"the last message must be the user's question, got a {last.role} message")
        question = last.text.strip()
        if not question:
            raise ValueError("the question (the last user message) is empty")
        if len(question) > MAX_QUESTION_CHARS:
            raise ValueError(f"the question has {len(question)} characters; at most {MAX_QUESTION_CHARS} are accepted")
        return self

    @property
    def question(self) -> str:
        return self.messages[-1].text.strip()

    @property
    def history(self) -> list[dict[str, str]]:
        return [
            {"role": m.role, "content": m.text}
            for m in self.messages[:-1]
            if m.role in ("user", "assistant") and m.text
        ]


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"


class ChatCompletion(BaseModel):
    """An OpenAI chat completion plus the assistant's citations and grounding flags."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    citations: list[CitationModel] = Field(description="Sources; `[n]` in the message refers to citation n.")
    grounded: bool
    declined: bool
    label: str = Field(description="The AI-generated-content notice (also the last line of the message).")


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "assistant"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


def model_id(settings: Settings) -> str:
    """The name the service reports for its model: a GGUF path's file stem, else the configured name."""
    ref = settings.llm_model
    return Path(ref).stem if ref.lower().endswith(".gguf") else ref


def _completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def _answer_fields(answer: Answer) -> dict[str, Any]:
    return {
        "citations": [vars(c) for c in answer.citations],
        "grounded": answer.grounded,
        "declined": answer.declined,
        "label": answer.label,
    }


def _chunk(completion_id: str, created: int, model: str, delta: dict[str, str], finish: str | None) -> dict[str, Any]:
    return {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


async def _completion_chunks(events: AsyncIterator[AnswerEvent], model: str) -> AsyncIterator[str]:
    """Chunks as OpenAI streams them; the last one carries the citations and the checked answer text."""
    completion_id, created = _completion_id(), int(time.time())

    def data(payload: dict[str, Any]) -> str:
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

    async with aclosing(events):  # type: ignore[type-var]
        try:
            yield data(_chunk(completion_id, created, model, {"role": "assistant", "content": ""}, None))
            async for event in events:
                if event.type == "token" and event.token:
                    yield data(_chunk(completion_id, created, model, {"content": event.token}, None))
                elif event.type == "done" and event.answer:
                    final = _chunk(completion_id, created, model, {}, "stop")
                    yield data({**final, **_answer_fields(event.answer), "answer": event.answer.answer})
        except Exception as exc:  # the status line is gone: report the failure in the stream, as OpenAI does
            yield data(error_body_for(exc))
    yield "data: [DONE]\n\n"


@router.get(
    "/v1/models",
    response_model=ModelList,
    responses=error_responses(401, 429),
    summary="List models (OpenAI-compatible)",
)
async def list_models(caller: AnyCaller, state: State) -> dict[str, Any]:
    """The one model this service answers with (OpenAI-compatible)."""
    return {"object": "list", "data": [{"id": model_id(state.settings), "created": state.started_at}]}


@router.post(
    "/v1/chat/completions",
    response_model=ChatCompletion,
    responses={
        200: {
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
            "description": "With `stream: true`: `chat.completion.chunk` events, the last one carrying `citations`, "
            "`grounded`, `label` and the checked `answer` text, then `data: [DONE]`.",
        },
        **error_responses(401, 422, 429, 503),
    },
    summary="Chat completion (OpenAI-compatible)",
)
async def chat_completions(body: ChatCompletionRequest, request: Request, caller: AnyCaller, state: State) -> Any:
    """Answer the last user message from the documents, grounded and cited, in OpenAI's format.

    The message content is the answer text, ending with the AI-generated-content notice.
    Streaming sends the model's draft as it comes; the final chunk's `answer` is the checked text
    (citation numbers may have been renumbered), which a client may show in place of the draft.
    """
    log.info("chat completion by %s: %s", caller.name, mask_personal_data(body.question))
    model = model_id(state.settings)
    flt, audit = store_filter(body.filters, caller), state.components.audit
    log_question(audit, caller, body.question, flt, "openai")
    run = await start_answer(state, body.question, body.history, flt)
    if body.stream:
        return AnswerStreamResponse(
            _completion_chunks(logged_answers(run.events(), audit, caller, flt, "openai"), model), run
        )
    answer = await complete_answer(request, run)
    if answer is None:
        return Response(status_code=CLIENT_CLOSED_REQUEST)
    log_answer(audit, caller, answer, flt, "openai")
    return {
        "id": _completion_id(),
        "created": int(time.time()),
        "model": model,
        "choices": [{"message": {"content": answer.answer}}],
        **_answer_fields(answer),
    }
