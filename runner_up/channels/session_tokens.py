"""The web chat's sessions: ids the server issues, and the signed tokens that carry them.

A session id alone is not enough to join a conversation, post in it or read its history: the
browser keeps a token, `<session id>.<signature>`, where the signature is HMAC-SHA256 of the id
under RUNNER_UP_WEBCHAT_SECRET (which only the Rasa replicas hold). The server checks it in
constant time, and only then binds the socket to the session. Tokens do not expire: the page
keeps its conversation across visits, days apart; changing the secret ends every session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from typing import Optional, Text, Tuple

from runner_up import conversation_ids

PURPOSE = b"runner-up web chat session v1\x00"  # a signature for this use only


def _signature(secret: Text, session_id: Text) -> Text:
    digest = hmac.new(secret.encode(), PURPOSE + session_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_for(secret: Text, session_id: Text) -> Text:
    """The token that lets a browser back into `session_id`."""
    return f"{session_id}.{_signature(secret, session_id)}"


def new_session(secret: Text) -> Tuple[Text, Text]:
    """A fresh session id (uuid4 hex, as Rasa makes them) and its token."""
    session_id = uuid.uuid4().hex
    return session_id, token_for(secret, session_id)


def session_of(secret: Text, token: object) -> Optional[Text]:
    """The session id `token` carries, if the server signed it; None for anything else."""
    if not isinstance(token, str) or len(token) > 200:
        return None
    session_id, _, signature = token.partition(".")
    if not conversation_ids.WEB_SESSION.fullmatch(session_id):
        return None
    if not hmac.compare_digest(signature.encode("utf-8", "surrogatepass"),
                               _signature(secret, session_id).encode()):
        return None
    return session_id
