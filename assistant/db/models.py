"""Every table of the relational store, in one module, so one Alembic history covers them all.

Constraint names follow one convention: Alembic's batch mode (SQLite's ALTER TABLE) needs them named.

Cases (办件): ``cases`` holds one application with its applicant, form data, merged materials checklist,
state and the deadline that drives its light; ``sub_cases`` one row per catalogue item (and so per
department) the application covers; ``case_transitions`` the append-only history (triggers in the
migration refuse UPDATE and DELETE while the case exists); ``case_materials`` the uploaded files'
metadata, each pointing at a content-addressed ``material_blobs`` row (sha256), shared between cases
and deleted with its last reference; ``case_counters`` the per-day sequence behind case numbers.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Case(Base):
    """One application (办件); ``version`` is the optimistic lock every change bumps."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    event_key: Mapped[str | None] = mapped_column(String(64))  # the guide's 一件事, when started from one
    applicant_kind: Mapped[str] = mapped_column(String(16))  # person | enterprise
    applicant_name: Mapped[str] = mapped_column(String(200))
    applicant_id: Mapped[str] = mapped_column(String(32))  # 身份证号 or 统一社会信用代码, canonical form
    applicant_phone: Mapped[str] = mapped_column(String(32))
    form: Mapped[dict[str, Any]] = mapped_column(JSON)
    checklist: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # merged slots of every item
    state: Mapped[str] = mapped_column(String(16))
    department: Mapped[str] = mapped_column(String(200))  # the department handling the case
    assignee: Mapped[str | None] = mapped_column(String(100))  # the staff member it is assigned to
    code_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the applicant's verification code
    received_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)  # nearest running deadline (drives the light)
    queue_on: Mapped[date] = mapped_column(Date)  # due_on, or 9999-12-31 without one: the worklist's index order
    legal_due_on: Mapped[date | None] = mapped_column(Date)  # the 法定 one, shown beside it
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    sub_cases: Mapped[list[SubCase]] = relationship(
        back_populates="case", order_by="SubCase.position", cascade="all", passive_deletes=True
    )
    materials: Mapped[list[CaseMaterial]] = relationship(
        back_populates="case", order_by="CaseMaterial.id", cascade="all", passive_deletes=True
    )
    transitions: Mapped[list[CaseTransition]] = relationship(
        back_populates="case", order_by="CaseTransition.id", viewonly=True
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declarative protocol
    __table_args__ = (
        Index("ix_cases_state_queue_on_id", "state", "queue_on", "id"),
        Index("ix_cases_queue_on_id", "queue_on", "id", "state"),  # covers the open-state filter
        Index("ix_cases_due_on", "due_on"),
        Index("ix_cases_department_queue_on_id", "department", "queue_on", "id", "state"),
    )


class SubCase(Base):
    """The part of a case one catalogue item's department handles, with the rules it was filed under."""

    __tablename__ = "sub_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[str] = mapped_column(String(64))
    item_name: Mapped[str] = mapped_column(String(300))
    department: Mapped[str] = mapped_column(String(200))
    matter_type: Mapped[str] = mapped_column(String(32))
    legal_days: Mapped[int | None] = mapped_column(Integer)
    promised_days: Mapped[int | None] = mapped_column(Integer)
    accept_standard: Mapped[str] = mapped_column(Text)
    checklist: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # the item's own slots
    outcome: Mapped[str | None] = mapped_column(String(16))  # approved | denied, once decided
    due_on: Mapped[date | None] = mapped_column(Date)

    case: Mapped[Case] = relationship(back_populates="sub_cases")

    __table_args__ = (
        Index("ix_sub_cases_case_id_position", "case_id", "position", unique=True),
        Index("ix_sub_cases_item_id_case_id", "item_id", "case_id"),  # the worklist's filters, index-only
        Index("ix_sub_cases_department_case_id", "department", "case_id"),
    )


class CaseTransition(Base):
    """One row of a case's append-only history: who moved it from which state to which, when and why."""

    __tablename__ = "case_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(16))  # None for the submission itself
    to_state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)

    case: Mapped[Case] = relationship(back_populates="transitions")

    __table_args__ = (Index("ix_case_transitions_case_id_id", "case_id", "id"),)


class MaterialBlob(Base):
    """Uploaded bytes by their sha256: ``data`` holds them when materials live in the database, else NULL
    (they are a file under the materials directory)."""

    __tablename__ = "material_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CaseMaterial(Base):
    """An uploaded file of a case, tied to a slot of its checklist (None: not matched to a slot)."""

    __tablename__ = "case_materials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    slot: Mapped[int | None] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(ForeignKey("material_blobs.sha256", ondelete="RESTRICT"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    uploaded_by: Mapped[str] = mapped_column(String(100))

    case: Mapped[Case] = relationship(back_populates="materials")

    __table_args__ = (Index("ix_case_materials_case_id", "case_id"), Index("ix_case_materials_sha256", "sha256"))


class CaseCounter(Base):
    """The last case number issued on a day (``YYYYMMDD``): one atomic upsert per new case."""

    __tablename__ = "case_counters"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


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
