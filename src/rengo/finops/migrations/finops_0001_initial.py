"""FinOps: ingests, exchange rates, allocation rules and shared pools, baselines, budgets,
alerts, recommendations, the BPR register, public SaaS, joint procurement, trainings.

Revision ID: finops_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from rengo.core.db import JSONType, UTCDateTime

revision = "finops_0001"
down_revision = None
branch_labels = ("finops",)
depends_on = "assets_0001"


def upgrade() -> None:
    op.create_table(
        "finops_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=256), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ward", sa.String(length=8), nullable=False),
        sa.Column("business_system", sa.String(length=32), nullable=False),
        sa.Column("service", sa.String(length=200), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("actual", sa.Float(), nullable=False),
        sa.Column("expected", sa.Float(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("notified_at", UTCDateTime(), nullable=True),
        sa.Column("detail", JSONType, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finops_alerts")),
        sa.UniqueConstraint("key", name=op.f("uq_finops_alerts_key")),
    )
    with op.batch_alter_table("finops_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_finops_alerts_day"), ["day"], unique=False)
        batch_op.create_index("ix_finops_alerts_ward_status", ["ward", "status"], unique=False)

    op.create_table(
        "finops_allocation_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("tag_key", sa.String(length=128), nullable=True),
        sa.Column("pattern", sa.String(length=256), nullable=False),
        sa.Column("ward", sa.String(length=8), nullable=True),
        sa.Column("ward_from_value", sa.Boolean(), nullable=False),
        sa.Column("business_system", sa.String(length=32), nullable=True),
        sa.Column("system_from_value", sa.Boolean(), nullable=False),
        sa.Column("shared_pool", sa.String(length=64), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finops_allocation_rules")),
    )
    op.create_table(
        "finops_baselines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ward", sa.String(length=8), nullable=False),
        sa.Column("business_system", sa.String(length=32), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("annual_cost", sa.Float(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finops_baselines")),
        sa.UniqueConstraint("ward", "business_system", name="uq_finops_baseline"),
    )
    with op.batch_alter_table("finops_baselines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_finops_baselines_ward"), ["ward"], unique=False)

    op.create_table(
        "finops_bpr_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ward", sa.String(length=8), nullable=False),
        sa.Column("business_system", sa.String(length=32), nullable=False),
        sa.Column("process_name", sa.String(length=200), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("hours_before", sa.Float(), nullable=False),
        sa.Column("hours_after", sa.Float(), nullable=False),
        sa.Column("implemented_on", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("reused_from", sa.Integer(), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["reused_from"],
            ["finops_bpr_cases.id"],
            name=op.f("fk_finops_bpr_cases_reused_from_finops_bpr_cases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finops_bpr_cases")),
    )
    with op.batch_alter_table("finops_bpr_cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_finops_bpr_cases_ward"), ["ward"], unique=False)

    op.create_table(
        "finops_budgets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ward", sa.String(length=8), nullable=False),
        sa.Column("business_system", sa.String(length=32), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finops_budgets")),
        sa.UniqueConstraint("ward", "business_system", "fiscal_year", name="uq_finops_budget"),
    )
    with op.batch_alter_table("finops_budgets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_finops_budgets_ward"), ["ward"], unique=False)

    op.create_table(
        "finops_exchange_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("base", sa.String(length=3), nullable=False),
        sa.Column("quote", sa.String(length=3), nullable=False),
        sa.Column("rate", sa.Float(), nullable=False),
        sa.Column("source", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finops_exchange_rates")),
        sa.UniqueConstraint("day", "base", "quote", name="uq_finops_rate_day_pair"),
    )
    with op.batch_alter_table("finops_exchange_rates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_finops_exchange_rates_day"), ["day"], unique=False)

    op.create_table(
        "finops_ingests",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("files", JSONType, nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("quarantined", sa.Integer(), nullable=False),
        sa.Column("partitions", JSONType, nullable=False),
        sa.Column("deviations", JSONType, nullable=False),
        sa.Column("totals", JSONType, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finops_ingests")),
    )
    with op.batch_alter_table("finops_ingests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_finops_ingests_at"), ["at"], unique=False)

    op.create_table(
        "finops_recommendations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("ward", sa.String(length=8), nullable=False),
        sa.Column("business_system", sa.String(length=32), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("service", sa.String(length=200), nullable=False),
        sa.Column("resource_id", sa.String(length=512), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("detail", JSONType, nullable=False),
        sa.Column("monthly_cost", sa.Float(), nullable=False),
        sa.Column("estimated_monthly_saving", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("realised_monthly_saving", sa.Float(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finops_recommendations")),
        sa.UniqueConstraint("key", name=op.f("uq_finops_recommendations_key")),
    )
    with op.batch_alter_table("finops_recommendations", schema=None) as batch_op:
        batch_op.create_index("ix_finops_recs_ward_status", ["ward", "status"], unique=False)

    op.create_table(
        "finops_saas_products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("vendor", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("ismap_id", sa.String(length=64), nullable=False),
        sa.Column("data_in_japan", sa.Boolean(), nullable=False),
        sa.Column("availability_pct", sa.Float(), nullable=True),
        sa.Column("lgwan", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finops_saas_products")),
        sa.UniqueConstraint("name", name=op.f("uq_finops_saas_products_name")),
    )
    op.create_table(
        "finops_shared_pools",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("wards", JSONType, nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finops_shared_pools")),
        sa.UniqueConstraint("name", name=op.f("uq_finops_shared_pools_name")),
    )
    op.create_table(
        "finops_trainings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("topic", sa.String(length=16), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finops_trainings")),
    )
    with op.batch_alter_table("finops_trainings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_finops_trainings_held_on"), ["held_on"], unique=False)

    op.create_table(
        "finops_joint_procurements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("business_system", sa.String(length=32), nullable=False),
        sa.Column("wards", JSONType, nullable=False),
        sa.Column("procured_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["finops_saas_products.id"],
            name=op.f("fk_finops_joint_procurements_product_id_finops_saas_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finops_joint_procurements")),
    )
    with op.batch_alter_table("finops_joint_procurements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_finops_joint_procurements_procured_on"), ["procured_on"], unique=False
        )

    op.create_table(
        "finops_recommendation_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recommendation_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=False),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["finops_recommendations.id"],
            name=op.f("fk_finops_recommendation_events_recommendation_id_finops_recommendations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finops_recommendation_events")),
    )
    with op.batch_alter_table("finops_recommendation_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_finops_recommendation_events_recommendation_id"),
            ["recommendation_id"],
            unique=False,
        )

    op.create_table(
        "finops_saas_usage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("ward", sa.String(length=8), nullable=False),
        sa.Column("since", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["finops_saas_products.id"],
            name=op.f("fk_finops_saas_usage_product_id_finops_saas_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finops_saas_usage")),
        sa.UniqueConstraint("product_id", "ward", name="uq_finops_saas_usage"),
    )
    with op.batch_alter_table("finops_saas_usage", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_finops_saas_usage_product_id"), ["product_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_finops_saas_usage_ward"), ["ward"], unique=False)

    op.create_table(
        "finops_training_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("training_id", sa.Integer(), nullable=False),
        sa.Column("ward", sa.String(length=8), nullable=False),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["training_id"],
            ["finops_trainings.id"],
            name=op.f("fk_finops_training_attendance_training_id_finops_trainings"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finops_training_attendance")),
        sa.UniqueConstraint("training_id", "ward", name="uq_finops_attendance"),
    )
    with op.batch_alter_table("finops_training_attendance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_finops_training_attendance_training_id"), ["training_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("finops_training_attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finops_training_attendance_training_id"))

    op.drop_table("finops_training_attendance")
    with op.batch_alter_table("finops_saas_usage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finops_saas_usage_ward"))
        batch_op.drop_index(batch_op.f("ix_finops_saas_usage_product_id"))

    op.drop_table("finops_saas_usage")
    with op.batch_alter_table("finops_recommendation_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finops_recommendation_events_recommendation_id"))

    op.drop_table("finops_recommendation_events")
    with op.batch_alter_table("finops_joint_procurements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finops_joint_procurements_procured_on"))

    op.drop_table("finops_joint_procurements")
    with op.batch_alter_table("finops_trainings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finops_trainings_held_on"))

    op.drop_table("finops_trainings")
    op.drop_table("finops_shared_pools")
    op.drop_table("finops_saas_products")
    with op.batch_alter_table("finops_recommendations", schema=None) as batch_op:
        batch_op.drop_index("ix_finops_recs_ward_status")

    op.drop_table("finops_recommendations")
    with op.batch_alter_table("finops_ingests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finops_ingests_at"))

    op.drop_table("finops_ingests")
    with op.batch_alter_table("finops_exchange_rates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finops_exchange_rates_day"))

    op.drop_table("finops_exchange_rates")
    with op.batch_alter_table("finops_budgets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finops_budgets_ward"))

    op.drop_table("finops_budgets")
    with op.batch_alter_table("finops_bpr_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finops_bpr_cases_ward"))

    op.drop_table("finops_bpr_cases")
    with op.batch_alter_table("finops_baselines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finops_baselines_ward"))

    op.drop_table("finops_baselines")
    op.drop_table("finops_allocation_rules")
    with op.batch_alter_table("finops_alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_finops_alerts_ward_status")
        batch_op.drop_index(batch_op.f("ix_finops_alerts_day"))

    op.drop_table("finops_alerts")
