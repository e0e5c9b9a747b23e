"""Every table of the relational store, in one module, so one Alembic history covers them all.

Constraint names follow one convention: Alembic's batch mode (SQLite's ALTER TABLE) needs them named.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# --- audit log and 好差评 feedback (issue 18; migration 0002_audit) ---


class AuditEntry(Base):
    """One thing someone did, appended and never changed.

    Database triggers refuse UPDATE always and DELETE unless an ``AuditPrunePermit`` made in the same
    transaction covers the row (the retention prune; see assistant/audit/retention.py).
    """

    __tablename__ = "audit_log"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # uuid4 hex, made by the writer
    at: Mapped[datetime] = mapped_column(DateTime, index=True)  # UTC, naive
    kind: Mapped[str] = mapped_column(String(32), index=True)
    key_id: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(16))
    client: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class AuditPrunePermit(Base):
    """Exists only inside a prune's transaction: rows older than ``cutoff`` may then be deleted."""

    __tablename__ = "audit_prune_permit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cutoff: Mapped[datetime] = mapped_column(DateTime)


class Feedback(Base):
    """A 好差评 rating of a logged answer, guide or draft: one per rated entry and caller."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("entry_id", "key_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[str] = mapped_column(ForeignKey("audit_log.id", ondelete="CASCADE"), index=True)
    target: Mapped[str] = mapped_column(String(16))  # answer, guide or draft: the rated entry's kind
    key_id: Mapped[str] = mapped_column(String(64))
    rating: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    handled_at: Mapped[datetime | None] = mapped_column(DateTime)
    handled_by: Mapped[str | None] = mapped_column(String(64))
    handled_note: Mapped[str | None] = mapped_column(Text)
