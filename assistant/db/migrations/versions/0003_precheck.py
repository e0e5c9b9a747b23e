"""智能预审: the latest pre-check report of each case.

Revision ID: 0003_precheck
Revises: 0001_cases
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_precheck"
down_revision = "0002_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "precheck_reports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("case_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_precheck_reports")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_precheck_reports_case_id_cases"), ondelete="CASCADE"
        ),
        sa.UniqueConstraint("case_id", name=op.f("uq_precheck_reports_case_id")),
    )


def downgrade() -> None:
    op.drop_table("precheck_reports")
