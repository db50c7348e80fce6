"""A live exercise's runner state kept in the database, so that a restarted server
resumes it (or marks it interrupted, as the planner chose): when it is to start by
itself, the runner's last tick, up to when its telemetry was delivered, what to do on a
restart and why it was interrupted; how its telemetry is delivered (HTTP or syslog).

Revision ID: drills_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from rengo.core.db import UTCDateTime

revision = "drills_0002"
down_revision = "drills_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("drills_exercises") as table:
        table.add_column(sa.Column("autostart_at", UTCDateTime(), nullable=True))
        table.add_column(sa.Column("heartbeat_at", UTCDateTime(), nullable=True))
        table.add_column(sa.Column("delivered_until", UTCDateTime(), nullable=True))
        table.add_column(
            sa.Column("on_restart", sa.String(16), nullable=False, server_default="resume")
        )
        table.add_column(
            sa.Column("transport", sa.String(8), nullable=False, server_default="http")
        )
        table.add_column(sa.Column("interrupted", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("drills_exercises") as table:
        for name in ("interrupted", "transport", "on_restart", "delivered_until", "heartbeat_at"):
            table.drop_column(name)
        table.drop_column("autostart_at")
