"""Probes and metrics for operators: /healthz, /readyz, /metrics (no API key needed)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from assistant.api.deps import ServiceState, State
from assistant.errors import AssistantError
from assistant.models.provision import resolve_gguf

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: str = "ok"


class Check(BaseModel):
    ok: bool
    detail: str


class Readiness(BaseModel):
    ready: bool = Field(description="True when every check passed.")
    checks: dict[str, Check] = Field(description="`store`, `embedder`, `llm`.")


@router.get("/healthz", response_model=Health, summary="Liveness probe")
async def healthz() -> dict[str, str]:
    """The process is up and serving HTTP."""
    return {"status": "ok"}


def _check_store(state: ServiceState) -> Check:
    chunks = state.components.store.count()
    return Check(ok=True, detail=f"{len(state.components.store.list_documents())} documents, {chunks} chunks")


def _check_embedder(state: ServiceState) -> Check:
    embedder = state.components.embedder
    return Check(ok=True, detail=f"{embedder.name} loaded ({embedder.dim}-d)")


def _check_llm(state: ServiceState) -> Check:
    components, settings = state.components, state.settings
    if "llm" in components.__dict__:
        return Check(ok=True, detail=f"{components.llm.name} loaded")
    if settings.llm_backend == "openai":
        return Check(ok=True, detail=f"OpenAI-compatible server at {settings.llm_base_url}, connected on first use")
    return Check(ok=True, detail=f"{resolve_gguf(settings)} present, loaded on first use")


def _run_checks(state: ServiceState) -> Readiness:
    checks = {}
    for name, check in (("store", _check_store), ("embedder", _check_embedder), ("llm", _check_llm)):
        try:
            checks[name] = check(state)
        except AssistantError as exc:
            checks[name] = Check(ok=False, detail=str(exc))
    return Readiness(ready=all(c.ok for c in checks.values()), checks=checks)


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready."}},
    summary="Readiness probe",
)
async def readyz(state: State) -> JSONResponse:
    """Whether the store answers and the models are loaded or loadable; 503 with the failing check otherwise."""
    readiness = await run_in_threadpool(_run_checks, state)
    return JSONResponse(readiness.model_dump(), status_code=200 if readiness.ready else 503)


@router.get(
    "/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}}, summary="Prometheus metrics"
)
async def metrics(state: State) -> Response:
    """Prometheus exposition: requests and latency by route and status, generation queue depth, tokens generated."""
    body, content_type = state.metrics.render()
    return Response(body, media_type=content_type)
