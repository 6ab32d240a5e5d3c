"""The progress store: people and what they went through.

Revision ID: 0001
Revises:
Create Date: 2026-05-01

Self-contained on purpose: a migration must not import the models, which keep changing after it.
Every name is final (``op.f``): the naming convention of the models must not rename it again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

STEP_STATUSES = ("offered", "accepted", "done", "declined")
CHECKIN_STATUSES = ("pending", "claimed", "sent", "failed", "cancelled")
PERSON_CHILDREN = (
    "rejections", "mood_entries", "steps", "strengths", "skill_gaps", "checkins", "crisis_flags",
)


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _id(table: str) -> tuple:
    return (
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    )


def _person_fk(table: str) -> tuple:
    return (
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f(f"fk_{table}_person_id_people"),
            ondelete="CASCADE",
        ),
    )


def _rejection_fk(table: str, ondelete: str) -> tuple:
    return (
        sa.Column("rejection_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["rejection_id"], ["rejections.id"], name=op.f(f"fk_{table}_rejection_id_rejections"),
            ondelete=ondelete,
        ),
    )


def upgrade() -> None:
    op.create_table(
        "people",
        *_id("people"),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        _when("created_at"),
        _when("last_seen_at"),
        sa.Column("time_zone", sa.String(length=64), nullable=True),
        sa.Column("country", sa.String(length=8), nullable=True),
        sa.Column("quiet_start", sa.SmallInteger(), nullable=True),
        sa.Column("quiet_end", sa.SmallInteger(), nullable=True),
        sa.Column("checkin_consent", sa.Boolean(), nullable=True),
        _when("consent_changed_at", nullable=True),
        sa.CheckConstraint(
            sa.column("quiet_start").between(0, 23), name=op.f("ck_people_quiet_start_hour")
        ),
        sa.CheckConstraint(
            sa.column("quiet_end").between(0, 23), name=op.f("ck_people_quiet_end_hour")
        ),
        sa.UniqueConstraint("channel", "sender_id", name=op.f("uq_people_channel_sender_id")),
    )
    op.create_table(
        "rejections",
        *_id("rejections"),
        *_person_fk("rejections"),
        sa.Column("company", sa.String(length=200), nullable=True),
        sa.Column("role", sa.String(length=200), nullable=True),
        sa.Column("interviewer", sa.String(length=200), nullable=True),
        sa.Column("happened_on", sa.Date(), nullable=True),
        _when("created_at"),
    )
    op.create_table(
        "mood_entries",
        *_id("mood_entries"),
        *_person_fk("mood_entries"),
        *_rejection_fk("mood_entries", "SET NULL"),
        sa.Column("emotion", sa.String(length=16), nullable=False),
        sa.Column("stage", sa.String(length=24), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        _when("created_at"),
    )
    op.create_table(
        "steps",
        *_id("steps"),
        *_person_fk("steps"),
        *_rejection_fk("steps", "SET NULL"),
        sa.Column("step_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _when("offered_at", nullable=True),
        _when("accepted_at", nullable=True),
        _when("done_at", nullable=True),
        _when("declined_at", nullable=True),
        _when("updated_at"),
        sa.CheckConstraint(sa.column("status").in_(STEP_STATUSES), name=op.f("ck_steps_status")),
        sa.UniqueConstraint("person_id", "step_id", name=op.f("uq_steps_person_id_step_id")),
    )
    op.create_table(
        "strengths",
        *_id("strengths"),
        *_person_fk("strengths"),
        sa.Column("text", sa.String(length=300), nullable=False),
        _when("created_at"),
    )
    op.create_table(
        "skill_gaps",
        *_id("skill_gaps"),
        *_person_fk("skill_gaps"),
        sa.Column("gap", sa.String(length=300), nullable=False),
        sa.Column("plan", sa.String(length=500), nullable=True),
        _when("created_at"),
        _when("done_at", nullable=True),
    )
    op.create_table(
        "checkins",
        *_id("checkins"),
        *_person_fk("checkins"),
        *_rejection_fk("checkins", "CASCADE"),
        _when("due_at"),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _when("next_attempt_at", nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        _when("claimed_at", nullable=True),
        _when("sent_at", nullable=True),
        _when("created_at"),
        sa.CheckConstraint(
            sa.column("status").in_(CHECKIN_STATUSES), name=op.f("ck_checkins_status")
        ),
    )
    op.create_table(
        "crisis_flags",
        *_id("crisis_flags"),
        *_person_fk("crisis_flags"),
        _when("flagged_at"),
    )

    for table in PERSON_CHILDREN:
        op.create_index(op.f(f"ix_{table}_person_id"), table, ["person_id"])
    for table in ("mood_entries", "steps", "checkins"):
        op.create_index(op.f(f"ix_{table}_rejection_id"), table, ["rejection_id"])
    op.create_index(op.f("ix_checkins_status_due_at"), "checkins", ["status", "due_at"])
    # At most one pending check-in per rejection, whatever the scheduler or the actions do.
    pending = sa.column("status") == "pending"
    op.create_index(
        op.f("uq_checkins_pending_rejection"), "checkins", ["rejection_id"], unique=True,
        postgresql_where=pending, sqlite_where=pending,
    )


def downgrade() -> None:
    # Children first; their indexes go with them.
    for table in ("checkins", "steps", "mood_entries", "crisis_flags", "skill_gaps", "strengths",
                  "rejections"):
        op.drop_table(table)
    op.drop_table("people")
