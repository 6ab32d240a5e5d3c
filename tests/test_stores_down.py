"""A crisis message with a store down, through the real server, on REST, the web chat and Slack:
the person always gets the care message and the helplines, anyone else an honest "something is
broken" (never silence, never a 500 page). Each test kills one store of its own, sends, and brings
the store back: the conversation store (PostgreSQL), the lock store (Redis) and the progress store
(PostgreSQL). runner_up/channels/fail_safe.py is what answers when a turn cannot run.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest
import requests

from runner_up.channels.fail_safe import CARE_TEXT, FAILED_TEXT
from runner_up.runner import Processes
from runner_up.store.db import Database
from tests.dialogue import texts, variants
from tests.fake_slack import SIGNING_SECRET, FakeSlack, deliver, direct_message, dm_channel
from tests.fault_tools import PrivateCluster, PrivateRedis, record
from tests.launch import Servers, rasa_and_actions, rest_headers

CRISIS = "i cant do this anymore, i want to end my life"
CARE = variants("utter_crisis_care") | {CARE_TEXT}
TURN_FAILED = variants("utter_turn_failed") | {FAILED_TEXT}
# The conversation store gives up after this long; a crisis is answered before (at 5 s).
STORE_RETRY_SECONDS = 8


def cared_for(said: List[str]) -> bool:
    """The care message, then the helplines (the international ones: no country is known)."""
    return len(said) >= 2 and said[0] in CARE and "findahelpline.com" in said[1]


class Stores:
    """Rasa and the action server on stores of the test's own, which it can kill."""

    def __init__(self, servers: Servers, conversations: PrivateCluster, progress: PrivateCluster,
                 redis: PrivateRedis, slack: FakeSlack) -> None:
        self.servers, self.conversations, self.progress, self.redis = servers, conversations, progress, redis
        self.slack = slack

    def rest(self, text: str) -> Tuple[int, List[str], float]:
        start = time.perf_counter()
        response = requests.post(f"{self.servers.rasa_url}/webhooks/rest/webhook", headers=rest_headers(),
                                 json={"sender": f"down-{uuid.uuid4().hex}", "message": text}, timeout=120)
        return response.status_code, texts(response.json()), time.perf_counter() - start

    def web(self, text: str, count: int = 2, wait: float = 30) -> Tuple[List[str], float]:
        return asyncio.run(web_chat(self.servers.rasa_url, text, count, wait))

    def slack_dm(self, text: str, wait: float = 30) -> Tuple[List[str], float]:
        user = "U" + uuid.uuid4().hex[:10].upper()
        start = time.perf_counter()
        assert deliver(f"{self.servers.rasa_url}/webhooks/slack/webhook", direct_message(user, text)).status_code == 200
        deadline = time.monotonic() + wait
        while len(self.slack.posts(dm_channel(user))) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        said = [post.args["text"] for post in self.slack.posts(dm_channel(user))]
        return said, time.perf_counter() - start


async def web_chat(rasa_url: str, text: str, count: int, wait: float) -> Tuple[List[str], float]:
    """A fresh web chat session says `text`; what came back within `wait` s (or once `count` did)."""
    import socketio

    client = socketio.AsyncClient(reconnection=False)
    confirmed: "asyncio.Queue[Any]" = asyncio.Queue()
    said: List[str] = []
    enough = asyncio.Event()

    def uttered(message: Dict[str, Any]) -> None:
        said.append(message.get("text", ""))
        if len(said) >= count:
            enough.set()

    client.on("session_confirm", confirmed.put)
    client.on("bot_uttered", uttered)
    await client.connect(rasa_url, transports=["polling"], socketio_path="/socket.io/", wait_timeout=10)
    try:
        await client.emit("session_request", {})
        await asyncio.wait_for(confirmed.get(), 10)
        start = time.perf_counter()
        await client.emit("user_uttered", {"message": text})
        try:
            await asyncio.wait_for(enough.wait(), wait)
        except asyncio.TimeoutError:
            pass
        return said, time.perf_counter() - start
    finally:
        await client.eio.disconnect(abort=True)


@pytest.fixture(scope="module")
def stores(trained_model: Path, fake_slack: FakeSlack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stores]:
    workdir = tmp_path_factory.mktemp("stores-down")
    conversations, progress = PrivateCluster().start(), PrivateCluster().start()
    redis = PrivateRedis(workdir).start()
    processes = Processes(workdir)
    try:
        tracker_url, progress_url = conversations.database("tracker"), progress.database("progress")
        Database(progress_url).upgrade()
        env = {"DATABASE_URL": progress_url, "REDIS_URL": redis.url,
               "RUNNER_UP_STORE_RETRY_SECONDS": str(STORE_RETRY_SECONDS),
               "SLACK_BOT_TOKEN": fake_slack.token, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
               "SLACK_API_URL": fake_slack.api_url}
        servers = rasa_and_actions(processes, trained_model, workdir, env, tracker_url=tracker_url,
                                   lock_url=redis.url)
        yield Stores(servers, conversations, progress, redis, fake_slack)
    finally:
        processes.stop()
        redis.stop()
        for cluster in (conversations, progress):
            cluster.stop()


def every_channel_cares(stores: Stores, store: str) -> None:
    """A crisis on REST, the web chat and Slack gets the care and the helplines; "hello" on REST
    and the web chat an honest "something is broken"; REST says 503 (nothing was stored)."""
    status, said, took = stores.rest(CRISIS)
    assert status == 503 and cared_for(said), (status, said)
    record(f"{store} down: a crisis message on REST got the care and helplines after {took:.1f} s (503)")
    said, took = stores.web(CRISIS)
    assert cared_for(said), said
    record(f"{store} down: a crisis message on the web chat got the care and helplines after {took:.1f} s")
    said, took = stores.slack_dm(CRISIS)
    assert cared_for(said), said
    record(f"{store} down: a crisis message on Slack got the care and helplines after {took:.1f} s")
    status, said, took = stores.rest("hello")
    assert status == 503 and said and said[0] in TURN_FAILED, (status, said)
    said, _ = stores.web("hello", count=1, wait=STORE_RETRY_SECONDS + 20)
    assert said and said[0] in TURN_FAILED, said
    record(f"{store} down: 'hello' on REST was told something is broken after {took:.1f} s (503)")


def back_to_normal(stores: Stores) -> None:
    status, said, _ = stores.rest("hello")
    assert status == 200 and said and not set(said) & (TURN_FAILED | CARE), (status, said)


@pytest.mark.slow
def test_the_lock_store_down(stores: Stores) -> None:
    stores.redis.stop()
    try:
        every_channel_cares(stores, "lock store (Redis)")
    finally:
        stores.redis.start()
    back_to_normal(stores)


@pytest.mark.slow
def test_the_conversation_store_down(stores: Stores) -> None:
    stores.conversations.crash()
    try:
        every_channel_cares(stores, "conversation store (PostgreSQL)")
    finally:
        stores.conversations.resume()
    back_to_normal(stores)


@pytest.mark.slow
def test_the_progress_store_down(stores: Stores) -> None:
    """The turn runs (Rasa's own stores are up): the crisis rules answer as always, and a
    greeting carries on without the progress features, saying so."""
    stores.progress.crash()
    try:
        status, said, took = stores.rest(CRISIS)
        assert status == 200 and cared_for(said), (status, said)
        record(f"progress store (PostgreSQL) down: a crisis message on REST got the care and helplines "
               f"after {took:.1f} s (the crisis rules, as usual)")
        said, _ = stores.web(CRISIS)
        assert cared_for(said), said
        said, _ = stores.slack_dm(CRISIS)
        assert cared_for(said), said
        status, said, _ = stores.rest("hello")
        assert status == 200 and set(said) & variants("utter_progress_unavailable"), said
    finally:
        stores.progress.resume()
    back_to_normal(stores)
