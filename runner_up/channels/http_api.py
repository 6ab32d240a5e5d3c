"""Rasa's HTTP API, guarded: every route needs RASA_TOKEN, checked in constant time, before Rasa
sees the request; and two repairs of Rasa 3.6's handlers.

Rasa 3.6's own check (`--auth-token`) reads the token only from `?token=` (where it ends up in
access logs), compares it with `==` (its time depends on how much of a guess is right) and guards
only the routes decorated with it. So this module registers, for the whole app, a request
middleware that runs before any route:

- `/` (Rasa's hello), `/webhooks/...` (the channels: each checks its own credentials: REST a
  bearer token, the web chat a signed session, Slack a signature) and `/socket.io/` (the web
  chat's socket: sessions are signed) are open;
- every other path needs `Authorization: Bearer <RASA_TOKEN>` (or Rasa's `?token=`), compared with
  `hmac.compare_digest`; without RASA_TOKEN in the server's environment, nothing else is answered.
  Anything else gets Rasa's 401 ("NotAuthenticated"), whether the route exists or not.

Rasa is still started with `--auth-token` (the same value), so a server started without this
middleware refuses too; a request that brought the token in its header is handed to Rasa's check
as if it had been in the query, and a wrong token never reaches Rasa's `==`.

The two repairs: a 400 in Rasa's error format for a malformed `POST /model/parse` body (Rasa 3.6
answers 500), and percent-decoded conversation ids in `/conversations/<id>/...` (Sanic does not
decode them for Rasa's routes, so `web%3A...` named a conversation nobody is in).

The channels' blueprints call `install_on_start(blueprint)`; the first server start registers the
middlewares once, whichever channel's listener runs first.
"""

from __future__ import annotations

import json
import os
import unicodedata
from http import HTTPStatus
from typing import Any, Optional, Text
from urllib.parse import unquote

from sanic import Blueprint, Sanic
from sanic.request import Request
from sanic.response import HTTPResponse

from runner_up import tokens

PARSE_PATH = "/model/parse"
PARSE_SHAPE = 'The body must be a JSON object with the text to parse: {"text": "<text>"}.'
# Paths with credentials of their own (see the module's docstring).
OPEN_PATHS = ("/",)
OPEN_PREFIXES = ("/webhooks/", "/socket.io/")
_INSTALLED = "runner_up_http_api_installed"


def needs_token(path: Text) -> bool:
    """Whether a request to `path` must bring RASA_TOKEN."""
    return path not in OPEN_PATHS and not path.startswith(OPEN_PREFIXES)


def _error(status: HTTPStatus, reason: Text, message: Text, details: Any = None) -> Exception:
    from rasa.server import ErrorResponse  # Rasa's error format; imported with the server only

    return ErrorResponse(status, reason, message, details)


def token_guard(expected: Optional[Text]) -> Any:
    """The request middleware that refuses API requests without `expected` (see the docstring)."""

    async def require_token(request: Request) -> None:
        if not needs_token(request.path):
            return
        provided = tokens.bearer(request.headers.get("Authorization"))
        in_query = request.args.get("token")
        if not tokens.matches(provided or in_query, expected):
            raise _error(HTTPStatus.UNAUTHORIZED, "NotAuthenticated",
                         "Rasa's HTTP API needs its token (RASA_TOKEN) as 'Authorization: Bearer <token>'."
                         if expected else "Rasa's HTTP API is closed: RASA_TOKEN is not set on the server.")
        if in_query is None:
            # Rasa's own check reads the query: give it the token that came in the header.
            request.args["token"] = [expected]

    return require_token


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
    """Request middleware: a 400 in Rasa's error format for a malformed /model/parse body (Rasa's
    handler turns any failure to read the body into a 500)."""
    if request.method != "POST" or request.path != PARSE_PATH:
        return None
    problem = parse_body_problem(request.body)
    if problem is None:
        return None
    raise _error(HTTPStatus.BAD_REQUEST, "BadRequest", problem, {"parameter": "text", "in": "body"})


async def unquote_conversation_id(request: Request) -> None:
    """Request middleware: Rasa's `/conversations/<conversation_id>/...` routes take the id as
    sent, still percent-encoded (Sanic unquotes a path parameter only for routes declared with
    `unquote=True`, which Rasa's are not). So an id with a ":", a space or any non-ASCII letter
    named a different, empty conversation: its tracker could not be read, and a check-in (the
    scheduler quotes the id) went to a conversation nobody is in."""
    conversation_id = (request.match_info or {}).get("conversation_id")
    if conversation_id is None or "%" not in conversation_id:
        return
    try:
        decoded: Optional[Text] = unquote(conversation_id, errors="strict")
    except UnicodeDecodeError:
        decoded = None
    if decoded is None or any(unicodedata.category(c) in ("Cc", "Cs") for c in decoded):
        raise _error(HTTPStatus.BAD_REQUEST, "BadRequest",
                     "A conversation id is UTF-8 text without control characters.",
                     {"parameter": "conversation_id", "in": "path"})
    request.match_info = {**request.match_info, "conversation_id": decoded}


def install(app: Sanic) -> None:
    """Registers the middlewares on `app` once, the token check first."""
    if getattr(app.ctx, _INSTALLED, False):
        return
    setattr(app.ctx, _INSTALLED, True)
    app.register_middleware(token_guard(os.environ.get(tokens.RASA_TOKEN) or None), "request")
    app.register_middleware(refuse_malformed_parse, "request")
    app.register_middleware(unquote_conversation_id, "request")


def install_on_start(blueprint: Blueprint) -> None:
    """Registers the middlewares on the app that serves `blueprint`, when it starts (a
    blueprint's own middleware would only see its own routes)."""

    @blueprint.listener("before_server_start")
    async def guard_the_api(app: Sanic, _: Any) -> None:
        install(app)
