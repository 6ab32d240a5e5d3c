"""Faults: the action server killed mid-conversation, and PostgreSQL restarted under the stores.

Each test starts its own processes (it kills some of them), on free ports.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
import requests
from sqlalchemy import create_engine, select, text

from runner_up.channels.action_failures import FALLBACK_TEXT
from runner_up.runner import Processes
from runner_up.store.db import Database
from runner_up.store.models import Rejection
from tests.dialogue import answer_the_form, texts, variants
from tests.fault_tools import PrivateCluster, record
from tests.launch import rasa_and_actions, rest_headers

APOLOGY = variants("utter_action_failed") | {FALLBACK_TEXT}
UNNAMED = "They turned me down this morning for the analyst job and I'm absolutely gutted"
REJECTION = "Acme turned me down this morning for the analyst job and I'm absolutely gutted"


def say(rasa_url: str, sender: str, message: str) -> List[Dict]:
    response = requests.post(f"{rasa_url}/webhooks/rest/webhook", headers=rest_headers(),
                             json={"sender": sender, "message": message}, timeout=60)
    assert response.status_code == 200, response.text[:300]
    return response.json()


@pytest.mark.slow
def test_the_action_server_killed_mid_conversation(trained_model: Path, tmp_path: Path) -> None:
    """Killed while the rejection form is open: the next message gets an apology within 2 s (not
    silence); once the action server is back, the conversation goes on where it was."""
    progress = f"sqlite:///{tmp_path / 'progress.sqlite3'}"
    Database(progress).upgrade()
    processes = Processes(tmp_path)
    try:
        servers = rasa_and_actions(processes, trained_model, tmp_path, {"DATABASE_URL": progress},
                                   tracker_db=tmp_path / "conversations.sqlite3")
        who = f"fault-{uuid.uuid4().hex}"
        say(servers.rasa_url, who, "hello")
        reply = texts(say(servers.rasa_url, who, REJECTION))
        asked = reply[-1]
        assert asked in variants("utter_ask_role") | variants("utter_ask_interviewer") | \
            variants("utter_ask_when") | variants("utter_ask_company"), reply

        servers.processes["actions"].send_signal(signal.SIGKILL)
        servers.processes["actions"].wait(timeout=10)
        start = time.perf_counter()
        during = texts(say(servers.rasa_url, who, "skip"))
        took = time.perf_counter() - start
        assert any(t in APOLOGY for t in during), during
        assert during.count(next(t for t in during if t in APOLOGY)) == 1, "one apology per turn"
        assert took < 2.0, f"the apology took {took:.2f} s"
        record(f"action server killed: the apology came after {took * 1000:.0f} ms")

        port = servers.action_url.rsplit(":", 1)[1]
        actions = processes.start("actions-again", [sys.executable, "-m", "runner_up.action_server", "--port", port],
                                  env={"DATABASE_URL": progress})
        processes.wait_until("actions-again", actions, f"{servers.action_url}/health", limit=120)
        again = texts(say(servers.rasa_url, who, "skip"))
        assert not any(t in APOLOGY for t in again), again
        reply, _ = answer_the_form(lambda w, m: say(servers.rasa_url, w, m), who, again)
        assert reply[-1] in variants("utter_ask_checkin_consent"), f"the form finished: {reply}"
        database = Database(progress)
        with database.session() as session:
            (rejection,) = session.scalars(select(Rejection)).all()
            assert rejection.company == "Acme"
        database.dispose()
    finally:
        processes.stop()


def in_order(wanted: List[str], stored: List[str]) -> bool:
    """Whether `wanted` appear in `stored` in that order (others may be between)."""
    remaining = iter(stored)
    return all(any(item == candidate for candidate in remaining) for item in wanted)


@pytest.fixture
def cluster() -> Iterator[PrivateCluster]:
    server = PrivateCluster().start()
    yield server
    server.stop()


@pytest.mark.slow
def test_postgresql_restarted_loses_no_acknowledged_write(trained_model: Path, tmp_path: Path,
                                                           cluster: PrivateCluster) -> None:
    """Progress and conversations in PostgreSQL; it crashes (stopped without a checkpoint) and
    restarts while two conversations are talking. Every turn that was answered is in the tracker
    store, every rejection the assistant said it noted is in the progress store, and the turns
    after the restart work."""
    admin = create_engine(cluster.url, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as connection:
        connection.execute(text("CREATE DATABASE progress"))
        connection.execute(text("CREATE DATABASE tracker"))
    admin.dispose()
    base = cluster.url.rsplit("/", 1)[0]
    progress, tracker = f"{base}/progress", f"{base}/tracker"
    Database(progress).upgrade()
    processes = Processes(tmp_path)
    env = {"DATABASE_URL": progress, "TRACKER_STORE_URL": tracker}
    acknowledged: Dict[str, List[str]] = {}
    noted: Dict[str, str] = {}
    try:
        servers = rasa_and_actions(processes, trained_model, tmp_path, env, tracker_url=tracker)

        def turn(who: str, message: str) -> List[Dict]:
            reply = say(servers.rasa_url, who, message)  # a 200 with the reply: acknowledged
            acknowledged.setdefault(who, []).append(message)
            return reply

        def rejection(who: str, company: str) -> None:
            turn(who, "hello")
            reply, _ = answer_the_form(turn, who, texts(turn(who, UNNAMED)), company=company)
            assert reply[-1] in variants("utter_ask_checkin_consent"), reply
            noted[who + company] = company

        people = [f"pg-{i}-{uuid.uuid4().hex[:8]}" for i in range(4)]
        for i, who in enumerate(people[:2]):
            rejection(who, f"Before{i}")
        # Two more people keep talking while the server crashes: a turn that fails is not
        # acknowledged, and may or may not be stored; every answered one must be.
        stop, failed = threading.Event(), []

        def chatter(who: str) -> None:
            lines = ["I'm feeling a bit better today", "thanks", "what should I do next?", "not now"]
            for n in range(1000):
                if stop.is_set():
                    return
                try:
                    turn(who, f"{lines[n % len(lines)]} ({n})")
                except (AssertionError, requests.RequestException):
                    failed.append(who)
                    time.sleep(0.2)

        chatters = [threading.Thread(target=chatter, args=(f"pg-chat-{i}-{uuid.uuid4().hex[:8]}",))
                    for i in range(2)]
        for thread in chatters:
            thread.start()
        time.sleep(3)
        down = cluster.crash_and_restart()
        time.sleep(3)
        stop.set()
        for thread in chatters:
            thread.join(timeout=120)
        for who in people[:2]:  # who told us before the restart goes on talking
            turn(who, "I'm feeling a bit better today")
            turn(who, "what should I do next?")
        for i, who in enumerate(people[2:]):  # and new people come
            rejection(who, f"After{i}")
        record(f"PostgreSQL crashed and restarted ({down:.1f} s down) under 2 talking conversations: "
               f"{sum(map(len, acknowledged.values()))} turns acknowledged, {len(failed)} refused")
    finally:
        processes.stop()

    events = create_engine(tracker, future=True)
    with events.connect() as connection:
        for who, messages in acknowledged.items():
            stored = [row[0] for row in connection.execute(text(
                "SELECT data::json->>'text' FROM events WHERE sender_id = :s AND type_name = 'user' ORDER BY id"),
                {"s": f"rest:{who}"})]
            assert in_order(messages, stored), (who, stored, messages)
    events.dispose()
    database = Database(progress)
    with database.session() as session:
        companies = {r.company for r in session.scalars(select(Rejection))}
    database.dispose()
    assert set(noted.values()) <= companies, (noted, companies)
