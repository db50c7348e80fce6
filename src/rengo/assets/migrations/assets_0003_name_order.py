"""An index in the register's default order (name, id) across all wards.

The joint centre lists all 23 wards' assets by name: without this index the database
fetched every match (tens of thousands for a common word or "not yet classified") to
sort them for a page of 50; with it, it walks names in order and stops at the page.

Revision ID: assets_0003
"""

from __future__ import annotations

from alembic import op

revision = "assets_0003"
down_revision = "assets_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_assets_name_id", "assets", ["name", "id"])


def downgrade() -> None:
    op.drop_index("ix_assets_name_id", table_name="assets")
