"""The append-only audit log and its writer.

``AuditLog.record`` masks personal data in the entry, gives it an id and hands it to one background
thread that writes entries in batches, so a request never waits for the database. The hand-over
queue is bounded: when it is full (the database is down or far behind) ``record`` waits for room
instead of dropping the entry. An entry the writer still cannot store after its retries is counted
in ``lost`` and logged as an error with its kind and id; nothing is dropped silently.

Who acted is any object with ``key_id`` and ``role`` (the API's ``Caller``, the CLI's ``OPERATOR``);
where from (client address, request id) comes from ``current_origin``, which the API's request-id
middleware sets for each request, unless the caller passes an ``Origin``.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Protocol

from sqlalchemy import insert

from assistant.db.engine import Database
from assistant.db.models import AuditEntry
from assistant.personal_data import mask_everywhere

log = logging.getLogger(__name__)

# What is logged. Kinds are plain words so the CSV reads without a legend.
QUESTION, ANSWER, SEARCH, GUIDE, DRAFT = "question", "answer", "search", "guide", "draft"
UPLOAD, DELETION, KEY_CREATION, CASE_ACTION = "upload", "deletion", "key_creation", "case_action"
FEEDBACK, FEEDBACK_HANDLED = "feedback", "feedback_handled"
RETENTION_PRUNE, AUDIT_READ = "retention_prune", "audit_read"
KINDS = (
    QUESTION, ANSWER, SEARCH, GUIDE, DRAFT, UPLOAD, DELETION, KEY_CREATION,
    CASE_ACTION, FEEDBACK, FEEDBACK_HANDLED, RETENTION_PRUNE, AUDIT_READ,
)  # fmt: skip
_BATCH = 200
_RETRY_SECONDS = (0.1, 0.5, 2.0, 5.0)


class Actor(Protocol):
    @property
    def key_id(self) -> str: ...

    @property
    def role(self) -> str: ...


@dataclass(frozen=True)
class Operator:
    """Someone at the server's command line (key creation, retention prune)."""

    key_id: str = "cli"
    role: str = "operator"


OPERATOR = Operator()


@dataclass(frozen=True)
class Origin:
    client: str | None = None
    request_id: str | None = None


current_origin: ContextVar[Origin] = ContextVar("audit_origin", default=Origin())  # noqa: B039 - frozen


def utcnow() -> datetime:
    """Audit times are naive UTC, the same on SQLite and PostgreSQL (so the triggers compare like with like)."""
    return datetime.now(UTC).replace(tzinfo=None)


Observer = Callable[[str, dict[str, Any]], None]
_STOP = object()


class AuditLog:
    """Records entries through a background writer; ``flush`` waits until everything recorded is stored."""

    def __init__(self, open_database: Callable[[], Database], queue_size: int = 10_000) -> None:
        self._open_database = open_database
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=queue_size)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._observers: list[Observer] = []
        self.lost = 0  # entries the writer could not store after every retry (each logged as an error)

    @cached_property
    def database(self) -> Database:
        return self._open_database()

    def observe(self, observer: Observer) -> None:
        """Call ``observer(kind, detail)`` for every entry recorded (metrics count ratings and declines)."""
        self._observers.append(observer)

    def record(self, kind: str, actor: Actor, detail: dict[str, Any], origin: Origin | None = None) -> str:
        """Queue one entry (personal data masked) and return its id; waits only while the queue is full."""
        if kind not in KINDS:
            raise ValueError(f"unknown audit kind {kind!r}")
        origin = origin or current_origin.get()
        row = {
            "id": uuid.uuid4().hex,
            "at": utcnow(),
            "kind": kind,
            "key_id": actor.key_id,
            "role": actor.role,
            "client": origin.client,
            "request_id": origin.request_id,
            "detail": mask_everywhere(detail),
        }
        self._ensure_writer()
        self._queue.put(row)
        for observer in self._observers:
            observer(kind, row["detail"])
        return row["id"]

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    def flush(self) -> None:
        """Wait until every entry recorded so far has been written (or counted as lost)."""
        if self._thread is not None:
            self._queue.join()

    def close(self) -> None:
        """Write what is queued and stop the writer."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_STOP)
            thread.join()

    def _ensure_writer(self) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._write_forever, name="audit-writer", daemon=True)
                    self._thread.start()

    def _write_forever(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < _BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            rows = [row for row in batch if row is not _STOP]
            try:
                if rows:
                    self._write(rows)
            finally:
                for _ in batch:
                    self._queue.task_done()
            if len(rows) < len(batch):
                return

    def _write(self, rows: list[dict[str, Any]]) -> None:
        for attempt, pause in enumerate((*_RETRY_SECONDS, None)):
            try:
                with self.database.transaction() as session:
                    session.execute(insert(AuditEntry), rows)
                return
            except Exception as exc:
                if pause is None:
                    self.lost += len(rows)
                    log.error(
                        "could not store %d audit entries after %d attempts (%s): %s",
                        len(rows),
                        attempt + 1,
                        exc,
                        ", ".join(f"{r['kind']} {r['id']}" for r in rows),
                    )
                    return
                log.warning("audit write failed (attempt %d), retrying: %s", attempt + 1, exc)
                time.sleep(pause)
