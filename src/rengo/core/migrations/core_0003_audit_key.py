"""The audit head gets a MAC: the chain is keyed with a key kept outside the database.

Existing entries keep their SHA-256 hashes. The key file (``<data_dir>/audit.key``) is
made on the first audited change after this upgrade and records the newest existing
entry as ``legacy_until``; the first keyed entry covers that entry's hash, which anchors
the old history (docs/core.md, "Re-anchoring an existing installation").

Revision ID: core_0003
Revises: core_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "core_0003"
down_revision = "core_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_head") as batch:
        batch.add_column(sa.Column("mac", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_head") as batch:
        batch.drop_column("mac")
