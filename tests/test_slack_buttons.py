"""Slack buttons: Block Kit messages, the interactivity endpoint (signed `payload=` form posts of
type `block_actions`) and the hand-off to a person, against the local fake of Slack.

The endpoint's handler is called in-process with requests built as Slack builds them (the fake's
`click()` payload, form-encoded and signed like `interact()` sends it); the slow test at the end
does the same through the real servers.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any, Dict, Iterator, List, Optional, Tuple
from urllib.parse import urlencode

import pytest
import yaml
from rasa.core.channels.channel import UserMessage
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionHandOff, note_for_the_team
from runner_up import conversation_ids, slack_blocks
from runner_up.channels.slack import SlackBot, SlackInput
from runner_up.settings import ROOT
from tests.fake_slack import (
    SIGNING_SECRET,
    TEAM,
    Call,
    FakeSlack,
    click,
    deliver,
    direct_message,
    dm_channel,
    interact,
    signature,
)

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())
SIX_MINUTES = 6 * 60
HANDOFF_CHANNEL = "C0OPERATORS"


def person() -> str:
    return "U" + uuid.uuid4().hex[:10].upper()


# --- Block Kit ---


def test_buttons_become_an_actions_block_with_unique_ids_and_the_payload_as_value() -> None:
    buttons = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
    blocks = slack_blocks.with_buttons("Shall I check in <!channel> & co?", buttons)
    assert blocks[0] == {"type": "section", "text": {
        "type": "mrkdwn", "text": "Shall I check in &lt;!channel&gt; &amp; co?"}}
    assert [b["type"] for b in blocks] == ["section", "actions"]
    elements = blocks[1]["elements"]
    assert [e["value"] for e in elements] == ["/affirm", "/deny"]
    assert [e["text"] for e in elements] == [{"type": "plain_text", "text": "Yes"},
                                             {"type": "plain_text", "text": "No"}]
    assert all(e["type"] == "button" for e in elements)
    assert len({e["action_id"] for e in elements}) == 2


def test_slack_limits_are_kept_for_titles_and_the_number_of_buttons() -> None:
    buttons = [{"title": f"choice {i} " + "x" * 100, "payload": f"/inform{{\"n\": {i}}}"} for i in range(30)]
    blocks = slack_blocks.with_buttons("Pick one", buttons)
    actions = [b for b in blocks if b["type"] == "actions"]
    assert [len(b["elements"]) for b in actions] == [25, 5]
    assert len({b["block_id"] for b in actions}) == 2
    assert slack_blocks.owner_of(actions[0]["block_id"]) is None
    asked = slack_blocks.with_buttons("Pick", buttons[:2], owner="U0ASKED")
    assert slack_blocks.owner_of(asked[1]["block_id"]) == "U0ASKED"
    elements = [e for b in actions for e in b["elements"]]
    assert len({e["action_id"] for e in elements}) == 30
    assert all(len(e["text"]["text"]) <= 75 for e in elements)
    assert elements[0]["text"]["text"].endswith("…")
    assert [e["value"] for e in elements] == [b["payload"] for b in buttons], "values never cut"


def test_a_payload_too_long_for_a_value_is_left_out_not_cut() -> None:
    blocks = slack_blocks.with_buttons("Pick", [{"title": "ok", "payload": "/affirm"},
                                                {"title": "long", "payload": "/" + "x" * 2000}])
    assert [e["value"] for e in blocks[1]["elements"]] == ["/affirm"]


def test_a_chosen_message_keeps_its_text_and_says_the_choice_instead_of_the_buttons() -> None:
    blocks = slack_blocks.with_buttons("Shall I?", [{"title": "Yes <b>", "payload": "/affirm"}])
    after = slack_blocks.chosen(blocks, "Yes <b>")
    assert after[0] == blocks[0]
    assert not [b for b in after if b["type"] == "actions"]
    assert after[-1] == {"type": "context", "elements": [{"type": "mrkdwn", "text": "You chose: Yes &lt;b&gt;"}]}


def test_every_choice_question_in_the_domain_has_buttons_naming_known_intents() -> None:
    intents = set(DOMAIN["intents"])
    asked = ["utter_ask_checkin_consent", "utter_crisis_glad_safe", "utter_ask_delete_confirm",
             "utter_crisis_ask_safe", "utter_which_template", "utter_crisis_check",
             "utter_crisis_check_plain", "utter_ask_handoff_consent", "utter_vent_settled"]
    asked += [name for name in DOMAIN["responses"] if name.startswith("utter_step_") and name.endswith("_offer")]
    assert len(asked) > 30
    for name in asked:
        for variant in DOMAIN["responses"][name]:
            payloads = [b["payload"] for b in variant.get("buttons") or []]
            assert len(payloads) >= 2, f"{name}: {variant['text'][:40]}"
            for payload in payloads:
                assert payload.startswith("/") and payload[1:].split("{")[0] in intents, payload
    offer = DOMAIN["responses"]["utter_step_build_resilience_offer"][1]["buttons"]
    assert [b["payload"] for b in offer] == ["/affirm", "/another_step", "/deny"]
    drafts = DOMAIN["responses"]["utter_which_template"][0]["buttons"]
    values = {json.loads(b["payload"][len("/request_template"):])["template_type"] for b in drafts}
    assert values == set(DOMAIN["slots"]["template_type"]["values"])


# --- The interactivity endpoint, in-process ---


@pytest.fixture(scope="module")
def slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    yield fake
    fake.stop()


class Endpoint:
    """The /interactive handler of a SlackInput, with the turns it starts collected."""

    def __init__(self, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("SLACK_API_URL", fake.api_url)
        monkeypatch.delenv("REDIS_URL", raising=False)
        self.fake = fake
        self.channel = SlackInput(fake.token, slack_signing_secret=SIGNING_SECRET)
        self.messages: List[UserMessage] = []
        blueprint = self.channel.blueprint(self.on_new_message)
        self.handler = next(route.handler for route in blueprint._future_routes
                            if route.uri == "/interactive")

    async def on_new_message(self, message: UserMessage) -> None:
        self.messages.append(message)

    async def post(self, body: bytes, headers: Dict[str, str]) -> Tuple[int, str]:
        request = _Request(body, headers)
        reply = await self.handler(request)
        await asyncio.gather(*self.channel._background_tasks, return_exceptions=True)
        return reply.status, reply.body.decode()

    def send(self, payload: Optional[Dict[str, Any]] = None, *, body: Optional[bytes] = None,
             timestamp: Optional[float] = None, secret: str = SIGNING_SECRET,
             headers: Optional[Dict[str, str]] = None,
             content_type: str = "application/x-www-form-urlencoded") -> Tuple[int, str]:
        if body is None:
            body = urlencode({"payload": json.dumps(payload)}).encode()
        sent_at = str(int(time.time() if timestamp is None else timestamp))
        signed = {"X-Slack-Request-Timestamp": sent_at, "X-Slack-Signature": signature(body, sent_at, secret)}
        return asyncio.run(self.post(body, {"Content-Type": content_type,
                                            **(signed if headers is None else headers)}))


class _Request:
    """What the handler reads of a Sanic request: the raw body and the headers."""

    def __init__(self, body: bytes, headers: Dict[str, str]) -> None:
        self.body = body
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.headers.update(headers)


@pytest.fixture
def endpoint(slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> Endpoint:
    return Endpoint(slack, monkeypatch)


def posted_question(fake: FakeSlack, channel: str, thread_ts: Optional[str] = None,
                    to: str = "ignored") -> Call:
    """A question with buttons, posted by the bot's own output channel to the fake, for the
    conversation `to`."""
    bot = SlackBot(fake.token, channel, thread_ts, base_url=fake.api_url)
    text = DOMAIN["responses"]["utter_ask_checkin_consent"][0]["text"]
    buttons = DOMAIN["responses"]["utter_ask_checkin_consent"][0]["buttons"]
    asyncio.run(bot.send_text_with_buttons(to, text, buttons))
    return fake.posts(channel)[-1]


def test_a_question_with_buttons_is_posted_as_block_kit(slack: FakeSlack) -> None:
    post = posted_question(slack, dm_channel(person()))
    blocks = post.args["blocks"]
    assert [b["type"] for b in blocks] == ["section", "actions"]
    assert [e["text"]["text"] for e in blocks[1]["elements"]] == ["Yes, check in", "No, thanks"]
    assert post.args["text"] == DOMAIN["responses"]["utter_ask_checkin_consent"][0]["text"]


def test_a_click_is_the_persons_answer_in_their_dm_and_the_buttons_are_replaced(
        endpoint: Endpoint, slack: FakeSlack) -> None:
    user = person()
    post = posted_question(slack, dm_channel(user))
    status, _ = endpoint.send(click(post, user, "Yes, check in"))
    assert status == 200
    [message] = endpoint.messages
    assert message.text == "/affirm"
    assert message.sender_id == conversation_ids.slack(TEAM, user)
    assert message.input_channel == "slack"
    assert message.output_channel.slack_channel == dm_channel(user)
    assert message.output_channel.thread_id is None

    [update] = slack.updates(dm_channel(user))
    assert update.args["ts"] == post.response["ts"]
    assert "as_user" not in update.args
    blocks = update.args["blocks"]
    assert not [b for b in blocks if b["type"] == "actions"], "the buttons are gone"
    assert blocks[0] == post.args["blocks"][0]
    assert blocks[-1]["elements"][0]["text"] == "You chose: Yes, check in"


def test_a_click_is_handled_once(endpoint: Endpoint, slack: FakeSlack) -> None:
    user = person()
    post = posted_question(slack, dm_channel(user))
    payload = click(post, user, "No, thanks")
    assert endpoint.send(payload) == (200, "")
    assert endpoint.send(payload) == (200, "duplicate"), "Slack's retry or a replay"
    assert endpoint.send(click(post, user, "Yes, check in"))[1] == "duplicate", "a second click"
    assert [m.text for m in endpoint.messages] == ["/deny"]
    assert len(slack.updates(dm_channel(user))) == 1


def test_in_a_thread_a_click_is_the_clickers_own_not_the_owners(endpoint: Endpoint,
                                                                slack: FakeSlack) -> None:
    owner, other, channel = person(), person(), "C" + uuid.uuid4().hex[:10].upper()
    thread = f"{time.time():.6f}"
    post = posted_question(slack, channel, thread, to=conversation_ids.slack(TEAM, owner, channel, thread))
    assert post.args["thread_ts"] == thread
    assert endpoint.send(click(post, other, "Yes, check in"))[0] == 200
    [message] = endpoint.messages
    assert message.sender_id == conversation_ids.slack(TEAM, other, channel, thread)
    assert message.output_channel.thread_id == thread
    assert not slack.updates(channel), "the owner's buttons stay for the owner"

    assert endpoint.send(click(post, owner, "No, thanks"))[0] == 200
    assert [m.sender_id for m in endpoint.messages][1] == conversation_ids.slack(TEAM, owner, channel, thread)
    assert endpoint.messages[1].text == "/deny"
    [update] = slack.updates(channel)
    assert update.args["blocks"][-1]["elements"][0]["text"] == "You chose: No, thanks"


@pytest.mark.parametrize("how", ["wrong secret", "six minutes old", "six minutes ahead",
                                 "body changed after signing", "no signature headers"])
def test_forged_stale_or_unsigned_clicks_are_refused(endpoint: Endpoint, slack: FakeSlack,
                                                     how: str) -> None:
    user = person()
    payload = click(posted_question(slack, dm_channel(user)), user, "Yes, check in")
    if how == "wrong secret":
        status, _ = endpoint.send(payload, secret="not-the-signing-secret")
    elif how == "six minutes old":
        status, _ = endpoint.send(payload, timestamp=time.time() - SIX_MINUTES)
    elif how == "six minutes ahead":
        status, _ = endpoint.send(payload, timestamp=time.time() + SIX_MINUTES)
    elif how == "body changed after signing":
        now = str(int(time.time()))
        other = urlencode({"payload": json.dumps({**payload, "actions": []})}).encode()
        status, _ = endpoint.send(payload, headers={"X-Slack-Request-Timestamp": now,
                                                    "X-Slack-Signature": signature(other, now)})
    else:
        status, _ = endpoint.send(payload, headers={})
    assert status == 401
    assert not endpoint.messages and not slack.updates(dm_channel(user))
    assert endpoint.send(payload) == (200, ""), "the refused click was not taken as seen"


@pytest.mark.parametrize("body, content_type, why", [
    (b'{"type": "block_actions"}', "application/json", "application/x-www-form-urlencoded"),
    (b"payload=%7Bnot+json", "application/x-www-form-urlencoded", "payload"),
    (b"text=hello", "application/x-www-form-urlencoded", "payload"),
    (urlencode({"payload": "[1, 2]"}).encode(), "application/x-www-form-urlencoded", "payload"),
    (urlencode({"payload": json.dumps({"type": "block_actions", "actions": []})}).encode(),
     "application/x-www-form-urlencoded", "actions"),
    (urlencode({"payload": json.dumps({"type": "block_actions", "user": "U1", "actions": [
        {"type": "button", "value": "/affirm", "action_ts": "1.2"}]})}).encode(),
     "application/x-www-form-urlencoded", "user"),
    (urlencode({"payload": json.dumps({"type": "block_actions", "user": {"id": "default"},
                                       "team": {"id": TEAM},
                                       "container": {"type": "message", "channel_id": "D0A",
                                                     "message_ts": "1.2"},
                                       "actions": [{"type": "button", "value": "/affirm",
                                                    "action_ts": "1.3"}]})}).encode(),
     "application/x-www-form-urlencoded", "user"),
    (urlencode({"payload": json.dumps({"type": "block_actions", "actions": [
        {"type": "static_select", "action_ts": "1.2"}]})}).encode(),
     "application/x-www-form-urlencoded", "button"),
])
def test_malformed_clicks_get_a_400_that_says_why(endpoint: Endpoint, body: bytes,
                                                  content_type: str, why: str) -> None:
    status, text = endpoint.send(body=body, content_type=content_type)
    assert status == 400 and why in text, text
    assert not endpoint.messages


def test_other_interactions_and_link_buttons_are_acknowledged_and_ignored(endpoint: Endpoint) -> None:
    for payload in ({"type": "shortcut", "callback_id": "x", "trigger_id": "1.2.3"},
                    {"type": "block_actions", "container": {"type": "view", "view_id": "V1"},
                     "actions": [{"type": "button", "value": "/affirm", "action_ts": "1.2"}]},
                    {"type": "block_actions", "container": {"type": "message"},
                     "actions": [{"type": "button", "url": "https://example.org", "action_ts": "1.2"}]}):
        assert endpoint.send(payload) == (200, "ignored")
    assert not endpoint.messages


def test_a_failed_update_is_logged_and_the_click_still_answered(
        endpoint: Endpoint, slack: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    user = person()
    payload = click(posted_question(slack, dm_channel(user)), user, "Yes, check in")
    payload["container"]["message_ts"] = "1.000001"  # no such message: chat.update fails
    assert endpoint.send(payload)[0] == 200
    assert [m.text for m in endpoint.messages] == ["/affirm"]
    assert "could not take the buttons off Slack message 1.000001" in caplog.text


# --- Hand-off to a person ---


def tracker(sender: str, intent: str, asked: bool = False, channel: str = "slack") -> Tracker:
    return Tracker(sender, {"handoff_asked": asked}, {"intent": {"name": intent}, "text": "whatever I typed"},
                   [{"event": "user", "text": "x", "input_channel": channel}], False, None, {}, "action_listen")


def hand_off(env: Dict[str, str], track: Tracker) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionHandOff(env).run(dispatcher, track, {}))
    return dispatcher.messages, events


def responses(messages: List[Dict[str, Any]]) -> List[str]:
    return [m.get("response") for m in messages]


def test_hand_off_to_the_teams_slack_channel_asks_first_then_sends_no_message_text(
        slack: FakeSlack) -> None:
    user = person()
    env = {"RUNNER_UP_HANDOFF_SLACK_CHANNEL": HANDOFF_CHANNEL, "SLACK_BOT_TOKEN": slack.token,
           "SLACK_API_URL": slack.api_url}
    sender = conversation_ids.slack(TEAM, user)
    messages, events = hand_off(env, tracker(sender, "talk_to_human"))
    assert responses(messages) == ["utter_ask_handoff_consent"]
    assert events == [{"event": "slot", "timestamp": None, "name": "handoff_asked", "value": True}]
    assert not slack.posts(HANDOFF_CHANNEL), "nothing is sent before the yes"

    messages, events = hand_off(env, tracker(sender, "affirm", asked=True))
    assert responses(messages) == ["utter_handoff_sent"]
    assert events[0]["value"] is False
    [post] = [p for p in slack.posts(HANDOFF_CHANNEL) if user in p.args["text"]]
    assert f"<@{user}>" in post.args["text"] and "direct message" in post.args["text"]
    assert "whatever I typed" not in json.dumps(post.args), "no message text"
    assert set(post.args) <= {"channel", "text"}


def test_hand_off_from_the_web_names_the_conversation_escaped() -> None:
    note = note_for_the_team("rest:<!channel> me", "rest")
    assert "`rest:&lt;!channel&gt; me`" in note and "REST" in note
    web = note_for_the_team("web:" + "a" * 32, "socketio")
    assert "web chat" in web and "web:" + "a" * 32 in web


def test_hand_off_declined_sends_nothing(slack: FakeSlack) -> None:
    env = {"RUNNER_UP_HANDOFF_SLACK_CHANNEL": HANDOFF_CHANNEL, "SLACK_BOT_TOKEN": slack.token,
           "SLACK_API_URL": slack.api_url}
    before = len(slack.posts(HANDOFF_CHANNEL))
    messages, events = hand_off(env, tracker("rest:someone", "deny", asked=True))
    assert responses(messages) == ["utter_handoff_declined"]
    assert events[0]["value"] is False
    assert len(slack.posts(HANDOFF_CHANNEL)) == before


def test_a_failed_hand_off_is_said_honestly(slack: FakeSlack) -> None:
    env = {"RUNNER_UP_HANDOFF_SLACK_CHANNEL": HANDOFF_CHANNEL, "SLACK_BOT_TOKEN": "xoxb-wrong",
           "SLACK_API_URL": slack.api_url}
    messages, _ = hand_off(env, tracker("rest:someone", "affirm", asked=True))
    assert responses(messages) == ["utter_handoff_failed"]
    unreachable = {**env, "SLACK_BOT_TOKEN": slack.token, "SLACK_API_URL": "http://127.0.0.1:9/api/"}
    messages, _ = hand_off(unreachable, tracker("rest:someone", "affirm", asked=True))
    assert responses(messages) == ["utter_handoff_failed"]


def test_hand_off_with_a_link_gives_it_and_sends_nothing() -> None:
    messages, events = hand_off({"RUNNER_UP_HANDOFF_URL": "https://example.org/talk"},
                                tracker("rest:someone", "talk_to_human"))
    assert responses(messages) == ["utter_handoff_link"]
    assert messages[0]["url"] == "https://example.org/talk"
    assert events == [{"event": "slot", "timestamp": None, "name": "handoff_asked", "value": False}]


def test_hand_off_without_anything_configured_says_so_and_gives_the_helplines() -> None:
    messages, _ = hand_off({"SLACK_BOT_TOKEN": "xoxb-1"}, tracker("rest:someone", "talk_to_human"))
    assert responses(messages) == ["utter_handoff_none", "utter_crisis_resources"]
    text = DOMAIN["responses"]["utter_handoff_none"][0]["text"]
    assert "no person is connected" in text


@pytest.mark.parametrize("text, asks", [
    ("am I talking to a human", True), ("is this a real person", True), ("are you human?", True),
    ("r u a bot", True), ("is this a human or a bot?", True),
    ("can i talk to a real person", False), ("is there a human i can talk to", False),
    ("i want to speak to someone", False), ("am i able to get a human", False),
    ("could a person from the team get in touch with me", False),
])
def test_asking_what_the_assistant_is_is_not_asking_for_a_person(text: str, asks: bool) -> None:
    from runner_up.nlu.said_outright import asks_what_it_is

    assert asks_what_it_is(text) is asks


def test_the_hand_off_responses_tell_what_happens_next() -> None:
    link = DOMAIN["responses"]["utter_handoff_link"][0]["text"]
    assert "{url}" in link and "haven't sent them anything" in link
    assert "nobody has been told" in DOMAIN["responses"]["utter_handoff_failed"][0]["text"]
    assert "nothing you wrote" in DOMAIN["responses"]["utter_handoff_sent"][0]["text"]
    assert "nothing you wrote" in DOMAIN["responses"]["utter_handoff_sent_here"][0]["text"]


# --- Through the running servers (conftest's `servers`, Slack at the session's fake) ---


def wait_for_user_text(servers: Any, conversation: str, text: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while text not in [e.get("text") for e in servers.tracker(conversation)["events"] if e["event"] == "user"]:
        assert time.monotonic() < deadline, f"{text!r} not handled in {conversation} within {timeout} s"
        time.sleep(0.2)


@pytest.mark.slow
def test_a_slack_button_click_is_answered_as_the_typed_answer(servers: Any, fake_slack: FakeSlack) -> None:
    """A signed DM asks for a deletion; the confirmation comes with buttons; a signed click on
    "No, keep it" is answered in the DM as a typed "no" is, and its buttons are gone."""
    question = DOMAIN["responses"]["utter_ask_delete_confirm"][0]["text"]
    kept = DOMAIN["responses"]["utter_delete_kept"][0]["text"]
    webhook = f"{servers.rasa_url}/webhooks/slack/webhook"
    interactive = f"{servers.rasa_url}/webhooks/slack/interactive"

    user, typist = person(), person()
    for who in (user, typist):
        assert deliver(webhook, direct_message(who, "delete my data")).status_code == 200
    post = fake_slack.wait_for(lambda: [p for p in fake_slack.posts(dm_channel(user))
                                        if p.args.get("text") == question])[0]
    actions = [b for b in post.args["blocks"] if b["type"] == "actions"]
    assert [e["text"]["text"] for e in actions[0]["elements"]] == ["Yes, delete it all", "No, keep it"]

    payload = click(post, user, "No, keep it")
    assert set(payload) >= {"type", "user", "team", "container", "channel", "message", "actions",
                            "trigger_id", "response_url", "api_app_id"}
    reply = interact(interactive, payload)
    assert reply.status_code == 200, reply.text
    assert reply.elapsed.total_seconds() < 3, "Slack shows an error for what is not acknowledged in 3 s"

    answers = fake_slack.wait_for(lambda: [p for p in fake_slack.posts(dm_channel(user))
                                           if p.args.get("text") == kept])
    assert len(answers) == 1 and "thread_ts" not in answers[0].args
    [update] = fake_slack.updates(dm_channel(user))
    assert update.args["ts"] == post.response["ts"]
    assert not [b for b in update.args["blocks"] if b["type"] == "actions"]
    assert update.args["blocks"][-1]["elements"][0]["text"] == "You chose: No, keep it"
    wait_for_user_text(servers, conversation_ids.slack(TEAM, user), "/deny")

    # The same answer typed: the same reply (the button is a shortcut, not another path).
    fake_slack.wait_for(lambda: [p for p in fake_slack.posts(dm_channel(typist)) if p.args.get("text") == question])
    assert deliver(webhook, direct_message(typist, "no")).status_code == 200
    fake_slack.wait_for(lambda: [p for p in fake_slack.posts(dm_channel(typist)) if p.args.get("text") == kept])

    # Clicked again (a replay, or a second click before the update arrived): not answered twice.
    assert interact(interactive, click(post, user, "Yes, delete it all")).text == "duplicate"
    assert deliver(webhook, direct_message(user, "thank you")).status_code == 200
    wait_for_user_text(servers, conversation_ids.slack(TEAM, user), "thank you")
    said = [e.get("text") for e in servers.tracker(conversation_ids.slack(TEAM, user))["events"]
            if e["event"] == "user"]
    assert said == ["delete my data", "/deny", "thank you"], "nothing deleted, nothing twice"

    forged = interact(interactive, payload, secret="not-the-signing-secret")
    assert forged.status_code == 401


@pytest.mark.slow
def test_talk_to_a_human_without_a_team_channel_is_told_honestly(servers: Any) -> None:
    replies = [r.get("text") for r in servers.say("handoff-" + uuid.uuid4().hex[:8], "can i talk to a real person")]
    assert DOMAIN["responses"]["utter_handoff_none"][0]["text"] in replies, replies
    assert any("findahelpline.com" in (text or "") or "988" in (text or "") for text in replies)
