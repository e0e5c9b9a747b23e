"""智能预审 over HTTP, one service under both routes.

- ``POST /v1/precheck``: 提交前自查 — an applicant checks their materials against an item before submitting.
  Open to every role (public keys too); nothing is stored: the files live only for the request.
- ``POST /v1/cases/{number}/precheck`` (staff): the case's stored materials against its checklist, with its
  decision deadline; the report is kept as the case's latest, ``GET`` returns it. The case's state,
  version and history are never touched: a person accepts, asks for 补正 or refuses.
"""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from starlette.concurrency import run_in_threadpool

from assistant.api.audit_trail import log_case_action
from assistant.api.deps import AnyCaller, State
from assistant.api.errors import InvalidRequest, NotFound, error_responses
from assistant.api.uploads import check_size
from assistant.cases.items import CatalogueItems
from assistant.precheck.reading import Material
from assistant.precheck.service import item_rules

log = logging.getLogger(__name__)
router = APIRouter(tags=["precheck"])
MAX_FILES = 30


def parse_form(raw: str | None) -> dict[str, Any]:
    """The application form as a JSON object of field name to value."""
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidRequest(f'form: not valid JSON ({exc.msg}); send an object such as {{"姓名": "张三"}}') from exc
    if not isinstance(value, dict):
        raise InvalidRequest("form: must be a JSON object of field names to values")
    return value


@router.post(
    "/v1/precheck",
    responses=error_responses(401, 413, 422, 429),
    summary="Pre-check application materials against a service item (nothing is stored)",
)
async def precheck(
    caller: AnyCaller,
    state: State,
    item_id: Annotated[str, Form(description="The service item's catalogue code (TASK_CODE).")],
    files: Annotated[list[UploadFile], File(description="The materials: PDF, .docx, JPG/PNG scans or photos.")],
    form: Annotated[
        str | None, Form(description='The application form as a JSON object, e.g. {"姓名": "张三"}.')
    ] = None,
    decision_due: Annotated[
        date | None, Form(description="Decision deadline (ISO date): validity ending before it is flagged.")
    ] = None,
) -> dict[str, Any]:
    """The 预审意见: each checklist slot with the files placed in it and their findings, the uploads that fit
    no slot, the draft 补正 list, and the 受理条件 to check; AI-generated, for a person to decide on."""
    if len(files) > MAX_FILES:
        raise InvalidRequest(f"files: at most {MAX_FILES} files per pre-check, got {len(files)}")
    fields = parse_form(form)
    for f in files:
        check_size(f.filename or "", f.size or 0, state.settings.max_file_mb)
    materials = [Material(name=f.filename or f"file{n}", data=await f.read()) for n, f in enumerate(files, 1)]
    components = state.components
    rules = await run_in_threadpool(item_rules, CatalogueItems(lambda: components.catalogue), item_id)
    report = await run_in_threadpool(components.precheck.run, rules, fields, materials, decision_due)
    log.info("precheck by %s: item %s, %d files, %d findings", caller.name, item_id, len(files), len(report.findings))
    return report.as_dict()


@router.post(
    "/v1/cases/{number}/precheck",
    responses=error_responses(401, 403, 404, 422, 429),
    summary="Pre-check a case's stored materials (staff); the report is kept as the case's latest",
)
def precheck_case(number: str, caller: AnyCaller, state: State) -> dict[str, Any]:
    caller.require("staff")
    report = state.components.case_precheck.run(number, caller.name)
    log_case_action(state.components.audit, caller, "precheck", number)
    log.info("case %s pre-checked by %s: %d findings", number, caller.name, len(report.findings))
    return report.as_dict()


@router.get(
    "/v1/cases/{number}/precheck",
    responses=error_responses(401, 403, 404, 422, 429),
    summary="The case's latest pre-check report (staff); 404 when none was made",
)
def latest_precheck(number: str, caller: AnyCaller, state: State) -> dict[str, Any]:
    caller.require("staff")
    report = state.components.case_precheck.latest(number)
    if report is None:
        raise NotFound(f"case {number} has not been pre-checked yet (POST /v1/cases/{number}/precheck)")
    return report
