"""Reading the audit log: search by time range, key and kind, and the same selection as CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, select

from assistant.db.engine import Database
from assistant.db.models import AuditEntry

CSV_COLUMNS = ("id", "at", "kind", "key_id", "role", "client", "request_id", "detail")


@dataclass(frozen=True)
class AuditQuery:
    """Entries at or after ``since`` and before ``until`` (UTC), of these keys and kinds (empty: any)."""

    since: datetime | None = None
    until: datetime | None = None
    key_ids: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    limit: int | None = None

    def statement(self) -> Select[tuple[AuditEntry]]:
        stmt = select(AuditEntry).order_by(AuditEntry.at, AuditEntry.id)
        if self.since:
            stmt = stmt.where(AuditEntry.at >= _naive_utc(self.since))
        if self.until:
            stmt = stmt.where(AuditEntry.at < _naive_utc(self.until))
        if self.key_ids:
            stmt = stmt.where(AuditEntry.key_id.in_(self.key_ids))
        if self.kinds:
            stmt = stmt.where(AuditEntry.kind.in_(self.kinds))
        return stmt.limit(self.limit) if self.limit else stmt

    def selection(self) -> dict[str, Any]:
        """What was selected, as a reading of the log records it."""
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "key_ids": self.key_ids,
            "kinds": self.kinds,
        }


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def entry_dict(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at.isoformat() + "Z",
        "kind": entry.kind,
        "key_id": entry.key_id,
        "role": entry.role,
        "client": entry.client,
        "request_id": entry.request_id,
        "detail": entry.detail,
    }


def search(database: Database, query: AuditQuery) -> list[dict[str, Any]]:
    with database.transaction() as session:
        return [entry_dict(e) for e in session.scalars(query.statement())]


def csv_lines(database: Database, query: AuditQuery) -> Iterator[str]:
    """The selection as CSV text, a header line then one line per entry (``detail`` as JSON), streamed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values: list[Any]) -> str:
        writer.writerow(values)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield line(list(CSV_COLUMNS))
    with database.sessions() as session:
        for entry in session.scalars(query.statement().execution_options(yield_per=500)):
            row = entry_dict(entry)
            row["detail"] = json.dumps(row["detail"], ensure_ascii=False, sort_keys=True)
            yield line([row[c] for c in CSV_COLUMNS])
