"""EBPM: the staff roster and training reminders; the source of each actual (a live
metric's snapshot, a survey, entered by hand).

Revision ID: ebpm_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from rengo.core.db import UTCDateTime

revision = "ebpm_0002"
down_revision = "ebpm_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ebpm_actuals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(length=80), nullable=False, server_default="manual")
        )
    op.create_table(
        "ebpm_staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=8), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("department", sa.String(length=128), nullable=False),
        sa.Column("email", sa.String(length=256), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ebpm_staff")),
        sa.UniqueConstraint("tenant", "staff_id", name="uq_ebpm_staff"),
    )
    with op.batch_alter_table("ebpm_staff", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ebpm_staff_tenant"), ["tenant"], unique=False)
    op.create_table(
        "ebpm_training_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=8), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=256), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["ebpm_courses.id"],
            name=op.f("fk_ebpm_training_reminders_course_id_ebpm_courses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ebpm_training_reminders")),
    )
    with op.batch_alter_table("ebpm_training_reminders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ebpm_training_reminders_staff", ["tenant", "staff_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("ebpm_training_reminders")
    op.drop_table("ebpm_staff")
    with op.batch_alter_table("ebpm_actuals", schema=None) as batch_op:
        batch_op.drop_column("source")
