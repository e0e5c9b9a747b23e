"""/v1/documents: list, upload (ingest) and delete documents."""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from assistant.api.auth import Caller
from assistant.api.deps import AdminCaller, AnyCaller, State
from assistant.api.errors import InvalidRequest, NotFound, error_responses
from assistant.api.uploads import SOURCE_PREFIX, UploadedFile, check_size
from assistant.audit.details import deletion_detail, upload_detail
from assistant.audit.log import DELETION, UPLOAD

log = logging.getLogger(__name__)
router = APIRouter(tags=["documents"])


class DocumentInfo(BaseModel):
    """A stored document (further metadata fields may appear)."""

    model_config = ConfigDict(extra="allow")

    doc_id: str
    title: str | None = None
    source: str | None = Field(default=None, description="Path it was ingested from, or `upload/NAME`.")
    chunks: int = 0
    access: str = Field(default="public", description="`public` or `internal`.")
    issuer: str | None = None
    date: str | None = None
    doc_number: str | None = None
    status: str | None = None
    doc_type: str | None = None
    pending: bool = Field(
        default=False,
        description="True while the document is being ingested, or when an ingest stopped before it finished: "
        "upload the file again or delete the document.",
    )
    ingested_at: str | None = None


class DocumentList(BaseModel):
    documents: list[DocumentInfo]


class FileResult(BaseModel):
    """What became of one uploaded file."""

    filename: str
    status: Literal["added", "unchanged", "replaced", "failed"] = Field(
        description="`unchanged`: the same content was already stored; `replaced`: an older upload of that name "
        "was replaced; `failed`: see `error`."
    )
    doc_id: str | None = None
    title: str | None = None
    chunks: int = 0
    error: str | None = None


class UploadResponse(BaseModel):
    files: list[FileResult]


class DeleteResponse(BaseModel):
    doc_id: str
    deleted_chunks: int


def _visible(document: dict[str, Any] | None, caller: Caller) -> bool:
    return document is not None and document.get("access", "public") in caller.access


@router.get("/v1/documents", response_model=DocumentList, responses=error_responses(401, 429), summary="List documents")
def list_documents(caller: AnyCaller, state: State) -> dict[str, Any]:
    """Every document the caller's role may read, with its metadata and chunk count."""
    documents = state.components.store.list_documents()
    return {"documents": [d for d in documents if _visible(d, caller)]}


@router.get(
    "/v1/documents/{doc_id}",
    response_model=DocumentInfo,
    responses=error_responses(401, 404, 422, 429),
    summary="Get a document's metadata",
)
def get_document(doc_id: str, caller: AnyCaller, state: State) -> dict[str, Any]:
    """One document's metadata (404 for an unknown id or one the caller may not read)."""
    document = state.components.store.get_document(doc_id)
    if not _visible(document, caller):
        raise NotFound(f"no document with id {doc_id}")
    return document  # type: ignore[return-value]


@router.post(
    "/v1/documents",
    response_model=UploadResponse,
    responses=error_responses(401, 403, 413, 415, 422, 429),
    summary="Upload and ingest documents (admin)",
)
async def upload_documents(
    files: Annotated[list[UploadFile], File(description="One or more files: .txt .md .html .docx .pdf .json …")],
    caller: AdminCaller,
    state: State,
    access: Annotated[
        Literal["public", "internal"] | None,
        Form(description="Access level of these documents; default: their sidecar's, else public."),
    ] = None,
) -> dict[str, Any]:
    """Ingest uploaded files into the store; each file gets its own result.

    A ``NAME.meta.json`` uploaded alongside ``NAME`` supplies its metadata. Files larger than
    ``ASSISTANT_MAX_FILE_MB`` are refused with 413 and unsupported types with 415, before anything
    is ingested. Files that fail while being read are reported per file; when every file fails the
    response is 422 with the reasons.
    """
    for f in files:  # the size the multipart parser spooled to disk, checked before the file is read into memory
        check_size(f.filename or "", f.size or 0, state.settings.max_file_mb)
    uploads = [UploadedFile(name=f.filename or "", data=await f.read()) for f in files]
    outcomes = await run_in_threadpool(state.uploads.ingest, uploads, access)
    log.info("upload by %s: %s", caller.name, ", ".join(f"{o.source} {o.status}" for o in outcomes))
    state.components.audit.record(UPLOAD, caller, upload_detail(outcomes, access))
    if all(o.status == "failed" for o in outcomes):
        raise InvalidRequest("; ".join(o.error or f"{o.source}: failed" for o in outcomes))
    results = [
        FileResult(
            filename=o.source.removeprefix(SOURCE_PREFIX),
            status=o.status,
            doc_id=o.doc_id,
            title=o.title,
            chunks=o.chunks,
            error=o.error,
        )
        for o in outcomes
    ]
    return {"files": results}


@router.delete(
    "/v1/documents/{doc_id}",
    response_model=DeleteResponse,
    responses=error_responses(401, 403, 404, 422, 429),
    summary="Delete a document (admin)",
)
def delete_document(doc_id: str, caller: AdminCaller, state: State) -> dict[str, Any]:
    """Remove a document and all its chunks."""
    store = state.components.store
    document = store.get_document(doc_id)
    if document is None:
        raise NotFound(f"no document with id {doc_id} (GET /v1/documents lists them)")
    removed = store.delete_document(doc_id)
    state.components.audit.record(DELETION, caller, deletion_detail(doc_id, document, removed))
    log.info("%s deleted document %s (%d chunks)", caller.name, doc_id, removed)
    return {"doc_id": doc_id, "deleted_chunks": removed}
