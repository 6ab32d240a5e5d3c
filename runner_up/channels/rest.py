"""Rasa's REST channel (tests and tools), behind a bearer token, with its input checked.

- Every request needs `Authorization: Bearer $RUNNER_UP_REST_TOKEN` (compared in constant time):
  with the variable unset on the server the channel refuses everything (403), a missing or wrong
  token gets 401.
- The conversation is `rest:<sender>` (runner_up/conversation_ids.py): REST can name only REST
  conversations, never a web chat session or a Slack person, whatever `sender` or
  `input_channel` the body says.
- A request Rasa would fail on (a body that is not a JSON object, a message that is not text, a
  sender id the progress store cannot key on) gets a 400 that says what is wrong.
- A turn that cannot run (a store down) is answered by runner_up/channels/fail_safe.py, and the
  answer comes with 503: the client knows that nothing was stored.

The checks every channel shares live here too (the web chat and Slack import them):

- a message is text of at most `MESSAGE_LENGTH` characters (the widget's box takes 2,000; the
  tokenizer reads the first 400 tokens anyway); a longer one is refused (REST: 413);
- control characters other than tab and newlines, and lone surrogates (which a JSON `\\ud800`
  escape can produce and no UTF-8 store can hold), are dropped from the text: PostgreSQL refuses
  NUL in text, and no person means them;
- a sender id is 1 to 255 characters without control characters (the progress store's key).
"""

from __future__ import annotations

import logging
import os
import unicodedata
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels import rest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage, PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse

from runner_up import conversation_ids, tokens
from runner_up.channels import action_failures, http_api
from runner_up.channels.fail_safe import Turns

action_failures.install()  # the person hears when an action cannot run

logger = logging.getLogger(__name__)

SENDER_LENGTH = conversation_ids.LENGTH  # the progress store's key (people.sender_id)
MESSAGE_LENGTH = 10_000
SHAPE = 'The body must be a JSON object: {"sender": "<your id>", "message": "<text>"}.'
JSON_ONLY = 'The body must be JSON, sent with "Content-Type: application/json".'
KEPT_CONTROLS = "\t\n\r"
# Seconds a client should wait before sending a turn again that failed for a store outage.
RETRY_AFTER = "60"


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


def checked_sender(sender: Any, length: int = SENDER_LENGTH) -> Optional[Text]:
    """The sender id as text; None when not given."""
    if sender is None:
        return None
    if isinstance(sender, bool) or not isinstance(sender, (str, int)):
        raise InvalidUsage('"sender" must be text.')
    sender = str(sender)
    if not sender.strip() or len(sender) > length:
        raise InvalidUsage(f'"sender" must be 1 to {length} characters.')
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


def refusal(token: Optional[Text], authorization: Optional[Text]) -> Optional[HTTPResponse]:
    """The answer to a request without the REST token (None when it has it)."""
    if not token:
        return response.json({"error": "The REST channel is turned off: the server has no "
                                       "RUNNER_UP_REST_TOKEN."}, status=403)
    if not tokens.matches(tokens.bearer(authorization), token):
        return response.json({"error": "The REST channel needs 'Authorization: Bearer "
                                       "<RUNNER_UP_REST_TOKEN>'."},
                             status=401, headers={"WWW-Authenticate": 'Bearer realm="rest"'})
    return None


class RestInput(rest.RestInput):
    """The "rest" channel (/webhooks/rest/webhook): a bearer token, REST's own conversations, and
    a 400 for what it cannot answer."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = Blueprint("custom_webhook_RestInput", __name__)
        http_api.install_on_start(webhook)
        turns = Turns()
        turns.attach(webhook)
        token = os.environ.get(tokens.REST_TOKEN) or None

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            refused = refusal(token, request.headers.get("Authorization"))
            if refused is not None:
                return refused
            sender_id = await self._extract_sender(request)
            collector = CollectingOutputChannel()
            message = UserMessage(self._extract_message(request), collector, sender_id,
                                  input_channel=self.name(), metadata=self.get_metadata(request))
            if await turns.handle(on_new_message, message):
                return response.json(collector.messages)
            # Answered (the care and helplines, or "something is broken"), but not stored.
            return response.json(collector.messages, status=503, headers={"Retry-After": RETRY_AFTER})

        return webhook

    async def _extract_sender(self, req: Request) -> Text:
        sender = checked_sender(body_of(req).get("sender"), conversation_ids.REST_SENDER_LENGTH)
        if sender is None:
            raise InvalidUsage('"sender" is missing: {"sender": "<your id>", "message": "<text>"}.')
        return conversation_ids.rest(sender)

    def _extract_message(self, req: Request) -> Text:
        return checked_message(body_of(req).get("message"))

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        metadata = body_of(request).get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise InvalidUsage('"metadata" must be a JSON object.')
        return metadata
