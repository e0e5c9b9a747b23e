"""Errors of the HTTP service, the error body model, and the status each kind of error gets.

Every error response has the body ``{"error": {"code": ..., "message": ...}}``. Routers and services
raise typed exceptions (``ApiError`` subclasses here, ``AssistantError`` subclasses below the API);
``status_and_code`` decides their status in one place and ``error_handlers`` turns them into responses.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from pydantic import BaseModel, Field

from assistant.errors import AssistantError

log = logging.getLogger(__name__)


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable error code, e.g. `invalid_request`, `not_found`.")
    message: str = Field(description="What was wrong, in words fit to show to the caller.")


class ErrorResponse(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


class ApiError(AssistantError):
    """An error with an HTTP status; subclasses fix the status and the code."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.headers = headers or {}


class InvalidRequest(ApiError):
    status_code = 422
    code = "invalid_request"


class Unauthorized(ApiError):
    status_code = 401
    code = "unauthorized"

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(ApiError):
    status_code = 403
    code = "forbidden"


class NotFound(ApiError):
    status_code = 404
    code = "not_found"


class PayloadTooLarge(ApiError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(ApiError):
    status_code = 415
    code = "unsupported_media_type"


class TooManyRequests(ApiError):
    """Rate limit or generation queue exceeded; ``retry_after`` seconds is sent as Retry-After."""

    status_code = 429

    def __init__(self, message: str, retry_after: float, code: str = "rate_limited") -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(message, headers={"Retry-After": str(self.retry_after)})
        self.code = code


class ServiceUnavailable(ApiError):
    status_code = 503
    code = "unavailable"


INTERNAL_ERROR_MESSAGE = "internal server error; the details are in the server log"
_STATUS_DESCRIPTIONS = {
    400: "Bad request.",
    401: "Missing or unknown API key.",
    403: "The API key's role may not do this.",
    404: "No such resource.",
    409: "A conflict: the case was changed by someone else since the given version (the body's `case` is the case "
    "as it now is), or something done once was asked again (a second rating of one answer).",
    413: "An uploaded file is larger than the configured limit.",
    415: "An uploaded file is of a type the assistant cannot read.",
    422: "The request is malformed: invalid JSON, a missing or empty field, an unknown filter key.",
    429: "Rate limit or generation queue full; retry after the number of seconds in Retry-After.",
    500: "Unexpected server error (details are in the server log only).",
    503: "The store or a model is not available.",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting these error statuses with the error model."""
    return {status: {"model": ErrorResponse, "description": _STATUS_DESCRIPTIONS[status]} for status in statuses}


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def status_and_code(exc: AssistantError) -> tuple[int, str]:
    """Status and code of an error raised below the API (store, models, ingest, answering)."""
    if isinstance(exc, ApiError):
        return exc.status_code, exc.code
    from assistant.api.uploads import UploadTooLarge
    from assistant.audit.feedback import AlreadyHandled, AlreadyRated, NoSuchFeedback, NothingToRate
    from assistant.cases.errors import (
        CaseConflict,
        CaseForbidden,
        CaseNotFound,
        IllegalTransition,
        MaterialTooLarge,
        UnknownItem,
    )
    from assistant.ingest.loaders import UnsupportedFormat
    from assistant.models.llm import LLMError
    from assistant.models.provision import ProvisionError
    from assistant.retrieval.store import StoreBusy, StoreMismatch

    for kind, status, code in (
        (UploadTooLarge, 413, "payload_too_large"),
        (NothingToRate, 404, "not_found"),
        (NoSuchFeedback, 404, "not_found"),
        (AlreadyRated, 409, "conflict"),
        (AlreadyHandled, 409, "conflict"),
        (MaterialTooLarge, 413, "payload_too_large"),
        (CaseNotFound, 404, "not_found"),
        (CaseForbidden, 403, "forbidden"),
        (CaseConflict, 409, "conflict"),
        (IllegalTransition, 422, "illegal_transition"),
        (UnknownItem, 422, "unknown_item"),
        (UnsupportedFormat, 415, "unsupported_media_type"),
        (StoreBusy, 503, "store_busy"),
        (StoreMismatch, 503, "store_mismatch"),
        (ProvisionError, 503, "model_unavailable"),
        (LLMError, 503, "model_unavailable"),
    ):
        if isinstance(exc, kind):
            return status, code
    return 422, "invalid_request"


def error_body_for(exc: Exception) -> dict[str, Any]:
    """The error body for an exception raised after a streamed response has started (no status to send)."""
    if isinstance(exc, AssistantError):
        return error_body(status_and_code(exc)[1], str(exc))
    log.error("unexpected error while streaming", exc_info=exc)
    return error_body("internal_error", INTERNAL_ERROR_MESSAGE)
