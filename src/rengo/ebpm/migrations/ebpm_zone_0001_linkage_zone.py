"""The data-linkage zone: deposits, purposes, linkages, clerical reviews, releases.

Revision ID: ebpm_zone_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from rengo.core.db import JSONType, UTCDateTime

revision = "ebpm_zone_0001"
down_revision = None
branch_labels = ("ebpm_zone",)
depends_on = "core_0001"


def _decided() -> list[sa.Column[object]]:
    return [
        sa.Column("decided_by", sa.String(128), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "ebpm_zone_deposits",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ward", sa.String(8), nullable=False, index=True),
        sa.Column("department", sa.String(120), nullable=False),
        sa.Column("domain", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("retention_until", sa.Date(), nullable=False),
        sa.Column("columns", JSONType, nullable=False),
        sa.Column("key_column", sa.String(120), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        *_decided(),
        sa.Column("decision_note", sa.Text(), nullable=False),
    )
    op.create_table(
        "ebpm_zone_purposes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ward", sa.String(8), nullable=False, index=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("deposit_ids", JSONType, nullable=False),
        sa.Column("columns", JSONType, nullable=False),
        sa.Column("approvals", JSONType, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.String(128), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        *_decided(),
    )
    op.create_table(
        "ebpm_zone_linkages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ward", sa.String(8), nullable=False, index=True),
        sa.Column(
            "purpose_id", sa.Integer(), sa.ForeignKey("ebpm_zone_purposes.id"), nullable=False
        ),
        sa.Column(
            "left_deposit_id", sa.Integer(), sa.ForeignKey("ebpm_zone_deposits.id"), nullable=False
        ),
        sa.Column(
            "right_deposit_id", sa.Integer(), sa.ForeignKey("ebpm_zone_deposits.id"), nullable=False
        ),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("review_floor", sa.Float(), nullable=False),
        sa.Column("links", sa.Integer(), nullable=False),
        sa.Column("review", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("model", JSONType, nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "ebpm_zone_reviews",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "linkage_id",
            sa.Integer(),
            sa.ForeignKey("ebpm_zone_linkages.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("left_record", sa.Integer(), nullable=False),
        sa.Column("right_record", sa.Integer(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        *_decided(),
    )
    op.create_table(
        "ebpm_zone_releases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ward", sa.String(8), nullable=False, index=True),
        sa.Column(
            "purpose_id", sa.Integer(), sa.ForeignKey("ebpm_zone_purposes.id"), nullable=False
        ),
        sa.Column(
            "linkage_id", sa.Integer(), sa.ForeignKey("ebpm_zone_linkages.id"), nullable=False
        ),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("rules", JSONType, nullable=False),
        sa.Column("report", JSONType, nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.String(128), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        *_decided(),
        sa.Column("decision_note", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "ebpm_zone_releases",
        "ebpm_zone_reviews",
        "ebpm_zone_linkages",
        "ebpm_zone_purposes",
        "ebpm_zone_deposits",
    ):
        op.drop_table(table)
