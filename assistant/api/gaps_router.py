"""GET /v1/gaps (admin): what people asked that the documents could not answer, grouped by topic."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from assistant.api.deps import AdminCaller, State
from assistant.api.errors import error_responses

router = APIRouter(tags=["feedback"])


class GapExampleModel(BaseModel):
    question: str = Field(description="As asked (masked), or as rewritten with its conversation.")
    at: str
    why: str = Field(description="`declined`, or the 差评 it was given.")


class GapModel(BaseModel):
    topic: str = Field(description="The group's most asked question.")
    count: int = Field(description="Declined and low-rated questions in the group.")
    declined: int
    low_rated: int
    examples: list[GapExampleModel]
    closed: bool = Field(description="True when a document ingested since now answers the topic.")
    answered_by: str | None = Field(description="That document's title.")
    last_asked: str


class GapList(BaseModel):
    gaps: list[GapModel] = Field(description="Open groups most frequent first, then closed ones.")


@router.get(
    "/v1/gaps", response_model=GapList, responses=error_responses(401, 403, 422, 429), summary="Knowledge gaps (admin)"
)
async def gaps(
    caller: AdminCaller,
    state: State,
    days: Annotated[int, Query(ge=1, le=3650, description="Look at the questions of the last this many days.")] = 90,
) -> dict[str, Any]:
    """Declined questions and 差评-rated answers grouped by topic with the embedder, recomputed at every look."""
    found = await run_in_threadpool(state.components.gaps.gaps, days)
    return {"gaps": [g.as_dict() for g in found]}
