"""FinOps: BPR support team dispatch — wards' requests, experts assigned, visits, outcomes.

Revision ID: finops_0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from rengo.core.db import JSONType, UTCDateTime

revision = "finops_0003"
down_revision = "finops_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "finops_bpr_dispatches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ward", sa.String(length=8), nullable=False),
        sa.Column("business_system", sa.String(length=32), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=128), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("experts", JSONType, nullable=False),
        sa.Column("assigned_by", sa.String(length=128), nullable=False),
        sa.Column("assigned_at", UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("bpr_case_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["bpr_case_id"],
            ["finops_bpr_cases.id"],
            name=op.f("fk_finops_bpr_dispatches_bpr_case_id_finops_bpr_cases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finops_bpr_dispatches")),
    )
    with op.batch_alter_table("finops_bpr_dispatches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_finops_bpr_dispatches_ward"), ["ward"], unique=False)
    op.create_table(
        "finops_bpr_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispatch_id", sa.Integer(), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("expert", sa.String(length=128), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["dispatch_id"],
            ["finops_bpr_dispatches.id"],
            name=op.f("fk_finops_bpr_visits_dispatch_id_finops_bpr_dispatches"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finops_bpr_visits")),
    )
    with op.batch_alter_table("finops_bpr_visits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_finops_bpr_visits_dispatch_id"), ["dispatch_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("finops_bpr_visits")
    op.drop_table("finops_bpr_dispatches")
