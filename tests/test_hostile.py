"""Bad input (issue 7): the hostile corpus of runner_up.hostile through REST, socket.io, Slack and
/model/parse of the real server, and the input checks it relies on, one by one."""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from types import SimpleNamespace
from typing import Any, Dict

import pytest
import requests
from rasa.server import ErrorResponse
from sanic.exceptions import InvalidUsage, PayloadTooLarge

from runner_up import hostile
from runner_up.channels import http_api, rest
from runner_up.channels.slack import TOO_LONG, envelope_problem, message_problem
from runner_up.channels.webchat import WebChatInput, checked_metadata
from tests.fake_slack import SIGNING_SECRET, dm_channel, signature
from tests.launch import rest_headers

# --- The corpus itself ---


def test_corpus_has_at_least_200_cases_over_every_channel() -> None:
    cases = hostile.corpus()
    per_channel = Counter(case.channel for case in cases)
    assert len(cases) >= 200
    assert min(per_channel[c] for c in ("rest", "socketio", "slack")) >= 50, per_channel
    assert {case.expect for case in cases} == {hostile.REFUSED, hostile.ANSWERED, hostile.IGNORED}


def test_corpus_covers_what_issue_7_lists() -> None:
    kinds = {(case.channel, case.kind) for case in hostile.corpus()}
    for channel in ("rest", "socketio", "slack"):
        for kind in ("empty", "size", "utf8" if channel != "slack" else "json", "control", "rtl",
                     "markup", "sql"):
            assert (channel, kind) in kinds, (channel, kind)
    for kind in ("content-type", "json"):
        assert ("rest", kind) in kinds
    for kind in ("signature", "replay", "content-type", "handshake"):
        assert ("slack", kind) in kinds


def test_case_names_are_unique_within_a_channel_and_kind() -> None:
    labels = Counter(hostile.label(case) for case in hostile.corpus())
    assert [label for label, n in labels.items() if n > 1] == []


def test_without_the_secret_only_slack_cases_that_need_no_valid_signature_are_sent() -> None:
    signs = {case.sign for case in hostile.corpus(with_slack_secret=False) if case.channel == "slack"}
    assert signs and not signs & hostile.VALIDLY_SIGNED


def test_slack_signature_is_the_one_slack_computes() -> None:
    body = b'{"type": "event_callback"}'
    assert hostile.slack_signature(SIGNING_SECRET, "1700000000", body) == \
        signature(body, "1700000000", SIGNING_SECRET)


def test_documented_normalisation_is_what_the_channels_do() -> None:
    for _, name, text in hostile.odd_texts():
        assert rest.clean_message(text).strip() == hostile.expected_stored(text), name


# --- The checks the channels share ---


@pytest.mark.parametrize("text, cleaned", [
    ("rejected\x00 again", "rejected again"),
    ("\x1b[31mred\x07", "[31mred"),
    ("line\n\tline\r\n", "line\n\tline\r\n"),
    ("half \ud83d pair", "half  pair"),
    ("سلام \u202e😭 <b>", "سلام \u202e😭 <b>"),
])
def test_messages_lose_control_characters_and_lone_surrogates_only(text: str, cleaned: str) -> None:
    assert rest.checked_message(text) == cleaned


@pytest.mark.parametrize("message", [None, 42, True, ["hi"], {"text": "hi"}, b"hi"])
def test_a_message_that_is_not_text_is_refused(message: Any) -> None:
    with pytest.raises(InvalidUsage, match="must be text"):
        rest.checked_message(message)


def test_a_message_over_the_limit_is_refused_with_413_and_says_the_limit() -> None:
    assert rest.checked_message("x" * rest.MESSAGE_LENGTH) == "x" * rest.MESSAGE_LENGTH
    with pytest.raises(PayloadTooLarge, match="10,000") as refused:
        rest.checked_message("x" * (rest.MESSAGE_LENGTH + 1))
    assert refused.value.status_code == 413


@pytest.mark.parametrize("body, problem", [
    (b'{"text": "hi"}', None),
    (b'{"text": ["hi", "ignored"]}', None),
    (b'{"text": ""}', None),
    (b"{not json", "JSON object"),
    (b"\xff\xfe", "JSON object"),
    (b"[]", "JSON object"),
    (b"", "JSON object"),
    (b"[" * 100_000, "JSON object"),
    (b'{"text": 12345}', "must be text"),
    (b'{"text": []}', "must be text"),
    (b'{"message": "hi"}', "must be text"),
])
def test_parse_bodies_rasa_would_fail_on_are_named(body: bytes, problem: Any) -> None:
    found = http_api.parse_body_problem(body)
    assert (found is None) if problem is None else (problem in found)


def request_for(conversation_id: str) -> SimpleNamespace:
    return SimpleNamespace(match_info={"conversation_id": conversation_id})


@pytest.mark.parametrize("sent, read", [
    ("plain-id", "plain-id"),
    ("a%20b", "a b"),
    ("user%40example.com", "user@example.com"),
    ("%D9%85%D8%B1%D8%AD%D8%A8%D8%A7", "مرحبا"),
])
def test_conversation_ids_are_read_unquoted(sent: str, read: str) -> None:
    request = request_for(sent)
    asyncio.run(http_api.unquote_conversation_id(request))
    assert request.match_info["conversation_id"] == read


@pytest.mark.parametrize("sent", ["a%00b", "%ff%fe", "x%0A"])
def test_conversation_ids_with_control_characters_or_bad_utf8_are_refused(sent: str) -> None:
    with pytest.raises(ErrorResponse) as refused:
        asyncio.run(http_api.unquote_conversation_id(request_for(sent)))
    assert refused.value.status == 400


@pytest.mark.parametrize("payload, problem", [
    ({"event": {"type": "message"}, "authorizations": [{"user_id": "U1"}], "event_id": "Ev1"}, None),
    ({"event": "hi"}, '"event"'),
    ({"event": ["hi"]}, '"event"'),
    ({"authorizations": "bot"}, '"authorizations"'),
    ({"authorizations": ["bot"]}, '"authorizations"'),
    ({"event_id": {"a": 1}}, '"event_id"'),
])
def test_slack_envelopes_of_the_wrong_shape_are_named(payload: Dict, problem: Any) -> None:
    found = envelope_problem(payload)
    assert (found is None) if problem is None else (problem in found)


@pytest.mark.parametrize("changes, problem", [
    ({}, None),
    ({"text": 12345}, '"event.text"'),
    ({"text": ["hi"]}, '"event.text"'),
    ({"user": None}, '"event.user"'),
    ({"user": 42}, '"event.user"'),
    ({"user": "U1\x00"}, '"event.user"'),
    ({"user": "U" * 300}, '"event.user"'),
    ({"user": "u-lower"}, '"event.user"'),
    ({"team": None}, '"team_id"'),
    ({"team": "T:1"}, '"team_id"'),
    ({"channel": {"id": "D1"}}, '"event.channel"'),
    ({"thread_ts": ["1"]}, '"event.thread_ts"'),
])
def test_slack_messages_of_the_wrong_shape_are_named(changes: Dict, problem: Any) -> None:
    event = {"type": "message", "text": "hi", "user": "U1", "channel": "D1", "ts": "1.2", "team": "T1",
             **changes}
    found = message_problem({"event": event})
    assert (found is None) if problem is None else (problem in found)


@pytest.mark.parametrize("metadata, kept", [
    (None, {}), ({}, {}), ({"timezone": "Europe/Paris"}, {"timezone": "Europe/Paris"}),
    ('{"timezone": "UTC"}', {"timezone": "UTC"}),
])
def test_webchat_metadata_is_an_object(metadata: Any, kept: Dict) -> None:
    assert checked_metadata(metadata) == kept


@pytest.mark.parametrize("metadata", ["{not json", "[1]", 7, ["a"], {"junk": "x" * 20_000},
                                      "[" * 100_000])
def test_webchat_metadata_that_is_not_a_small_object_is_refused(metadata: Any) -> None:
    with pytest.raises(InvalidUsage, match="metadata"):
        checked_metadata(metadata)


def webchat() -> WebChatInput:
    return WebChatInput(user_message_evt="user_uttered", bot_message_evt="bot_uttered",
                        session_persistence=True, metadata_key="metadata")


SESSION = "0123456789abcdef" * 2
BOUND = f"web:{SESSION}"


def test_a_webchat_message_is_checked_like_a_rest_message() -> None:
    message = webchat().user_message(BOUND, {"message": "rejected\x00 again", "session_id": SESSION,
                                             "metadata": '{"timezone": "UTC"}'})
    assert (message.text, message.sender_id, message.metadata) == \
        ("rejected again", BOUND, {"timezone": "UTC"})
    assert webchat().user_message(BOUND, {"message": "hi"}).sender_id == BOUND, "the socket's session"


@pytest.mark.parametrize("bound, data, why", [
    (BOUND, "hi", "send an object"), (BOUND, ["hi"], "send an object"), (BOUND, None, "send an object"),
    (None, {"message": "hi"}, "no session yet"),
    (None, {"message": "hi", "session_id": SESSION}, "no session yet"),
    (BOUND, {"message": "hi", "session_id": "f" * 32}, "not given that session"),
    (BOUND, {"message": "hi", "session_id": 5}, "not given that session"),
    (BOUND, {"message": "hi", "session_id": "a\nb"}, "not given that session"),
    (BOUND, {"message": 5}, "must be text"),
    (BOUND, {"message": "x" * 10_001}, "10,000"),
    (BOUND, {"message": "hi", "metadata": "{"}, "metadata"),
])
def test_a_webchat_message_that_cannot_be_answered_says_why(bound: Any, data: Any, why: str) -> None:
    with pytest.raises(Exception, match=why):
        webchat().user_message(bound, data)


# --- The corpus against the real server ---


@pytest.fixture(scope="module")
def summary(servers) -> Dict:
    result = hostile.run(servers.rasa_url, SIGNING_SECRET, servers.database_url,
                         rest_token=os.environ["RUNNER_UP_REST_TOKEN"], api_token=os.environ["RASA_TOKEN"])
    print(hostile.report(result))
    return result


@pytest.mark.slow
def test_the_whole_corpus_was_sent(summary: Dict) -> None:
    assert summary["cases"] >= 200
    assert set(summary["channels"]) == {"rest", "api", "socketio", "slack"}


@pytest.mark.slow
def test_no_answer_is_a_5xx(summary: Dict) -> None:
    assert summary["all"]["5xx"] == 0, [f for f in summary["failures"] if f["got"] == "5xx"]


@pytest.mark.slow
def test_every_case_is_refused_answered_or_ignored_as_expected(summary: Dict) -> None:
    assert summary["failures"] == []


@pytest.mark.slow
def test_the_server_still_answers_on_every_channel(summary: Dict) -> None:
    assert summary["still_answers"] == {"rest": True, "socketio": True, "slack": True}


@pytest.mark.slow
def test_nothing_was_stored_wrongly(summary: Dict) -> None:
    storage = summary["storage"]
    assert storage["problems"] == []
    assert storage["checks"] >= 200
    before, after = storage["tables_before"], storage["tables_after"]
    assert set(after) == set(before) and min(after.values()) >= 0, "a table is missing"
    # Some accepted conversations keep a person (those whose turns ran an action); none vanished.
    assert before["people"] < after["people"] <= before["people"] + summary["all"]["answered"]
    assert summary["verdict"] == "pass"


@pytest.mark.slow
def test_a_slack_message_over_the_limit_is_explained_to_its_author(servers, fake_slack) -> None:
    user = hostile.slack_user()
    body = json.dumps(hostile.slack_event(user, "x" * (rest.MESSAGE_LENGTH + 1))).encode()
    sender = hostile.Sender(servers.rasa_url, SIGNING_SECRET)
    result = sender.send(hostile.Case("slack", "size", "too long", hostile.IGNORED,
                                      path=hostile.SLACK_PATH, body=body, sign="valid",
                                      headers=dict(hostile.JSON)))
    assert result.ok, result
    posts = fake_slack.wait_for_posts(dm_channel(user))
    assert [post.args.get("text") for post in posts] == [TOO_LONG]


@pytest.mark.slow
def test_rest_refuses_an_over_long_message_with_413(servers) -> None:
    response = requests.post(f"{servers.rasa_url}/webhooks/rest/webhook", timeout=60, headers=rest_headers(),
                             json={"sender": "too-long", "message": "x" * 100_000})
    assert response.status_code == 413
    assert "10,000" in response.text
