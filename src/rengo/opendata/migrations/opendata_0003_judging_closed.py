"""A contest edition's judging closes: until then each judge sees only their own scores;
after it the ranking and the winners are shown.

Revision ID: opendata_0003
Revises: opendata_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from rengo.core.db import UTCDateTime

revision = "opendata_0003"
down_revision = "opendata_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("opendata_contests") as batch:
        batch.add_column(sa.Column("judging_closed_at", UTCDateTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("opendata_contests") as batch:
        batch.drop_column("judging_closed_at")
