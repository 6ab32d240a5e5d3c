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

import re
import uuid
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Text

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from rasa.shared.constants import INTENT_MESSAGE_PREFIX
from rasa.shared.core.constants import IS_EXTERNAL
from rasa.shared.core.events import BotUttered, Event, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from runner_up.settings import ROOT

WEB = ROOT / "web"
# What the page may load; a fixed table, so a request can never name another file.
ASSETS = {
    "": WEB / "index.html",
    "widget.js": WEB / "widget.js",
    "widget.css": WEB / "widget.css",
    "socket.io.min.js": WEB / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js",
}
# The widget's session ids are uuid4().hex, like Rasa's own; anything else is refused.
SESSION_ID = re.compile(r"[0-9a-f]{32}")


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


class WebChatOutput(SocketIOOutput):
    """Rasa's socket.io output, without its split on blank lines: a template stays one message."""

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"text": text.strip()})

    async def send_text_with_buttons(self, recipient_id: Text, text: Text,
                                     buttons: List[Dict[Text, Any]], **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"text": text.strip(), "quick_replies": quick_replies(buttons)})


class WebChatInput(SocketIOInput):
    """Rasa's socket.io channel (same credentials) answering through WebChatOutput, plus the widget."""

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

        # Replaces Rasa 3.6's handler, which calls `sio.enter_room` without awaiting it: since
        # python-socketio 5.10 that is a coroutine, so the browser never joined its session's room
        # and no bot message (nor a check-in) reached it.
        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Optional[Dict[Text, Any]]) -> None:
            session_id = (data or {}).get("session_id") or uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

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
