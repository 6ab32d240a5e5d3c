"""A local stand-in for Slack: its Web API (what the bot calls) and its Events API (what it sends).

Web API: `auth.test`, `conversations.open`, `chat.postMessage` and `chat.update` (of a message
the fake was given, else `message_not_found`), and file uploads (the section at the end),
answered the way Slack answers them (HTTP 200, `{"ok": ...}`), with arguments read from the
query string, a form or a JSON body as slack_sdk sends them, and the `Authorization: Bearer`
token checked. Every call is recorded.

Events API: `deliver()` posts an event envelope to a webhook, signed exactly as Slack signs it
(`v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}` with the signing secret).

Interactivity: `click()` builds the `block_actions` payload Slack sends when a person clicks a
button of a posted message, and `interact()` posts it as Slack does (form-encoded `payload=`,
signed like an event).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests

TOKEN = "xoxb-1111-2222-runner-up-test"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM = "T0RUNNERUP"
APP = "A0RUNNERUP"
BOT_USER = "U0RUNNERBOT"
BOT_ID = "B0RUNNERBOT"


@dataclass
class Call:
    """One Web API call as the fake received it."""

    method: str
    args: Dict[str, Any]
    token: Optional[str]
    response: Dict[str, Any] = field(default_factory=dict)


def dm_channel(user: str) -> str:
    """The id of `user`'s direct-message channel with the app (as conversations.open returns it)."""
    return "D" + user[1:]


class FakeSlack:
    """The Web API on a free local port, in a background thread."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: List[Call] = []
        self._changed = threading.Condition()
        self._ts = itertools.count(1)
        self.files = FakeFiles(self)  # files.* and the upload URL: the section at the end
        self.messages: Dict[tuple, Dict[str, Any]] = {}  # (channel, ts) -> the message as it is now
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/api/"

    def start(self) -> "FakeSlack":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def posts(self, channel: Optional[str] = None) -> List[Call]:
        """Successful chat.postMessage calls, to `channel` if given."""
        with self._changed:
            return [call for call in self.calls
                    if call.method == "chat.postMessage" and call.response.get("ok")
                    and channel in (None, call.args.get("channel"))]

    def wait_for_posts(self, channel: str, timeout: float = 60) -> List[Call]:
        """Waits (woken by each call, up to `timeout` s) until something is posted to `channel`."""
        deadline = time.monotonic() + timeout
        with self._changed:  # a re-entrant lock: posts() takes it again
            while not (posts := self.posts(channel)):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"nothing posted to {channel} within {timeout} s; "
                                         f"calls: {self.calls}")
                self._changed.wait(left)
            return posts

    def updates(self, channel: Optional[str] = None) -> List[Call]:
        """Successful chat.update calls, in `channel` if given."""
        with self._changed:
            return [call for call in self.calls
                    if call.method == "chat.update" and call.response.get("ok")
                    and channel in (None, call.args.get("channel"))]

    def wait_for(self, found: Any, timeout: float = 60) -> Any:
        """Waits (woken by each call) until `found()` returns something true, and returns it."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not (result := found()):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"not seen within {timeout} s; calls: {self.calls}")
                self._changed.wait(left)
            return result

    def answer(self, method: str, args: Dict[str, Any], token: Optional[str]) -> Dict[str, Any]:
        """What Slack answers to `method`."""
        if token is None:
            return {"ok": False, "error": "not_authed"}
        if token != self.token:
            return {"ok": False, "error": "invalid_auth"}
        if method in FakeFiles.METHODS:
            return self.files.answer(method, args)
        if method == "auth.test":
            return {"ok": True, "url": "https://runner-up-test.slack.com/", "team": "Runner-Up",
                    "user": "runner-up", "team_id": TEAM, "user_id": BOT_USER, "bot_id": BOT_ID}
        if method == "conversations.open":
            users = str(args.get("users", ""))
            if not users.startswith(("U", "W")) or "," in users:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "channel": {"id": dm_channel(users)}}
        if method == "chat.postMessage":
            if "as_user" in args:  # granular bot tokens may not use the legacy argument
                return {"ok": False, "error": "invalid_arguments"}
            if not args.get("channel"):
                return {"ok": False, "error": "channel_not_found"}
            if not (args.get("text") or args.get("blocks") or args.get("attachments")):
                return {"ok": False, "error": "no_text"}
            ts = f"{time.time():.0f}.{next(self._ts):06d}"
            message = {"type": "message", "user": BOT_USER, "bot_id": BOT_ID, "ts": ts,
                       "text": args.get("text", ""), "team": TEAM}
            for key in ("blocks", "thread_ts"):
                if args.get(key):
                    message[key] = args[key]
            self.messages[(args["channel"], ts)] = dict(message)  # the recorded call stays as it was
            return {"ok": True, "channel": args["channel"], "ts": ts, "message": message}
        if method == "chat.update":
            if "as_user" in args:
                return {"ok": False, "error": "invalid_arguments"}
            message = self.messages.get((args.get("channel"), args.get("ts")))
            if message is None:
                return {"ok": False, "error": "message_not_found"}
            if not (args.get("text") or args.get("blocks")):
                return {"ok": False, "error": "no_text"}
            message.update({key: args[key] for key in ("text", "blocks") if key in args})
            return {"ok": True, "channel": args["channel"], "ts": args["ts"], "text": message["text"],
                    "message": dict(message)}
        return {"ok": False, "error": "unknown_method"}

    def _record(self, call: Call) -> None:
        with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def _handler(self) -> type:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                url = urlsplit(self.path)
                method = url.path.rsplit("/", 1)[-1]
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if fake.files.is_upload(url.path):  # raw bytes, not an API call
                    status = fake.files.receive(url.path, body)
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"OK")
                    return
                args: Dict[str, Any] = dict(parse_qsl(url.query))
                content_type = self.headers.get("Content-Type", "")
                if content_type.startswith("application/json"):
                    args.update(json.loads(body or b"{}"))
                elif body:
                    args.update(parse_qsl(body.decode()))
                authorization = self.headers.get("Authorization", "")
                token = authorization[len("Bearer "):] if authorization.startswith("Bearer ") else None
                call = Call(method, args, token)
                call.response = fake.answer(method, args, token)
                fake._record(call)
                payload = json.dumps(call.response).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass  # keep the test output quiet

        return Handler


# --- The Events API side: what Slack sends to the app's Request URL ---


def signature(body: bytes, timestamp: str, secret: str = SIGNING_SECRET) -> str:
    """X-Slack-Signature for `body` sent at `timestamp`."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def new_ts() -> str:
    """A message timestamp as Slack writes them (seconds.microseconds), unique per call."""
    return f"{time.time():.6f}"


def envelope(event: Dict[str, Any], event_id: Optional[str] = None) -> Dict[str, Any]:
    """The event_callback wrapper Slack puts around every event."""
    return {
        "token": "XXYYZZverificationtokenXX",
        "team_id": TEAM,
        "api_app_id": APP,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or "Ev" + uuid.uuid4().hex[:10].upper(),
        "event_time": int(float(event.get("event_ts", time.time()))),
        "authorizations": [{"enterprise_id": None, "team_id": TEAM, "user_id": BOT_USER,
                            "is_bot": True, "is_enterprise_install": False}],
        "is_ext_shared_channel": False,
        "event_context": "4-eyJldCI6Im1lc3NhZ2UiLCJ0aWQiOiJUMFJVTk5FUlVQIn0",
    }


def direct_message(user: str, text: str, thread_ts: Optional[str] = None) -> Dict[str, Any]:
    """A `message.im` event: `user` wrote `text` in their DM with the app."""
    ts = new_ts()
    event = {"client_msg_id": str(uuid.uuid4()), "type": "message", "text": text, "user": user,
             "ts": ts, "team": TEAM, "channel": dm_channel(user), "event_ts": ts,
             "channel_type": "im"}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return envelope(event)


def mention(user: str, channel: str, text: str) -> Dict[str, Any]:
    """An `app_mention` event: `user` wrote `<@bot> text` in `channel`."""
    ts = new_ts()
    return envelope({"client_msg_id": str(uuid.uuid4()), "type": "app_mention",
                     "text": f"<@{BOT_USER}> {text}", "user": user, "ts": ts, "team": TEAM,
                     "channel": channel, "event_ts": ts})


def deliver(webhook: str, payload: Dict[str, Any], *, timestamp: Optional[float] = None,
            secret: str = SIGNING_SECRET, retry: Optional[tuple] = None,
            headers: Optional[Dict[str, str]] = None) -> requests.Response:
    """POSTs `payload` to `webhook` as Slack does: JSON, signed now (or at `timestamp`).

    `retry` is `(number, reason)` for a redelivery; Slack signs each delivery afresh.
    `headers` replaces the Slack headers altogether (to test missing ones).
    """
    body = json.dumps(payload).encode()
    sent_at = str(int(time.time() if timestamp is None else timestamp))
    slack_headers = {"X-Slack-Request-Timestamp": sent_at,
                     "X-Slack-Signature": signature(body, sent_at, secret)}
    if retry:
        slack_headers.update({"X-Slack-Retry-Num": str(retry[0]), "X-Slack-Retry-Reason": retry[1]})
    return requests.post(
        webhook, data=body, timeout=30,
        headers={"Content-Type": "application/json",
                 "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
                 **(slack_headers if headers is None else headers)})


# --- Files: the upload that slack_sdk's files_upload_v2 makes (the mood picture as a PNG) ---
#
# 1. files.getUploadURLExternal(filename, length, alt_txt) -> {"upload_url", "file_id"}; the URL
#    points back at this fake (/upload/<file id>), as Slack's points at files.slack.com;
# 2. the file's bytes POSTed to that URL (answered 200 "OK");
# 3. files.completeUploadExternal(files=[{"id", "title"}], channel_id, thread_ts) shares it.
# Every upload is kept in `uploads`, bytes included.


@dataclass
class Upload:
    """One file as the fake received it."""

    file_id: str
    filename: str
    length: int
    alt_txt: Optional[str]
    data: Optional[bytes] = None
    title: Optional[str] = None
    channel_id: Optional[str] = None
    thread_ts: Optional[str] = None
    completed: bool = False


class FakeFiles:
    METHODS = ("files.getUploadURLExternal", "files.completeUploadExternal")
    PREFIX = "/upload/"

    def __init__(self, slack: FakeSlack) -> None:
        self.slack = slack
        self.uploads: Dict[str, Upload] = {}
        self._ids = itertools.count(1)

    def answer(self, method: str, args: Dict[str, Any]) -> Dict[str, Any]:
        if method == "files.getUploadURLExternal":
            try:
                length = int(args.get("length", ""))
            except ValueError:
                return {"ok": False, "error": "invalid_arguments"}
            if not args.get("filename") or length <= 0:
                return {"ok": False, "error": "invalid_arguments"}
            file_id = f"F0{next(self._ids):08d}"
            self.uploads[file_id] = Upload(file_id, args["filename"], length, args.get("alt_txt"))
            base = self.slack.api_url.rsplit("/api/", 1)[0]
            return {"ok": True, "upload_url": f"{base}{self.PREFIX}{file_id}", "file_id": file_id}
        # files.completeUploadExternal
        try:
            files = json.loads(args.get("files") or "[]")
        except ValueError:
            return {"ok": False, "error": "invalid_arguments"}
        if not files or not all(isinstance(f, dict) and f.get("id") in self.uploads for f in files):
            return {"ok": False, "error": "file_not_found"}
        shared = []
        for f in files:
            upload = self.uploads[f["id"]]
            if upload.data is None or len(upload.data) != upload.length:
                return {"ok": False, "error": "file_upload_incomplete"}
            upload.title, upload.completed = f.get("title"), True
            upload.channel_id, upload.thread_ts = args.get("channel_id"), args.get("thread_ts")
            shared.append({"id": upload.file_id, "name": upload.filename, "title": upload.title})
        return {"ok": True, "files": shared}

    def is_upload(self, path: str) -> bool:
        return path.startswith(self.PREFIX)

    def receive(self, path: str, body: bytes) -> int:
        """Keeps the bytes POSTed to an upload URL; 404 for a URL this fake never gave out."""
        upload = self.uploads.get(path[len(self.PREFIX):])
        if upload is None:
            return 404
        upload.data = body
        self.slack._record(Call("upload", {"file_id": upload.file_id, "bytes": len(body)}, None,
                                {"ok": True}))
        return 200

    def completed(self, channel: Optional[str] = None) -> List[Upload]:
        """Uploads shared (completeUploadExternal) to `channel` if given."""
        with self.slack._changed:
            return [u for u in self.uploads.values()
                    if u.completed and channel in (None, u.channel_id)]

    def wait_for_upload(self, channel: str, timeout: float = 60) -> Upload:
        """Waits (woken by each call) until a file is shared in `channel`; the first one."""
        deadline = time.monotonic() + timeout
        with self.slack._changed:
            while not (done := self.completed(channel)):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no file shared in {channel} within {timeout} s; "
                                         f"calls: {self.slack.calls}")
                self.slack._changed.wait(left)
            return done[0]

# --- Interactivity: what Slack sends when a person clicks a button ---


def click(post: Call, user: str, title: str, team: str = TEAM) -> Dict[str, Any]:
    """The `block_actions` payload of `user` clicking the button titled `title` in the message
    that `post` (a recorded chat.postMessage) made, as Slack builds it."""
    message = post.response["message"]
    buttons = [(block.get("block_id"), element) for block in message.get("blocks") or []
               if block.get("type") == "actions" for element in block["elements"]
               if element["text"]["text"] == title]
    assert buttons, f"no button {title!r} in {message.get('blocks')}"
    block_id, button = buttons[0]
    channel = post.response["channel"]
    container = {"type": "message", "message_ts": message["ts"], "channel_id": channel,
                 "is_ephemeral": False}
    if message.get("thread_ts"):
        container["thread_ts"] = message["thread_ts"]
    now = f"{time.time():.6f}"
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team},
        "api_app_id": APP,
        "token": "XXYYZZverificationtokenXX",
        "container": container,
        "trigger_id": f"{int(time.time())}.{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex}",
        "team": {"id": team, "domain": "runner-up-test"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "directmessage" if channel.startswith("D") else "general"},
        "message": {k: message[k] for k in ("type", "user", "bot_id", "ts", "text", "team", "blocks", "thread_ts")
                    if k in message},
        "state": {"values": {}},
        "response_url": f"https://hooks.slack.com/actions/{team}/{uuid.uuid4().int % 10**12}/x",
        "actions": [{"action_id": button["action_id"], "block_id": block_id, "text": button["text"],
                     "value": button["value"], "type": "button", "action_ts": now}],
    }


def interact(url: str, payload: Dict[str, Any], *, timestamp: Optional[float] = None,
             secret: str = SIGNING_SECRET, headers: Optional[Dict[str, str]] = None,
             body: Optional[bytes] = None) -> requests.Response:
    """POSTs `payload` to `url` as Slack posts an interaction: `payload=<json>`, form-encoded,
    signed now (or at `timestamp`); `body` replaces the encoded form (to test broken ones)."""
    if body is None:
        body = urlencode({"payload": json.dumps(payload)}).encode()
    sent_at = str(int(time.time() if timestamp is None else timestamp))
    slack_headers = {"X-Slack-Request-Timestamp": sent_at,
                     "X-Slack-Signature": signature(body, sent_at, secret)}
    return requests.post(
        url, data=body, timeout=30,
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
                 **(slack_headers if headers is None else headers)})
