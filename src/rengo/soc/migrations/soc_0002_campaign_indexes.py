"""Indexes for campaign detection: alerts by indicator and by source address.

Every alert raised looks up the other wards' alerts of its indicator and its source
address within the campaign window; without an index each lookup read the whole queue,
so a retro-hunt raising 10,000 intel alerts spent most of its time there.

Revision ID: soc_0002
"""

from __future__ import annotations

from alembic import op

revision = "soc_0002"
down_revision = "soc_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_soc_alerts_indicator", "soc_alerts", ["indicator", "last_seen"])
    op.create_index("ix_soc_alerts_src_ip", "soc_alerts", ["src_ip", "last_seen"])


def downgrade() -> None:
    op.drop_index("ix_soc_alerts_src_ip", table_name="soc_alerts")
    op.drop_index("ix_soc_alerts_indicator", table_name="soc_alerts")
