"""Check-in delivery: when the action server delivered a check-in, and one open check-in per rejection.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

``delivered_at`` is written by the action that speaks the check-in, in the same database as the
queue: it is how the scheduler knows a delivery really happened (Rasa answers 200 even when the
action server was down), and how a second delivery of the same row is refused.
The uniqueness of an open check-in per rejection now covers a claimed one too.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _open_index(statuses: tuple) -> None:
    where = sa.column("status").in_(statuses)
    op.create_index(
        op.f("uq_checkins_open_rejection"), "checkins", ["rejection_id"], unique=True,
        postgresql_where=where, sqlite_where=where,
    )


def upgrade() -> None:
    with op.batch_alter_table("checkins") as batch:
        batch.add_column(sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
    op.drop_index(op.f("uq_checkins_pending_rejection"), table_name="checkins")
    _open_index(("pending", "claimed"))


def downgrade() -> None:
    op.drop_index(op.f("uq_checkins_open_rejection"), table_name="checkins")
    pending = sa.column("status") == "pending"
    op.create_index(
        op.f("uq_checkins_pending_rejection"), "checkins", ["rejection_id"], unique=True,
        postgresql_where=pending, sqlite_where=pending,
    )
    with op.batch_alter_table("checkins") as batch:
        batch.drop_column("delivered_at")
