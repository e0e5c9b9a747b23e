"""/v1/feedback: 好差评 of an answer, guide or draft (by its `audit_id`), and the handling of 差评 (admin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from assistant.api.deps import AdminCaller, AnyCaller, RowId, State
from assistant.api.errors import error_responses
from assistant.audit.feedback import MAX_REASON_CHARS, FeedbackQuery, Rating

router = APIRouter(tags=["feedback"])


class FeedbackBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    audit_id: str = Field(
        max_length=32, description="The `audit_id` returned with the answer, guide or draft being rated."
    )
    rating: Rating = Field(description="非常满意, 满意, 基本满意, 不满意 or 非常不满意 (the last two are 差评).")
    reason: str | None = Field(default=None, max_length=MAX_REASON_CHARS, description="Why, in the person's words.")


class HandledBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=1, max_length=2000, description="What was done about the 差评.")


class FeedbackModel(BaseModel):
    id: int
    audit_id: str
    target: str = Field(description="What was rated: answer, guide or draft.")
    key_id: str
    rating: str
    reason: str | None
    at: str
    question: str | None = Field(description="The rated answer's or guide's question (masked), or a draft's title.")
    bad: bool = Field(description="True for a 差评 (不满意, 非常不满意).")
    handled: bool
    handled_at: str | None
    handled_by: str | None
    handled_note: str | None


class FeedbackList(BaseModel):
    feedback: list[FeedbackModel]


@router.post(
    "/v1/feedback",
    response_model=FeedbackModel,
    responses=error_responses(401, 404, 409, 422, 429),
    summary="Rate an answer, guide or draft (好差评)",
)
async def rate(body: FeedbackBody, caller: AnyCaller, state: State) -> dict[str, Any]:
    """One rating per answer and key: a second one gets 409. Only the key the answer was given to may rate it
    (404 for another key's answer or an unknown id)."""
    return await run_in_threadpool(state.components.feedback.rate, caller, body.audit_id, body.rating, body.reason)


@router.get(
    "/v1/feedback",
    response_model=FeedbackList,
    responses=error_responses(401, 403, 422, 429),
    summary="List ratings (admin)",
)
async def list_feedback(
    caller: AdminCaller,
    state: State,
    bad_only: Annotated[bool, Query(description="Only 差评.")] = False,
    handled: Annotated[bool | None, Query(description="Only handled (true) or unhandled (false) ones.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    """Newest first."""
    query = FeedbackQuery(bad_only=bad_only, handled=handled, limit=limit)
    return {"feedback": await run_in_threadpool(state.components.feedback.list, query)}


@router.post(
    "/v1/feedback/{feedback_id}/handled",
    response_model=FeedbackModel,
    responses=error_responses(401, 403, 404, 409, 422, 429),
    summary="Mark a 差评 handled, with a note (admin)",
)
async def mark_handled(feedback_id: RowId, body: HandledBody, caller: AdminCaller, state: State) -> dict[str, Any]:
    """Only a 差评 can be handled, once (409 the second time)."""
    return await run_in_threadpool(state.components.feedback.mark_handled, caller, feedback_id, body.note)
