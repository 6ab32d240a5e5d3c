"""A check-in end to end, with every process real: record a rejection in a conversation, move the
scheduler's clock, and the check-in arrives in that conversation once; stop every process, start
them again, and nothing is lost and nothing is said twice.

Conversations live in a SQLite tracker store (as with `runner-up run`), progress in a SQLite store.
"""

from __future__ import annotations

import signal
import subprocess
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
from sqlalchemy import select

from runner_up.runner import BIN, Processes
from runner_up.store.db import Database
from runner_up.store.models import Checkin, MoodEntry
from tests.dialogue import answer_the_form, texts, variants
from tests.launch import Servers, free_port, rasa_and_actions

CHECKIN_TEXTS = {text.format(company="Acme") for text in variants("utter_checkin")}


class Assistant:
    """The three processes of one machine, which the test can stop and start again."""

    def __init__(self, model: Path, workdir: Path) -> None:
        self.model, self.workdir = model, workdir
        self.progress = f"sqlite:///{workdir / 'progress.sqlite3'}"
        Database(self.progress).upgrade()
        self.ports = {"actions": free_port(), "rasa": free_port()}
        self.env = {"DATABASE_URL": self.progress, "RUNNER_UP_CHECKIN_IDLE_MINUTES": "15"}
        self.processes = Processes(workdir)
        self.urls: Servers = None  # type: ignore[assignment]

    def start(self) -> None:
        self.processes = Processes(self.workdir)
        self.urls = rasa_and_actions(self.processes, self.model, self.workdir, self.env,
                                     tracker_db=self.workdir / "conversations.sqlite3", ports=self.ports)

    def scheduler(self, now: datetime) -> subprocess.Popen:
        """The long-running check-in worker, its clock set to `now` (then running normally)."""
        return self.processes.start(
            "checkins", [str(BIN / "runner-up"), "checkins", "--now", now.isoformat(), "run", "--poll", "0.3"],
            env={**self.env, "RASA_URL": self.urls.rasa_url})

    def stop(self) -> None:
        self.processes.stop()

    def say(self, sender: str, text: str) -> List[Dict]:
        return self.urls.say(sender, text)

    def bot_texts(self, sender: str) -> List[str]:
        tracker = self.urls.tracker(f"rest:{sender}")
        return [e.get("text") or "" for e in tracker["events"] if e["event"] == "bot"]

    def count(self, table) -> int:
        database = Database(self.progress)
        with database.session() as session:
            number = len(session.scalars(select(table)).all())
        database.dispose()
        return number

    def checkins(self) -> List[Checkin]:
        database = Database(self.progress)
        with database.session() as session:
            rows = list(session.scalars(select(Checkin).order_by(Checkin.id)))
            session.expunge_all()
        database.dispose()
        return rows


def said_checkins(assistant: Assistant, sender: str) -> List[str]:
    return [t for t in assistant.bot_texts(sender) if t in CHECKIN_TEXTS]


def wait_until(condition, timeout: float = 60) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return False


@pytest.fixture
def assistant(trained_model: Path, tmp_path: Path) -> Iterator[Assistant]:
    assistant = Assistant(trained_model, tmp_path)
    assistant.start()
    yield assistant
    assistant.stop()


@pytest.mark.slow
def test_a_checkin_arrives_once_and_survives_restarts(assistant: Assistant) -> None:
    who = f"e2e-{uuid.uuid4().hex}"
    assistant.say(who, "hello")
    reply = texts(assistant.say(who, "Acme turned me down this morning for the analyst job and I'm absolutely gutted"))
    reply, _ = answer_the_form(assistant.say, who, reply)
    assert reply[-1] in variants("utter_ask_checkin_consent"), reply
    assistant.say(who, "yes please")
    (checkin,) = assistant.checkins()
    assert checkin.status == "pending"

    # Three days on (the scheduler's clock), the check-in arrives in the conversation, once.
    scheduler = assistant.scheduler(checkin.due_at + timedelta(minutes=1))
    assert wait_until(lambda: assistant.checkins()[0].status == "sent"), assistant.checkins()
    assert len(said_checkins(assistant, who)) == 1

    # The scheduler stops (its clock runs three days ahead, so it would take tomorrow's check-in
    # at once); the person answers (their mood is noted) and asks for one more check-in; then
    # every other process stops, mid-wait.
    scheduler.send_signal(signal.SIGTERM)
    scheduler.wait(timeout=30)
    moods = assistant.count(MoodEntry)
    reply = texts(assistant.say(who, "honestly still a bit low about it"))
    assert reply and assistant.count(MoodEntry) == moods + 1, reply
    moved = texts(assistant.say(who, "can you check in on me again tomorrow"))
    assert any(t.startswith(("Sure, I'll check in", "No problem: I've moved")) for t in moved), moved
    first, second = assistant.checkins()
    assert (first.status, second.status) == ("sent", "pending")
    assistant.stop()

    # Everything starts again: the history is there, the first check-in is not said again, the
    # second one arrives once.
    assistant.start()
    history = assistant.bot_texts(who)
    assert len([t for t in history if t in CHECKIN_TEXTS]) == 1
    assistant.scheduler(second.due_at + timedelta(minutes=1))
    assert wait_until(lambda: assistant.checkins()[1].status == "sent"), assistant.checkins()
    assert len(said_checkins(assistant, who)) == 2
    assert [c.status for c in assistant.checkins()] == ["sent", "sent"]
    assert all(c.attempts == 1 for c in assistant.checkins()), "each delivered at the first attempt"
