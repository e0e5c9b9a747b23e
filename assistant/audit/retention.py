"""The retention prune: the only way an audit entry is ever deleted, itself logged.

The database refuses to delete an audit entry (triggers of migration 0002_audit) unless a prune
permit whose cutoff lies after the entry exists. ``prune`` inserts the permit, deletes the entries
older than the cutoff, removes the permit and logs the prune, all in one transaction: a permit is
never visible to any other session, and a prune that fails leaves every entry and no permit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete

from assistant.audit.log import RETENTION_PRUNE, Actor, AuditLog, Origin, utcnow
from assistant.db.models import AuditEntry, AuditPrunePermit


@dataclass(frozen=True)
class PruneResult:
    cutoff: datetime
    deleted: int
    entry_id: str  # the entry logging this prune


def prune(audit: AuditLog, retention_days: int, actor: Actor, origin: Origin | None = None) -> PruneResult:
    """Delete the entries older than ``retention_days`` (and the ratings of them) and log that it was done."""
    audit.flush()  # entries still queued are younger than any cutoff, but write them first all the same
    now = utcnow()
    cutoff = now - timedelta(days=retention_days)
    origin = origin or Origin()
    with audit.database.transaction() as session:
        permit = AuditPrunePermit(cutoff=cutoff)
        session.add(permit)
        session.flush()
        deleted = session.execute(delete(AuditEntry).where(AuditEntry.at < cutoff)).rowcount
        session.delete(permit)
        entry = AuditEntry(
            id=uuid.uuid4().hex,
            at=now,
            kind=RETENTION_PRUNE,
            key_id=actor.key_id,
            role=actor.role,
            client=origin.client,
            request_id=origin.request_id,
            detail={"retention_days": retention_days, "cutoff": cutoff.isoformat(), "deleted": deleted},
        )
        session.add(entry)
    return PruneResult(cutoff, deleted, entry.id)
