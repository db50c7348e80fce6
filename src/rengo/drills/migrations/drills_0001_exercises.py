"""Joint cyber exercises: exercises, their wards, injects, results, follow-ups, and the
participants, decisions and drafts of tabletops; ``exercise_id`` on SOC alerts and CSIRT
incidents so that an exercise is scored and purged exactly.

Revision ID: drills_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from rengo.core.db import JSONType, UTCDateTime

revision = "drills_0001"
down_revision = None
branch_labels = ("drills",)
depends_on = ("soc_0002", "csirt_0002")


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), primary_key=True)


def _exercise() -> sa.Column[int]:
    return sa.Column(
        "exercise_id", sa.Integer(), sa.ForeignKey("drills_exercises.id"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "drills_exercises",
        _id(),
        sa.Column("public_id", sa.String(32), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False, index=True),
        sa.Column("scenario_id", sa.String(64), nullable=False),
        sa.Column("scenario_version", sa.Integer(), nullable=False),
        sa.Column("scenario", JSONType, nullable=False),
        sa.Column("title_ja", sa.String(300), nullable=False),
        sa.Column("title_en", sa.String(300), nullable=False),
        sa.Column("wards", JSONType, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("speed", sa.Float(), nullable=False),
        sa.Column("start_at", UTCDateTime(), nullable=False),
        sa.Column("paused_at", UTCDateTime(), nullable=True),
        sa.Column("paused_seconds", sa.Float(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("join_code", sa.String(12), nullable=True, unique=True),
        sa.Column("token_ids", JSONType, nullable=False),
        sa.Column("telemetry_records", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "drills_exercise_wards",
        sa.Column(
            "exercise_id", sa.Integer(), sa.ForeignKey("drills_exercises.id"), primary_key=True
        ),
        sa.Column("ward", sa.String(8), sa.ForeignKey("tenants.code"), primary_key=True),
    )
    op.create_table(
        "drills_injects",
        _id(),
        _exercise(),
        sa.Column("inject_id", sa.String(64), nullable=False),
        sa.Column("ward", sa.String(8), nullable=False),
        sa.Column("due_minutes", sa.Float(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.UniqueConstraint("exercise_id", "inject_id", "ward"),
    )
    op.create_index("ix_drills_injects_exercise_id", "drills_injects", ["exercise_id"])
    op.create_table(
        "drills_results",
        _id(),
        _exercise(),
        sa.Column("expectation_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ward", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("met_at", UTCDateTime(), nullable=True),
        sa.Column("acknowledged_at", UTCDateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.String(128), nullable=False),
        sa.Column("contained_at", UTCDateTime(), nullable=True),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.UniqueConstraint("exercise_id", "expectation_id", "ward"),
    )
    op.create_index("ix_drills_results_exercise", "drills_results", ["exercise_id", "status"])
    op.create_table(
        "drills_followups",
        _id(),
        _exercise(),
        sa.Column("expectation_id", sa.String(64), nullable=False),
        sa.Column("owner", sa.String(8), sa.ForeignKey("tenants.code"), nullable=False),
        sa.Column("title_ja", sa.String(300), nullable=False),
        sa.Column("title_en", sa.String(300), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_drills_followups_exercise_id", "drills_followups", ["exercise_id"])
    op.create_index("ix_drills_followups_owner", "drills_followups", ["owner"])
    op.create_table(
        "drills_participants",
        _id(),
        _exercise(),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("tenant", sa.String(8), nullable=False),
        sa.Column("username", sa.String(64), nullable=True),
        sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("joined_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_drills_participants_exercise_id", "drills_participants", ["exercise_id"])
    op.create_table(
        "drills_decisions",
        _id(),
        _exercise(),
        sa.Column(
            "participant_id",
            sa.Integer(),
            sa.ForeignKey("drills_participants.id"),
            nullable=False,
        ),
        sa.Column("inject_id", sa.String(64), nullable=False),
        sa.Column("option", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("exercise_id", "participant_id", "inject_id"),
    )
    op.create_index("ix_drills_decisions_exercise_id", "drills_decisions", ["exercise_id"])
    op.create_table(
        "drills_drafts",
        _id(),
        _exercise(),
        sa.Column(
            "participant_id",
            sa.Integer(),
            sa.ForeignKey("drills_participants.id"),
            nullable=False,
        ),
        sa.Column("template", sa.String(32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_drills_drafts_exercise_id", "drills_drafts", ["exercise_id"])
    with op.batch_alter_table("soc_alerts") as batch:
        batch.add_column(sa.Column("exercise_id", sa.String(32), nullable=True))
        batch.create_index("ix_soc_alerts_exercise_id", ["exercise_id"])
    with op.batch_alter_table("csirt_incidents") as batch:
        batch.add_column(sa.Column("exercise_id", sa.String(32), nullable=True))
        batch.create_index("ix_csirt_incidents_exercise_id", ["exercise_id"])


def downgrade() -> None:
    with op.batch_alter_table("csirt_incidents") as batch:
        batch.drop_index("ix_csirt_incidents_exercise_id")
        batch.drop_column("exercise_id")
    with op.batch_alter_table("soc_alerts") as batch:
        batch.drop_index("ix_soc_alerts_exercise_id")
        batch.drop_column("exercise_id")
    for table in (
        "drills_drafts",
        "drills_decisions",
        "drills_participants",
        "drills_followups",
        "drills_results",
        "drills_injects",
        "drills_exercise_wards",
        "drills_exercises",
    ):
        op.drop_table(table)
