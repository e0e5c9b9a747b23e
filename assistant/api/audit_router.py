"""/v1/audit (admin): search the audit log by time range, key and kind, or export the selection as CSV.

Reading the log is itself logged. Nothing here (or anywhere in the API) changes or deletes an entry.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from assistant.api.deps import AdminCaller, State
from assistant.api.errors import InvalidRequest, error_responses
from assistant.audit.log import AUDIT_READ, KINDS
from assistant.audit.query import AuditQuery, csv_lines, search

router = APIRouter(tags=["audit"])
MAX_ENTRIES = 1000


class AuditEntryModel(BaseModel):
    id: str
    at: str = Field(description="UTC time, ISO 8601.")
    kind: str = Field(description=f"One of {', '.join(KINDS)}.")
    key_id: str = Field(description="The API key's id (`local` in single-user mode, `cli` at the command line).")
    role: str
    client: str | None = Field(description="The client's address.")
    request_id: str | None = Field(description="The request's X-Request-ID.")
    detail: dict[str, Any] = Field(description="What was done; personal data masked.")


class AuditPage(BaseModel):
    entries: list[AuditEntryModel]


async def selection(
    since: Annotated[datetime | None, Query(description="From this time on (ISO 8601; no zone = UTC).")] = None,
    until: Annotated[datetime | None, Query(description="Before this time.")] = None,
    key_id: Annotated[list[str] | None, Query(description="Only these keys (repeatable).")] = None,
    kind: Annotated[list[str] | None, Query(description="Only these kinds (repeatable).")] = None,
) -> AuditQuery:
    """The entries a request selects, shared by the search and the export (422 for an unknown kind or range)."""
    unknown = sorted(set(kind or ()) - set(KINDS))
    if unknown:
        raise InvalidRequest(f"unknown audit kind(s): {', '.join(unknown)}; known: {', '.join(KINDS)}")
    if since and until and since >= until:
        raise InvalidRequest(f"since {since.isoformat()} is not before until {until.isoformat()}")
    return AuditQuery(since=since, until=until, key_ids=key_id or [], kinds=kind or [])


Selection = Annotated[AuditQuery, Depends(selection)]


@router.get(
    "/v1/audit",
    response_model=AuditPage,
    responses=error_responses(401, 403, 422, 429),
    summary="Search the audit log (admin)",
)
async def audit_search(
    caller: AdminCaller,
    state: State,
    selected: Selection,
    limit: Annotated[int, Query(ge=1, le=MAX_ENTRIES, description="Most entries returned, oldest first.")] = 200,
) -> dict[str, Any]:
    """Entries oldest first, at most `limit`; page on with `since` set to the last entry's time."""
    query = replace(selected, limit=limit)
    audit = state.components.audit
    await run_in_threadpool(audit.flush)  # what was just done is in the answer
    entries = await run_in_threadpool(search, audit.database, query)
    audit.record(AUDIT_READ, caller, {"format": "json", **query.selection(), "entries": len(entries)})
    return {"entries": entries}


@router.get(
    "/v1/audit.csv",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {}}, "description": "The selection as CSV."},
        **error_responses(401, 403, 422, 429),
    },
    summary="Export the audit log as CSV (admin)",
)
async def audit_export(caller: AdminCaller, state: State, query: Selection) -> StreamingResponse:
    """Every selected entry, oldest first, columns id, at, kind, key_id, role, client, request_id, detail (JSON)."""
    audit = state.components.audit
    await run_in_threadpool(audit.flush)
    audit.record(AUDIT_READ, caller, {"format": "csv", **query.selection()})
    return StreamingResponse(
        iterate_in_threadpool(csv_lines(audit.database, query)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )
