"""runner_up/channels/http_api.py on its own: which paths need RASA_TOKEN, and the guard's answer
to a request with and without it (tests/test_attacks.py sends the same to the real server)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Dict, Optional

import pytest
from rasa.server import ErrorResponse

from runner_up.channels.http_api import needs_token, token_guard

TOKEN = "t" * 43


@pytest.mark.parametrize("path, guarded", [
    ("/", False), ("/webhooks/rest/webhook", False), ("/webhooks/socketio/chat/", False),
    ("/socket.io/", False), ("/status", True), ("/version", True), ("/model", True),
    ("/conversations/web%3Aabc/tracker", True), ("//status", True), ("/webhooks", True),
    ("/socket.io", True), ("/%77ebhooks/rest/webhook", True), ("/anything-else", True),
])
def test_every_path_but_the_channels_and_the_hello_needs_the_token(path: str, guarded: bool) -> None:
    assert needs_token(path) is guarded


class Args(dict):
    def get(self, key: str, default: Optional[str] = None) -> Optional[str]:  # like Sanic's RequestParameters
        values = super().get(key)
        return values[0] if values else default


def request(authorization: Optional[str] = None, token: Optional[str] = None) -> SimpleNamespace:
    headers: Dict[str, str] = {"Authorization": authorization} if authorization else {}
    return SimpleNamespace(path="/status", headers=headers, args=Args({"token": [token]} if token else {}))


@pytest.mark.parametrize("authorization, token", [
    (None, None), (f"Bearer {TOKEN[:-1]}", None), (f"Bearer {TOKEN}x", None), (f"Token {TOKEN}", None),
    (TOKEN, None), ("Bearer ", None), (None, TOKEN[:-1]), (None, ""),
])
def test_without_the_token_the_api_answers_401(authorization: Optional[str], token: Optional[str]) -> None:
    with pytest.raises(ErrorResponse) as refused:
        asyncio.run(token_guard(TOKEN)(request(authorization, token)))
    assert refused.value.status == 401


def test_with_no_token_on_the_server_nothing_opens_the_api() -> None:
    for guard_token in (None, ""):
        with pytest.raises(ErrorResponse) as refused:
            asyncio.run(token_guard(guard_token)(request("Bearer ", "")))
        assert refused.value.status == 401 and "RASA_TOKEN is not set" in refused.value.error_info["message"]


def test_the_token_in_the_header_is_handed_to_rasas_own_check() -> None:
    sent = request(f"Bearer {TOKEN}")
    assert asyncio.run(token_guard(TOKEN)(sent)) is None
    assert sent.args.get("token") == TOKEN, "Rasa's requires_auth reads ?token="
    assert asyncio.run(token_guard(TOKEN)(request(None, TOKEN))) is None
