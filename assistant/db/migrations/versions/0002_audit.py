"""The audit log (append-only, enforced by triggers), its prune permits, and 好差评 feedback.

Revision ID: 0002_audit
Revises: 0001_cases
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_audit"
down_revision = "0001_cases"
branch_labels = None
depends_on = None

APPEND_ONLY = "audit_log is append-only"

# UPDATE is always refused; DELETE only for a row older than the cutoff of a prune permit, which exists
# only inside the retention prune's own transaction (so no other session ever sees one).
SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}: UPDATE is refused'); END""",
    f"""CREATE TRIGGER audit_log_guarded_delete BEFORE DELETE ON audit_log
    WHEN NOT EXISTS (SELECT 1 FROM audit_prune_permit WHERE OLD.at < audit_prune_permit.cutoff)
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}: DELETE is refused outside the retention prune'); END""",
)
POSTGRESQL_TRIGGERS = (
    f"""CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM audit_prune_permit WHERE OLD.at < cutoff) THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION '{APPEND_ONLY}: % is refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$""",
    """CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
    # TRUNCATE skips row triggers: refuse it as a statement.
    """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()""",
)


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("client", sa.String(64), nullable=True),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"])
    op.create_index(op.f("ix_audit_log_kind"), "audit_log", ["kind"])
    op.create_index(op.f("ix_audit_log_key_id"), "audit_log", ["key_id"])
    op.create_table(
        "audit_prune_permit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cutoff", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_prune_permit")),
    )
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.String(32), nullable=False),
        sa.Column("target", sa.String(16), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("rating", sa.String(8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("handled_at", sa.DateTime(), nullable=True),
        sa.Column("handled_by", sa.String(64), nullable=True),
        sa.Column("handled_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["audit_log.id"], name=op.f("fk_feedback_entry_id_audit_log"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
        sa.UniqueConstraint("entry_id", "key_id", name=op.f("uq_feedback_entry_id")),
    )
    op.create_index(op.f("ix_feedback_entry_id"), "feedback", ["entry_id"])
    op.create_index(op.f("ix_feedback_at"), "feedback", ["at"])
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_TRIGGERS if dialect == "sqlite" else POSTGRESQL_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    op.drop_table("feedback")
    op.drop_table("audit_prune_permit")
    op.drop_table("audit_log")
