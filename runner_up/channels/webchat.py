"""The web chat: Rasa's socket.io channel, with each bot text sent whole, signed sessions bound to
their socket, and the page that uses it.

Rasa mounts a channel's blueprint at /webhooks/<url_prefix>/; the name stays "socketio", so the
tracker's input channel and `POST /conversations/{id}/trigger_intent?output_channel=socketio` (how
check-ins are delivered) still find this channel. The blueprint also serves the widget (web/) and
each conversation's history from the same origin as Rasa, which needs no CORS:

    /webhooks/socketio/chat/                       the page (index.html, widget.js, widget.css)
    /webhooks/socketio/chat/socket.io.min.js       socket.io-client from web/node_modules (no CDN)
    /webhooks/socketio/chat/history/<session id>   the conversation's texts, oldest first
                                                   (with "Authorization: Bearer <session token>")

A message carrying the mood picture (`{"runner_up_chart": ...}`, runner_up/picture.py) is sent,
live and in the history alike, as its text plus `"chart": {"src": <data: URL of the SVG>, "alt"}`,
which the widget shows as an <img> (an image of SVG runs no script and loads nothing).

The socket.io server itself stays at /socket.io/ (Rasa attaches it to the app, not the blueprint).

Sessions (runner_up/channels/session_tokens.py): the server issues the session id and a token
signed with RUNNER_UP_WEBCHAT_SECRET; the widget keeps the token. `session_request` with a valid
token joins that session, with anything else a fresh one; either way the socket is bound to it and
`session_confirm` says `{"session_id", "token"}`. A message is posted into the session its socket
is bound to, never into one the message names: a socket that was not given a session cannot post
into it (the conversation is `web:<session id>`, which no other channel can name). The history
needs the session's token too.

Origins: a browser's socket.io connection is accepted from the page's own origin (the Host the
request came to, or the X-Forwarded-Host/Proto a proxy in front sets) and from the origins listed
in RUNNER_UP_WEB_ORIGINS (comma-separated, e.g. `https://jobs.example.org`); others get 400.
(Rasa builds the server with `cors_allowed_origins=[]`, which python-engineio reads as "check
nothing".)
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Text

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from rasa.shared.constants import INTENT_MESSAGE_PREFIX
from rasa.shared.core.constants import IS_EXTERNAL
from rasa.shared.core.events import BotUttered, Event, UserUttered
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage, SanicException
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncRedisManager, AsyncServer

from runner_up import conversation_ids, picture, tokens
from runner_up.channels import action_failures, http_api, session_tokens
from runner_up.channels.fail_safe import Turns
from runner_up.channels.rest import checked_message
from runner_up.settings import ROOT
from runner_up.store.db import describe  # a URL without its password

action_failures.install()  # the person hears when an action cannot run

logger = logging.getLogger(__name__)

WEB = ROOT / "web"
# The Redis pub/sub channel the replicas' socket.io servers share (REDIS_URL).
REDIS_CHANNEL = "runner-up-socketio"
# What the page may load; a fixed table, so a request can never name another file.
ASSETS = {
    "": WEB / "index.html",
    "widget.js": WEB / "widget.js",
    "widget.css": WEB / "widget.css",
    "socket.io.min.js": WEB / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js",
}
# The widget's session ids are uuid4().hex, like Rasa's own; anything else is refused.
SESSION_ID = conversation_ids.WEB_SESSION
ORIGINS_ENV = "RUNNER_UP_WEB_ORIGINS"
# Where a socket's bound conversation is kept (python-socketio's per-socket session).
BOUND = "conversation_id"
# The widget sends {"timezone": ...}; anything much bigger is not metadata.
METADATA_LENGTH = 10_000


def quick_replies(buttons: Iterable[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    """Buttons in the shape Rasa's socket.io channel sends them."""
    return [{"content_type": "text", "title": b["title"], "payload": b["payload"]} for b in buttons]


def chart_image(custom: Any) -> Optional[Dict[Text, Text]]:
    """`{"src": <SVG data: URL>, "alt": ...}` for a message's custom JSON carrying a chart; None for
    anything else, or (logged) for a chart that cannot be drawn: the text still says it all."""
    chart = custom.get(picture.CHART_KEY) if isinstance(custom, dict) else None
    if chart is None:
        return None
    try:
        return {"src": picture.svg_data_url(chart), "alt": chart["alt"]}
    except picture.ChartError as error:
        logger.error("web chat: a mood picture could not be drawn (%s); its text is sent alone", error)
        return None


def transcript(events: Iterable[Event]) -> List[Dict[Text, Any]]:
    """The texts a person saw in the chat, oldest first, with their times (seconds since epoch).

    A quick reply the person clicked is shown by its title, as the widget showed it (Rasa keeps
    its payload). Left out: other intents the widget sends itself ("/greet") and external events
    (a check-in's trigger_intent), which the person never typed.
    """
    messages: List[Dict[Text, Any]] = []
    offered: Dict[Text, Text] = {}  # payload -> title of the latest bot message's buttons
    for event in events:
        if isinstance(event, UserUttered) and event.text:
            text = offered.get(event.text, event.text)
            offered = {}
            if text.startswith(INTENT_MESSAGE_PREFIX) or (event.metadata or {}).get(IS_EXTERNAL):
                continue
            messages.append({"from": "user", "text": text, "timestamp": event.timestamp})
        elif isinstance(event, BotUttered) and event.text:
            offered = {b["payload"]: b["title"] for b in event.data.get("buttons") or []
                       if isinstance(b, dict) and isinstance(b.get("payload"), str)
                       and isinstance(b.get("title"), str)}
            message = {"from": "bot", "text": event.text, "timestamp": event.timestamp}
            if event.data.get("buttons"):
                message["quick_replies"] = quick_replies(event.data["buttons"])
            image = chart_image(event.data.get("custom"))
            if image:
                message["chart"] = image
            messages.append(message)
    return messages


def share_rooms_through_redis(sio: AsyncServer, url: Optional[Text]) -> None:
    """With several Rasa replicas, a message for a session (a reply, a check-in) may be sent by a
    replica the browser is not connected to. With `REDIS_URL` set, every replica publishes its
    emits through Redis (python-socketio's AsyncRedisManager) and each delivers them to the browsers
    connected to it. Set before the server is first used, so the manager is initialised on start."""
    if not url:
        return
    sio.manager = AsyncRedisManager(url, channel=REDIS_CHANNEL)
    sio.manager.set_server(sio)
    logger.info("web chat: socket.io rooms shared through Redis at %s", describe(url))


class WebChatOutput(SocketIOOutput):
    """Rasa's socket.io output, without its split on blank lines: a template stays one message."""

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"text": text.strip()})

    async def send_text_with_buttons(self, recipient_id: Text, text: Text,
                                     buttons: List[Dict[Text, Any]], **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"text": text.strip(), "quick_replies": quick_replies(buttons)})

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        """A message with the mood picture goes as one: its text and the chart image (as the
        history replays it); every other message as Rasa sends it."""
        custom = message.get("custom")
        if not (isinstance(custom, dict) and picture.CHART_KEY in custom):
            await super().send_response(recipient_id, message)
            return
        out: Dict[Text, Any] = {"text": (message.get("text") or "").strip()}
        image = chart_image(custom)
        if image:  # else (logged) the text alone, which says what the picture would show
            out["chart"] = image
        if message.get("buttons"):
            out["quick_replies"] = quick_replies(message["buttons"])
        await self._send_message(recipient_id, out)


def allowed_origins(configured: Optional[Text]) -> Callable[[Optional[Text], Dict[Text, Any]], bool]:
    """python-engineio's origin check: the request's own origin (its Host, or what a proxy in
    front forwarded) or one of `configured` (comma-separated)."""
    listed = {o.strip().rstrip("/") for o in (configured or "").split(",") if o.strip()}

    def allowed(origin: Optional[Text], environ: Dict[Text, Any]) -> bool:
        if not origin:
            return True  # not a browser: sessions are signed, so an origin adds nothing
        scheme = environ.get("HTTP_X_FORWARDED_PROTO", environ.get("wsgi.url_scheme", "http"))
        host = environ.get("HTTP_X_FORWARDED_HOST", environ.get("HTTP_HOST", ""))
        own = f"{scheme.split(',')[0].strip()}://{host.split(',')[0].strip()}"
        return origin.rstrip("/") in listed | {own}

    return allowed


def webchat_secret() -> Text:
    """RUNNER_UP_WEBCHAT_SECRET; without it (a bare `rasa run`), one for this process only."""
    secret = os.environ.get(tokens.WEBCHAT_SECRET)
    if secret:
        return secret
    logger.warning("web chat: %s is not set, so sessions last only as long as this process "
                   "(`runner-up run` keeps one under var/secrets/)", tokens.WEBCHAT_SECRET)
    return secrets.token_urlsafe(32)


def checked_metadata(metadata: Any) -> Dict[Text, Any]:
    """The message's metadata: an object, or an object as a JSON string (Rasa's handler reads
    both), of at most METADATA_LENGTH characters as JSON."""
    if metadata is None:
        return {}
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except (ValueError, RecursionError):
            raise InvalidUsage('"metadata" must be a JSON object.') from None
    if not isinstance(metadata, dict):
        raise InvalidUsage('"metadata" must be a JSON object.')
    if len(json.dumps(metadata)) > METADATA_LENGTH:
        raise InvalidUsage(f'"metadata" must be at most {METADATA_LENGTH:,} characters as JSON.')
    return metadata


def refused(reason: Text) -> Dict[Text, Any]:
    """The bot message a refused message gets: what the person sees, and a mark for programs."""
    return {"text": f"Sorry, I couldn't take that message: {reason}", "refused": True}


class WebChatInput(SocketIOInput):
    """Rasa's socket.io channel (same credentials) answering through WebChatOutput, with signed
    sessions bound to their socket, plus the widget."""

    def user_message(self, conversation_id: Optional[Text], data: Any) -> UserMessage:
        """The person's message from a `user_uttered` event's data, for the conversation its socket
        is bound to, checked as the REST channel checks its body (runner_up.channels.rest); raises
        a SanicException that says why not."""
        if not isinstance(data, dict):
            raise InvalidUsage('send an object: {"message": "<text>"}.')
        if conversation_id is None:
            raise InvalidUsage('this connection has no session yet: ask for one with "session_request".')
        named = data.get("session_id")  # not needed; if given, it must be the socket's own
        if named is not None and not (isinstance(named, str) and SESSION_ID.fullmatch(named)
                                      and conversation_ids.web(named) == conversation_id):
            raise InvalidUsage("this connection was not given that session.")
        return UserMessage(checked_message(data.get("message", "")), self.get_output_channel(),
                           conversation_id, input_channel=self.name(),
                           metadata=checked_metadata(data.get(self.metadata_key)))

    def get_output_channel(self) -> Optional[OutputChannel]:
        if self.sio is None:
            return super().get_output_channel()  # Rasa's warning: no socket.io server in this process
        return WebChatOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        turns = Turns()

        async def handle(message: UserMessage) -> None:
            # Rasa's handler built a SocketIOOutput for this message; answer through ours instead.
            message.output_channel = self.get_output_channel()
            await turns.handle(on_new_message, message)

        webchat = super().blueprint(handle)
        http_api.install_on_start(webchat)
        turns.attach(webchat)
        sio = webchat.ctx.sio
        sio.eio.cors_allowed_origins = allowed_origins(os.environ.get(ORIGINS_ENV))
        share_rooms_through_redis(sio, os.environ.get("REDIS_URL"))
        secret = webchat_secret()

        async def bound(sid: Text) -> Optional[Text]:
            try:
                return (await sio.get_session(sid, namespace=self.namespace)).get(BOUND)
            except KeyError:  # the socket is gone
                return None

        # Replaces Rasa 3.6's handler, which joins whatever session id the client names (and
        # calls `sio.enter_room` without awaiting it, a coroutine since python-socketio 5.10).
        # A valid token joins its session; anything else gets a fresh one. The socket is bound
        # to that one session (leaving any it had), which its messages then go to.
        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, *args: Any) -> None:
            data = args[0] if args else None
            session_id = session_tokens.session_of(secret, data.get("token") if isinstance(data, dict) else None)
            if session_id is None:
                session_id, token = session_tokens.new_session(secret)
            else:
                token = session_tokens.token_for(secret, session_id)
            conversation_id = conversation_ids.web(session_id)
            previous = await bound(sid)
            if previous and previous != conversation_id:
                await sio.leave_room(sid, previous, namespace=self.namespace)
            await sio.save_session(sid, {BOUND: conversation_id}, namespace=self.namespace)
            await sio.enter_room(sid, conversation_id, namespace=self.namespace)
            await sio.emit("session_confirm", {"session_id": session_id, "token": token},
                           room=sid, namespace=self.namespace)

        # Replaces Rasa's handler, which fails (and the person hears nothing) on data that is not
        # an object, metadata that is not JSON, or a message that is not text, and posts into
        # whatever session the data names. Whatever is refused is logged and answered, to this
        # socket only, with a bot message marked "refused" that says why; nothing is stored.
        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def user_uttered(sid: Text, *args: Any) -> None:
            try:
                message = self.user_message(await bound(sid), args[0] if len(args) == 1 else list(args))
            except SanicException as refusal:
                logger.info("web chat: refused a message from socket %s: %s", sid, refusal)
                await sio.emit(self.bot_message_evt, refused(str(refusal)), room=sid,
                               namespace=self.namespace)
                return
            await handle(message)

        # Without the slash, the page's relative links (widget.js, history/...) would miss.
        @webchat.route("/chat", strict_slashes=True, name="chat_redirect")
        async def chat_without_slash(_: Request) -> HTTPResponse:
            return response.redirect("chat/")

        @webchat.route("/chat/<name:str>", strict_slashes=True, name="chat_asset")
        @webchat.route("/chat/", strict_slashes=True, name="chat_page")
        async def asset(_: Request, name: Text = "") -> HTTPResponse:
            path = ASSETS.get(name)
            if path is None:
                return response.text("Not found.", status=404)
            if not path.is_file():
                return response.text(f"{path.name} is missing: run scripts/install.sh.", status=500)
            # no-cache: the browser revalidates, so an updated widget is picked up on reload.
            return await response.file(path, headers={"Cache-Control": "no-cache"})

        @webchat.route("/chat/history/<session_id:str>", name="chat_history")
        async def history(request: Request, session_id: Text) -> HTTPResponse:
            if not SESSION_ID.fullmatch(session_id):
                return response.json({"error": "A session id is 32 lowercase hex digits."}, status=400)
            given = session_tokens.session_of(secret, tokens.bearer(request.headers.get("Authorization")))
            if given is None:
                return response.json({"error": "The history needs the session's token: "
                                               "'Authorization: Bearer <token>'."}, status=401)
            if given != session_id:
                return response.json({"error": "That token is for another session."}, status=403)
            agent = getattr(request.app.ctx, "agent", None)
            if agent is None:
                return response.json({"error": "No model is loaded yet."}, status=503)
            try:
                tracker = await agent.tracker_store.retrieve_full_tracker(conversation_ids.web(session_id))
            except Exception:  # noqa: BLE001 (the store is down: the page says so and goes on)
                logger.exception("web chat: the history of a session could not be read")
                return response.json({"error": "The conversation store cannot be reached right now."},
                                     status=503)
            return response.json({"session_id": session_id,
                                  "messages": transcript(tracker.events if tracker else [])})

        return webchat
