"""A stand-in for Rasa's trigger_intent, for the check-in benchmark and tests: it does what
Runner-Up's Rasa does with a check-in (the action stamps the row, once) without loading a model.

It counts what it was asked and what it "said", so duplicates can be measured, and it can fail the
ways the real thing fails: down, answering 500 after the action spoke (a channel error), or
answering 200 without the action having run (the action server down).
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional, Text
from urllib.parse import unquote, urlparse

from runner_up.store import checkins as queue
from runner_up.store.db import Database

TRIGGER = re.compile(r"^/conversations/([^/]+)/trigger_intent$")


class StubRasa:
    """`with StubRasa(database) as stub:` serves on stub.url until the block ends."""

    def __init__(self, database: Database, port: int = 0) -> None:
        self.database = database
        self.mode = "ok"  # "ok", "error_after_action" or "action_down"
        self.calls: Counter = Counter()  # check-in id -> trigger_intent calls
        self.spoken: Counter = Counter()  # check-in id -> times the action spoke it
        self.channels: Counter = Counter()  # output_channel asked for
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.server.daemon_threads = True
        self._thread: Optional[threading.Thread] = None

    @property
    def url(self) -> Text:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def duplicates(self) -> int:
        return sum(count - 1 for count in self.spoken.values() if count > 1)

    def __enter__(self) -> "StubRasa":
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def trigger(self, sender_id: Text, checkin_id: int, channel: Text) -> int:
        """What Rasa and the check-in action do; returns the HTTP status."""
        with self._lock:
            self.calls[checkin_id] += 1
            self.channels[channel] += 1
        if self.mode == "action_down":
            return 200  # Rasa logs the failed action and still answers 200
        with self.database.session() as session:
            spoke = queue.mark_delivered(session, checkin_id, sender_id) is not None
        if spoke:
            with self._lock:
                self.spoken[checkin_id] += 1
        return 500 if self.mode == "error_after_action" else 200

    def _handler(self) -> type:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as Rasa's server does

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                url = urlparse(self.path)
                match = TRIGGER.match(url.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                query = dict(part.split("=", 1) for part in url.query.split("&") if "=" in part)
                if not match or body.get("name") != "EXTERNAL_checkin":
                    self._answer(404, {"error": "not a check-in trigger"})
                    return
                status = stub.trigger(unquote(match.group(1)), int(body["entities"]["checkin_id"]),
                                      query.get("output_channel", ""))
                self._answer(status, {"ok": status == 200})

            def _answer(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        return Handler
