"""Follow-up tasks are worked and closed: who marked one done and the note they left.

Revision ID: drills_0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "drills_0003"
down_revision = "drills_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("drills_followups") as table:
        table.add_column(sa.Column("done_by", sa.String(128), nullable=False, server_default=""))
        table.add_column(sa.Column("done_note", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("drills_followups") as table:
        table.drop_column("done_note")
        table.drop_column("done_by")
