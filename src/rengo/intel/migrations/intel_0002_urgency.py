"""Intelligence hub: the urgency an approver sets on a shared report and the joint centre
on an advisory (``urgent`` = 「緊急対応が必要なレベル」, counted by the KPI).

Revision ID: intel_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "intel_0002"
down_revision = "intel_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("intel_submissions", "intel_advisories"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("urgency", sa.String(length=16), server_default="routine", nullable=False)
            )


def downgrade() -> None:
    for table in ("intel_submissions", "intel_advisories"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("urgency")
