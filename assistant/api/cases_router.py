"""/v1/cases: 办件 — submit, upload materials, move through the workflow, the staff worklist, notices.

Thin: every route calls ``CaseService`` (assistant/cases/service.py). Who may do what:

- Submitting (``POST /v1/cases``, ``POST /v1/cases/from-guide``) takes any key (the portal's public key,
  a window's staff key); the response carries the case's verification code, shown this once.
- An applicant reaches their own case with its number in the path and the code in the ``X-Case-Code``
  header, no key needed: read it, upload materials, resubmit after 补正, withdraw, get its notices. A
  wrong code and another applicant's case both answer 404 (never 403), so a code reveals nothing else.
- Staff keys read every case and the worklist and make the staff actions; ``extend`` (延期, the approver)
  and ``DELETE`` are for admin keys. A public key without a case code gets 403.
- Every change carries the ``version`` the caller saw; if the case moved on meanwhile the answer is 409
  with the case as it now is (``case`` beside ``error`` in the body).
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Header, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.concurrency import run_in_threadpool

from assistant.api.audit_trail import CaseApplicant, log_case_action
from assistant.api.auth import Caller
from assistant.api.deps import AnyCaller, PresentedKey, RowId, State
from assistant.api.errors import error_responses
from assistant.api.redact import mask_personal_data
from assistant.api.search_router import non_blank
from assistant.api.uploads import check_size
from assistant.cases.errors import MaterialRefused
from assistant.cases.service import Actor, Applicant, Finding, NewMaterial, Step, WorklistQuery, new_case_from_guide
from assistant.cases.states import SPECIAL_PROCEDURES, workflow
from assistant.cases.states import State as CaseState

log = logging.getLogger(__name__)
router = APIRouter(tags=["cases"])
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# ---- request bodies ---------------------------------------------------------------------------------


class ApplicantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["person", "enterprise"] = Field(description="person: 居民身份证号码; enterprise: 统一社会信用代码.")
    name: str = Field(max_length=200, description="申请人姓名或单位名称.")
    id_number: str = Field(max_length=40, description="身份证号 or 统一社会信用代码; checked by its check digit.")
    phone: str = Field(max_length=40, description="Mobile (11 digits) or landline with area code.")

    def applicant(self) -> Applicant:
        return Applicant(self.kind, self.name, self.id_number, self.phone)


class CaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    applicant: ApplicantIn
    item_ids: list[str] = Field(min_length=1, description="Catalogue ids (TASK_CODE) of the items; one sub-case each.")
    form: dict[str, Any] = Field(default_factory=dict, description="The application form's fields (一表申请).")
    title: str | None = Field(default=None, max_length=300, description="Default: the items' names.")


class GuideCaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(max_length=500, description="The same words the guide was asked with (POST /v1/guide).")
    applicant: ApplicantIn
    form: dict[str, Any] = Field(default_factory=dict)
    item_ids: list[str] | None = Field(
        default=None, description="Only these of the guide's items (by catalogue id); default: every item it lists."
    )

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        return non_blank(value, "question")


class FindingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    material: str = Field(description="The material, as the checklist names it.")
    problem: str = Field(description="What is wrong: 未提交, 复印件未加盖公章, 已过有效期 …")
    basis: str = Field(default="", description="Why it is required; default: the items' guide (办事指南).")
    slot: int | None = Field(default=None, description="Its checklist slot, when it has one.")


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str = Field(description="See `allowed_actions` of the case: start_prereview, accept, request_correction, …")
    reason: str = Field(max_length=2000, description="Why (recorded in the history).")
    version: int = Field(description="The case version the caller saw (optimistic locking; 409 if it moved on).")
    outcome: Literal["approved", "denied"] | None = Field(default=None, description="decide: for every sub-case.")
    outcomes: dict[int, Literal["approved", "denied"]] = Field(
        default_factory=dict, description="decide: per sub-case position (overrides `outcome`)."
    )
    procedure: str | None = Field(default=None, description=f"start_special: {'/'.join(SPECIAL_PROCEDURES)}.")
    findings: list[FindingIn] = Field(
        default_factory=list,
        description="request_correction: every material to correct (required slots with no file are added).",
    )
    department: str | None = Field(default=None, description="assign: the department.")
    assignee: str | None = Field(default=None, description="assign: the staff member.")
    legal_basis: str = Field(default="", description="reject / decide denied: the provision the refusal rests on.")
    review_body: str = Field(default="", description="reject / decide denied: the 行政复议机关.")
    court: str = Field(default="", description="reject / decide denied: the people's court for 行政诉讼.")

    def step(self) -> Step:
        findings = tuple(Finding(f.material, f.problem, f.basis, f.slot) for f in self.findings)
        values = self.model_dump(exclude={"findings"})
        return Step(**values, findings=findings)


# ---- responses (the shapes of CaseView.as_dict & co., assistant/cases/views.py) ---------------------------


class DeadlineOut(BaseModel):
    due_on: date | None = Field(description="The running deadline (承诺 where the item has one), or none.")
    legal_due_on: date | None = Field(description="The 法定 decision date, shown beside it.")
    days_left: int | None = Field(description="Working days left (0 = due today, negative = overdue).")
    light: Literal["green", "yellow", "red", "none"]
    paused: bool = Field(description="A special procedure (§45) stopped the clock.")
    notes: list[str] = Field(description="E.g. that a year's holidays are unknown and only weekends are excluded.")


class SubCaseOut(BaseModel):
    position: int
    item_id: str
    item_name: str
    department: str
    matter_type: str
    legal_days: int | None
    promised_days: int | None
    outcome: Literal["approved", "denied"] | None
    deadline: DeadlineOut


class MaterialOut(BaseModel):
    id: int
    slot: int | None
    name: str
    media_type: str
    size: int
    sha256: str
    uploaded_at: datetime
    uploaded_by: str


class TransitionOut(BaseModel):
    id: int
    at: datetime
    actor: str = Field(description="Who; an applicant's view shows 工作人员 for staff.")
    role: str
    action: str
    action_label: str
    from_state: str | None
    from_label: str | None
    to_state: str
    to_label: str
    reason: str
    details: dict[str, Any]


class CaseOut(BaseModel):
    number: str
    title: str
    event_key: str | None
    state: CaseState
    state_label: str
    applicant: ApplicantIn
    department: str
    assignee: str | None
    form: dict[str, Any]
    checklist: list[dict[str, Any]] = Field(description="Merged slots: index, name, required, form, count, items.")
    received_on: date
    created_at: datetime
    updated_at: datetime
    version: int
    deadline: DeadlineOut
    sub_cases: list[SubCaseOut]
    materials: list[MaterialOut]
    history: list[TransitionOut] = Field(description="Every transition, oldest first (append-only).")
    allowed_actions: list[str]


class SubmissionOut(BaseModel):
    case: CaseOut
    code: str = Field(description="The applicant's verification code: shown only now, stored only as a hash.")


class GuideSubmissionOut(SubmissionOut):
    missing: list[str] = Field(description="Steps of the 一件事 the catalogue has no item for (apply elsewhere).")


class CaseRow(BaseModel):
    number: str
    title: str
    state: CaseState
    state_label: str
    applicant_name: str
    department: str
    assignee: str | None
    item_ids: list[str]
    received_on: date
    version: int
    deadline: DeadlineOut


class WorklistOut(BaseModel):
    cases: list[CaseRow]
    total: int = Field(description="Matching cases, counted up to 10,000.")
    page: int
    page_size: int
    total_capped: bool = Field(description="True when more than `total` cases match (narrow the filters).")


# ---- who is acting ------------------------------------------------------------------------------------


async def case_actor(
    request: Request,
    number: str,
    state: State,
    key: PresentedKey,
    code: Annotated[
        str | None, Header(alias="X-Case-Code", description="The applicant's verification code for this case.")
    ] = None,
) -> Actor:
    """The applicant (by the case's verification code) or a staff/admin key; 404 for a wrong code."""
    if code is not None:
        client = request.client.host if request.client else "unknown"
        state.rate_limiter.check(f"case-code:{client}")
        view = await run_in_threadpool(state.components.cases.open_as_applicant, number, code)
        return Actor(view.applicant.name, "applicant")
    caller = state.keys.identify(key)
    state.rate_limiter.check(caller.key_id)
    return staff_of(caller)


CaseActor = Annotated[Actor, Depends(case_actor)]


async def audit_identity(actor: CaseActor, state: State, key: PresentedKey) -> Any:
    """Who the audit log names for a case action: the API key, or the applicant holding the case's code."""
    return CaseApplicant() if actor.role == "applicant" else state.keys.identify(key)


Audited = Annotated[Any, Depends(audit_identity)]  # issue 18: every case action is logged


def staff_of(caller: Caller) -> Actor:
    """A staff or admin key acting on cases (``Forbidden`` for a public key); the API and the web page alike."""
    caller.require("staff")
    return Actor(caller.name, "admin" if caller.role == "admin" else "staff")


async def staff_actor(caller: AnyCaller) -> Actor:
    return staff_of(caller)


StaffActor = Annotated[Actor, Depends(staff_actor)]


def submitter(caller: Caller, applicant_name: str) -> Actor:
    """Whoever submits: staff at a window act as staff; through a public key it is the applicant (by name);
    the API and the web page alike."""
    return Actor(applicant_name.strip(), "applicant") if caller.role == "public" else Actor(caller.name, "staff")


def _shown(view: Any, actor: Actor) -> dict[str, Any]:
    return view.as_dict(for_applicant=actor.role == "applicant")


# ---- routes -------------------------------------------------------------------------------------------


@router.post(
    "/v1/cases",
    status_code=201,
    response_model=SubmissionOut,
    responses=error_responses(401, 422, 429),
    summary="Submit a case for catalogue items",
)
def create_case(body: CaseCreate, caller: AnyCaller, state: State) -> dict[str, Any]:
    """One application for one or more catalogue items (one sub-case per item and department), checked:
    the applicant's 身份证号/统一社会信用代码 by its check digit, the phone, and every item id (422
    `unknown_item`). The answer holds the verification code the applicant needs to follow the case."""
    submission = state.components.cases.create(
        body.applicant.applicant(),
        body.item_ids,
        submitter(caller, body.applicant.name),
        form=body.form,
        title=body.title,
    )
    log.info("case %s submitted through %s", submission.case.number, caller.name)
    log_case_action(state.components.audit, caller, "create", submission.case.number, item_ids=body.item_ids)
    return submission.as_dict()


@router.post(
    "/v1/cases/from-guide",
    status_code=201,
    response_model=GuideSubmissionOut,
    responses=error_responses(401, 422, 429, 503),
    summary='Start a guide\'s "一件事" as one case',
)
def create_case_from_guide(body: GuideCaseCreate, caller: AnyCaller, state: State) -> dict[str, Any]:
    """The "start this 一件事" action: the guide for `question` (as POST /v1/guide gives it) becomes one case
    with one sub-case per listed item, one merged materials checklist and one form."""
    log.info("case from guide through %s: %s", caller.name, mask_personal_data(body.question))
    guide = state.components.guides.guide(body.question, caller.access)
    actor = submitter(caller, body.applicant.name)
    submission, missing = new_case_from_guide(
        state.components.cases, guide, body.applicant.applicant(), actor, body.form, body.item_ids
    )
    log_case_action(state.components.audit, caller, "create_from_guide", submission.case.number, missing=missing)
    return {**submission.as_dict(), "missing": missing}


@router.get(
    "/v1/cases",
    response_model=WorklistOut,
    responses=error_responses(401, 403, 422, 429),
    summary="The staff worklist (nearest deadline first)",
)
def worklist(
    actor: StaffActor,
    state: State,
    case_state: Annotated[
        list[CaseState] | None, Query(alias="state", description="Repeatable; default: every open state.")
    ] = None,
    item_id: Annotated[str | None, Query(description="Cases with a sub-case for this catalogue item.")] = None,
    department: Annotated[str | None, Query(description="The case's or one of its sub-cases' department.")] = None,
    light: Annotated[Literal["green", "yellow", "red", "none"] | None, Query()] = None,
    assignee: Annotated[str | None, Query()] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """Cases sorted by their nearest running deadline (cases without one last), each with days left and a
    light: red overdue, yellow 2 working days or fewer, green, none (no clock running). Staff keys only."""
    query = WorklistQuery(tuple(case_state or ()), item_id, department, light, assignee, page, page_size)
    return state.components.cases.worklist(query).as_dict()


class WorkflowOut(BaseModel):
    states: list[dict[str, Any]] = Field(description="state, label (Chinese), final.")
    actions: list[dict[str, Any]] = Field(description="action, label, from (states), to (null: unchanged), roles.")
    special_procedures: list[str]
    outcomes: dict[str, str]


@router.get(
    "/v1/cases/workflow",
    response_model=WorkflowOut,
    responses=error_responses(401, 429),
    summary="The case states and actions, with their Chinese labels",
)
def case_workflow(caller: AnyCaller) -> dict[str, Any]:
    """What screens need to show and offer: every state with its label, every action with where it may be
    made from, where it leads and which roles may make it."""
    return workflow()


@router.get(
    "/v1/cases/{number}",
    response_model=CaseOut,
    responses=error_responses(401, 403, 404, 422, 429),
    summary="A case with its history",
)
def get_case(number: str, actor: CaseActor, who: Audited, state: State) -> dict[str, Any]:
    """The case, its sub-cases with their deadlines, materials and whole history. Staff key, or the
    applicant's `X-Case-Code` (which shows the applicant's view: staff names left out)."""
    shown = _shown(state.components.cases.get(number), actor)
    log_case_action(state.components.audit, who, "view", number)
    return shown


@router.post(
    "/v1/cases/{number}/transitions",
    response_model=CaseOut,
    responses=error_responses(401, 403, 404, 409, 422, 429),
    summary="Move a case on (accept, request correction, decide …)",
)
def transition(number: str, body: TransitionIn, actor: CaseActor, who: Audited, state: State) -> dict[str, Any]:
    """Make one action of the workflow, with a reason; an action the state does not allow answers 422
    `illegal_transition` naming the current state and the allowed actions, one the role may not make 403,
    and a stale `version` 409 with the current case. Applicants (by code) may `resubmit` and `withdraw`."""
    view = state.components.cases.transition(number, body.step(), actor)
    log.info("case %s: %s by %s", number, body.action, actor.name)
    log_case_action(state.components.audit, who, body.action, number, reason=body.reason, version=view.version)
    return _shown(view, actor)


@router.post(
    "/v1/cases/{number}/materials",
    response_model=CaseOut,
    responses=error_responses(401, 403, 404, 409, 413, 422, 429),
    summary="Upload materials (optionally with a transition, as one step)",
)
async def upload_materials(
    number: str,
    files: Annotated[list[UploadFile], File(description="One or more files (scans, PDFs, photos).")],
    actor: CaseActor,
    who: Audited,
    state: State,
    slot: Annotated[
        list[int] | None, Form(description="The checklist slot of each file, in order (repeat per file).")
    ] = None,
    version: Annotated[int | None, Form(description="The case version the caller saw.")] = None,
    action: Annotated[str | None, Form(description="Also make this transition in one step, e.g. resubmit.")] = None,
    reason: Annotated[str | None, Form(description="The transition's reason.")] = None,
) -> dict[str, Any]:
    """Store the files content-addressed and tie each to a checklist slot. Empty files are refused (422),
    files over ASSISTANT_MAX_FILE_MB too (413). With `action` (e.g. `resubmit` after 补正) the upload and
    the transition commit together or not at all."""
    slots = slot or []
    if slots and len(slots) != len(files):
        raise MaterialRefused(f"{len(files)} files but {len(slots)} slots: give one slot per file, or none")
    for f in files:
        check_size(f.filename or "", f.size or 0, state.settings.max_file_mb)
    materials = [
        NewMaterial(f.filename or "", await f.read(), slots[i] if slots else None, f.content_type)
        for i, f in enumerate(files)
    ]
    cases = state.components.cases
    if action:
        step = Step(action=action, reason=reason or "", version=version)
        view = await run_in_threadpool(cases.transition, number, step, actor, materials)
    else:
        view = await run_in_threadpool(cases.upload, number, materials, actor, version)
    uploaded = [{"name": m.name, "slot": m.slot, "bytes": len(m.data)} for m in materials]
    log_case_action(state.components.audit, who, action or "upload", number, materials=uploaded)
    return _shown(view, actor)


@router.get(
    "/v1/cases/{number}/materials/{material_id}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}, **error_responses(401, 403, 404, 422, 429)},
    summary="Download a material",
)
def download_material(number: str, material_id: RowId, actor: CaseActor, who: Audited, state: State) -> Response:
    material, data = state.components.cases.material(number, material_id)
    log_case_action(state.components.audit, who, "download", number, material_id=material_id, name=material.name)
    return Response(data, media_type=material.media_type, headers={"Content-Disposition": _attachment(material.name)})


@router.get(
    "/v1/cases/{number}/notices/{kind}",
    response_class=Response,
    responses={200: {"content": {DOCX: {}}}, **error_responses(401, 403, 404, 422, 429)},
    summary="A notice of the case as .docx",
)
def notice(number: str, kind: str, actor: CaseActor, who: Audited, state: State) -> Response:
    """`kind`: acceptance (受理通知书), correction (补正告知书), refusal-to-accept (不予受理决定书), refusal
    (不予许可决定书) or extension (延期告知书), filled from the step that gave rise to it (422 if the case
    has had no such step), in the GB/T 9704 layout of the drafting module."""
    name, data = state.components.cases.notice(number, kind)
    log_case_action(state.components.audit, who, "notice", number, kind=kind)
    return Response(data, media_type=DOCX, headers={"Content-Disposition": _attachment(name)})


@router.delete(
    "/v1/cases/{number}",
    status_code=204,
    response_class=Response,
    responses=error_responses(401, 403, 404, 422, 429),
    summary="Delete a finished case (admin)",
)
def delete_case(number: str, actor: StaffActor, caller: AnyCaller, state: State) -> Response:
    """Remove a finished case (办结, 不予受理 or 撤回) whole: history, materials, and the stored bytes no other
    case shares. Open cases are refused (422)."""
    state.components.cases.delete(number, actor)
    log_case_action(state.components.audit, caller, "delete", number)
    return Response(status_code=204)


def _attachment(name: str) -> str:
    return f"attachment; filename*=UTF-8''{quote(name)}"
