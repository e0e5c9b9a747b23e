"""The HTTP service: ``create_app(settings)`` builds it, ``serve`` runs it with uvicorn.

The app holds the embedded store for its whole life (other processes get StoreBusy), loads the
embedding model and the language model at start-up, and shares them between requests.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from assistant.api import (
    ask_router,
    audit_router,
    cases_router,
    documents_router,
    drafts_router,
    feedback_router,
    gaps_router,
    guide_router,
    health_router,
    openai_router,
    precheck_router,
    search_router,
)
from assistant.api.auth import KeyRing
from assistant.api.deps import ServiceState
from assistant.api.error_handlers import install_error_handlers
from assistant.api.errors import error_responses
from assistant.api.limits import GenerationQueue, RateLimiter
from assistant.api.metrics import MetricsMiddleware, ServiceMetrics
from assistant.api.redact import install_personal_data_filter
from assistant.api.request_id import RequestIdMiddleware
from assistant.components import Components
from assistant.config import Settings, get_settings
from assistant.errors import AssistantError
from assistant.ui.app import mount_ui

log = logging.getLogger(__name__)

_DESCRIPTION = """\
Grounded answers with citations over the assistant's policy documents, search, document management,
and an OpenAI-compatible chat endpoint.

**Authentication**: `Authorization: Bearer KEY` or `X-API-Key: KEY`. A key's role decides what it may
do: `public` (search and ask over public documents), `staff` (internal documents too), `admin`
(document management). With no keys configured the service runs in local single-user mode.

**Errors** always have the body `{"error": {"code": "...", "message": "..."}}`.
"""


def _warm_up(state: ServiceState) -> None:
    """Open (and so hold) the store and load the models; a missing language model only disables answers."""
    components = state.components
    components.store.ensure_collection(components.embedder.dim)
    try:
        components.answerer  # noqa: B018 - loads the language model now rather than on the first question
    except AssistantError as exc:
        log.warning("answers are unavailable until the language model can be loaded: %s", exc)


def create_app(settings: Settings | None = None, components: Components | None = None) -> FastAPI:
    settings = (settings or get_settings()).for_service()
    metrics = ServiceMetrics()
    state = ServiceState(
        settings=settings,
        components=components or Components(settings),
        keys=KeyRing.parse(settings.api_keys),
        rate_limiter=RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst),
        generation=GenerationQueue(settings.generation_queue_size, settings.generation_queue_timeout, metrics),
        metrics=metrics,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if state.keys.local_mode:
            log.warning(
                "no API keys configured (ASSISTANT_API_KEYS): local single-user mode, every caller has admin "
                "rights; configure keys before exposing this service (assistant keys new --role public)"
            )
        await run_in_threadpool(_warm_up, state)
        log.info("serving data directory %s", settings.data_dir)
        try:
            yield
        finally:
            state.components.close()

    app = FastAPI(
        title="政务助手 API",
        version=version("assistant"),
        description=_DESCRIPTION,
        lifespan=lifespan,
        responses=error_responses(500),
        # The interactive docs pages load their scripts from a CDN; the service stays offline (see /openapi.json).
        docs_url=None,
        redoc_url=None,
    )
    app.state.service = state
    install_error_handlers(app)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    for module in (ask_router, search_router, documents_router, openai_router, health_router, guide_router):
        app.include_router(module.router)
    app.include_router(drafts_router.router)
    app.include_router(precheck_router.router)
    app.include_router(cases_router.router)
    # Audit log, 好差评 and knowledge gaps (issue 18): every request gets an X-Request-ID the log records.
    app.add_middleware(RequestIdMiddleware)
    for module in (audit_router, feedback_router, gaps_router):
        app.include_router(module.router)
    metrics.watch_audit(state.components.audit)
    mount_ui(app, state)  # the web page at /ui, calling the same services
    return app


def serve(settings: Settings | None = None, host: str | None = None, port: int | None = None) -> None:
    """Run the service until interrupted; all logs go through one handler that masks personal data."""
    import uvicorn

    settings = settings or get_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_personal_data_filter()
    uvicorn.run(
        create_app(settings),
        host=host or settings.api_host,
        port=settings.api_port if port is None else port,
        log_config=None,
    )
