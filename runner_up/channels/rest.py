"""Rasa's REST channel, with its input checked: a request Rasa would fail on (a body that is not a
JSON object, a message that is not text, a sender id the progress store cannot key on) gets a 400
that says what is wrong, instead of a 500 or a turn that silently fails in the action server.
"""

from __future__ import annotations

import unicodedata
from typing import Any, Dict, Optional, Text

from rasa.core.channels import rest
from sanic.exceptions import InvalidUsage
from sanic.request import Request

SENDER_LENGTH = 255  # the progress store's key (people.sender_id)
SHAPE = 'The body must be a JSON object: {"sender": "<your id>", "message": "<text>"}.'


def body_of(request: Request) -> Dict[Text, Any]:
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


class RestInput(rest.RestInput):
    """The "rest" channel (/webhooks/rest/webhook), refusing what it cannot answer."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        return checked_sender(body_of(req).get("sender"))

    def _extract_message(self, req: Request) -> Optional[Text]:
        message = body_of(req).get("message")
        if not isinstance(message, str):
            raise InvalidUsage('"message" must be text.')
        return message
