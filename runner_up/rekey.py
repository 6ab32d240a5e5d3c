"""Keys what was stored before conversations were keyed by channel (runner_up/conversation_ids.py),
so that Rasa's tracker store (`events.sender_id`) and the progress store (`people.sender_id`) use
the same conversation id and "delete my data" always finds both.

    runner-up migrate     the progress store's schema (Alembic, whose revision 0003 keys its web
                          chat and REST people), then this; `runner-up run` does both on start

Before, every channel used its bare id: the web chat its session id, REST the `sender` a client
named, Slack the user id (DMs and mentions in one conversation). Now:

| channel (Rasa's `input_channel`) | old id | new id |
|---|---|---|
| socketio (web chat) | `<32 hex digits>` | `web:<same>` |
| rest | `<sender>` | `rest:<sender>` |
| slack | `<user id>` | `slack:<team>:<user id>` (their DM: that is where check-ins went) |

A conversation's channel is its first user message's `input_channel`. An old id that cannot take
its channel's form (a web chat id that is not 32 hex digits) is moved to `legacy:<channel>:<id>`,
which no channel can name: kept for an operator, never reachable by a person. Other channels'
conversations (`rasa shell`) stay as they are.

Idempotent: the tracker store records that its web chat and REST conversations were moved (table
`runner_up_rekeyed`), so they are moved once, even an old REST sender that happened to look like a
new id ("web:..."); Slack's old ids are told apart by their form (a new one has colons). Slack needs
the workspace's team id: SLACK_TEAM_ID, or Slack's `auth.test` with SLACK_BOT_TOKEN; without
either, Slack's old ids stay as they are (no channel can reach them) and a later run with Slack
configured moves them, in both stores.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Dict, List, Mapping, Optional, Text

from sqlalchemy import Column, DateTime, MetaData, String, Table, column, create_engine, inspect, select, table, update
from sqlalchemy.engine import URL, Connection, Engine

from runner_up import conversation_ids
from runner_up.settings import Settings

logger = logging.getLogger(__name__)

MARKER = Table("runner_up_rekeyed", MetaData(),
               Column("channel", String(32), primary_key=True),
               Column("migrated_at", DateTime(timezone=True), nullable=False))
EVENTS = table("events", column("id"), column("sender_id"), column("type_name"), column("data"))
PEOPLE = table("people", column("id"), column("channel"), column("sender_id"))
ONCE = ("socketio", "rest")  # moved once, recorded in MARKER


def new_id(channel: Text, old: Text, team: Optional[Text]) -> Optional[Text]:
    """The id `old` gets on `channel`; None to leave it (Slack without a team, other channels)."""
    try:
        if channel == "socketio":
            return conversation_ids.web(old)
        if channel == "rest":
            return conversation_ids.rest(old)
        if channel == "slack":
            return conversation_ids.slack(team, old) if team else None
    except conversation_ids.NotAConversationId:
        return f"legacy:{channel}:{old}"[:conversation_ids.LENGTH]
    return None


def old_slack_id(sender_id: Text) -> bool:
    """A Slack id from before the keys (a bare user id: every new Slack id has colons)."""
    return ":" not in sender_id


@dataclass
class Outcome:
    """What one store's migration did."""

    store: Text
    moved: Dict[Text, int] = field(default_factory=dict)  # per channel
    legacy: int = 0
    left_slack: int = 0  # Slack ids left for want of the team id
    notes: List[Text] = field(default_factory=list)

    def count(self, channel: Text, new: Text) -> None:
        if new.startswith("legacy:"):
            self.legacy += 1
        else:
            self.moved[channel] = self.moved.get(channel, 0) + 1


def senders_by_channel(connection: Connection) -> Dict[Text, Text]:
    """Each conversation's channel: the input channel of its first user message."""
    channels: Dict[Text, Text] = {}
    statement = (select(EVENTS.c.sender_id, EVENTS.c.data).where(EVENTS.c.type_name == "user")
                 .order_by(EVENTS.c.id))
    for sender_id, data in connection.execute(statement):
        if sender_id not in channels:
            try:
                channels[sender_id] = json.loads(data).get("input_channel") or ""
            except (ValueError, AttributeError):
                channels[sender_id] = ""
    return channels


def migrate_conversations(engine: Engine, team: Optional[Text]) -> Outcome:
    """Rasa's tracker store (table `events`), if it has been created."""
    outcome = Outcome("conversations")
    if not inspect(engine).has_table("events"):
        return outcome
    MARKER.create(engine, checkfirst=True)
    with engine.begin() as connection:
        done = set(connection.execute(select(MARKER.c.channel)).scalars())
        for old, channel in senders_by_channel(connection).items():
            if not ((channel in ONCE and channel not in done) or (channel == "slack" and old_slack_id(old))):
                continue
            new = new_id(channel, old, team)
            if new is None:
                outcome.left_slack += 1
                continue
            connection.execute(update(EVENTS).where(EVENTS.c.sender_id == old).values(sender_id=new))
            outcome.count(channel, new)
        now = datetime.now(timezone.utc)
        for channel in ONCE:
            if channel not in done:
                connection.execute(MARKER.insert().values(channel=channel, migrated_at=now))
    return outcome


def migrate_slack_people(engine: Engine, team: Optional[Text]) -> Outcome:
    """The progress store's Slack people (its web chat and REST people: Alembic revision 0003)."""
    outcome = Outcome("progress")
    if not inspect(engine).has_table("people"):
        return outcome
    with engine.begin() as connection:
        rows = connection.execute(select(PEOPLE.c.id, PEOPLE.c.sender_id)
                                  .where(PEOPLE.c.channel == "slack")).all()
        taken = {sender for _, sender in rows}
        for person_id, old in rows:
            if not old_slack_id(old):
                continue
            new = new_id("slack", old, team)
            if new is None:
                outcome.left_slack += 1
            elif new in taken:
                outcome.notes.append(f"progress: Slack person {person_id} kept {old!r}: another "
                                     f"person already has {new!r}")
            else:
                connection.execute(update(PEOPLE).where(PEOPLE.c.id == person_id).values(sender_id=new))
                taken.add(new)
                outcome.count("slack", new)
    return outcome


def needs_team(engines: Mapping[Text, Engine]) -> bool:
    """Whether either store holds a Slack id from before the keys."""
    progress, conversations = engines["progress"], engines["conversations"]
    if inspect(progress).has_table("people"):
        with progress.connect() as connection:
            senders = connection.execute(select(PEOPLE.c.sender_id).where(PEOPLE.c.channel == "slack"))
            if any(old_slack_id(s) for s in senders.scalars()):
                return True
    if inspect(conversations).has_table("events"):
        with conversations.connect() as connection:
            return any(channel == "slack" and old_slack_id(sender)
                       for sender, channel in senders_by_channel(connection).items())
    return False


def slack_team(env: Mapping[Text, Text]) -> Optional[Text]:
    """SLACK_TEAM_ID, or the bot token's team from Slack's `auth.test`; None without either."""
    if env.get("SLACK_TEAM_ID"):
        return env["SLACK_TEAM_ID"]
    if not env.get("SLACK_BOT_TOKEN"):
        return None
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackClientError

    from runner_up.channels.slack import api_url

    try:
        return str(WebClient(env["SLACK_BOT_TOKEN"], base_url=api_url(env), timeout=10).auth_test()["team_id"])
    except (SlackClientError, OSError, KeyError) as error:
        logger.warning("Slack's team id could not be read (auth.test): %s", error)
        return None


def tracker_engine(settings: Settings, env: Mapping[Text, Text]) -> Engine:
    """The tracker store's database, as `runner-up run` and `serve rasa` configure it."""
    from runner_up.conversations import sql_store_keys

    if env.get("TRACKER_STORE_URL"):
        keys = sql_store_keys(env["TRACKER_STORE_URL"])
        return create_engine(URL.create(keys["dialect"], keys["username"], keys["password"], keys["host"],
                                        keys["port"], keys["db"], keys["query"] or {}), future=True)
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    return create_engine(f"sqlite:///{settings.var_dir / 'conversations.sqlite3'}", future=True)


def migrate(settings: Settings, env: Mapping[Text, Text] = os.environ,
            progress_url: Optional[Text] = None) -> List[Outcome]:
    """Both stores (the progress store's schema must be migrated first)."""
    from runner_up.store.db import make_engine

    engines = {"progress": make_engine(progress_url), "conversations": tracker_engine(settings, env)}
    try:
        team = slack_team(env) if needs_team(engines) else None
        outcomes = [migrate_slack_people(engines["progress"], team),
                    migrate_conversations(engines["conversations"], team)]
    finally:
        for engine in engines.values():
            engine.dispose()
    for outcome in outcomes:
        if outcome.left_slack:
            outcome.notes.append(f"{outcome.store}: {outcome.left_slack} Slack conversations keep their "
                                 f"old id for now: set SLACK_TEAM_ID (or SLACK_BOT_TOKEN) and migrate again")
    return outcomes


def report(outcomes: List[Outcome]) -> None:
    """Prints what moved (nothing when nothing did) and what was left."""
    for outcome in outcomes:
        if outcome.moved or outcome.legacy:
            moved = ", ".join(f"{n} {channel}" for channel, n in sorted(outcome.moved.items())) or "none"
            print(f"Keyed the existing {outcome.store} by channel: {moved}"
                  + (f"; {outcome.legacy} moved aside as legacy:..." if outcome.legacy else ""), flush=True)
        for note in outcome.notes:
            print(f"warning: {note}", flush=True)
