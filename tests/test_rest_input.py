"""The REST channel refuses what it cannot answer with a 400 that says why, never a 5xx, and the
server goes on answering; odd but valid messages get a normal turn."""

from __future__ import annotations

import uuid

import pytest
import requests

from runner_up.store import repository
from runner_up.store.db import Database
from tests.launch import rest_headers

REFUSED = [
    (b"{not json", "application/json"),
    (b"[]", "application/json"),
    (b'""', "application/json"),
    (b"null", "application/json"),
    (b"42", "application/json"),
    (b"", "application/json"),
    (b'{"message": 12345, "sender": "a"}', "application/json"),
    (b'{"sender": "a"}', "application/json"),
    (b'{"sender": "a", "message": null}', "application/json"),
    (b'{"sender": "a", "message": ["hi"]}', "application/json"),
    (b'{"sender": "a", "message": {"text": "hi"}}', "application/json"),
    (b'{"sender": true, "message": "hi"}', "application/json"),
    (b'{"sender": ["a"], "message": "hi"}', "application/json"),
    (b'{"sender": "", "message": "hi"}', "application/json"),
    (b'{"sender": "   ", "message": "hi"}', "application/json"),
    (b'{"sender": "a\\u0000b", "message": "hi"}', "application/json"),
    (b'{"sender": "' + b"x" * 251 + b'", "message": "hi"}', "application/json"),  # rest: + 251 > 255
    (b'{"message": "hi"}', "application/json"),
    (b'{"sender": "a", "message": "\xff\xfe"}', "application/json"),
    (b"sender=a&message=hi", "application/x-www-form-urlencoded"),
    (b"<xml><message>hi</message></xml>", "application/xml"),
]


@pytest.mark.slow
@pytest.mark.parametrize("body, content_type", REFUSED)
def test_unanswerable_requests_get_a_400_that_says_why(servers, body: bytes, content_type: str) -> None:
    response = requests.post(f"{servers.rasa_url}/webhooks/rest/webhook", data=body,
                             headers={"Content-Type": content_type, **rest_headers()}, timeout=60)
    assert response.status_code == 400, (response.status_code, response.text[:300])
    assert "sender" in response.text or "message" in response.text or "JSON" in response.text


@pytest.mark.slow
def test_after_the_bad_ones_the_server_answers_and_stored_nothing_wrongly(servers) -> None:
    for body, content_type in REFUSED:
        requests.post(f"{servers.rasa_url}/webhooks/rest/webhook", data=body,
                      headers={"Content-Type": content_type, **rest_headers()}, timeout=60)
    who = f"rest-{uuid.uuid4().hex}"
    assert servers.say(who, "hello"), "a normal turn after all of them"
    assert servers.say(str(12345), "hello") is not None, "a numeric sender is read as text"
    database = Database(servers.database_url)
    with database.session() as session:
        assert repository.find_person(session, "rest", f"rest:{who}") is not None
        assert repository.find_person(session, "rest", "rest:a\x00b") is None
        assert repository.find_person(session, "rest", "rest:" + "x" * 251) is None
    database.dispose()
