"""Joint CSIRT: team members in rota order, escalation policies (and who a page has
called so far), containment actions
queued for the background worker (next attempt, attempt limit), delivery retries by hand.

Revision ID: csirt_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from rengo.core.db import JSONType, UTCDateTime

revision = "csirt_0002"
down_revision = "csirt_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "csirt_oncall_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["csirt_oncall_teams.id"],
            name=op.f("fk_csirt_oncall_members_team_id_csirt_oncall_teams"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csirt_oncall_members")),
        sa.UniqueConstraint("team_id", "username", name=op.f("uq_csirt_oncall_members_team_id")),
    )
    with op.batch_alter_table("csirt_oncall_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_csirt_oncall_members_team_id"), ["team_id"], unique=False
        )
    with op.batch_alter_table("csirt_oncall_teams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("escalation", JSONType, nullable=False, server_default="[]"))
    with op.batch_alter_table("csirt_pages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("called", JSONType, nullable=False, server_default="[]"))
    with op.batch_alter_table("csirt_actions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("attempt_limit", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("next_attempt_at", UTCDateTime(), nullable=True))
        batch_op.create_index("ix_csirt_actions_due", ["status", "next_attempt_at"], unique=False)
    with op.batch_alter_table("notification_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retry_of", sa.Integer(), nullable=True))
    # Actions approved (or left running) before the worker existed: queue them now.
    op.execute(
        "UPDATE csirt_actions SET next_attempt_at = requested_at, attempt_limit = attempts + 3, "
        "status = 'approved' WHERE status IN ('approved', 'running') AND connector_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("notification_deliveries", schema=None) as batch_op:
        batch_op.drop_column("retry_of")
    with op.batch_alter_table("csirt_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_csirt_actions_due")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("attempt_limit")
    with op.batch_alter_table("csirt_pages", schema=None) as batch_op:
        batch_op.drop_column("called")
    with op.batch_alter_table("csirt_oncall_teams", schema=None) as batch_op:
        batch_op.drop_column("escalation")
    with op.batch_alter_table("csirt_oncall_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_csirt_oncall_members_team_id"))
    op.drop_table("csirt_oncall_members")
