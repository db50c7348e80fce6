"""Reuses (apps, APIs, visualisations, ideas, articles built on the data) and the yearly
contest: editions, entries, judges' scores by criterion.

Revision ID: opendata_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from rengo.core.db import JSONType, UTCDateTime

revision = "opendata_0002"
down_revision = "opendata_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "opendata_reuses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("datasets", JSONType, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("new_service", sa.Boolean(), nullable=False),
        sa.Column("launched_on", sa.Date(), nullable=True),
        sa.Column("evidence", sa.String(length=16), nullable=False),
        sa.Column("evidence_note", sa.Text(), nullable=False),
        sa.Column("submitted_at", UTCDateTime(), nullable=False),
        sa.Column("moderated_at", UTCDateTime(), nullable=True),
        sa.Column("moderated_by", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_reuses")),
    )
    op.create_index(op.f("ix_opendata_reuses_status"), "opendata_reuses", ["status"])
    op.create_table(
        "opendata_contests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("call", sa.Text(), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("criteria", JSONType, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_contests")),
        sa.UniqueConstraint("fiscal_year", name=op.f("uq_opendata_contests_fiscal_year")),
    )
    op.create_table(
        "opendata_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contest_id", sa.Integer(), nullable=False),
        sa.Column("team", sa.String(length=200), nullable=False),
        sa.Column("idea", sa.Text(), nullable=False),
        sa.Column("datasets", JSONType, nullable=False),
        sa.Column("demo_url", sa.String(length=1000), nullable=False),
        sa.Column("award", sa.String(length=100), nullable=False),
        sa.Column("support", JSONType, nullable=False),
        sa.Column("reuse_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contest_id"],
            ["opendata_contests.id"],
            name=op.f("fk_opendata_entries_contest_id_opendata_contests"),
        ),
        sa.ForeignKeyConstraint(
            ["reuse_id"],
            ["opendata_reuses.id"],
            name=op.f("fk_opendata_entries_reuse_id_opendata_reuses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_entries")),
    )
    op.create_index(op.f("ix_opendata_entries_contest_id"), "opendata_entries", ["contest_id"])
    op.create_table(
        "opendata_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("judge", sa.String(length=128), nullable=False),
        sa.Column("criterion", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["opendata_entries.id"],
            name=op.f("fk_opendata_scores_entry_id_opendata_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_scores")),
        sa.UniqueConstraint(
            "entry_id", "judge", "criterion", name=op.f("uq_opendata_scores_entry_id")
        ),
    )
    op.create_index(op.f("ix_opendata_scores_entry_id"), "opendata_scores", ["entry_id"])


def downgrade() -> None:
    op.drop_table("opendata_scores")
    op.drop_table("opendata_entries")
    op.drop_table("opendata_contests")
    op.drop_table("opendata_reuses")
