"""The information asset register and its change history.

Revision ID: assets_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from rengo.core.db import JSONType, UTCDateTime

revision = "assets_0001"
down_revision = None
branch_labels = ("assets",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "assets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("department", sa.String(length=128), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=False),
        sa.Column("custodian", sa.String(length=128), nullable=False),
        sa.Column("location", sa.String(length=32), nullable=False),
        sa.Column("cloud_provider", sa.String(length=32), nullable=True),
        sa.Column("segment", sa.String(length=16), nullable=True),
        sa.Column("confidentiality", sa.Integer(), nullable=True),
        sa.Column("integrity", sa.Integer(), nullable=True),
        sa.Column("availability", sa.Integer(), nullable=True),
        sa.Column("personal_data", sa.Boolean(), nullable=False),
        sa.Column("personal_data_count", sa.Integer(), nullable=True),
        sa.Column("business_system", sa.String(length=32), nullable=True),
        sa.Column("ip_ranges", JSONType, nullable=False),
        sa.Column("hostnames", JSONType, nullable=False),
        sa.Column("mail_domains", JSONType, nullable=False),
        sa.Column("cost_tags", JSONType, nullable=False),
        sa.Column("introduced_on", sa.Date(), nullable=True),
        sa.Column("renewal_due_on", sa.Date(), nullable=True),
        sa.Column("retired_on", sa.Date(), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"], ["tenants.code"], name=op.f("fk_assets_tenant_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets")),
    )
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assets_business_system"), ["business_system"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_assets_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_assets_segment"), ["segment"], unique=False)
        batch_op.create_index("ix_assets_tenant_kind", ["tenant", "kind"], unique=False)
        batch_op.create_index("ix_assets_tenant_name", ["tenant", "name"], unique=False)

    op.create_table(
        "asset_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("changes", JSONType, nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_asset_changes_asset_id_assets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_changes")),
    )
    with op.batch_alter_table("asset_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_changes_asset_id"), ["asset_id"], unique=False)


def downgrade() -> None:
    op.drop_table("asset_changes")
    op.drop_table("assets")
