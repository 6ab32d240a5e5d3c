"""Conversation keys: people keyed by their channel's conversation id (runner_up/conversation_ids.py).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06

Before, a person's `sender_id` was their channel's bare id; now it is the conversation id, with the
channel in it, as Rasa's tracker store keys the conversation (runner_up/rekey.py moves those):

- web chat (`socketio`): `<32 hex digits>` becomes `web:<same>`;
- REST: `<sender>` becomes `rest:<sender>`;
- an id that cannot take that form goes to `legacy:<channel>:<id>`, which no channel can name.

Slack ids need the workspace's team id, which is not in the database: runner_up/rekey.py moves
them (`slack:<team>:<user>`) when it knows it. The logic is written out here, not imported, so
this revision does the same whatever the code does later.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

PEOPLE = sa.table("people", sa.column("id", sa.Integer), sa.column("channel", sa.String),
                  sa.column("sender_id", sa.String))
WEB_SESSION = re.compile(r"[0-9a-f]{32}")
LENGTH = 255


def keyed(channel: str, old: str) -> str:
    if channel == "socketio" and WEB_SESSION.fullmatch(old):
        return f"web:{old}"
    if channel == "rest" and len(old) <= LENGTH - len("rest:"):
        return f"rest:{old}"
    return f"legacy:{channel}:{old}"[:LENGTH]


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(PEOPLE.c.id, PEOPLE.c.channel, PEOPLE.c.sender_id)
                              .where(PEOPLE.c.channel.in_(("socketio", "rest")))).all()
    for person_id, channel, old in rows:
        connection.execute(sa.update(PEOPLE).where(PEOPLE.c.id == person_id)
                           .values(sender_id=keyed(channel, old)))


def downgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(PEOPLE.c.id, PEOPLE.c.sender_id)
                              .where(PEOPLE.c.channel.in_(("socketio", "rest")))).all()
    for person_id, sender_id in rows:
        prefix, _, old = sender_id.partition(":")
        if prefix in ("web", "rest"):
            connection.execute(sa.update(PEOPLE).where(PEOPLE.c.id == person_id).values(sender_id=old))
