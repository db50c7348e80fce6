"""EBPM: policies and logic models, indicators and actuals, versions and approvals,
evaluations, resident surveys, data-literacy courses, completions and staff counts.

Revision ID: ebpm_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from rengo.core.db import JSONType, UTCDateTime

revision = "ebpm_0001"
down_revision = None
branch_labels = ("ebpm",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "ebpm_courses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("title_ja", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ebpm_courses")),
        sa.UniqueConstraint("code", name=op.f("uq_ebpm_courses_code")),
    )
    op.create_table(
        "ebpm_staff_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=8), nullable=False),
        sa.Column("department", sa.String(length=128), nullable=False),
        sa.Column("staff", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ebpm_staff_counts")),
        sa.UniqueConstraint("tenant", "department", name="uq_ebpm_staff_counts"),
    )
    with op.batch_alter_table("ebpm_staff_counts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ebpm_staff_counts_tenant"), ["tenant"], unique=False)

    op.create_table(
        "ebpm_survey_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=200), nullable=False),
        sa.Column("shares", JSONType, nullable=False),
        sa.Column("positive_pct", sa.Float(), nullable=False),
        sa.Column("sample_size", sa.Integer(), nullable=False),
        sa.Column("margin_pct", sa.Float(), nullable=False),
        sa.Column("source_file", sa.String(length=200), nullable=False),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ebpm_survey_results")),
        sa.UniqueConstraint("tenant", "year", "question", name="uq_ebpm_survey_results"),
    )
    with op.batch_alter_table("ebpm_survey_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ebpm_survey_results_tenant"), ["tenant"], unique=False)

    op.create_table(
        "ebpm_completions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=8), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("department", sa.String(length=128), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["ebpm_courses.id"],
            name=op.f("fk_ebpm_completions_course_id_ebpm_courses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ebpm_completions")),
        sa.UniqueConstraint("tenant", "staff_id", "course_id", name="uq_ebpm_completions"),
    )
    with op.batch_alter_table("ebpm_completions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ebpm_completions_tenant_course", ["tenant", "course_id"], unique=False
        )

    op.create_table(
        "ebpm_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("department", sa.String(length=128), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("is_new", sa.Boolean(), nullable=False),
        sa.Column("budget_line", sa.String(length=128), nullable=False),
        sa.Column("budget_yen", sa.BigInteger(), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("template", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("approved_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant"], ["tenants.code"], name=op.f("fk_ebpm_policies_tenant_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ebpm_policies")),
    )
    with op.batch_alter_table("ebpm_policies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ebpm_policies_status"), ["status"], unique=False)
        batch_op.create_index("ix_ebpm_policies_tenant_fy", ["tenant", "fiscal_year"], unique=False)

    op.create_table(
        "ebpm_approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["ebpm_policies.id"],
            name=op.f("fk_ebpm_approvals_policy_id_ebpm_policies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ebpm_approvals")),
    )
    with op.batch_alter_table("ebpm_approvals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ebpm_approvals_policy_id"), ["policy_id"], unique=False
        )

    op.create_table(
        "ebpm_elements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["ebpm_policies.id"],
            name=op.f("fk_ebpm_elements_policy_id_ebpm_policies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ebpm_elements")),
    )
    with op.batch_alter_table("ebpm_elements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ebpm_elements_policy_id"), ["policy_id"], unique=False)

    op.create_table(
        "ebpm_policy_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("snapshot", JSONType, nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["ebpm_policies.id"],
            name=op.f("fk_ebpm_policy_versions_policy_id_ebpm_policies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ebpm_policy_versions")),
        sa.UniqueConstraint("policy_id", "version", name="uq_ebpm_policy_versions"),
    )
    with op.batch_alter_table("ebpm_policy_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ebpm_policy_versions_policy_id"), ["policy_id"], unique=False
        )

    op.create_table(
        "ebpm_indicators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("element_id", sa.Integer(), nullable=True),
        sa.Column("tenant", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("baseline", sa.Float(), nullable=True),
        sa.Column("baseline_date", sa.Date(), nullable=True),
        sa.Column("target", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("metric_target", sa.String(length=64), nullable=True),
        sa.Column("survey_question", sa.String(length=200), nullable=True),
        sa.Column("key_outcome", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["element_id"],
            ["ebpm_elements.id"],
            name=op.f("fk_ebpm_indicators_element_id_ebpm_elements"),
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["ebpm_policies.id"],
            name=op.f("fk_ebpm_indicators_policy_id_ebpm_policies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ebpm_indicators")),
    )
    with op.batch_alter_table("ebpm_indicators", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ebpm_indicators_element_id"), ["element_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ebpm_indicators_policy_id"), ["policy_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ebpm_indicators_tenant"), ["tenant"], unique=False)

    op.create_table(
        "ebpm_actuals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("margin", sa.Float(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["ebpm_indicators.id"],
            name=op.f("fk_ebpm_actuals_indicator_id_ebpm_indicators"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ebpm_actuals")),
        sa.UniqueConstraint("indicator_id", "period_end", name="uq_ebpm_actuals"),
    )
    with op.batch_alter_table("ebpm_actuals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ebpm_actuals_indicator_id"), ["indicator_id"], unique=False
        )

    op.create_table(
        "ebpm_evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=8), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=True),
        sa.Column("design", sa.String(length=32), nullable=False),
        sa.Column("comparison_group", sa.Text(), nullable=False),
        sa.Column("timing", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["ebpm_indicators.id"],
            name=op.f("fk_ebpm_evaluations_indicator_id_ebpm_indicators"),
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["ebpm_policies.id"],
            name=op.f("fk_ebpm_evaluations_policy_id_ebpm_policies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ebpm_evaluations")),
    )
    with op.batch_alter_table("ebpm_evaluations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ebpm_evaluations_policy_id"), ["policy_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ebpm_evaluations_tenant"), ["tenant"], unique=False)

    op.create_table(
        "ebpm_evaluation_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("estimate", sa.Float(), nullable=False),
        sa.Column("ci_low", sa.Float(), nullable=True),
        sa.Column("ci_high", sa.Float(), nullable=True),
        sa.Column("detail", JSONType, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["ebpm_evaluations.id"],
            name=op.f("fk_ebpm_evaluation_results_evaluation_id_ebpm_evaluations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ebpm_evaluation_results")),
    )
    with op.batch_alter_table("ebpm_evaluation_results", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ebpm_evaluation_results_evaluation_id"), ["evaluation_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("ebpm_evaluation_results")
    op.drop_table("ebpm_evaluations")
    op.drop_table("ebpm_actuals")
    op.drop_table("ebpm_indicators")
    op.drop_table("ebpm_policy_versions")
    op.drop_table("ebpm_elements")
    op.drop_table("ebpm_approvals")
    op.drop_table("ebpm_policies")
    op.drop_table("ebpm_completions")
    op.drop_table("ebpm_survey_results")
    op.drop_table("ebpm_staff_counts")
    op.drop_table("ebpm_courses")
