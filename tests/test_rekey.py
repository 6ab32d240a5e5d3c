"""Conversation ids keyed by channel (runner_up/conversation_ids.py), and the migration that moves
what was stored before (Alembic revision 0003 for the progress store, runner_up/rekey.py for both):
the two stores' keys agree afterwards, and a second run changes nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, select, text

from runner_up import conversation_ids, rekey
from runner_up.settings import Settings
from runner_up.store import repository
from runner_up.store.db import Database
from runner_up.store.models import Person

SESSION = "0123456789abcdef" * 2
TEAM = "T0TEAM"


@pytest.mark.parametrize("conversation_id, prefix, private, user", [
    (f"web:{SESSION}", "web", True, None),
    ("rest:anything at all", "rest", True, None),
    ("rest:web:" + SESSION, "rest", True, None),
    (f"slack:{TEAM}:U0PERSON", "slack", True, "U0PERSON"),
    (f"slack:{TEAM}:U0PERSON:C0CHAN:1712345678.000100", "slack", False, "U0PERSON"),
])
def test_ids_say_their_channel_and_whether_they_are_private(conversation_id, prefix, private, user) -> None:
    parsed = conversation_ids.parse(conversation_id)
    assert parsed is not None and (parsed.prefix, parsed.private, parsed.slack_user) == (prefix, private, user)


@pytest.mark.parametrize("conversation_id", [
    SESSION, "U0PERSON", "web:abc", "web:" + SESSION.upper(), "rest:", "slack:T:u-lower",
    "slack:T1:U1:C1", "slack:T1:U1:C1:not-a-ts", "default", "cmdline:x", "rest:" + "x" * 251,
])
def test_ids_no_channel_makes_are_not_read_as_ours(conversation_id: str) -> None:
    assert conversation_ids.parse(conversation_id) is None


def test_ids_are_built_only_from_valid_parts() -> None:
    assert conversation_ids.web(SESSION) == f"web:{SESSION}"
    assert conversation_ids.rest("x") == "rest:x"
    assert conversation_ids.slack(TEAM, "U1", "C1", "1.2") == f"slack:{TEAM}:U1:C1:1.2"
    for build in (lambda: conversation_ids.web("abc"), lambda: conversation_ids.rest(""),
                  lambda: conversation_ids.rest("x" * 251), lambda: conversation_ids.slack(TEAM, "u:1"),
                  lambda: conversation_ids.slack(TEAM, "U1", "C1", None)):
        with pytest.raises(conversation_ids.NotAConversationId):
            build()


def old_conversations(path: Path) -> None:
    """A tracker store as Runner-Up kept it before the keys: bare ids on every channel."""
    store = SQLTrackerStore(dialect="sqlite", db=str(path))
    for sender, channel in [(SESSION, "socketio"), ("tool-1", "rest"), ("web:" + "f" * 32, "rest"),
                            ("U0OLD", "slack"), ("not-hex", "socketio"), ("shell-1", "cmdline")]:
        tracker = DialogueStateTracker.from_events(sender, [
            UserUttered("hello", input_channel=channel), ActionExecuted("utter_greet"), BotUttered("Hi")])
        asyncio.run(store.save(tracker))
    store.engine.dispose()


def old_people(url: str) -> None:
    """A progress store at revision 0002, with the same people."""
    database = Database(url)
    database.upgrade("0002")
    with database.session() as session:
        for channel, sender in [("socketio", SESSION), ("rest", "tool-1"), ("rest", "web:" + "f" * 32),
                                ("slack", "U0OLD"), ("socketio", "not-hex")]:
            repository.get_or_create_person(session, channel, sender)
    database.dispose()


def senders(path: Path) -> set:
    engine = create_engine(f"sqlite:///{path}", future=True)
    with engine.connect() as connection:
        found = set(connection.execute(text("SELECT DISTINCT sender_id FROM events")).scalars())
    engine.dispose()
    return found


def people(url: str) -> set:
    database = Database(url)
    with database.session() as session:
        found = {(p.channel, p.sender_id) for p in session.scalars(select(Person))}
    database.dispose()
    return found


def test_old_stores_are_keyed_by_channel_once_and_their_keys_agree(tmp_path: Path) -> None:
    settings = Settings("127.0.0.1", 1, 2, tmp_path)
    progress = f"sqlite:///{tmp_path / 'progress.sqlite3'}"
    old_conversations(tmp_path / "conversations.sqlite3")
    old_people(progress)
    Database(progress).upgrade()  # revision 0003: the web chat's and REST's people

    outcomes = rekey.migrate(settings, {"SLACK_TEAM_ID": TEAM}, progress_url=progress)
    moved = {f"web:{SESSION}", "rest:tool-1", "rest:web:" + "f" * 32, f"slack:{TEAM}:U0OLD",
             "legacy:socketio:not-hex"}
    assert senders(tmp_path / "conversations.sqlite3") == moved | {"shell-1"}, "rasa shell's stays"
    assert people(progress) == {("socketio", f"web:{SESSION}"), ("rest", "rest:tool-1"),
                                ("rest", "rest:web:" + "f" * 32), ("slack", f"slack:{TEAM}:U0OLD"),
                                ("socketio", "legacy:socketio:not-hex")}
    assert {o.store: o.moved for o in outcomes} == {"progress": {"slack": 1},
                                                    "conversations": {"socketio": 1, "rest": 2, "slack": 1}}

    # Again: nothing moves, not even "rest:tool-1", which looks like a REST sender's old id.
    again = rekey.migrate(settings, {"SLACK_TEAM_ID": TEAM}, progress_url=progress)
    assert all(not o.moved and not o.legacy for o in again)
    assert senders(tmp_path / "conversations.sqlite3") == moved | {"shell-1"}


def test_slack_waits_for_its_team_and_is_moved_later(tmp_path: Path) -> None:
    settings = Settings("127.0.0.1", 1, 2, tmp_path)
    progress = f"sqlite:///{tmp_path / 'progress.sqlite3'}"
    old_conversations(tmp_path / "conversations.sqlite3")
    old_people(progress)
    Database(progress).upgrade()
    first = rekey.migrate(settings, {}, progress_url=progress)
    assert "U0OLD" in senders(tmp_path / "conversations.sqlite3")
    assert any("SLACK_TEAM_ID" in note for o in first for note in o.notes)
    rekey.migrate(settings, {"SLACK_TEAM_ID": TEAM}, progress_url=progress)
    assert f"slack:{TEAM}:U0OLD" in senders(tmp_path / "conversations.sqlite3")
    assert ("slack", f"slack:{TEAM}:U0OLD") in people(progress)
    assert "rest:rest:tool-1" not in senders(tmp_path / "conversations.sqlite3"), "REST moved once only"


def test_the_team_comes_from_slack_when_only_the_bot_token_is_set(fake_slack) -> None:
    from tests.fake_slack import TEAM as FAKE_TEAM

    env = {"SLACK_BOT_TOKEN": fake_slack.token, "SLACK_API_URL": fake_slack.api_url}
    assert rekey.slack_team(env) == FAKE_TEAM
    assert rekey.slack_team({}) is None


def test_a_fresh_machine_has_nothing_to_move(tmp_path: Path) -> None:
    progress = f"sqlite:///{tmp_path / 'progress.sqlite3'}"
    Database(progress).upgrade()
    outcomes = rekey.migrate(Settings("127.0.0.1", 1, 2, tmp_path), {}, progress_url=progress)
    assert all(not o.moved and not o.notes for o in outcomes)


def test_the_progress_migration_goes_back_down(tmp_path: Path) -> None:
    from runner_up.store.db import downgrade

    progress = f"sqlite:///{tmp_path / 'progress.sqlite3'}"
    old_people(progress)
    Database(progress).upgrade()
    assert ("rest", "rest:tool-1") in people(progress)
    downgrade(progress, "0002")
    assert ("socketio", SESSION) in people(progress) and ("rest", "tool-1") in people(progress)
