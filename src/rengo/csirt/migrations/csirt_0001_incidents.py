"""Joint CSIRT: incidents, timeline, tasks, evidence, indicators, containment actions and
connectors, on-call teams, shifts and pages, notification deliveries, security cost entries.

Revision ID: csirt_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from rengo.core.db import JSONType, UTCDateTime

revision = "csirt_0001"
down_revision = None
branch_labels = ("csirt",)
depends_on = "assets_0001"


def upgrade() -> None:
    op.create_table(
        "csirt_simulated_effects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ward", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=1024), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("applied_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csirt_simulated_effects")),
    )
    with op.batch_alter_table("csirt_simulated_effects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_csirt_simulated_effects_ward"), ["ward"], unique=False)

    op.create_table(
        "notification_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("tenant", sa.String(length=8), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=1024), nullable=False),
        sa.Column("secret_name", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=1024), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_deliveries")),
    )
    with op.batch_alter_table("notification_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notification_deliveries_due", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_notification_deliveries_tenant"), ["tenant"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_notification_deliveries_topic"), ["topic"], unique=False
        )

    op.create_table(
        "csirt_connectors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=1024), nullable=False),
        sa.Column("secret_name", sa.String(length=64), nullable=False),
        sa.Column("capabilities", JSONType, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"], ["tenants.code"], name=op.f("fk_csirt_connectors_tenant_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csirt_connectors")),
    )
    with op.batch_alter_table("csirt_connectors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_csirt_connectors_tenant"), ["tenant"], unique=False)

    op.create_table(
        "csirt_cost_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("amount_yen", sa.BigInteger(), nullable=True),
        sa.Column("share_pct", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"], ["tenants.code"], name=op.f("fk_csirt_cost_entries_tenant_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csirt_cost_entries")),
    )
    with op.batch_alter_table("csirt_cost_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_csirt_cost_entries_fiscal_year"), ["fiscal_year"], unique=False
        )

    op.create_table(
        "csirt_incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("impact", sa.Integer(), nullable=False),
        sa.Column("urgency", sa.Integer(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("lead_ward", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("reported_by", sa.String(length=128), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=True),
        sa.Column("detected_at", UTCDateTime(), nullable=False),
        sa.Column("acknowledged_at", UTCDateTime(), nullable=True),
        sa.Column("contained_at", UTCDateTime(), nullable=True),
        sa.Column("eradicated_at", UTCDateTime(), nullable=True),
        sa.Column("recovered_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("reviewed_at", UTCDateTime(), nullable=True),
        sa.Column("people_affected", sa.Integer(), nullable=True),
        sa.Column("outage_system", sa.String(length=64), nullable=True),
        sa.Column("outage_started_at", UTCDateTime(), nullable=True),
        sa.Column("outage_ended_at", UTCDateTime(), nullable=True),
        sa.Column("major", sa.Boolean(), nullable=False),
        sa.Column("major_at", UTCDateTime(), nullable=True),
        sa.Column("major_reason", sa.String(length=200), nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("report_summary", sa.Text(), nullable=False),
        sa.Column("lessons", sa.Text(), nullable=False),
        sa.Column("review_notes", sa.Text(), nullable=False),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_ward"], ["tenants.code"], name=op.f("fk_csirt_incidents_lead_ward_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["csirt_incidents.id"],
            name=op.f("fk_csirt_incidents_merged_into_id_csirt_incidents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csirt_incidents")),
    )
    with op.batch_alter_table("csirt_incidents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_csirt_incidents_detected_at"), ["detected_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_csirt_incidents_major"), ["major"], unique=False)
        batch_op.create_index(batch_op.f("ix_csirt_incidents_severity"), ["severity"], unique=False)
        batch_op.create_index(
            "ix_csirt_incidents_status_detected", ["status", "detected_at"], unique=False
        )

    op.create_table(
        "csirt_oncall_teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("manager", sa.String(length=64), nullable=True),
        sa.Column("ack_minutes", sa.Integer(), nullable=False),
        sa.Column("webhook_url", sa.String(length=1024), nullable=False),
        sa.Column("webhook_secret_name", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"], ["tenants.code"], name=op.f("fk_csirt_oncall_teams_tenant_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csirt_oncall_teams")),
        sa.UniqueConstraint("tenant", "name", name=op.f("uq_csirt_oncall_teams_tenant")),
    )
    with op.batch_alter_table("csirt_oncall_teams", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_csirt_oncall_teams_tenant"), ["tenant"], unique=False)

    op.create_table(
        "csirt_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("ward", sa.String(length=8), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=1024), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("disruptive", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=128), nullable=False),
        sa.Column("requester_key", sa.String(length=64), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("external_ref", sa.String(length=128), nullable=False),
        sa.Column("response", JSONType, nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connector_id"],
            ["csirt_connectors.id"],
            name=op.f("fk_csirt_actions_connector_id_csirt_connectors"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["csirt_incidents.id"],
            name=op.f("fk_csirt_actions_incident_id_csirt_incidents"),
        ),
        sa.ForeignKeyConstraint(
            ["ward"], ["tenants.code"], name=op.f("fk_csirt_actions_ward_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csirt_actions")),
    )
    with op.batch_alter_table("csirt_actions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_csirt_actions_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "csirt_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=128), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("collected_by", sa.String(length=128), nullable=False),
        sa.Column("collected_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["csirt_incidents.id"],
            name=op.f("fk_csirt_evidence_incident_id_csirt_incidents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csirt_evidence")),
    )
    with op.batch_alter_table("csirt_evidence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_csirt_evidence_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_csirt_evidence_sha256"), ["sha256"], unique=False)

    op.create_table(
        "csirt_incident_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.String(length=64), nullable=False),
        sa.Column("ward", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("detected_at", UTCDateTime(), nullable=False),
        sa.Column("first_event_at", UTCDateTime(), nullable=True),
        sa.Column("event_ids", JSONType, nullable=False),
        sa.Column("indicators", JSONType, nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["csirt_incidents.id"],
            name=op.f("fk_csirt_incident_alerts_incident_id_csirt_incidents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csirt_incident_alerts")),
        sa.UniqueConstraint("alert_id", name=op.f("uq_csirt_incident_alerts_alert_id")),
    )
    with op.batch_alter_table("csirt_incident_alerts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_csirt_incident_alerts_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "csirt_incident_assets",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_csirt_incident_assets_asset_id_assets")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["csirt_incidents.id"],
            name=op.f("fk_csirt_incident_assets_incident_id_csirt_incidents"),
        ),
        sa.PrimaryKeyConstraint("incident_id", "asset_id", name=op.f("pk_csirt_incident_assets")),
    )
    op.create_table(
        "csirt_incident_wards",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("ward", sa.String(length=8), nullable=False),
        sa.Column("detected_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["csirt_incidents.id"],
            name=op.f("fk_csirt_incident_wards_incident_id_csirt_incidents"),
        ),
        sa.ForeignKeyConstraint(
            ["ward"], ["tenants.code"], name=op.f("fk_csirt_incident_wards_ward_tenants")
        ),
        sa.PrimaryKeyConstraint("incident_id", "ward", name=op.f("pk_csirt_incident_wards")),
    )
    with op.batch_alter_table("csirt_incident_wards", schema=None) as batch_op:
        batch_op.create_index(
            "ix_csirt_incident_wards_ward_detected", ["ward", "detected_at"], unique=False
        )

    op.create_table(
        "csirt_indicators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=2048), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("internal", sa.Boolean(), nullable=False),
        sa.Column("first_seen_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["csirt_incidents.id"],
            name=op.f("fk_csirt_indicators_incident_id_csirt_incidents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csirt_indicators")),
        sa.UniqueConstraint(
            "incident_id", "kind", "value", name=op.f("uq_csirt_indicators_incident_id")
        ),
    )
    with op.batch_alter_table("csirt_indicators", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_csirt_indicators_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "csirt_oncall_shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("handover_note", sa.Text(), nullable=False),
        sa.Column("handed_over_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["csirt_oncall_teams.id"],
            name=op.f("fk_csirt_oncall_shifts_team_id_csirt_oncall_teams"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csirt_oncall_shifts")),
    )
    with op.batch_alter_table("csirt_oncall_shifts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_csirt_oncall_shifts_team_start", ["team_id", "starts_at"], unique=False
        )

    op.create_table(
        "csirt_pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("ack_token_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("acknowledged_at", UTCDateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=128), nullable=True),
        sa.Column("next_escalation_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["csirt_incidents.id"],
            name=op.f("fk_csirt_pages_incident_id_csirt_incidents"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["csirt_oncall_teams.id"],
            name=op.f("fk_csirt_pages_team_id_csirt_oncall_teams"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csirt_pages")),
        sa.UniqueConstraint("ack_token_hash", name=op.f("uq_csirt_pages_ack_token_hash")),
    )
    with op.batch_alter_table("csirt_pages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_csirt_pages_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_csirt_pages_next_escalation_at"), ["next_escalation_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_csirt_pages_team_id"), ["team_id"], unique=False)

    op.create_table(
        "csirt_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("assignee", sa.String(length=64), nullable=True),
        sa.Column("due_at", UTCDateTime(), nullable=True),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["csirt_incidents.id"],
            name=op.f("fk_csirt_tasks_incident_id_csirt_incidents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csirt_tasks")),
    )
    with op.batch_alter_table("csirt_tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_csirt_tasks_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "csirt_timeline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("detail", JSONType, nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["csirt_incidents.id"],
            name=op.f("fk_csirt_timeline_incident_id_csirt_incidents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csirt_timeline")),
    )
    with op.batch_alter_table("csirt_timeline", schema=None) as batch_op:
        batch_op.create_index(
            "ix_csirt_timeline_incident_at", ["incident_id", "at", "id"], unique=False
        )

    op.create_table(
        "csirt_custody",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("sha256_seen", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["csirt_evidence.id"],
            name=op.f("fk_csirt_custody_evidence_id_csirt_evidence"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csirt_custody")),
    )
    with op.batch_alter_table("csirt_custody", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_csirt_custody_evidence_id"), ["evidence_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("csirt_custody", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_csirt_custody_evidence_id"))

    op.drop_table("csirt_custody")
    with op.batch_alter_table("csirt_timeline", schema=None) as batch_op:
        batch_op.drop_index("ix_csirt_timeline_incident_at")

    op.drop_table("csirt_timeline")
    with op.batch_alter_table("csirt_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_csirt_tasks_incident_id"))

    op.drop_table("csirt_tasks")
    with op.batch_alter_table("csirt_pages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_csirt_pages_team_id"))
        batch_op.drop_index(batch_op.f("ix_csirt_pages_next_escalation_at"))
        batch_op.drop_index(batch_op.f("ix_csirt_pages_incident_id"))

    op.drop_table("csirt_pages")
    with op.batch_alter_table("csirt_oncall_shifts", schema=None) as batch_op:
        batch_op.drop_index("ix_csirt_oncall_shifts_team_start")

    op.drop_table("csirt_oncall_shifts")
    with op.batch_alter_table("csirt_indicators", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_csirt_indicators_incident_id"))

    op.drop_table("csirt_indicators")
    with op.batch_alter_table("csirt_incident_wards", schema=None) as batch_op:
        batch_op.drop_index("ix_csirt_incident_wards_ward_detected")

    op.drop_table("csirt_incident_wards")
    op.drop_table("csirt_incident_assets")
    with op.batch_alter_table("csirt_incident_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_csirt_incident_alerts_incident_id"))

    op.drop_table("csirt_incident_alerts")
    with op.batch_alter_table("csirt_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_csirt_evidence_sha256"))
        batch_op.drop_index(batch_op.f("ix_csirt_evidence_incident_id"))

    op.drop_table("csirt_evidence")
    with op.batch_alter_table("csirt_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_csirt_actions_incident_id"))

    op.drop_table("csirt_actions")
    with op.batch_alter_table("csirt_oncall_teams", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_csirt_oncall_teams_tenant"))

    op.drop_table("csirt_oncall_teams")
    with op.batch_alter_table("csirt_incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_csirt_incidents_status_detected")
        batch_op.drop_index(batch_op.f("ix_csirt_incidents_severity"))
        batch_op.drop_index(batch_op.f("ix_csirt_incidents_major"))
        batch_op.drop_index(batch_op.f("ix_csirt_incidents_detected_at"))

    op.drop_table("csirt_incidents")
    with op.batch_alter_table("csirt_cost_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_csirt_cost_entries_fiscal_year"))

    op.drop_table("csirt_cost_entries")
    with op.batch_alter_table("csirt_connectors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_csirt_connectors_tenant"))

    op.drop_table("csirt_connectors")
    with op.batch_alter_table("notification_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_deliveries_topic"))
        batch_op.drop_index(batch_op.f("ix_notification_deliveries_tenant"))
        batch_op.drop_index("ix_notification_deliveries_due")

    op.drop_table("notification_deliveries")
    with op.batch_alter_table("csirt_simulated_effects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_csirt_simulated_effects_ward"))

    op.drop_table("csirt_simulated_effects")
