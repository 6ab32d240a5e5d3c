"""Rasa's REST channel, with its input checked: a request Rasa would fail on (a body that is not a
JSON object, a message that is not text, a sender id the progress store cannot key on) gets a 400
that says what is wrong, instead of a 500 or a turn that silently fails in the action server.

The checks every channel shares live here too (the web chat and Slack import them):

- a message is text of at most `MESSAGE_LENGTH` characters (the widget's box takes 2,000; the
  tokenizer reads the first 400 tokens anyway); a longer one is refused (REST: 413);
- control characters other than tab and newlines, and lone surrogates (which a JSON `\\ud800`
  escape can produce and no UTF-8 store can hold), are dropped from the text: PostgreSQL refuses
  NUL in text, and no person means them;
- a sender id is 1 to 255 characters without control characters (the progress store's key).

The channel also registers two request middlewares for the whole app (Rasa's HTTP API): a check
of `POST /model/parse` bodies (Rasa 3.6 answers 500 to a body that is not a JSON object with a
"text", which is the client's error), and the decoding of percent-encoded conversation ids.
"""

from __future__ import annotations

import json
import unicodedata
from http import HTTPStatus
from typing import Any, Awaitable, Callable, Dict, Optional, Text
from urllib.parse import unquote

from rasa.core.channels import rest
from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, Sanic
from sanic.exceptions import InvalidUsage, PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse

from runner_up.channels import action_failures

action_failures.install()  # the person hears when an action cannot run

SENDER_LENGTH = 255  # the progress store's key (people.sender_id)
MESSAGE_LENGTH = 10_000
SHAPE = 'The body must be a JSON object: {"sender": "<your id>", "message": "<text>"}.'
JSON_ONLY = 'The body must be JSON, sent with "Content-Type: application/json".'
PARSE_PATH = "/model/parse"
PARSE_SHAPE = 'The body must be a JSON object with the text to parse: {"text": "<text>"}.'
KEPT_CONTROLS = "\t\n\r"


def body_of(request: Request) -> Dict[Text, Any]:
    """The request's JSON object. Only JSON is read: a form or a text/plain body (which a web page
    elsewhere can make a browser send without asking) is refused."""
    if request.content_type.split(";")[0].strip().lower() != "application/json":
        raise InvalidUsage(JSON_ONLY)
    try:
        body = request.json
    except Exception:  # noqa: BLE001 (Sanic raises several kinds for a body it cannot read)
        raise InvalidUsage(SHAPE) from None
    if not isinstance(body, dict):
        raise InvalidUsage(SHAPE)
    return body


def checked_sender(sender: Any) -> Optional[Text]:
    """The sender id as text; None (Rasa's "default" conversation) when not given."""
    if sender is None:
        return None
    if isinstance(sender, bool) or not isinstance(sender, (str, int)):
        raise InvalidUsage('"sender" must be text.')
    sender = str(sender)
    if not sender.strip() or len(sender) > SENDER_LENGTH:
        raise InvalidUsage(f'"sender" must be 1 to {SENDER_LENGTH} characters.')
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in sender):
        raise InvalidUsage('"sender" must not contain control characters.')
    return sender


def clean_message(text: Text) -> Text:
    """`text` without control characters (tab and newlines kept) or lone surrogates."""
    return "".join(c for c in text
                   if c in KEPT_CONTROLS or unicodedata.category(c) not in ("Cc", "Cs"))


def checked_message(message: Any) -> Text:
    """The message's text, cleaned; refused if it is not text or is too long to be a message."""
    if not isinstance(message, str):
        raise InvalidUsage('"message" must be text.')
    if len(message) > MESSAGE_LENGTH:
        raise PayloadTooLarge(f'"message" must be at most {MESSAGE_LENGTH:,} characters; '
                              f"this one has {len(message):,}.")
    return clean_message(message)


def parse_body_problem(body: bytes) -> Optional[Text]:
    """Why Rasa's /model/parse would fail on `body` (None if it would not): it reads `text` (or
    the first item of a list of texts, the emulators' form) from a JSON object."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return PARSE_SHAPE
    if not isinstance(data, dict):
        return PARSE_SHAPE
    text = data.get("text")
    if isinstance(text, list):
        text = text[0] if text else None
    if not isinstance(text, str):
        return '"text" must be text: {"text": "<text>"}.'
    return None


async def refuse_malformed_parse(request: Request) -> Optional[HTTPResponse]:
    """App-wide request middleware: a 400 in Rasa's error format for a malformed /model/parse body
    (Rasa's handler turns any failure to read the body into a 500)."""
    if request.method != "POST" or request.path != PARSE_PATH:
        return None
    problem = parse_body_problem(request.body)
    if problem is None:
        return None
    from rasa.server import ErrorResponse

    raise ErrorResponse(HTTPStatus.BAD_REQUEST, "BadRequest", problem,
                        {"parameter": "text", "in": "body"})


async def unquote_conversation_id(request: Request) -> None:
    """App-wide request middleware: Rasa's `/conversations/<conversation_id>/...` routes take the
    id as sent, still percent-encoded (Sanic unquotes a path parameter only for routes declared
    with `unquote=True`, which Rasa's are not). So a sender id with a space, an "@" or any
    non-ASCII letter named a different, empty conversation: its tracker could not be read, and a
    check-in (the scheduler quotes the id) went to a conversation nobody is in."""
    conversation_id = (request.match_info or {}).get("conversation_id")
    if conversation_id is None or "%" not in conversation_id:
        return
    try:
        decoded: Optional[Text] = unquote(conversation_id, errors="strict")
    except UnicodeDecodeError:
        decoded = None
    if decoded is None or any(unicodedata.category(c) in ("Cc", "Cs") for c in decoded):
        from rasa.server import ErrorResponse

        raise ErrorResponse(HTTPStatus.BAD_REQUEST, "BadRequest",
                            "A conversation id is UTF-8 text without control characters.",
                            {"parameter": "conversation_id", "in": "path"})
    request.match_info = {**request.match_info, "conversation_id": decoded}


class RestInput(rest.RestInput):
    """The "rest" channel (/webhooks/rest/webhook), refusing what it cannot answer."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)

        # A blueprint's own middleware only sees its routes; Rasa's HTTP API is the app's.
        @webhook.listener("before_server_start")
        async def check_api_requests(app: Sanic, _: Any) -> None:
            app.register_middleware(refuse_malformed_parse, "request")
            app.register_middleware(unquote_conversation_id, "request")

        return webhook

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        return checked_sender(body_of(req).get("sender"))

    def _extract_message(self, req: Request) -> Optional[Text]:
        return checked_message(body_of(req).get("message"))
