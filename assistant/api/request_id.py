"""Every request gets an id, returned as ``X-Request-ID`` and written into the audit entries it causes.

A client's own ``X-Request-ID`` (letters, digits, ``-_.:``, at most 64) is kept, so a gateway's id
follows the request through; anything else is replaced by a fresh one. The id and the client's
address are set as the audit log's ``current_origin`` for the request's whole life (streams included).
"""

from __future__ import annotations

import re
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.audit.log import Origin, current_origin

HEADER = "X-Request-ID"
_ACCEPTED = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def request_id_of(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            given = value.decode("latin-1")
            if _ACCEPTED.match(given):
                return given
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        client = scope.get("client")
        token = current_origin.set(Origin(client=client[0] if client else None, request_id=request_id))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            current_origin.reset(token)
