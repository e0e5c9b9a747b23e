"""POST /v1/guide: the service items a life event or goal ("一件事") needs, in order, with one materials list."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.concurrency import run_in_threadpool

from assistant.api.ask_router import CitationModel
from assistant.api.deps import AnyCaller, State
from assistant.api.errors import error_responses
from assistant.api.redact import mask_personal_data
from assistant.api.search_router import non_blank
from assistant.audit.details import guide_detail
from assistant.audit.log import GUIDE
from assistant.guides.service import MAX_QUESTION_CHARS

log = logging.getLogger(__name__)
router = APIRouter(tags=["guides"])


class GuideRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(
        max_length=MAX_QUESTION_CHARS,
        description="The event or goal in the person's own words, e.g. 父亲退休了要办什么.",
    )

    @field_validator("question")
    @classmethod
    def _question_not_blank(cls, value: str) -> str:
        return non_blank(value, "question")


class GuideItemModel(BaseModel):
    """A catalogue item of the guide, with its own fields verbatim; `n` is its citation number."""

    n: int
    name: str
    item_id: str | None
    dept: str | None = Field(description="实施机关: the department that handles it.")
    area: str | None
    location: str | None = Field(description="办理地点.")
    legal_time_limit: str | None = Field(description="法定办结时限.")
    promised_time_limit: str | None = Field(description="承诺办结时限.")
    phone: str | None = Field(description="咨询电话.")
    complaint_phone: str | None
    materials: list[str] = Field(description="申请材料, as the catalogue lists them.")
    online_booking: str | None
    courier: str | None
    url: str | None
    also_at: list[str] = Field(description="Other departments or places with a record of the same name.")


class GuideStepModel(BaseModel):
    n: int
    title: str
    items: list[int] = Field(description="Citation numbers of the items that do this step; empty when missing.")
    missing: bool = Field(description="True when the catalogue has no item for this step.")
    note: str | None = Field(description="For a missing step: that the catalogue lacks it and where to ask.")


class MaterialModel(BaseModel):
    text: str
    items: list[int] = Field(description="Citation numbers of every item that asks for this material.")


class GuideResponse(BaseModel):
    question: str
    found: bool = Field(description="False when the catalogue has nothing for this goal; see `where_to_ask`.")
    title: str
    event: str | None = Field(description="Key of the recognised life event; null for a guide found by search.")
    items: list[GuideItemModel]
    materials: list[MaterialModel] = Field(description="One checklist: a document several items need is listed once.")
    steps: list[GuideStepModel]
    citations: list[CitationModel]
    missing: list[str] = Field(description="Steps of the event that the catalogue has no item for.")
    where_to_ask: str
    label: str = Field(description="The notice to show with machine-assembled content.")
    audit_id: str = Field(description="This guide's audit entry: rate it with POST /v1/feedback.")


@router.post(
    "/v1/guide",
    response_model=GuideResponse,
    responses=error_responses(401, 422, 429, 503),
    summary='A step-by-step guide for a life event or goal ("一件事")',
)
async def guide(body: GuideRequest, caller: AnyCaller, state: State) -> dict[str, Any]:
    """The catalogue items to do for a goal, in order, each with department, place, time limits, phone and
    materials, plus one merged materials checklist in which every line names the items that need it.

    Every item and material line cites its catalogue record; nothing is generated. Steps the catalogue
    lacks are listed as missing, and a goal it does not cover gets `found: false` with where to ask.
    """
    log.info("guide for %s: %s", caller.name, mask_personal_data(body.question))
    result = await run_in_threadpool(state.components.guides.guide, body.question, caller.access)
    audit_id = state.components.audit.record(GUIDE, caller, guide_detail(body.question, result, caller.access))
    return {**result.as_dict(), "audit_id": audit_id}
