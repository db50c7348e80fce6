"""FinOps: architecture reviews of a system before migration (cloud-native checklist).

Revision ID: finops_0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from rengo.core.db import JSONType, UTCDateTime

revision = "finops_0004"
down_revision = "finops_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "finops_architecture_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ward", sa.String(length=8), nullable=False),
        sa.Column("business_system", sa.String(length=32), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("action_items", JSONType, nullable=False),
        sa.Column("findings", JSONType, nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("reviewer", sa.String(length=128), nullable=False),
        sa.Column("reviewed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finops_architecture_reviews")),
    )
    with op.batch_alter_table("finops_architecture_reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_finops_architecture_reviews_ward"), ["ward"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_finops_architecture_reviews_asset_id"), ["asset_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("finops_architecture_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finops_architecture_reviews_asset_id"))
        batch_op.drop_index(batch_op.f("ix_finops_architecture_reviews_ward"))
    op.drop_table("finops_architecture_reviews")
