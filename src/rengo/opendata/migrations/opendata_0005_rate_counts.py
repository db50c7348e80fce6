"""Rate limits counted in the database (``ratelimit.py``): they held in each web worker's
memory, so N workers allowed N times the limit and a restart forgot every count.

Revision ID: opendata_0005
Revises: opendata_0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "opendata_0005"
down_revision = "opendata_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "opendata_rate_counts",
        sa.Column("limiter", sa.String(32), primary_key=True),
        sa.Column("client", sa.String(64), primary_key=True),
        sa.Column("window", sa.Integer(), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
    )
    op.create_index("ix_opendata_rate_counts_window", "opendata_rate_counts", ["limiter", "window"])


def downgrade() -> None:
    op.drop_index("ix_opendata_rate_counts_window", "opendata_rate_counts")
    op.drop_table("opendata_rate_counts")
