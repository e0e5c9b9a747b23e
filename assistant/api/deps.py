"""What routers receive through ``Depends``: the app's shared state and the authenticated caller."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Annotated

from fastapi import Depends, Path, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from assistant.api.auth import Caller, KeyRing, Role
from assistant.api.limits import GenerationQueue, RateLimiter
from assistant.api.metrics import ServiceMetrics
from assistant.api.uploads import UploadIngestor
from assistant.components import Components
from assistant.config import Settings


@dataclass
class ServiceState:
    """Everything one app shares between requests."""

    settings: Settings
    components: Components
    keys: KeyRing
    rate_limiter: RateLimiter
    generation: GenerationQueue
    metrics: ServiceMetrics
    started_at: int = field(default_factory=lambda: int(time.time()))

    @cached_property
    def uploads(self) -> UploadIngestor:
        return UploadIngestor(self.components.ingestor, self.settings.max_file_mb)


async def service_state(request: Request) -> ServiceState:
    return request.app.state.service


# Dependencies that never block are coroutines, so FastAPI runs them on the event loop, not in a thread.
State = Annotated[ServiceState, Depends(service_state)]

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer KEY` (what OpenAI clients send).")
_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="The API key in a header.")


async def presented_key(
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    header_key: Annotated[str | None, Security(_api_key_header)],
) -> str | None:
    """The API key the request carries, if any (routes that also admit a case's applicant look at it)."""
    return bearer.credentials if bearer else header_key


PresentedKey = Annotated[str | None, Depends(presented_key)]


async def current_caller(state: State, key: PresentedKey) -> Caller:
    """The caller the presented key belongs to, counted against its rate limit."""
    caller = state.keys.identify(key)
    state.rate_limiter.check(caller.key_id)
    return caller


def role(required: Role) -> Callable[[Caller], Awaitable[Caller]]:
    """A dependency giving the caller when its role is at least ``required`` (403 otherwise)."""

    async def caller_with_role(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
        caller.require(required)
        return caller

    return caller_with_role


AnyCaller = Annotated[Caller, Depends(current_caller)]
AdminCaller = Annotated[Caller, Depends(role("admin"))]

# A database row id in a path: bounded to what both engines store (a larger number is a 422, not an overflow).
RowId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The row's id.")]
