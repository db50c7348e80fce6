"""SOC alert queue: alerts, their events and history, rule tuning, suppressions

Revision ID: soc_0001
Revises:

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from rengo.core.db import JSONType, UTCDateTime

revision = "soc_0001"
down_revision = None
branch_labels = ("soc",)
depends_on = "core_0001"


def upgrade() -> None:

    op.create_table(
        "soc_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("tenant", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("rule_title", sa.String(length=300), nullable=False),
        sa.Column("rule_pack", sa.String(length=100), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("techniques", JSONType, nullable=False),
        sa.Column("technique_text", sa.String(length=400), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assignee", sa.String(length=64), nullable=False),
        sa.Column("close_reason", sa.String(length=32), nullable=False),
        sa.Column("close_note", sa.Text(), nullable=False),
        sa.Column("dedup_key", sa.String(length=200), nullable=False),
        sa.Column("host", sa.String(length=200), nullable=True),
        sa.Column("user_name", sa.String(length=200), nullable=True),
        sa.Column("src_ip", sa.String(length=64), nullable=True),
        sa.Column("indicator", sa.String(length=300), nullable=True),
        sa.Column("group", JSONType, nullable=False),
        sa.Column("wards", JSONType, nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("detections", sa.Integer(), nullable=False),
        sa.Column("first_seen", UTCDateTime(), nullable=False),
        sa.Column("last_seen", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["soc_alerts.id"], name=op.f("fk_soc_alerts_campaign_id_soc_alerts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_soc_alerts")),
        sa.UniqueConstraint("public_id", name=op.f("uq_soc_alerts_public_id")),
    )
    with op.batch_alter_table("soc_alerts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_soc_alerts_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index("ix_soc_alerts_group", ["dedup_key", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_soc_alerts_last_seen"), ["last_seen"], unique=False)
        batch_op.create_index(batch_op.f("ix_soc_alerts_level"), ["level"], unique=False)
        batch_op.create_index(
            "ix_soc_alerts_queue", ["tenant", "status", "last_seen"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_soc_alerts_rule_id"), ["rule_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_soc_alerts_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_soc_alerts_technique_text"), ["technique_text"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_soc_alerts_tenant"), ["tenant"], unique=False)

    op.create_table(
        "soc_rule_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=8), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_soc_rule_settings")),
        sa.UniqueConstraint("tenant", "rule_id", name=op.f("uq_soc_rule_settings_tenant")),
    )
    with op.batch_alter_table("soc_rule_settings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_soc_rule_settings_tenant"), ["tenant"], unique=False)

    op.create_table(
        "soc_suppressions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=8), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=True),
        sa.Column("field", sa.String(length=16), nullable=True),
        sa.Column("value", sa.String(length=300), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_soc_suppressions")),
    )
    with op.batch_alter_table("soc_suppressions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_soc_suppressions_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_soc_suppressions_tenant"), ["tenant"], unique=False)

    op.create_table(
        "soc_alert_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("detail", JSONType, nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["soc_alerts.id"], name=op.f("fk_soc_alert_changes_alert_id_soc_alerts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_soc_alert_changes")),
    )
    with op.batch_alter_table("soc_alert_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_soc_alert_changes_alert_id"), ["alert_id"], unique=False
        )

    op.create_table(
        "soc_alert_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("ward", sa.String(length=8), nullable=False),
        sa.Column("time", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["soc_alerts.id"], name=op.f("fk_soc_alert_events_alert_id_soc_alerts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_soc_alert_events")),
        sa.UniqueConstraint("alert_id", "event_id", name=op.f("uq_soc_alert_events_alert_id")),
    )
    with op.batch_alter_table("soc_alert_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_soc_alert_events_alert_id"), ["alert_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_soc_alert_events_event_id"), ["event_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("soc_alert_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_soc_alert_events_event_id"))
        batch_op.drop_index(batch_op.f("ix_soc_alert_events_alert_id"))

    op.drop_table("soc_alert_events")
    with op.batch_alter_table("soc_alert_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_soc_alert_changes_alert_id"))

    op.drop_table("soc_alert_changes")
    with op.batch_alter_table("soc_suppressions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_soc_suppressions_tenant"))
        batch_op.drop_index(batch_op.f("ix_soc_suppressions_expires_at"))

    op.drop_table("soc_suppressions")
    with op.batch_alter_table("soc_rule_settings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_soc_rule_settings_tenant"))

    op.drop_table("soc_rule_settings")
    with op.batch_alter_table("soc_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_soc_alerts_tenant"))
        batch_op.drop_index(batch_op.f("ix_soc_alerts_technique_text"))
        batch_op.drop_index(batch_op.f("ix_soc_alerts_status"))
        batch_op.drop_index(batch_op.f("ix_soc_alerts_rule_id"))
        batch_op.drop_index("ix_soc_alerts_queue")
        batch_op.drop_index(batch_op.f("ix_soc_alerts_level"))
        batch_op.drop_index(batch_op.f("ix_soc_alerts_last_seen"))
        batch_op.drop_index("ix_soc_alerts_group")
        batch_op.drop_index(batch_op.f("ix_soc_alerts_campaign_id"))

    op.drop_table("soc_alerts")
