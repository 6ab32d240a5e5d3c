"""`runner-up hostile`: sends a corpus of hostile or odd inputs to a running Rasa server through
every channel people reach it by (REST, the web chat's socket.io, Slack's Events API) and Rasa's
`/model/parse`, then checks what a person (or an attacker) would care about:

- no answer is a 5xx and every case gets what it should: refused with a 4xx (or, on socket.io,
  an explanatory `bot_uttered` marked `refused`), answered normally, or ignored;
- the server still answers a normal message on each channel afterwards;
- nothing is stored wrongly: a refused or ignored input left no user message in its conversation
  (`GET /conversations/{sender}/tracker`) and no person in the progress store; accepted odd text
  (right-to-left, emoji, HTML, SQL, control characters ...) is stored as sent, after the documented
  normalisation (control characters other than tab and newlines, and lone surrogates, dropped;
  surrounding whitespace stripped, as Rasa does); the progress store's tables are all still there.

The corpus is built in code (`corpus()`), each case with a channel, a kind, a name and what is
expected. The report is printed; `run()` also returns it as a dict (`--json` prints that).

    runner-up hostile --rasa-url http://localhost:5005 [--slack-secret S] [--database-url U] [--json]

The REST cases send `Authorization: Bearer $RUNNER_UP_REST_TOKEN` and the checks read trackers
with RASA_TOKEN (both from the environment, or `--rest-token` / `--api-token`); conversations are
named as the channels key them (`rest:<sender>`, `web:<session>`, `slack:<team>:<user>`).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import time
import unicodedata
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Text, Tuple
from urllib.parse import quote

import requests

from runner_up import conversation_ids

REFUSED, ANSWERED, IGNORED = "refused", "answered", "ignored"
FIVE_XX, ERROR = "5xx", "error"

REST_PATH = "/webhooks/rest/webhook"
SLACK_PATH = "/webhooks/slack/webhook"
PARSE_PATH = "/model/parse"
SOCKETIO_PATH = "/socket.io/"
JSON = {"Content-Type": "application/json"}
# The channels' documented limit on a message's length (runner_up/channels/rest.py).
MESSAGE_LENGTH = 10_000
TURN_TIMEOUT = 60.0  # seconds a turn may take on a busy machine
QUIET_SECONDS = 2.0  # how long an ignored socket.io message must stay unanswered
SLACK_USER_PREFIX = "UHOSTILE"
SLACK_TEAM, SLACK_BOT_USER = "T0HOSTILE", "U0HOSTILEBOT"


@dataclass
class Case:
    """One hostile input: where it goes, what it is, and what the server should do with it.

    `transport` is "http" (method, path, body, headers; for Slack, `sign` says how to sign it),
    "socketio" (the `session` sent with `session_request`, then `event` with `data`) or "frames"
    (raw engine.io frames on a websocket). `sender` is the conversation the case would write to
    (as the channel keys it; for socket.io, the session the server confirms), `stored` the text
    that conversation must then hold (answered cases) or None. In socket.io data, OWN_SESSION
    stands for the session id the server confirmed.
    """

    channel: Text
    kind: Text
    name: Text
    expect: Text
    transport: Text = "http"
    method: Text = "POST"
    path: Text = ""
    body: bytes = b""
    headers: Dict[Text, Text] = field(default_factory=dict)
    sign: Optional[Text] = None
    session: Any = None
    event: Text = "user_uttered"
    data: Any = None
    frames: Sequence[Any] = ()
    sender: Optional[Text] = None
    stored: Optional[Text] = None


@dataclass
class Result:
    """What happened to one case."""

    case: Case
    outcome: Text
    status: Optional[int] = None
    seconds: float = 0.0
    detail: Text = ""

    @property
    def ok(self) -> bool:
        return self.outcome == self.case.expect


# --- The corpus ---


def odd_texts() -> List[Tuple[Text, Text, Text]]:
    """(kind, name, text): messages a person might send, however odd, that must get a normal turn."""
    return [
        ("empty", "empty", ""),
        ("empty", "whitespace only", " \t\n  "),
        ("empty", "single letter", "a"),
        ("size", "just under the limit", ("rejected again " * 700)[:MESSAGE_LENGTH]),
        ("size", "one 5,000-letter word", "a" * 5000),
        ("size", "2,000 newlines", "sad" + "\n" * 2000 + "end"),
        ("unicode", "emoji", "😭😭 they said no 💔"),
        ("unicode", "zero-width joiner family", "👩‍👩‍👧‍👦 my family is proud anyway"),
        ("unicode", "flags and skin tones", "🇬🇧 👍🏽 ok"),
        ("unicode", "zalgo", "g\u0301\u0302u\u0303t\u0308t\u0309e\u030ad"),
        ("unicode", "chinese", "我没有得到这份工作"),
        ("unicode", "devanagari", "मुझे नौकरी नहीं मिली"),
        ("unicode", "mathematical letters (astral)", "𝓘 𝓰𝓸𝓽 𝓻𝓮𝓳𝓮𝓬𝓽𝓮𝓭"),
        ("unicode", "byte order mark and replacement char", "\ufeff\ufffd\ufffd"),
        ("unicode", "private use", "\ue000\uf8ff"),
        ("unicode", "line and paragraph separators", "one\u2028two\u2029three"),
        ("unicode", "non-breaking and odd spaces", "no\u00a0job\u2003today\u3000"),
        ("rtl", "arabic", "لم أحصل على الوظيفة"),
        ("rtl", "hebrew", "לא קיבלתי את העבודה"),
        ("rtl", "right-to-left override", "\u202egnihtemos\u202c"),
        ("rtl", "mixed direction with isolates", "I was rejected by \u2067شركة\u2069 today"),
        ("control", "NUL alone", "\x00"),
        ("control", "NUL inside words", "rejected\x00 again"),
        ("control", "C0 controls", "\x01\x02\x03\x07\x08 hi"),
        ("control", "ANSI escape", "\x1b[31mred alert\x1b[0m"),
        ("control", "DEL and C1", "sad\x7f\x85\x9f"),
        ("control", "tabs and newlines kept", "line one\n\tline two\r\nline three"),
        ("markup", "script tag", "<script>alert('x')</script>"),
        ("markup", "img onerror", '<img src=x onerror="alert(document.cookie)">'),
        ("markup", "closing tags and svg", "</textarea></div><svg onload=alert(1)>"),
        ("markup", "javascript url", "javascript:alert(1)//I got rejected"),
        ("markup", "html entities", "&lt;b&gt;rejected&lt;/b&gt; &amp; sad &#0;"),
        ("markup", "template injection", "{{7*7}} ${7*7} #{7*7} <%= 7*7 %>"),
        ("markup", "format strings", "%s%s%s%n {0.__class__} {}"),
        ("markup", "markdown and mrkdwn", "*bold* _it_ `code` ```block``` <!channel>"),
        ("sql", "drop table people", "'; DROP TABLE people; --"),
        ("sql", "drop table events", "Robert'); DROP TABLE events;--"),
        ("sql", "or 1=1", "' OR '1'='1' --"),
        ("sql", "union select", "x' UNION SELECT sender_id, NULL FROM people --"),
        ("sql", "delete checkins", "1; DELETE FROM checkins WHERE 1=1;"),
        ("odd", "path traversal", "../../../../etc/passwd"),
        ("odd", "json-looking text", '{"sender": "admin", "message": "hi"}'),
        ("odd", "literal escapes", "\\x00 \\u0000 %00 \\n"),
        ("odd", "unknown intent", "/no_such_intent"),
        ("odd", "intent with broken entities", '/greet{"name": '),
    ]


def expected_stored(text: Text) -> Text:
    """The documented normalisation, stated here independently of the channels' code: control
    characters other than tab, newline and carriage return, and lone surrogates, are dropped;
    Rasa strips surrounding whitespace."""
    kept = "".join(ch for ch in text if ch in "\t\n\r"
                   or unicodedata.category(ch) not in ("Cc", "Cs"))
    return kept.strip()


def new_sender(prefix: Text) -> Text:
    """A conversation id of its own for one case, so what it stored can be checked alone."""
    return f"{prefix}{uuid.uuid4().hex}"


def rest_conversation(sender: Any) -> Text:
    """The conversation the REST channel keeps `sender`'s messages in."""
    return f"{conversation_ids.REST}:{sender}"


OWN_SESSION = "<the session the server confirmed>"


def rest_body(sender: Any, message: Any) -> bytes:
    return json.dumps({"sender": sender, "message": message}).encode()


def rest_cases() -> List[Case]:
    """REST: every odd text answered, then bodies, types and sizes refused with a 4xx."""
    cases = []
    for kind, name, text in odd_texts():
        sender = new_sender("hostile-rest-")
        cases.append(Case("rest", kind, name, ANSWERED, path=REST_PATH, headers=JSON,
                          body=rest_body(sender, text), sender=rest_conversation(sender),
                          stored=expected_stored(text)))
    sender = new_sender("hostile-rest-")
    cases.append(Case("rest", "unicode", "lone surrogate (JSON escape)", ANSWERED, path=REST_PATH,
                      headers=JSON, sender=rest_conversation(sender), stored="half \U0001F600 pair",
                      body=b'{"sender": "%s", "message": "half \\ud83d\\ude00 pair\\udc00"}'
                      % sender.encode()))
    for name, body in [("duplicate keys", b'{"sender": "{s}", "message": "x", "message": "hi"}'),
                       ("extra fields", b'{"sender": "{s}", "message": "hi", "admin": true}')]:
        sender = new_sender("hostile-rest-")
        cases.append(Case("rest", "json", name, ANSWERED, path=REST_PATH, headers=JSON,
                          sender=rest_conversation(sender),
                          body=body.replace(b"{s}", sender.encode()), stored="hi"))
    for name, sender in [("right-to-left sender", "مرحبا-" + uuid.uuid4().hex),
                         ("emoji sender", "😭-" + uuid.uuid4().hex),
                         ("numeric sender", int(time.time() * 1000)),
                         ("html sender", "<b>x</b>-" + uuid.uuid4().hex),
                         ("sql sender", "x' OR '1'='1-" + uuid.uuid4().hex),
                         ("sender naming a web chat session", "web:" + uuid.uuid4().hex),
                         ("sender naming a Slack person", f"slack:{SLACK_TEAM}:{slack_user()}")]:
        # Answered, in REST's own conversation `rest:<sender>`: never the one the sender names.
        cases.append(Case("rest", "sender", name, ANSWERED, path=REST_PATH, headers=JSON,
                          body=rest_body(sender, "hello"), sender=rest_conversation(sender),
                          stored="hello"))
    sender = new_sender("hostile-rest-")
    cases.append(Case("rest", "input_channel", "input_channel named socketio", ANSWERED, path=REST_PATH,
                      headers=JSON, sender=rest_conversation(sender), stored="hello",
                      body=json.dumps({"sender": sender, "message": "hello",
                                       "input_channel": "socketio"}).encode()))
    cases += [refused_rest(kind, name, body, content_type) for kind, name, body, content_type in [
        ("size", "one letter over the limit", "x" * (MESSAGE_LENGTH + 1), None),
        ("size", "100 KB", ("they turned me down " * 6000)[:100_000], None),
        ("size", "1 MB", "z" * 1_000_000, None),
        ("size", "100 KB of NULs", "\x00" * 100_000, None),
        ("utf8", "invalid UTF-8 in the message", b'{"sender": "{s}", "message": "\xff\xfe"}', None),
        ("utf8", "overlong encoding", b'{"sender": "{s}", "message": "\xc0\xaf"}', None),
        ("utf8", "truncated multibyte", b'{"sender": "{s}", "message": "\xe2\x82"}', None),
        ("utf8", "latin-1 text", '{"sender": "{s}", "message": "déçu"}'.encode("latin-1"), None),
        # JSON between systems is UTF-8 without a byte order mark (RFC 8259, section 8.1).
        ("utf8", "UTF-8 byte order mark", b"\xef\xbb\xbf" + rest_body("{s}", "hi"), None),
        ("utf8", "UTF-16", rest_body("{s}", "hi").decode().encode("utf-16-le"), None),
        ("json", "invalid JSON", b'{"sender": "{s}", "message": ', None),
        ("json", "trailing garbage", rest_body("{s}", "hi") + b" xyz", None),
        ("json", "single quotes", b"{'sender': '{s}', 'message': 'hi'}", None),
        ("json", "deeply nested", b"[" * 100_000 + b"]" * 100_000, None),
        ("json", "empty body", b"", None),
        ("json", "array", b'["{s}", "hi"]', None),
        ("json", "string", b'"hi"', None),
        ("json", "null", b"null", None),
        ("json", "number", b"42", None),
        ("shape", "message is a number", rest_body("{s}", 12345), None),
        ("shape", "message is null", rest_body("{s}", None), None),
        ("shape", "message is a list", rest_body("{s}", ["hi"]), None),
        ("shape", "message is an object", rest_body("{s}", {"text": "hi"}), None),
        ("shape", "message is missing", b'{"sender": "{s}"}', None),
        ("shape", "message is true", rest_body("{s}", True), None),
        ("sender", "sender is true", rest_body(True, "hi"), None),
        ("sender", "sender is a list", rest_body(["{s}"], "hi"), None),
        ("sender", "sender is an object", rest_body({"id": "{s}"}, "hi"), None),
        ("sender", "sender is empty", rest_body("", "hi"), None),
        ("sender", "sender is blank", rest_body("   ", "hi"), None),
        ("sender", "sender has a NUL", rest_body("{s}\x00", "hi"), None),
        ("sender", "sender has a newline", rest_body("{s}\n", "hi"), None),
        ("sender", "sender too long", rest_body("{s}" + "x" * 256, "hi"), None),
        ("sender", "sender is missing", b'{"message": "hi"}', None),
        ("sender", "sender is a huge number", b'{"sender": 1%s, "message": "hi"}' % (b"0" * 400), None),
        ("content-type", "form-urlencoded", b"sender={s}&message=hi", "application/x-www-form-urlencoded"),
        ("content-type", "XML", b"<xml><sender>{s}</sender></xml>", "application/xml"),
        ("content-type", "JSON sent as text/plain", rest_body("{s}", "hi"), "text/plain"),
        ("content-type", "JSON with no content type", rest_body("{s}", "hi"), ""),
        ("content-type", "multipart", b"--b\r\nContent-Disposition: form-data; name=\"message\"\r\n\r\n"
                                      b"hi\r\n--b--\r\n", "multipart/form-data; boundary=b"),
    ]]
    cases += [Case("rest", "method", f"{method} on the webhook", REFUSED, method=method,
                   path=REST_PATH) for method in ("GET", "PUT", "DELETE")]
    return cases


def refused_rest(kind: Text, name: Text, message: Any, content_type: Optional[Text]) -> Case:
    """A REST case that must get a 4xx: `message` is either the text to send or a whole raw body,
    where "{s}" stands for the case's own sender id."""
    sender = new_sender("hostile-rest-")
    if isinstance(message, str):
        body = rest_body(sender, message)
    else:
        utf16 = message.startswith(b"{\x00")
        body = message.replace(*(("{s}".encode("utf-16-le"), sender.encode("utf-16-le")) if utf16
                                 else (b"{s}", sender.encode())))
    headers = JSON if content_type is None else ({"Content-Type": content_type} if content_type else {})
    return Case("rest", kind, name, REFUSED, path=REST_PATH, headers=headers, body=body,
                sender=rest_conversation(sender))


def parse_cases() -> List[Case]:
    """Rasa's own `/model/parse`: malformed bodies must get a 4xx, odd text a parse."""
    refused = [("invalid JSON", b"{not json"), ("invalid UTF-8", b"\xff\xfe\x00invalid utf-8"),
               ("text is a number", b'{"text": 12345}'), ("array", b"[]"), ("empty body", b""),
               ("text is missing", b'{"message": "hi"}'), ("null", b"null"),
               ("deeply nested", b"[" * 100_000)]
    cases = [Case("api", "json", name, REFUSED, path=PARSE_PATH, headers=JSON, body=body)
             for name, body in refused]
    cases += [Case("api", "odd", name, ANSWERED, path=PARSE_PATH, headers=JSON,
                   body=json.dumps({"text": text}).encode())
              for name, text in [("NUL", "\x00"), ("html", "<script>alert(1)</script>"),
                                 ("100 KB", "x " * 50_000)]]
    return cases


def socketio_cases() -> List[Case]:
    """The web chat: every odd text answered; odd events, payloads and raw frames refused (with an
    explanatory bot message) or ignored, never crashing the handler."""
    cases = []
    for kind, name, text in odd_texts():
        cases.append(Case("socketio", kind, name, ANSWERED, transport="socketio", session={},
                          data={"message": text, "session_id": OWN_SESSION, "metadata": {}},
                          stored=expected_stored(text)))
    cases.append(Case("socketio", "metadata", "metadata as a JSON string", ANSWERED,
                      transport="socketio", session={}, stored="hi",
                      data={"message": "hi", "metadata": '{"timezone": "Europe/Paris"}'}))
    cases.append(Case("socketio", "shape", "message missing (Rasa reads it as empty)", ANSWERED,
                      transport="socketio", session={}, stored="", data={"session_id": OWN_SESSION}))
    cases.append(Case("socketio", "session", "no session id (the socket's own session)", ANSWERED,
                      transport="socketio", session={}, stored="hi", data={"message": "hi"}))

    def refused(kind: Text, name: Text, make: Callable[[Text], Any]) -> Case:
        # Refused cases check the socket's own (confirmed) session stays empty.
        return Case("socketio", kind, name, REFUSED, transport="socketio", session={},
                    data=make(OWN_SESSION))

    def message(text: Any) -> Callable[[Text], Any]:
        return lambda sid: {"message": text, "session_id": sid, "metadata": {}}

    def metadata(value: Any) -> Callable[[Text], Any]:
        return lambda sid: {"message": "hi", "session_id": sid, "metadata": value}

    cases += [
        refused("size", "one letter over the limit", message("x" * (MESSAGE_LENGTH + 1))),
        refused("size", "100 KB", message(("they turned me down " * 6000)[:100_000])),
        refused("size", "100 KB of NULs", message("\x00" * 100_000)),
        refused("utf8", "message as invalid UTF-8 bytes", message(b"\xff\xfe rejected")),
        refused("shape", "message is a number", message(12345)),
        refused("shape", "message is null", message(None)),
        refused("shape", "message is a list", message(["hi"])),
        refused("shape", "message is an object", message({"text": "hi"})),
        refused("shape", "message is true", message(True)),
        refused("shape", "data is a string", lambda sid: "hi"),
        refused("shape", "data is a list", lambda sid: ["hi", sid]),
        refused("shape", "data is a number", lambda sid: 42),
        refused("shape", "data is null", lambda sid: None),
        refused("shape", "data is binary", lambda sid: b"\x00\xff"),
        refused("session", "another session's id", lambda sid: {"message": "hi", "session_id": uuid.uuid4().hex}),
        refused("session", "session id is a number",
                lambda sid: {"message": "hi", "session_id": 12345}),
        refused("session", "session id is a list",
                lambda sid: {"message": "hi", "session_id": [sid]}),
        refused("session", "session id has a NUL",
                lambda sid: {"message": "hi", "session_id": sid + "\x00"}),
        refused("session", "session id too long",
                lambda sid: {"message": "hi", "session_id": sid * 9}),
        refused("session", "session id is blank",
                lambda sid: {"message": "hi", "session_id": "   "}),
        refused("metadata", "metadata is invalid JSON", metadata("{not json")),
        refused("metadata", "metadata is a JSON array", metadata("[1, 2]")),
        refused("metadata", "metadata is a number", metadata(7)),
        refused("metadata", "metadata is a list", metadata(["a"])),
        refused("metadata", "metadata of 100 KB", metadata({"junk": "x" * 100_000})),
    ]
    for name, session in [("session request with a string", "abc"),
                          ("session request with a list", ["x"]),
                          ("session request with a number", 3),
                          ("session request with a numeric id", {"session_id": 12345}),
                          ("session request with a NUL in the id", {"session_id": "a\x00b"}),
                          ("session request with a 10 KB id", {"session_id": "s" * 10_000}),
                          ("session request naming a session id", {"session_id": uuid.uuid4().hex}),
                          ("session request with a forged token",
                           {"token": uuid.uuid4().hex + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}),
                          ("session request with a token of the wrong shape", {"token": ["x"]})]:
        # The server must still confirm a session (a fresh one), and the conversation go on in it.
        cases.append(Case("socketio", "session", name, ANSWERED, transport="socketio",
                          session=session, data={"message": "hello"}, stored="hello"))
    cases.append(Case("socketio", "session", "a message before any session_request", REFUSED,
                      transport="socketio", session=None, data={"message": "hi"}))
    cases.append(Case("socketio", "event", "unknown event", IGNORED, transport="socketio",
                      session={}, event="no_such_event",
                      data={"message": "hi"}))
    frames = [("truncated packet", ['42["user_uttered", {"message": ']),
              ("event without a name", ["42[]"]),
              ("event name not a string", ['42[42, {"message": "hi"}]']),
              ("unknown packet type", ["9hello"]),
              ("binary garbage", [b"\xff\xfe\x00\x01"]),
              ("huge text frame", ["42" + json.dumps(["user_uttered", {"message": "x" * 500_000}])]),
              ("attachment count lie", ['451-["user_uttered",{"_placeholder":true,"num":0}]']),
              ("connect to an unknown namespace", ["40/admin,"])]
    cases += [Case("socketio", "protocol", name, IGNORED, transport="frames", frames=sent)
              for name, sent in frames]
    polling = [("GET without parameters", "GET", SOCKETIO_PATH, b""),
               ("unknown engine.io version", "GET", SOCKETIO_PATH + "?EIO=99&transport=polling", b""),
               ("unknown transport", "GET", SOCKETIO_PATH + "?EIO=4&transport=carrier-pigeon", b""),
               ("POST to an unknown session", "POST",
                SOCKETIO_PATH + "?EIO=4&transport=polling&sid=nosuchsession", b'42["user_uttered"]')]
    cases += [Case("socketio", "polling", name, REFUSED, method=method, path=path, body=body,
                   headers={"Content-Type": "text/plain"}) for name, method, path, body in polling]
    return cases


def slack_event(person: Text, text: Any, event_id: Optional[Text] = None,
                **changes: Any) -> Dict[Text, Any]:
    """`person`'s `message.im` delivery as Slack sends it, with `changes` applied to the event."""
    ts = f"{time.time():.6f}"
    event = {"client_msg_id": str(uuid.uuid4()), "type": "message", "text": text, "user": person,
             "ts": ts, "team": SLACK_TEAM, "channel": "D" + person[1:], "event_ts": ts,
             "channel_type": "im"}
    event.update(changes)
    return {"token": "unused", "team_id": SLACK_TEAM, "api_app_id": "A0HOSTILE", "event": event,
            "type": "event_callback", "event_id": event_id or "Ev" + uuid.uuid4().hex[:12].upper(),
            "event_time": int(time.time()), "authorizations": [
                {"team_id": SLACK_TEAM, "user_id": SLACK_BOT_USER, "is_bot": True}]}


def slack_user() -> Text:
    return SLACK_USER_PREFIX + uuid.uuid4().hex[:12].upper()


def slack_dm(user: Text) -> Text:
    """The conversation of `user`'s DM with the app."""
    return conversation_ids.slack(SLACK_TEAM, user)


def slack_cases() -> List[Case]:
    """Slack: odd texts answered; forged, stale, replayed and malformed deliveries refused or
    ignored (a replay never makes a second turn)."""
    cases = []

    def case(kind: Text, name: Text, expect: Text, payload: Any, sign: Optional[Text] = "valid",
             sender: Optional[Text] = None, stored: Optional[Text] = None,
             content_type: Text = "application/json") -> Case:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return Case("slack", kind, name, expect, path=SLACK_PATH, body=body, sign=sign,
                    headers={"Content-Type": content_type}, sender=sender, stored=stored)

    for kind, name, text in odd_texts():
        user = slack_user()
        stored = expected_stored(text)
        # Slack never delivers an empty message, and Rasa ignores one with no text.
        expect = ANSWERED if text else IGNORED
        cases.append(case(kind, name, expect, slack_event(user, text), sender=slack_dm(user),
                          stored=stored if text else None))
    for name, sign in [("forged signature", "forged"), ("signed with another secret", "wrong-secret"),
                       ("stale (ten minutes old)", "stale"), ("from the future", "future"),
                       ("unsigned", None), ("signature without v0=", "no-v0"),
                       ("timestamp not a number", "ts-text"), ("timestamp empty", "ts-empty"),
                       ("body changed after signing", "tampered"),
                       ("signature in upper case", "upper")]:
        user = slack_user()
        cases.append(case("signature", name, REFUSED, slack_event(user, "hello"), sign=sign,
                          sender=slack_dm(user)))
    cases.append(case("signature", "url_verification unsigned", REFUSED,
                      {"type": "url_verification", "challenge": "abc"}, sign=None))
    cases.append(case("handshake", "url_verification", ANSWERED,
                      {"type": "url_verification", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3g"}))
    user = slack_user()
    first = slack_event(user, "hello from a replay test")
    cases.append(case("replay", "first delivery", ANSWERED, first, sender=slack_dm(user),
                      stored="hello from a replay test"))
    cases.append(case("replay", "same event id, signed again", IGNORED, first, sender=slack_dm(user),
                      stored="hello from a replay test"))
    cases.append(case("replay", "exact replay of the bytes and headers", IGNORED, first,
                      sign="replay", sender=slack_dm(user), stored="hello from a replay test"))
    retry = case("replay", "Slack retry (http_timeout)", IGNORED, first, sender=slack_dm(user),
                 stored="hello from a replay test")
    retry.headers.update({"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    cases.append(retry)
    for name, payload in [("invalid JSON", b'{"type": "event_callback", '), ("empty body", b""),
                          ("JSON array", b"[]"), ("JSON string", b'"hi"'),
                          ("invalid UTF-8", b'{"type": "event_callback", "x": "\xff"}'),
                          ("deeply nested", b"[" * 100_000)]:
        cases.append(case("json", name, REFUSED, payload))
    user = slack_user()
    cases.append(case("content-type", "form-encoded interactive payload", REFUSED,
                      ("payload=" + quote(json.dumps(slack_event(user, "hi")))).encode(),
                      content_type="application/x-www-form-urlencoded", sender=slack_dm(user)))
    user = slack_user()
    cases.append(case("content-type", "JSON sent as text/plain", ANSWERED, slack_event(user, "hi"),
                      content_type="text/plain", sender=slack_dm(user), stored="hi"))
    malformed = [("event is a string", lambda u: {**slack_event(u, "hi"), "event": "hi"}),
                 ("event is a list", lambda u: {**slack_event(u, "hi"), "event": ["hi"]}),
                 ("authorizations is a string",
                  lambda u: {**slack_event(u, "hi"), "authorizations": "bot"}),
                 ("authorizations holds strings",
                  lambda u: {**slack_event(u, "hi"), "authorizations": ["bot"]}),
                 ("text is a number", lambda u: slack_event(u, 12345)),
                 ("text is a list", lambda u: slack_event(u, ["hi"])),
                 ("text is an object", lambda u: slack_event(u, {"t": "hi"})),
                 ("user is a number", lambda u: slack_event(u, "hi", user=12345)),
                 ("user is missing", lambda u: slack_event(u, "hi", user=None)),
                 ("user has a NUL", lambda u: slack_event(u, "hi", user=u + "\x00")),
                 ("user is 300 characters", lambda u: slack_event(u, "hi", user=u + "X" * 300)),
                 ("channel is an object", lambda u: slack_event(u, "hi", channel={"id": "D1"})),
                 ("thread_ts is a list", lambda u: slack_event(u, "hi", thread_ts=["1"])),
                 ("event_id is an object", lambda u: {**slack_event(u, "hi"), "event_id": {"a": 1}}),
                 ("user is not a Slack id", lambda u: slack_event(u, "hi", user="u-" + u.lower())),
                 ("team is missing", lambda u: {**slack_event(u, "hi", team=None), "team_id": None}),
                 ("team is not a Slack id", lambda u: {**slack_event(u, "hi"), "team_id": "T:1"})]
    for name, make in malformed:
        user = slack_user()
        cases.append(case("shape", name, REFUSED, make(user), sender=slack_dm(user)))
    ignored = [("edited message", lambda u: slack_event(u, "hi", subtype="message_changed")),
               ("bot message", lambda u: slack_event(u, "hi", bot_id="B123")),
               ("from the bot itself", lambda u: slack_event(u, "hi", user=SLACK_BOT_USER)),
               ("reaction event", lambda u: slack_event(u, "hi", type="reaction_added")),
               ("channel message without a mention",
                lambda u: slack_event(u, "hi", channel="C0PUBLIC", channel_type="channel")),
               ("unknown envelope type", lambda u: {**slack_event(u, "hi"), "type": "app_rate_limited"}),
               ("no envelope type", lambda u: {k: v for k, v in slack_event(u, "hi").items()
                                               if k != "type"}),
               ("over the length limit",
                lambda u: slack_event(u, "x" * (MESSAGE_LENGTH + 1)))]
    for name, make in ignored:
        user = slack_user()
        cases.append(case("ignored", name, IGNORED, make(user), sender=slack_dm(user)))
    cases += [Case("slack", "method", f"{method} on the webhook", REFUSED, method=method,
                   path=SLACK_PATH) for method in ("GET", "PUT")]
    return cases


# Slack cases that need the real signing secret to mean anything.
VALIDLY_SIGNED = {"valid", "tampered", "replay"}


def corpus(with_slack_secret: bool = True) -> List[Case]:
    """All cases; without the signing secret, only the Slack cases that need no valid signature."""
    slack = [c for c in slack_cases() if with_slack_secret or c.sign not in VALIDLY_SIGNED]
    return rest_cases() + parse_cases() + socketio_cases() + slack


# --- Sending ---


def slack_signature(secret: Text, timestamp: Text, body: bytes) -> Text:
    """`v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}`, as Slack signs a request."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def slack_headers(case: Case, secret: Text, body: bytes, now: float) -> Tuple[bytes, Dict[Text, Text]]:
    """The body and Slack headers for `case`, signed (or mis-signed) the way it says."""
    if case.sign is None:
        return body, {}
    timestamp = {"stale": str(int(now) - 600), "future": str(int(now) + 600),
                 "ts-text": "yesterday", "ts-empty": ""}.get(case.sign, str(int(now)))
    key = "not-the-secret" if case.sign in ("wrong-secret", "forged") or not secret else secret
    signature = slack_signature(key, timestamp, body)
    if case.sign == "forged":
        signature = "v0=" + "0" * 64
    elif case.sign == "no-v0":
        signature = signature[3:]
    elif case.sign == "upper":
        signature = signature.upper()
    elif case.sign == "tampered":
        body = body.replace(b"hello", b"HELLO")
    return body, {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature}


class Sender:
    """Sends cases to the Rasa server at `rasa_url`, one at a time, and classifies the answers."""

    def __init__(self, rasa_url: Text, slack_secret: Text = "", rest_token: Text = "",
                 api_token: Text = "") -> None:
        self.rasa_url = rasa_url.rstrip("/")
        self.slack_secret = slack_secret
        self.credentials = {"rest": {"Authorization": f"Bearer {rest_token}"} if rest_token else {},
                            "api": {"Authorization": f"Bearer {api_token}"} if api_token else {}}
        self.http = requests.Session()
        self._last_slack: Optional[Tuple[bytes, Dict[Text, Text]]] = None

    def send_all(self, cases: Iterable[Case]) -> List[Result]:
        return [self.send(case) for case in cases]

    def send(self, case: Case) -> Result:
        started = time.monotonic()
        try:
            if case.transport == "http":
                result = self._send_http(case)
            elif case.transport == "socketio":
                result = asyncio.run(self._send_socketio(case))
            else:
                result = asyncio.run(self._send_frames(case))
        except Exception as exc:  # noqa: BLE001 (any failure to get an answer is the case's result)
            result = Result(case, ERROR, detail=f"{type(exc).__name__}: {exc}"[:300])
        result.seconds = time.monotonic() - started
        return result

    def _send_http(self, case: Case) -> Result:
        body, headers = case.body, {**self.credentials.get(case.channel, {}), **case.headers}
        if case.channel == "slack":
            if case.sign == "replay" and self._last_slack:
                body, slack = self._last_slack
            else:
                body, slack = slack_headers(case, self.slack_secret, body, time.time())
                self._last_slack = (body, slack)
            headers.update(slack)
        response = self.http.request(case.method, self.rasa_url + case.path, data=body,
                                     headers=headers, timeout=TURN_TIMEOUT)
        return Result(case, http_outcome(case, response), response.status_code,
                      detail=response.text[:200])

    async def _send_socketio(self, case: Case) -> Result:
        import socketio

        client = socketio.AsyncClient(reconnection=False)
        confirmed: "asyncio.Queue[Any]" = asyncio.Queue()
        uttered: "asyncio.Queue[Any]" = asyncio.Queue()
        client.on("session_confirm", confirmed.put)
        client.on("bot_uttered", uttered.put)
        try:
            # Long-polling: python-engineio's websocket client needs a newer aiohttp than Rasa's;
            # the server's handlers are the same for both transports.
            await client.connect(self.rasa_url, transports=["polling"],
                                 socketio_path=SOCKETIO_PATH, wait_timeout=10)
            data = case.data
            if case.session is not None:
                await client.emit("session_request", case.session)
                session = (await asyncio.wait_for(confirmed.get(), 10))["session_id"]
                case.sender = conversation_ids.web(session)  # the server's, whatever was asked for
                if isinstance(data, dict) and data.get("session_id") == OWN_SESSION:
                    data = {**data, "session_id": session}
            await client.emit(case.event, data)
            wait = QUIET_SECONDS if case.expect == IGNORED else TURN_TIMEOUT
            try:
                reply = await asyncio.wait_for(uttered.get(), wait)
            except asyncio.TimeoutError:
                return Result(case, IGNORED, detail=f"no bot_uttered within {wait:.0f} s")
            outcome = REFUSED if isinstance(reply, dict) and reply.get("refused") else ANSWERED
            return Result(case, outcome, detail=json.dumps(reply, ensure_ascii=False)[:200])
        finally:
            # Without abort, the client waits for its pending long-poll: up to 25 s per case.
            await client.eio.disconnect(abort=True)

    async def _send_frames(self, case: Case) -> Result:
        import aiohttp

        url = self.rasa_url.replace("http", "ws", 1) + SOCKETIO_PATH + "?EIO=4&transport=websocket"
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url, timeout=10) as ws:
                await ws.receive(timeout=10)  # engine.io's open packet
                await ws.send_str("40")
                await ws.receive(timeout=10)  # socket.io's connect
                for frame in case.frames:
                    await (ws.send_bytes(frame) if isinstance(frame, bytes) else ws.send_str(frame))
                try:
                    message = await ws.receive(timeout=QUIET_SECONDS)
                    detail = f"{message.type.name}: {str(message.data)[:100]}"
                except asyncio.TimeoutError:
                    detail = "nothing back"
        return Result(case, IGNORED, detail=detail)


def http_outcome(case: Case, response: requests.Response) -> Text:
    """Refused (4xx), 5xx, or for a 200: ignored (Slack's "ignored"/"duplicate") or answered."""
    if response.status_code >= 500:
        return FIVE_XX
    if 400 <= response.status_code < 500:
        return REFUSED
    if response.status_code != 200:
        return ERROR
    if case.channel == "slack" and response.text in ("ignored", "duplicate"):
        return IGNORED
    return ANSWERED


# --- Checks after the corpus ---


class Checker:
    """Reads back what the server stored, and whether it still answers on each channel."""

    def __init__(self, sender: Sender, database_url: Optional[Text] = None) -> None:
        self.sender = sender
        self.database_url = database_url

    def user_texts(self, conversation: Text) -> Optional[List[Text]]:
        """The texts of the user messages in `conversation`, or None if the tracker is unreadable
        (a 4xx: ids with control characters cannot even be asked for)."""
        url = f"{self.sender.rasa_url}/conversations/{quote(conversation, safe='')}/tracker"
        response = self.sender.http.get(url, timeout=TURN_TIMEOUT, headers=self.sender.credentials["api"])
        if response.status_code >= 500:
            raise AssertionError(f"GET tracker of {conversation!r}: {response.status_code}")
        if response.status_code != 200:
            return None
        return [event.get("text") for event in response.json().get("events", [])
                if event.get("event") == "user"]

    def storage_problems(self, results: Sequence[Result]) -> Tuple[int, List[Text]]:
        """(checks made, problems) over every case that names its conversation."""
        problems: List[Text] = []
        checks = 0
        people = self._people_finder()
        for result in results:
            case = result.case
            if case.sender is None:
                continue
            texts = self._texts_when_settled(case)
            checks += 1
            where = label(case)
            if case.expect == ANSWERED and case.stored is not None:
                if texts is not None and texts.count(case.stored) != 1:
                    problems.append(f"{where}: expected the text stored once as {case.stored[:60]!r}, "
                                    f"found {[t[:60] for t in texts if t is not None]}")
            elif case.stored is not None:  # a replay: the first delivery's text, once
                if texts is not None and texts.count(case.stored) != 1:
                    problems.append(f"{where}: a replay changed the conversation: {texts}")
            else:
                if texts:
                    problems.append(f"{where}: refused, yet the conversation holds {texts[:3]}")
                if people is not None and people(case.channel, case.sender):
                    problems.append(f"{where}: refused, yet the progress store has this person")
        return checks, problems

    def _texts_when_settled(self, case: Case) -> Optional[List[Text]]:
        """Slack turns run after the 200: wait (a little) for an answered one to be stored."""
        deadline = time.monotonic() + (30 if case.channel == "slack" and case.stored else 0)
        while True:
            texts = self.user_texts(case.sender or "")
            if texts is None or case.stored is None or case.stored in texts \
                    or time.monotonic() > deadline:
                return texts
            time.sleep(0.5)

    def _people_finder(self) -> Optional[Callable[[Text, Text], bool]]:
        """(channel, sender) -> whether the progress store has that person; None without a URL."""
        if not self.database_url:
            return None
        from runner_up.store import repository
        from runner_up.store.db import Database

        database = Database(self.database_url)

        def found(channel: Text, sender: Text) -> bool:
            with database.session() as session:
                return repository.find_person(session, channel, sender) is not None
        return found

    def tables(self) -> Optional[Dict[Text, int]]:
        """Row counts of the progress store's tables (None without a database URL)."""
        if not self.database_url:
            return None
        from sqlalchemy import func, inspect, select

        from runner_up.store.db import Database
        from runner_up.store.models import Base

        database = Database(self.database_url)
        try:
            present = set(inspect(database.engine).get_table_names())
            with database.session() as session:
                return {name: (session.scalar(select(func.count()).select_from(table))
                               if name in present else -1)
                        for name, table in Base.metadata.tables.items()}
        finally:
            database.dispose()

    def channels_answer(self) -> Dict[Text, bool]:
        """Whether each channel still gives a normal turn to "hello"."""
        answers = {}
        response = self.sender.http.post(self.sender.rasa_url + REST_PATH, timeout=TURN_TIMEOUT,
                                         headers=self.sender.credentials["rest"],
                                         json={"sender": new_sender("hostile-after-"),
                                               "message": "hello"})
        answers["rest"] = response.status_code == 200 and bool(response.json())
        result = self.sender.send(Case("socketio", "after", "hello", ANSWERED, transport="socketio",
                                       session={}, data={"message": "hello"}))
        answers["socketio"] = result.ok
        if self.sender.slack_secret:
            user = slack_user()
            slack = Case("slack", "after", "hello", ANSWERED, path=SLACK_PATH, sign="valid",
                         headers=dict(JSON), body=json.dumps(slack_event(user, "hello")).encode(),
                         sender=slack_dm(user), stored="hello")
            answers["slack"] = self.sender.send(slack).ok and \
                "hello" in (self._texts_when_settled(slack) or [])
        return answers


# --- The report ---


def label(case: Case) -> Text:
    return f"{case.channel}/{case.kind}/{case.name}"


def summarise(results: Sequence[Result], after: Dict[Text, bool], checks: int,
              problems: List[Text], tables: Tuple[Optional[Dict], Optional[Dict]]) -> Dict[Text, Any]:
    """The machine-readable summary: counts per channel and per kind, failures, verdict."""
    def counts(group: Sequence[Result]) -> Dict[Text, Any]:
        slowest = max(group, key=lambda r: r.seconds)
        return {"sent": len(group), REFUSED: sum(r.outcome == REFUSED for r in group),
                ANSWERED: sum(r.outcome == ANSWERED for r in group),
                IGNORED: sum(r.outcome == IGNORED for r in group),
                FIVE_XX: sum(r.outcome == FIVE_XX for r in group),
                "errors": sum(not r.ok for r in group),
                "slowest": {"case": label(slowest.case), "seconds": round(slowest.seconds, 2)}}

    by_channel: Dict[Text, List[Result]] = defaultdict(list)
    by_kind: Dict[Tuple[Text, Text], List[Result]] = defaultdict(list)
    for result in results:
        by_channel[result.case.channel].append(result)
        by_kind[(result.case.channel, result.case.kind)].append(result)
    before, now = tables
    tables_ok = before is None or (all(n >= 0 for n in now.values())
                                   and now["people"] >= before["people"])
    if not tables_ok:
        problems = problems + [f"progress store tables before {before}, after {now}"]
    failures = [{"case": label(r.case), "expected": r.case.expect, "got": r.outcome, "status": r.status,
                 "detail": r.detail} for r in results if not r.ok]
    passed = not failures and not problems and all(after.values())
    return {"cases": len(results), "all": counts(results),
            "channels": {name: counts(group) for name, group in by_channel.items()},
            "kinds": {f"{c}/{k}": counts(group) for (c, k), group in by_kind.items()},
            "failures": failures, "still_answers": after,
            "storage": {"checks": checks, "problems": problems, "tables_before": before,
                        "tables_after": now},
            "verdict": "pass" if passed else "fail"}


def report(summary: Dict[Text, Any]) -> Text:
    """The summary as a table for people."""
    header = f"{'channel/kind':32} {'sent':>5} {'refused':>8} {'answered':>9} {'ignored':>8} " \
             f"{'5xx':>4} {'errors':>7} {'slowest':>8}"
    lines = [f"Bad input: {summary['cases']} cases", header, "-" * len(header)]

    def row(label: Text, c: Dict[Text, Any]) -> Text:
        return (f"{label:32} {c['sent']:>5} {c[REFUSED]:>8} {c[ANSWERED]:>9} {c[IGNORED]:>8} "
                f"{c[FIVE_XX]:>4} {c['errors']:>7} {c['slowest']['seconds']:>7.2f}s")

    for channel, c in summary["channels"].items():
        lines.append(row(channel, c))
        lines += [row("  " + key.split("/", 1)[1], k) for key, k in summary["kinds"].items()
                  if key.startswith(channel + "/")]
    lines.append(row("all", summary["all"]))
    slowest = summary["all"]["slowest"]
    lines.append(f"slowest case: {slowest['case']} ({slowest['seconds']:.2f} s)")
    for failure in summary["failures"]:
        lines.append(f"UNEXPECTED {failure['case']}: "
                     f"expected {failure['expected']}, got {failure['got']} "
                     f"({failure['status']}) {failure['detail'][:120]!r}")
    lines.append("still answers after: " + ", ".join(
        f"{channel} {'yes' if ok else 'NO'}" for channel, ok in summary["still_answers"].items()))
    storage = summary["storage"]
    lines.append(f"storage: {storage['checks']} conversations checked, "
                 f"{len(storage['problems'])} problems"
                 + ("" if storage["tables_after"] is not None else " (progress store not checked)"))
    lines += [f"STORED WRONGLY {problem}" for problem in storage["problems"]]
    lines.append(f"verdict: {summary['verdict'].upper()}")
    return "\n".join(lines)


def run(rasa_url: Text, slack_secret: Text = "", database_url: Optional[Text] = None,
        cases: Optional[List[Case]] = None, rest_token: Text = "", api_token: Text = "") -> Dict[Text, Any]:
    """Sends the corpus (or `cases`), checks the server and its stores afterwards: the summary."""
    sender = Sender(rasa_url, slack_secret, rest_token, api_token)
    checker = Checker(sender, database_url)
    before = checker.tables()
    results = sender.send_all(cases if cases is not None else corpus(bool(slack_secret)))
    after = checker.channels_answer()
    checks, problems = checker.storage_problems(results)
    return summarise(results, after, checks, problems, (before, checker.tables()))


def main(argv: Optional[Sequence[Text]] = None) -> int:
    """`runner-up hostile`: exit status 0 when the verdict is pass."""
    parser = argparse.ArgumentParser(prog="runner-up hostile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rasa-url", required=True, help="the running Rasa server")
    parser.add_argument("--slack-secret", default="",
                        help="Slack's signing secret (without it, only unsigned Slack cases)")
    parser.add_argument("--database-url", help="the progress store, to check it too")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--rest-token", default=os.environ.get("RUNNER_UP_REST_TOKEN", ""),
                        help="the REST channel's token (default: RUNNER_UP_REST_TOKEN)")
    parser.add_argument("--api-token", default=os.environ.get("RASA_TOKEN", ""),
                        help="Rasa's HTTP API token, to read the conversations (default: RASA_TOKEN)")
    args = parser.parse_args(argv)
    summary = run(args.rasa_url, args.slack_secret, args.database_url, rest_token=args.rest_token,
                  api_token=args.api_token)
    print(json.dumps(summary, indent=2, ensure_ascii=False) if args.json else report(summary))
    return 0 if summary["verdict"] == "pass" else 1
