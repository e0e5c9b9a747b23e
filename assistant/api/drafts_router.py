"""/v1/drafts: draft a 公文 grounded in the policy documents, fetch it as .docx, check a document's format."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from assistant.api.auth import Caller
from assistant.api.deps import State, role
from assistant.api.errors import InvalidRequest, NotFound, PayloadTooLarge, error_body_for, error_responses
from assistant.api.generation import AnswerStreamResponse, sse, start_generation
from assistant.audit.details import draft_detail
from assistant.audit.log import DRAFT
from assistant.drafting.check import check_document, check_text
from assistant.drafting.doctypes import TEMPLATE_NAMES
from assistant.drafting.draft import Draft
from assistant.drafting.service import DraftEvent, DraftRequest
from assistant.drafting.store import DraftNotFound, DraftStore
from assistant.retrieval.store import SearchFilter

log = logging.getLogger(__name__)
router = APIRouter(tags=["drafts"])
StaffCaller = Annotated[Caller, Depends(role("staff"))]
DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MAX_CHECK_TEXT = 200_000


class Grounding(BaseModel):
    """What the body is grounded in: a search query, or these documents (default: the subject and points)."""

    model_config = ConfigDict(extra="forbid")

    query: str | None = Field(default=None, max_length=500, description="Search query for the grounding passages.")
    doc_ids: list[str] = Field(default_factory=list, max_length=20, description="Only passages of these documents.")


class DraftBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    doc_type: str = Field(description=f"Document type (文种); templates exist for {'、'.join(TEMPLATE_NAMES)}.")
    issuer: str = Field(max_length=40, description="Issuing body (发文机关), e.g. 吉林省科学技术厅.")
    recipients: list[str] = Field(
        default_factory=list, max_length=20, description="主送机关; one for 请示, 报告, 批复."
    )
    subject: str = Field(max_length=100, description="事由: what the document is about, e.g. 报送人工智能应用场景.")
    points: list[str] = Field(default_factory=list, max_length=20, description="Key points the body must cover.")
    doc_number: str | None = Field(default=None, max_length=40, description="发文字号, e.g. 吉科发〔2026〕12号.")
    date: dt.date | None = Field(default=None, description="成文日期 (ISO); default today.")
    attachments: list[str] = Field(default_factory=list, max_length=20, description="Names of the attachments.")
    cc: list[str] = Field(default_factory=list, max_length=20, description="抄送机关.")
    signer: str | None = Field(default=None, max_length=20, description="签发人 of a 请示 or 报告.")
    contact: str | None = Field(default=None, max_length=100, description="附注: contact person and telephone.")
    reply_to: str | None = Field(default=None, max_length=100, description="批复 only: the title of the 请示 answered.")
    grounding: Grounding | None = None
    stream: bool = Field(
        default=False,
        description="Stream Server-Sent Events: `citations`, `token`s of the body, then `done` with the whole draft.",
    )

    def to_request(self) -> DraftRequest:
        grounding = self.grounding or Grounding()
        return DraftRequest(
            doc_type=self.doc_type,
            issuer=self.issuer,
            subject=self.subject,
            recipients=self.recipients,
            points=self.points,
            doc_number=self.doc_number,
            date=self.date,
            attachments=self.attachments,
            cc=self.cc,
            signer=self.signer,
            contact=self.contact,
            reply_to=self.reply_to,
            query=grounding.query,
            doc_ids=grounding.doc_ids,
        )


class FindingModel(BaseModel):
    rule: str = Field(description="Stable rule id, e.g. `heading-numbering`, `date-form`.")
    message: str = Field(description="What breaks the rule and what is expected.")
    where: str = Field(description="`line N`, `paragraph N`, `section N` or `document`.")


class CheckResponse(BaseModel):
    findings: list[FindingModel]


class CheckText(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=MAX_CHECK_TEXT, description="The document as plain text, one line per line.")
    doc_type: str | None = Field(default=None, description="Check as this type instead of the one in the title.")


class DraftResponse(BaseModel):
    """A stored draft: its text, elements by their GB/T 9704-2012 names, structured body and grounding."""

    id: str
    doc_type: str
    title: str
    text: str
    elements: dict[str, Any]
    body: list[dict[str, Any]] = Field(description="Paragraphs: `level` 0 (text) or 1..4, `number`, `heading`, `text`.")
    citations: list[dict[str, Any]] = Field(description="The policy passages the body was written from.")
    findings: list[FindingModel] = Field(description="The format checker's findings (a program draft has none).")
    repairs: list[str] = Field(description="What the program changed in the model's body.")
    label: str = Field(description="The mark that this is an AI-assisted draft awaiting review.")
    model: str
    created_at: str
    unverified_fonts: list[str] = Field(description="Fonts the .docx names that the server does not have.")
    audit_id: str | None = Field(
        default=None, description="The audit entry of this drafting (rate it with POST /v1/feedback); not on a re-read."
    )


def _store(state: Any) -> DraftStore:
    return DraftStore(state.settings.data_dir)


_SSE_DESCRIPTION = (
    'With `stream: true`: Server-Sent Events. `event: citations` (data `{"citations": [...]}`), then `event: token` '
    '(data `{"token": "..."}`) per piece of the body as the model writes it, then `event: done` whose data is the '
    "stored draft as in the JSON response (its body repaired and renumbered). A failure after the stream started "
    "arrives as `event: error` with the error body."
)


@router.post(
    "/v1/drafts",
    response_model=DraftResponse,
    responses={
        200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}, "description": _SSE_DESCRIPTION},
        **error_responses(401, 403, 422, 429, 503),
    },
    summary="Draft an official document (staff)",
)
async def create_draft(body: DraftBody, caller: StaffCaller, state: State) -> Any:
    """Draft a 公文 in the GB/T 9704-2012 form, its body written by the model from the policy passages.

    The program assembles the title, 主送, 署名, date, 发文字号, 附件说明 and 版记 and repairs the body's
    structure; the draft is stored (JSON and .docx, `GET /v1/drafts/{id}.docx`) and checked.
    """
    request = body.to_request()
    flt = SearchFilter(access=caller.access)
    events = state.components.drafter.stream(request, flt)  # checks the request now: 422 before queueing
    log.info("draft by %s: %s %s", caller.name, request.doc_type, request.subject)
    run = await start_generation(state, lambda: events)
    store = _store(state)

    async def save(draft: Draft) -> dict[str, Any]:
        """Store the draft and log it; the response carries its audit id."""
        saved = await run_in_threadpool(store.save, draft)
        return {**saved.as_dict(), "audit_id": state.components.audit.record(DRAFT, caller, draft_detail(draft))}

    if body.stream:
        return AnswerStreamResponse(_server_sent_events(run.events(), save), run)
    draft = None
    async for event in run.events():
        if event.type == "done":
            draft = event.draft
    assert draft is not None, "the draft service ends every stream with a done event"
    return await save(draft)


async def _server_sent_events(
    events: AsyncIterator[DraftEvent], save: Callable[[Draft], Awaitable[dict[str, Any]]]
) -> AsyncIterator[str]:
    async with aclosing(events):  # type: ignore[type-var]
        try:
            async for event in events:
                if event.type == "citations":
                    data: dict[str, Any] = {"citations": [vars(c) for c in event.citations or []]}
                elif event.type == "token":
                    data = {"token": event.token}
                else:
                    assert event.draft is not None
                    data = await save(event.draft)
                yield sse(event.type, json.dumps(data, ensure_ascii=False))
        except Exception as exc:  # the status line is gone: report the failure as the last event
            yield sse("error", json.dumps(error_body_for(exc), ensure_ascii=False))


@router.get(
    "/v1/drafts/{draft_id}.docx",
    response_class=FileResponse,
    responses={
        200: {"content": {DOCX_MEDIA_TYPE: {}}, "description": "The draft as .docx."},
        **error_responses(401, 403, 404, 422, 429),
    },
    summary="Download a draft as .docx (staff)",
)
def draft_docx(draft_id: str, caller: StaffCaller, state: State) -> FileResponse:
    """The stored draft in the GB/T 9704-2012 layout, with its AI-generated label in the document properties."""
    try:
        path = _store(state).docx_path(draft_id)
    except DraftNotFound as exc:
        raise NotFound(str(exc)) from None
    return FileResponse(path, media_type=DOCX_MEDIA_TYPE, filename=f"{draft_id}.docx")


@router.get(
    "/v1/drafts/{draft_id}",
    response_model=DraftResponse,
    responses=error_responses(401, 403, 404, 422, 429),
    summary="Get a stored draft (staff)",
)
def get_draft(draft_id: str, caller: StaffCaller, state: State) -> dict[str, Any]:
    """The stored draft as `POST /v1/drafts` returned it (findings re-checked)."""
    try:
        return _store(state).load(draft_id).as_dict()
    except DraftNotFound as exc:
        raise NotFound(str(exc)) from None


_CHECK_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": CheckText.model_json_schema()},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {"type": "string", "format": "binary", "description": "A .txt or .docx document."},
                    "doc_type": {"type": "string", "description": "Check as this type."},
                },
            }
        },
    },
}


@router.post(
    "/v1/drafts/check",
    response_model=CheckResponse,
    responses=error_responses(401, 403, 413, 422, 429),
    openapi_extra={"requestBody": _CHECK_BODY},
    summary="Check a document against the 公文 format rules (staff)",
)
async def check_format(request: Request, caller: StaffCaller, state: State) -> dict[str, Any]:
    """Every breach of the format rules, with its line (.txt, JSON text) or paragraph (.docx).

    Send a file as `multipart/form-data` (field `file`, optional `doc_type`), or JSON `{"text": ...}`.
    """
    limit = state.settings.max_file_mb * 1024 * 1024
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        upload, doc_type = form.get("file"), form.get("doc_type")
        if not isinstance(upload, UploadFile):
            raise InvalidRequest("send the document as the form field 'file' (a .txt or .docx file)")
        data = await upload.read()
        if len(data) > limit:
            raise PayloadTooLarge(f"the file is larger than {state.settings.max_file_mb} MiB (ASSISTANT_MAX_FILE_MB)")
        kind = doc_type if isinstance(doc_type, str) and doc_type else None
        findings = await run_in_threadpool(check_document, data, upload.filename or "", kind)
    else:
        try:
            body = CheckText.model_validate_json(await request.body())
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
            raise InvalidRequest(f'expected JSON {{"text": ...}} or a multipart file upload: {problems}') from None
        findings = check_text(body.text, body.doc_type)
    log.info("format check by %s: %d findings", caller.name, len(findings))
    return {"findings": [f.as_dict() for f in findings]}
