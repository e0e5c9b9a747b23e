"""POST /v1/search: hybrid retrieval over the documents the caller may read."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from starlette.concurrency import run_in_threadpool

from assistant.api.auth import Caller
from assistant.api.deps import AnyCaller, State
from assistant.api.errors import error_responses
from assistant.api.redact import mask_personal_data
from assistant.audit.details import search_detail
from assistant.audit.log import SEARCH
from assistant.retrieval.store import SearchFilter
from assistant.text.region import canonical_region

log = logging.getLogger(__name__)
router = APIRouter(tags=["search"])

MAX_QUERY_CHARS = 2000


class SearchFilters(BaseModel):
    """Restrictions on what retrieval may return; an empty list or a missing key does not restrict.

    Which access levels a caller sees is decided by its API key's role, never by the request.
    """

    model_config = ConfigDict(extra="forbid")

    doc_ids: list[str] = Field(default_factory=list, description="Only these documents.")
    issuers: list[str] = Field(default_factory=list, description="Only documents of these issuers (发文机关).")
    statuses: list[str] = Field(default_factory=list, description="Only documents with these statuses.")
    exclude_statuses: list[str] = Field(
        default_factory=list, description="Leave out documents with these statuses, e.g. `征求意见稿`."
    )
    date_from: date | None = Field(default=None, description="Issued on or after this date (ISO yyyy-mm-dd).")
    date_to: date | None = Field(default=None, description="Issued on or before this date (ISO yyyy-mm-dd).")
    regions: list[str] = Field(
        default_factory=list,
        description="Only documents of these regions: province-level names (`重庆市`, `重庆`), or `全国`.",
    )
    in_force: bool = Field(
        default=False, description="Leave out documents not in force: drafts, 已修订, 已废止, 失效, 尚未生效."
    )
    region: str | None = Field(
        default=None,
        description="The caller's region (e.g. a city portal's province): its documents come first, national ones "
        "next, when the question names no place. An order, not a restriction.",
    )

    @model_validator(mode="before")
    @classmethod
    def _known_keys_only(cls, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(cls.model_fields))
            if unknown:
                raise ValueError(f"unknown filter key(s): {', '.join(unknown)}; allowed: {', '.join(cls.model_fields)}")
        return data

    @field_validator("regions")
    @classmethod
    def _known_regions(cls, values: list[str]) -> list[str]:
        return [_region(value) for value in values]

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str | None) -> str | None:
        return _region(value) if value else None

    @model_validator(mode="after")
    def _dates_in_order(self) -> SearchFilters:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError(f"date_from {self.date_from} is after date_to {self.date_to}")
        return self

    def to_store_filter(self, caller: Caller) -> SearchFilter:
        return SearchFilter(
            doc_ids=self.doc_ids,
            issuers=self.issuers,
            statuses=self.statuses,
            exclude_statuses=self.exclude_statuses,
            date_from=self.date_from.isoformat() if self.date_from else None,
            date_to=self.date_to.isoformat() if self.date_to else None,
            access=caller.access,
            regions=self.regions,
            in_force=self.in_force,
            prefer_region=self.region,
        )


def _region(name: str) -> str:
    """A region as stored, or a clear error naming what is accepted."""
    found = canonical_region(name)
    if found is None:
        raise ValueError(f"unknown region {name!r}: give a province-level name such as 重庆市 or 重庆, or 全国")
    return found


def store_filter(filters: SearchFilters | None, caller: Caller) -> SearchFilter:
    """The store filter for a request: its filters (if any) limited to what the caller may read."""
    return (filters or SearchFilters()).to_store_filter(caller)


def non_blank(text: str, what: str) -> str:
    """``text`` stripped; raises ValueError (a 422) when nothing is left."""
    stripped = text.strip()
    if not stripped:
        raise ValueError(f"the {what} is empty")
    return stripped


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(max_length=MAX_QUERY_CHARS, description="What to look for, in natural language.")
    top_k: int | None = Field(default=None, ge=1, le=100, description="Results to return (default: settings).")
    mode: Literal["hybrid", "dense", "sparse"] = Field(
        default="hybrid", description="Retrieval mode: dense + sparse fused (hybrid), or one of them."
    )
    filters: SearchFilters | None = None

    @field_validator("query")
    @classmethod
    def _query_not_blank(cls, value: str) -> str:
        return non_blank(value, "query")


class SearchResultModel(BaseModel):
    """One retrieved passage with everything a citation needs."""

    text: str
    score: float = Field(description="Fused rank score; higher is better, comparable within one response only.")
    doc_id: str
    chunk_id: str
    chunk_index: int
    title: str = Field(description="Title of the passage (a record's own title, else the document title).")
    doc_title: str
    section: str = Field(description="Heading path of the passage, joined.")
    heading_path: list[str]
    source: str
    context: str = Field(
        description="The passage joined with its neighbouring passages of the same section, in reading order."
    )
    fields: dict[str, Any] = Field(default_factory=dict, description="Further metadata: issuer, date, status …")


class EvidenceSignalsModel(BaseModel):
    dense_top: float | None = Field(description="Cosine similarity of the best dense match.")
    overlap: float = Field(description="IDF-weighted share of the query's terms found in the top passages.")
    about_top: float | None = Field(
        default=None, description="Best cosine with what a top service item is for (its name and plain-words note)."
    )


class SearchResponseModel(BaseModel):
    query: str = Field(description="The query as searched (normalised).")
    evidence: bool = Field(description="Whether anything relevant enough to answer from was found.")
    signals: EvidenceSignalsModel | None = Field(description="What the evidence decision was made on.")
    results: list[SearchResultModel]


@router.post(
    "/v1/search",
    response_model=SearchResponseModel,
    responses=error_responses(401, 422, 429, 503),
    summary="Search the documents",
)
async def search(body: SearchRequest, caller: AnyCaller, state: State) -> dict[str, Any]:
    """Hybrid (dense + sparse) search over the documents the caller's role may read.

    ``evidence`` is false when nothing relevant was found; an answer should then be declined.
    Unknown filter keys are rejected with 422 naming them.
    """
    log.info("search by %s: %s", caller.name, mask_personal_data(body.query))
    flt = store_filter(body.filters, caller)
    response = await run_in_threadpool(state.components.searcher.search, body.query, body.top_k, flt, body.mode)
    state.components.audit.record(SEARCH, caller, search_detail(body.query, response, flt.access, body.mode))
    return response.as_dict()
