"""The Slack channel, through the real Rasa server, against a local fake of Slack.

Events are delivered as Slack delivers them (event_callback envelopes, v0 signatures, retry
headers); replies are read from what the fake Web API recorded. To show that something did *not*
happen (a forged event answered, a retry answered twice), each such test then sends a valid
"barrier" message from the same person and waits until Rasa has stored it: Rasa handles one
person's messages in order, so by then anything the earlier request set off has finished.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
import yaml
from rasa.core.channels.channel import UserMessage

from runner_up import conversation_ids
from runner_up.channels import credentials, write_credentials
from runner_up.channels.slack import InMemorySeenEvents, RedisSeenEvents, SlackInput
from runner_up.settings import ROOT
from tests.fault_tools import PrivateRedis
from tests.launch import Servers
from tests.fake_slack import (
    BOT_ID,
    BOT_USER,
    TEAM,
    FakeSlack,
    deliver,
    direct_message,
    dm_channel,
    mention,
    new_ts,
    signature,
)

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())
GREETING = DOMAIN["responses"]["utter_greet"][0]["text"]
SIX_MINUTES = 6 * 60


def person() -> str:
    """A fresh Slack user id, so every test has its own conversation and DM channel."""
    return "U" + uuid.uuid4().hex[:10].upper()


def webhook(servers: Servers) -> str:
    return f"{servers.rasa_url}/webhooks/slack/webhook"


def dm(user: str) -> str:
    """The conversation id of `user`'s DM with the app."""
    return conversation_ids.slack(TEAM, user)


def user_texts(servers: Servers, conversation: str) -> List[str]:
    """What the person said in `conversation`, as Rasa stored it."""
    return [event.get("text") for event in servers.tracker(conversation)["events"] if event["event"] == "user"]


def wait_until_stored(servers: Servers, conversation: str, text: str, timeout: float = 90) -> List[str]:
    """Polls the tracker until Rasa stored `text` in `conversation` (it stores after replying)."""
    deadline = time.monotonic() + timeout
    while text not in (said := user_texts(servers, conversation)):
        assert time.monotonic() < deadline, f"{text!r} not handled within {timeout} s: {said}"
        time.sleep(0.2)
    return said


def barrier(servers: Servers, user: str) -> Dict[str, str]:
    """A valid threaded DM from `user`, waited for until handled; returns its thread."""
    thread_ts = new_ts()
    reply = deliver(webhook(servers), direct_message(user, "thank you", thread_ts=thread_ts))
    assert reply.status_code == 200, reply.text
    wait_until_stored(servers, dm(user), "thank you")
    return {"channel": dm_channel(user), "thread_ts": thread_ts}


# --- Through the running server ---


@pytest.mark.slow
def test_url_verification_challenge_is_answered(servers: Servers) -> None:
    challenge = {"token": "XXYYZZverificationtokenXX", "type": "url_verification",
                 "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
    reply = deliver(webhook(servers), challenge)
    assert reply.status_code == 200
    assert reply.json() == {"challenge": challenge["challenge"]}

    forged = deliver(webhook(servers), challenge, secret="not-the-signing-secret")
    assert forged.status_code == 401


@pytest.mark.slow
def test_direct_message_is_answered_in_the_dm(servers: Servers, fake_slack: FakeSlack) -> None:
    user = person()
    reply = deliver(webhook(servers), direct_message(user, "hello"))
    assert reply.status_code == 200, reply.text
    assert reply.elapsed.total_seconds() < 3, "Slack retries what is not acknowledged within 3 s"

    post = fake_slack.wait_for_posts(dm_channel(user))[0]
    assert post.args["text"] == GREETING
    assert "thread_ts" not in post.args, "a DM is answered in the conversation, not in a thread"
    assert post.token == fake_slack.token


@pytest.mark.slow
def test_mention_is_answered_in_a_thread_in_that_channel(servers: Servers,
                                                         fake_slack: FakeSlack) -> None:
    user, channel = person(), "C" + uuid.uuid4().hex[:10].upper()
    event = mention(user, channel, "hello")
    reply = deliver(webhook(servers), event)
    assert reply.status_code == 200, reply.text

    post = fake_slack.wait_for_posts(channel)[0]
    assert post.args["text"] == GREETING
    assert post.args["thread_ts"] == event["event"]["ts"]
    thread = conversation_ids.slack(TEAM, user, channel, event["event"]["ts"])
    assert wait_until_stored(servers, thread, "hello") == ["hello"], "the bot's own mention is cut"
    assert not fake_slack.posts(dm_channel(user))


@pytest.mark.slow
@pytest.mark.parametrize("how", ["wrong secret", "six minutes old", "six minutes ahead",
                                 "body changed after signing", "no signature headers"])
def test_forged_or_replayed_requests_are_refused(servers: Servers, fake_slack: FakeSlack,
                                                 how: str) -> None:
    user = person()
    event = direct_message(user, "they turned me down")
    url = webhook(servers)
    if how == "wrong secret":
        reply = deliver(url, event, secret="not-the-signing-secret")
    elif how == "six minutes old":
        reply = deliver(url, event, timestamp=time.time() - SIX_MINUTES)
    elif how == "six minutes ahead":
        reply = deliver(url, event, timestamp=time.time() + SIX_MINUTES)
    elif how == "body changed after signing":
        now = str(int(time.time()))
        signed = json.dumps(direct_message(user, "hi")).encode()
        reply = deliver(url, event, headers={"X-Slack-Request-Timestamp": now,
                                             "X-Slack-Signature": signature(signed, now)})
    else:
        reply = deliver(url, event, headers={})
    assert reply.status_code == 401, reply.text

    thread = barrier(servers, user)
    assert user_texts(servers, dm(user)) == ["thank you"], "the refused message never reached Rasa"
    posts = fake_slack.posts(dm_channel(user))
    assert posts, "the barrier was answered"
    assert all(post.args.get("thread_ts") == thread["thread_ts"] for post in posts)


@pytest.mark.slow
@pytest.mark.parametrize("reason", ["http_error", "http_timeout", "too_many_requests"])
def test_a_retried_event_is_answered_once(servers: Servers, fake_slack: FakeSlack,
                                          reason: str) -> None:
    user = person()
    event = direct_message(user, "hello")
    assert deliver(webhook(servers), event).status_code == 200
    wait_until_stored(servers, dm(user), "hello")
    answered = len(fake_slack.posts(dm_channel(user)))
    assert answered >= 1

    for attempt in (1, 2):
        retry = deliver(webhook(servers), event, retry=(attempt, reason))
        assert retry.status_code == 200, retry.text
        assert retry.headers.get("X-Slack-No-Retry") == "1"

    thread = barrier(servers, user)
    assert user_texts(servers, dm(user)) == ["hello", "thank you"]
    unthreaded = [post for post in fake_slack.posts(dm_channel(user))
                  if post.args.get("thread_ts") != thread["thread_ts"]]
    assert len(unthreaded) == answered, "no second reply to the retried event"


@pytest.mark.slow
def test_own_messages_and_edits_are_not_answered(servers: Servers, fake_slack: FakeSlack) -> None:
    user = person()
    own = direct_message(user, GREETING)
    own["event"].update({"user": BOT_USER, "bot_id": BOT_ID})
    edit = direct_message(user, "hello")
    edit["event"].update({"subtype": "message_changed", "hidden": True,
                          "message": {"type": "message", "user": user, "text": "hello!",
                                      "ts": edit["event"]["ts"]}})
    bot_message = direct_message(user, "hello")
    bot_message["event"].update({"subtype": "bot_message", "bot_id": "B0OTHERBOT"})
    bot_message["event"].pop("user")
    for payload in (own, edit, bot_message):
        reply = deliver(webhook(servers), payload)
        assert reply.status_code == 200, reply.text  # acknowledged, so Slack does not retry

    thread = barrier(servers, user)
    assert user_texts(servers, dm(user)) == ["thank you"]
    assert all(post.args.get("thread_ts") == thread["thread_ts"]
               for post in fake_slack.posts(dm_channel(user)))


@pytest.mark.slow
def test_a_check_in_is_posted_to_the_persons_dm(servers: Servers, fake_slack: FakeSlack) -> None:
    """A real check-in (a row in the store, delivered by the scheduler's code through
    trigger_intent?output_channel=slack) goes to the DM channel conversations.open returns."""
    from tests.send_checkin import send_checkin

    user = person()
    assert send_checkin(servers.database_url, servers.rasa_url, "slack", dm(user), "Initech") == "sent"

    opened = [call for call in fake_slack.calls
              if call.method == "conversations.open" and call.args.get("users") == user]
    assert len(opened) == 1 and opened[0].response["ok"]
    dm_id = opened[0].response["channel"]["id"]
    assert dm_id != user
    check_ins = {v["text"].format(company="Initech") for v in DOMAIN["responses"]["utter_checkin"]
                 if not v.get("condition")}
    assert [post.args["text"] for post in fake_slack.posts(dm_id)] in ([t] for t in check_ins)
    assert not [call for call in fake_slack.calls
                if call.method == "chat.postMessage" and call.args.get("channel") == user]


# --- Without the server ---


def test_slack_credentials_only_with_both_secrets(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    key = "runner_up.channels.slack.SlackInput"
    assert key not in credentials({})
    assert key not in credentials({"SLACK_BOT_TOKEN": "xoxb-1"})
    assert key not in credentials({"SLACK_SIGNING_SECRET": "s"})

    env = {"SLACK_BOT_TOKEN": "xoxb-1-secret-token", "SLACK_SIGNING_SECRET": "signing-secret-value"}
    path = write_credentials(tmp_path / "credentials.yml", env)
    assert "xoxb-1-secret-token" not in path.read_text()
    assert "signing-secret-value" not in path.read_text()

    import rasa.shared.utils.io

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    read = rasa.shared.utils.io.read_config_file(path)
    assert read[key] == {"slack_token": "xoxb-1-secret-token",
                         "slack_signing_secret": "signing-secret-value"}


def test_without_a_live_channel_the_reply_goes_to_a_dm_not_a_configured_channel() -> None:
    channel = SlackInput("xoxb-1", slack_channel="C0CONFIGURED", slack_signing_secret="s")
    assert channel.get_output_channel().slack_channel is None  # opened per person when sending
    assert channel.get_output_channel("C0LIVE", "1.2").slack_channel == "C0LIVE"


def test_a_turn_that_fails_in_the_background_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    channel = SlackInput("xoxb-1", slack_signing_secret="s")

    async def fail(message: UserMessage) -> None:
        raise RuntimeError("the action server is down")

    async def run() -> None:
        channel._handle_in_background(fail, UserMessage("hello"))
        await asyncio.gather(*channel._background_tasks, return_exceptions=True)

    with caplog.at_level(logging.ERROR, logger="runner_up.channels.slack"):
        asyncio.run(run())
    assert "A Slack message could not be handled" in caplog.text
    assert "RuntimeError: the action server is down" in caplog.text
    assert not channel._background_tasks

def test_seen_events_in_memory_expire_after_the_ttl() -> None:
    now = [1000.0]
    seen = InMemorySeenEvents(ttl=3600, clock=lambda: now[0])

    async def run() -> List[bool]:
        first = [await seen.first_delivery("Ev1"), await seen.first_delivery("Ev1"),
                 await seen.first_delivery("Ev2")]
        now[0] += 3599
        before = await seen.first_delivery("Ev1")
        now[0] += 2
        return [*first, before, await seen.first_delivery("Ev1")]

    assert asyncio.run(run()) == [True, False, True, False, True]


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A throwaway redis-server on a free port (skipped where Redis is not installed)."""
    server = PrivateRedis(tmp_path).start()
    try:
        yield server.url
    finally:
        server.stop()


def test_seen_events_in_redis_are_shared_by_replicas(redis_url: str) -> None:
    async def run() -> List[object]:
        replica_a, replica_b = RedisSeenEvents.from_url(redis_url), RedisSeenEvents.from_url(redis_url)
        try:
            answers = [await replica_a.first_delivery("Ev1"), await replica_b.first_delivery("Ev1"),
                       await replica_b.first_delivery("Ev2")]
            ttl = await replica_a._client.ttl("runner-up:slack-event:Ev1")
            return [*answers, 3500 < ttl <= 3600]
        finally:
            for replica in (replica_a, replica_b):
                await replica._client.connection_pool.disconnect()

    assert asyncio.run(run()) == [True, False, True, True]



def test_manifest_asks_for_what_the_channel_uses_and_no_more() -> None:
    manifest = yaml.safe_load((ROOT / "slack" / "manifest.yml").read_text())
    events = manifest["settings"]["event_subscriptions"]
    assert events["request_url"].endswith(f"/webhooks/{SlackInput.name()}/webhook")
    assert sorted(events["bot_events"]) == ["app_mention", "message.im"]
    interactivity = manifest["settings"]["interactivity"]
    assert interactivity["is_enabled"] is True
    assert interactivity["request_url"].endswith(f"/webhooks/{SlackInput.name()}/interactive")
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == [
        "app_mentions:read", "chat:write", "files:write", "im:history", "im:write"]
    home = manifest["features"]["app_home"]
    assert home["messages_tab_enabled"] and not home["messages_tab_read_only_enabled"]
