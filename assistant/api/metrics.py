"""Prometheus metrics of one app: requests by route and status, latency, generation queue, tokens.

Each app has its own registry, so several apps in one process (tests) never share counters.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160)


class ServiceMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "assistant_http_requests",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "assistant_http_request_duration_seconds",
            "Time from request to the end of the response (streams included), by method and route template.",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "assistant_generation_queue_depth", "Answer requests waiting for the model.", registry=self.registry
        )
        self.generating = Gauge(
            "assistant_generation_active", "Answers being generated right now (0 or 1).", registry=self.registry
        )
        self.tokens = Counter(
            "assistant_generated_tokens",
            "Pieces of answer text generated (about one per model token).",
            registry=self.registry,
        )
        self.rejected = Counter(
            "assistant_generation_rejected",
            "Answer requests turned away by the generation queue, by reason.",
            ["reason"],
            registry=self.registry,
        )
        # 好差评 and declines, counted as the audit log records them (API and web page alike).
        self.ratings = Counter(
            "assistant_ratings", "好差评 ratings given, by what was rated and the rating.", ["target", "rating"],
            registry=self.registry,
        )  # fmt: skip
        self.answers = Counter(
            "assistant_answers", "Answers given, by whether they declined (no evidence in the documents).",
            ["declined"], registry=self.registry,
        )  # fmt: skip
        self.audit_queue = Gauge(
            "assistant_audit_queue_depth", "Audit entries waiting for the audit writer.", registry=self.registry
        )
        self.audit_lost = Gauge(
            "assistant_audit_entries_lost",
            "Audit entries the writer could not store after every retry (each also logged as an error).",
            registry=self.registry,
        )

    def watch_audit(self, audit: Any) -> None:
        """Count ratings and declines as ``audit`` (an ``AuditLog``) records them; expose its queue and losses."""

        def observe(kind: str, detail: dict[str, Any]) -> None:
            if kind == "answer":
                self.answers.labels(str(bool(detail.get("declined"))).lower()).inc()
            elif kind == "feedback":
                self.ratings.labels(detail.get("target", ""), detail.get("rating", "")).inc()

        audit.observe(observe)
        self.audit_queue.set_function(lambda: audit.pending)
        self.audit_lost.set_function(lambda: audit.lost)

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class MetricsMiddleware:
    """Counts every HTTP request under its route template (``/v1/documents/{doc_id}``), never its raw path."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_recording_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - started)
