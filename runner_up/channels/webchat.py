"""The web chat: Rasa's socket.io channel, with each bot text sent whole, and the page that uses it.

Rasa mounts a channel's blueprint at /webhooks/<url_prefix>/; the name stays "socketio", so the
tracker's input channel and `POST /conversations/{id}/trigger_intent?output_channel=socketio` (how
check-ins are delivered) still find this channel. The blueprint also serves the widget (web/) and
each conversation's history from the same origin as Rasa, which needs no CORS:

    /webhooks/socketio/chat/                       the page (index.html, widget.js, widget.css)
    /webhooks/socketio/chat/socket.io.min.js       socket.io-client from web/node_modules (no CDN)
    /webhooks/socketio/chat/history/<session id>   the conversation's texts, oldest first

The socket.io server itself stays at /socket.io/ (Rasa attaches it to the app, not the blueprint).
"""

from __future__ import annotations

import json
import logging
import os
import re
import uuid
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

from runner_up.channels import action_failures
from runner_up.channels.rest import checked_message, checked_sender
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
SESSION_ID = re.compile(r"[0-9a-f]{32}")
# The widget sends {"timezone": ...}; anything much bigger is not metadata.
METADATA_LENGTH = 10_000


def quick_replies(buttons: Iterable[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    """Buttons in the shape Rasa's socket.io channel sends them."""
    return [{"content_type": "text", "title": b["title"], "payload": b["payload"]} for b in buttons]


def transcript(events: Iterable[Event]) -> List[Dict[Text, Any]]:
    """The texts a person saw in the chat, oldest first, with their times (seconds since epoch).

    Left out: intents the widget sends itself ("/greet") and external events (a check-in's
    trigger_intent), which the person never typed.
    """
    messages: List[Dict[Text, Any]] = []
    for event in events:
        if isinstance(event, UserUttered) and event.text:
            if event.text.startswith(INTENT_MESSAGE_PREFIX) or (event.metadata or {}).get(IS_EXTERNAL):
                continue
            messages.append({"from": "user", "text": event.text, "timestamp": event.timestamp})
        elif isinstance(event, BotUttered) and event.text:
            message = {"from": "bot", "text": event.text, "timestamp": event.timestamp}
            if event.data.get("buttons"):
                message["quick_replies"] = quick_replies(event.data["buttons"])
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


def requested_session(data: Any) -> Optional[Text]:
    """The session id a `session_request` asks for, if it is one the channels accept."""
    session_id = data.get("session_id") if isinstance(data, dict) else None
    if not isinstance(session_id, str):
        return None
    try:
        return checked_sender(session_id)
    except SanicException as refusal:
        logger.info("web chat: a fresh session instead of %r: %s", session_id[:40], refusal)
        return None


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
    """Rasa's socket.io channel (same credentials) answering through WebChatOutput, plus the widget."""

    def user_message(self, sid: Text, data: Any) -> UserMessage:
        """The person's message from a `user_uttered` event's data, checked as the REST channel
        checks its body (runner_up.channels.rest); raises a SanicException that says why not."""
        if not isinstance(data, dict):
            raise InvalidUsage('send an object: {"message": "<text>", "session_id": "<id>"}.')
        sender_id = sid
        if self.session_persistence:
            sender_id = data.get("session_id")
            if not isinstance(sender_id, str) or checked_sender(sender_id) is None:
                raise InvalidUsage('"session_id" must be the id of a session (ask for one with '
                                   '"session_request").')
        return UserMessage(checked_message(data.get("message", "")), self.get_output_channel(),
                           sender_id, input_channel=self.name(),
                           metadata=checked_metadata(data.get(self.metadata_key)))

    def get_output_channel(self) -> Optional[OutputChannel]:
        if self.sio is None:
            return super().get_output_channel()  # Rasa's warning: no socket.io server in this process
        return WebChatOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def handle(message: UserMessage) -> None:
            # Rasa's handler built a SocketIOOutput for this message; answer through ours instead.
            message.output_channel = self.get_output_channel()
            await on_new_message(message)

        webchat = super().blueprint(handle)
        sio = webchat.ctx.sio
        share_rooms_through_redis(sio, os.environ.get("REDIS_URL"))

        # Replaces Rasa 3.6's handler, which calls `sio.enter_room` without awaiting it: since
        # python-socketio 5.10 that is a coroutine, so the browser never joined its session's room
        # and no bot message (nor a check-in) reached it. A missing or unusable session id (not
        # text, blank, too long, control characters) gets a fresh one, as a missing one does.
        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, *args: Any) -> None:
            session_id = requested_session(args[0] if args else None) or uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        # Replaces Rasa's handler, which fails (and the person hears nothing) on data that is not
        # an object, metadata that is not JSON, or a message that is not text, and silently drops
        # one without a session id. Whatever is refused is logged and answered, to this socket
        # only, with a bot message marked "refused" that says why; nothing is stored.
        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def user_uttered(sid: Text, *args: Any) -> None:
            try:
                message = self.user_message(sid, args[0] if len(args) == 1 else list(args))
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
            agent = getattr(request.app.ctx, "agent", None)
            if agent is None:
                return response.json({"error": "No model is loaded yet."}, status=503)
            tracker = await agent.tracker_store.retrieve_full_tracker(session_id)
            return response.json({"session_id": session_id,
                                  "messages": transcript(tracker.events if tracker else [])})

        return webchat
