"""Cases (办件): cases, sub-cases, the append-only transition history, materials and their blobs.

The history table gets triggers on both engines that refuse UPDATE, and DELETE while the row's case
still exists: history changes only by appending, and goes only with its whole case (ON DELETE CASCADE).

Revision ID: 0001_cases
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_cases"
down_revision = None
branch_labels = None
depends_on = None

_REFUSED = "case_transitions is append-only: history rows are never updated or deleted"

_POSTGRES_TRIGGER = f"""
CREATE FUNCTION case_transitions_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM cases WHERE id = OLD.case_id) THEN
        RETURN OLD;  -- the case itself is being deleted (ON DELETE CASCADE)
    END IF;
    RAISE EXCEPTION '{_REFUSED} (% refused)', TG_OP;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER case_transitions_append_only BEFORE UPDATE OR DELETE ON case_transitions
    FOR EACH ROW EXECUTE FUNCTION case_transitions_append_only();
"""
_SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER case_transitions_no_update BEFORE UPDATE ON case_transitions
    BEGIN SELECT RAISE(ABORT, '{_REFUSED} (UPDATE refused)'); END""",
    f"""CREATE TRIGGER case_transitions_no_delete BEFORE DELETE ON case_transitions
    WHEN EXISTS (SELECT 1 FROM cases WHERE id = OLD.case_id)
    BEGIN SELECT RAISE(ABORT, '{_REFUSED} (DELETE refused)'); END""",
)


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("event_key", sa.String(64)),
        sa.Column("applicant_kind", sa.String(16), nullable=False),
        sa.Column("applicant_name", sa.String(200), nullable=False),
        sa.Column("applicant_id", sa.String(32), nullable=False),
        sa.Column("applicant_phone", sa.String(32), nullable=False),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.Column("checklist", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("department", sa.String(200), nullable=False),
        sa.Column("assignee", sa.String(100)),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date()),
        sa.Column("queue_on", sa.Date(), nullable=False),
        sa.Column("legal_due_on", sa.Date()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("number", name=op.f("uq_cases_number")),
    )
    op.create_index("ix_cases_state_queue_on_id", "cases", ["state", "queue_on", "id"])
    op.create_index("ix_cases_queue_on_id", "cases", ["queue_on", "id", "state"])
    op.create_index("ix_cases_due_on", "cases", ["due_on"])
    op.create_index("ix_cases_department_queue_on_id", "cases", ["department", "queue_on", "id", "state"])

    op.create_table(
        "sub_cases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(64), nullable=False),
        sa.Column("item_name", sa.String(300), nullable=False),
        sa.Column("department", sa.String(200), nullable=False),
        sa.Column("matter_type", sa.String(32), nullable=False),
        sa.Column("legal_days", sa.Integer()),
        sa.Column("promised_days", sa.Integer()),
        sa.Column("accept_standard", sa.Text(), nullable=False),
        sa.Column("checklist", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(16)),
        sa.Column("due_on", sa.Date()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sub_cases")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_sub_cases_case_id_cases"), ondelete="CASCADE"),
    )
    op.create_index("ix_sub_cases_case_id_position", "sub_cases", ["case_id", "position"], unique=True)
    op.create_index("ix_sub_cases_item_id_case_id", "sub_cases", ["item_id", "case_id"])
    op.create_index("ix_sub_cases_department_case_id", "sub_cases", ["department", "case_id"])

    op.create_table(
        "case_transitions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("from_state", sa.String(16)),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_transitions")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_transitions_case_id_cases"), ondelete="CASCADE"
        ),
    )
    op.create_index("ix_case_transitions_case_id_id", "case_transitions", ["case_id", "id"])

    op.create_table(
        "material_blobs",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_material_blobs")),
    )
    op.create_table(
        "case_materials",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer()),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_materials")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_materials_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["sha256"],
            ["material_blobs.sha256"],
            name=op.f("fk_case_materials_sha256_material_blobs"),
            ondelete="RESTRICT",
        ),
    )
    op.create_index("ix_case_materials_case_id", "case_materials", ["case_id"])
    op.create_index("ix_case_materials_sha256", "case_materials", ["sha256"])

    op.create_table(
        "case_counters",
        sa.Column("day", sa.String(8), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_case_counters")),
    )

    if op.get_bind().dialect.name == "postgresql":
        op.execute(_POSTGRES_TRIGGER)
    else:
        for trigger in _SQLITE_TRIGGERS:
            op.execute(trigger)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS case_transitions_append_only ON case_transitions")
        op.execute("DROP FUNCTION IF EXISTS case_transitions_append_only()")
    for table in ("case_counters", "case_materials", "material_blobs", "case_transitions", "sub_cases", "cases"):
        op.drop_table(table)
