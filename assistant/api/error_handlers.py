"""The one place that turns every exception into a JSON error response.

Anything unexpected is logged with its traceback and answered with a plain 500 that reveals nothing
of the internals.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.api.errors import INTERNAL_ERROR_MESSAGE, ApiError, error_body, status_and_code
from assistant.cases.errors import CaseConflict
from assistant.errors import AssistantError

CASE_CODE_HEADER = "x-case-code"  # an applicant's verification code (cases_router)

log = logging.getLogger(__name__)


def _validation_message(exc: RequestValidationError) -> str:
    """One line naming every invalid field, e.g. ``question: the question is empty``."""
    parts = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        if err.get("type") == "json_invalid":
            parts.append(f"the request body is not valid JSON ({err.get('ctx', {}).get('error', 'parse error')})")
            continue
        message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        parts.append(f"{'.'.join(loc)}: {message}" if loc else message)
    return "; ".join(parts) or "invalid request"


def _json_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Map every exception to a JSON error response, in one place."""

    @app.exception_handler(AssistantError)
    async def assistant_error(request: Request, exc: AssistantError) -> JSONResponse:
        status, code = status_and_code(exc)
        headers = exc.headers if isinstance(exc, ApiError) else None
        if status >= 500:
            log.warning("%s %s -> %s: %s", request.method, request.url.path, status, exc)
        if isinstance(exc, CaseConflict):  # the loser of a race sees the case as it now is
            body = error_body(code, str(exc))
            body["case"] = jsonable_encoder(exc.case.as_dict(for_applicant=CASE_CODE_HEADER in request.headers))
            return JSONResponse(body, status_code=status)
        return _json_error(status, code, str(exc), headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _json_error(422, "invalid_request", _validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(exc.status_code, "error")
        return _json_error(exc.status_code, code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error in %s %s", request.method, request.url.path)
        return _json_error(500, "internal_error", INTERNAL_ERROR_MESSAGE)
