"""Slack (Events API): direct messages and mentions in, replies and check-ins out.

Built on Rasa's Slack connector, with what a production app needs beside it:

- every delivery is answered at once and handled in a background task, so Slack's three-second
  timeout never fires for a slow turn;
- deliveries are de-duplicated by Slack's `event_id`, which a retry keeps, so a retry (whatever its
  `X-Slack-Retry-Reason`) never produces a second reply; seen ids live in memory, or in Redis
  (`REDIS_URL`) when several Rasa replicas share the work;
- a message without a live channel (a check-in through `trigger_intent?output_channel=slack`) goes
  to the person's own direct-message channel, opened with `conversations.open`;
- each person's DM with the app is one conversation (`slack:<team>:<user>`) and each channel
  thread they mention the app in another (`slack:<team>:<user>:<channel>:<thread>`,
  runner_up/conversation_ids.py), so a mention never reads or posts the DM's history, and the
  actions refuse export, delete and personal recall in a thread;
- every text sent to Slack has `&`, `<` and `>` escaped, as Slack asks: text the person gave
  (a company name in a template, their strengths in a summary) cannot become `<!channel>` or a
  disguised link;
- a message with buttons is posted as Block Kit (runner_up/slack_blocks.py); a click comes to
  `/webhooks/slack/interactive` (the app's Interactivity Request URL) as a signed form post
  `payload=<json>` of type `block_actions`: acknowledged at once, handled once (per person and
  message), its button's value sent as the person's message into the conversation a message of
  theirs in that DM or thread would be in, and the message updated (`chat.update`) so its buttons
  give way to "You chose: ...";
- a turn that cannot run (a store down) is answered by runner_up/channels/fail_safe.py;
- the Web API's base URL comes from `SLACK_API_URL`, so tests talk to a local fake.

Signatures, of events and clicks alike, are checked with Rasa's `is_request_from_slack_authentic`,
which already does what Slack asks: v0 HMAC-SHA256 over `v0:{timestamp}:{body}`,
`hmac.compare_digest`, timestamps more than five minutes away from now (past or future) refused,
and a missing header fails both checks.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Protocol, Text
from urllib.parse import parse_qs

from rasa.core.channels import slack as rasa_slack
from rasa.core.channels.channel import OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from slack_sdk.web.async_client import AsyncWebClient

from runner_up import conversation_ids, slack_blocks
from runner_up.channels import action_failures, http_api
from runner_up.channels.fail_safe import Turns
from runner_up.channels.rest import MESSAGE_LENGTH, clean_message
from runner_up.slack_blocks import escaped

action_failures.install()  # the person hears when an action cannot run

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
# Slack retries a delivery for up to about an hour (three retries, the last after ~5 minutes),
# so an hour of memory covers every retry with room to spare.
SEEN_EVENT_TTL_SECONDS = 3600
# Tells Slack not to retry: the event was handled (or is being handled) already.
NO_RETRY = {"X-Slack-No-Retry": "1"}
TOO_LONG = (f"Sorry, that message is too long for me to read: could you say it in fewer than "
            f"{MESSAGE_LENGTH:,} characters?")


def api_url(env: Mapping[Text, Text]) -> Text:
    """The Web API base URL; slack_sdk joins method names to it, so it must end with a slash."""
    url = env.get("SLACK_API_URL") or DEFAULT_API_URL
    return url if url.endswith("/") else url + "/"


class SeenEvents(Protocol):
    """Remembers which Slack events were delivered already."""

    async def first_delivery(self, event_id: Text) -> bool:
        """True the first time `event_id` is seen (within the TTL), False afterwards."""


class InMemorySeenEvents:
    """Seen event ids in this process: enough for one Rasa server."""

    def __init__(self, ttl: float = SEEN_EVENT_TTL_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._expiry: Dict[Text, float] = {}

    async def first_delivery(self, event_id: Text) -> bool:
        now = self._clock()
        # Ids are inserted in time order with the same TTL, so the expired ones are at the front.
        while self._expiry:
            oldest = next(iter(self._expiry))
            if self._expiry[oldest] > now:
                break
            del self._expiry[oldest]
        if event_id in self._expiry:
            return False
        self._expiry[event_id] = now + self._ttl
        return True


class RedisSeenEvents:
    """Seen event ids in Redis, shared by every Rasa replica: one atomic SET NX EX per event."""

    def __init__(self, client: Any, ttl: int = SEEN_EVENT_TTL_SECONDS) -> None:
        self._client = client
        self._ttl = ttl

    @classmethod
    def from_url(cls, url: Text) -> "RedisSeenEvents":
        import redis.asyncio

        return cls(redis.asyncio.from_url(url))

    async def first_delivery(self, event_id: Text) -> bool:
        claimed = await self._client.set(f"runner-up:slack-event:{event_id}", 1, nx=True, ex=self._ttl)
        return bool(claimed)


def seen_events_from_env(env: Mapping[Text, Text]) -> SeenEvents:
    """Redis when `REDIS_URL` is set, memory otherwise."""
    url = env.get("REDIS_URL")
    return RedisSeenEvents.from_url(url) if url else InMemorySeenEvents()


def team_of(payload: Dict[Text, Any]) -> Any:
    """The workspace a delivery comes from."""
    return payload.get("team_id") or (payload.get("event") or {}).get("team")


def envelope_problem(payload: Dict[Text, Any]) -> Optional[Text]:
    """What is wrong with a delivery's envelope, if anything: the fields read before deciding
    whether to answer must have Slack's types (Rasa's code calls `.get` on them)."""
    if not isinstance(payload.get("event", {}), dict):
        return '"event" must be an object'
    authorizations = payload.get("authorizations") or []
    if not isinstance(authorizations, list) or not all(isinstance(a, dict) for a in authorizations):
        return '"authorizations" must be a list of objects'
    if not isinstance(payload.get("event_id", ""), str):
        return '"event_id" must be text'
    return None


def message_problem(payload: Dict[Text, Any]) -> Optional[Text]:
    """What is wrong with a message event we would answer, if anything: its text must be text, its
    team and user Slack ids the conversation can be keyed on (never Rasa's "default"), its
    channel and timestamps text."""
    event = payload["event"]
    if not isinstance(event.get("text"), str):
        return '"event.text" must be text'
    team = team_of(payload)
    if not isinstance(team, str) or not conversation_ids.SLACK_ID.fullmatch(team):
        return '"team_id" must be a Slack team id'
    user = event.get("user")
    if not isinstance(user, str) or not conversation_ids.SLACK_ID.fullmatch(user):
        return '"event.user" must be a user id'
    for key in ("channel", "ts", "thread_ts"):
        if not isinstance(event.get(key, ""), str):
            return f'"event.{key}" must be text'
    return None


class SlackBot(rasa_slack.SlackBot):
    """Posts to a live channel (and thread), or, without one, to the person's direct messages."""

    slack_channel: Optional[Text]

    def __init__(self, token: Text, slack_channel: Optional[Text] = None,
                 thread_id: Optional[Text] = None, proxy: Optional[Text] = None,
                 base_url: Text = DEFAULT_API_URL) -> None:
        super().__init__(token, slack_channel, thread_id, proxy)
        self.client = AsyncWebClient(token, base_url=base_url, proxy=proxy)

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        if self.slack_channel is None:
            # A check-in: Rasa's SlackBot would post to the raw sender id (or a configured
            # channel); a person's check-in belongs in their own DM with the app, opened with
            # their bare user id (the conversation id is slack:<team>:<user>[...]).
            conversation = conversation_ids.parse(recipient_id)
            user = conversation.slack_user if conversation and conversation.slack_user else recipient_id
            opened = await self.client.conversations_open(users=user)
            self.slack_channel = opened["channel"]["id"]
        await super().send_response(recipient_id, message)

    async def _post_message(self, channel: Text, **kwargs: Any) -> None:
        # Rasa passes `as_user`, a legacy argument that apps with granular bot tokens (every app
        # created today) may not send: Slack answers `invalid_arguments`.
        kwargs.pop("as_user", None)
        # Every text goes through here (messages, and the fallback text of messages with buttons,
        # which Slack also reads as mrkdwn); plain_text blocks are not parsed, so they stay as is.
        if isinstance(kwargs.get("text"), str):
            kwargs["text"] = escaped(kwargs["text"])
        await super()._post_message(channel, **kwargs)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any],
                               **kwargs: Any) -> None:
        """The mood picture (`{"runner_up_chart": ...}`, runner_up/picture.py) is uploaded as a PNG
        where the conversation is (its thread too), with the chart's alt text (needs the
        `files:write` scope); the message's text, sent before, says the same. Any other custom
        JSON is posted as Rasa does."""
        from runner_up import picture
        from slack_sdk.errors import SlackApiError, SlackRequestError

        chart = json_message.get(picture.CHART_KEY) if isinstance(json_message, dict) else None
        if chart is None:
            await super().send_custom_json(recipient_id, json_message, **kwargs)
            return
        try:
            # matplotlib takes a moment: drawn off the event loop, which serves every turn.
            png = await asyncio.get_running_loop().run_in_executor(None, picture.render_png, chart)
            await self.client.files_upload_v2(
                channel=self.slack_channel, thread_ts=self.thread_id, file=png,
                filename="runner-up-mood.png", title=chart["title"], alt_txt=chart["alt"][:1000])
        except picture.ChartError as error:
            logger.error("Slack: the mood picture could not be drawn (%s); its text was sent", error)
        except (SlackApiError, SlackRequestError) as error:
            # e.g. missing_scope: the app was created before files:write was in slack/manifest.yml.
            logger.error("Slack: the mood picture could not be uploaded (%s); its text was sent. "
                         "The app needs the files:write scope (slack/manifest.yml).", error)

    async def send_text_with_buttons(self, recipient_id: Text, text: Text,
                                     buttons: List[Dict[Text, Any]], **kwargs: Any) -> None:
        # One message: the text (escaped in the section and, as the notification's fallback, in
        # `text`) and the buttons (Rasa's own drops them all beyond five, and sends plain_text).
        recipient = self.slack_channel or recipient_id
        conversation = conversation_ids.parse(recipient_id)
        owner = conversation.slack_user if conversation else None
        await self._post_message(channel=recipient, text=text.strip(),
                                 blocks=slack_blocks.with_buttons(text.strip(), buttons, owner))

    async def update_message(self, channel: Text, ts: Text, text: Text,
                             blocks: List[Dict[Text, Any]]) -> None:
        """Replaces our message `ts` in `channel` with `text` and `blocks` (Slack's own, from the
        click: already escaped)."""
        await self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)


class SlackInput(rasa_slack.SlackInput):
    """Rasa's Slack input with de-duplication, fast acknowledgement and DM check-ins.

    `name()` stays "slack": the webhook is /webhooks/slack/webhook and
    `trigger_intent?output_channel=slack` finds this channel.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.api_url = api_url(os.environ)
        self._seen_events: Optional[SeenEvents] = None

    @property
    def seen_events(self) -> SeenEvents:
        # Created on first use, inside the server's event loop (no client at start-up).
        if self._seen_events is None:
            self._seen_events = seen_events_from_env(os.environ)
        return self._seen_events

    def get_output_channel(self, channel: Optional[Text] = None,
                           thread_id: Optional[Text] = None) -> OutputChannel:
        # Deliberately ignores a configured `slack_channel`: without a live channel the
        # message is for one person, and SlackBot opens their DM.
        return SlackBot(self.slack_token, channel, thread_id, self.proxy, base_url=self.api_url)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        slack_webhook = Blueprint("slack_webhook", __name__)
        http_api.install_on_start(slack_webhook)
        turns = Turns()
        turns.attach(slack_webhook)

        async def handle(message: UserMessage) -> None:
            await turns.handle(on_new_message, message)

        @slack_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @slack_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not self.is_request_from_slack_authentic(request):
                return response.text("invalid Slack signature", status=401)
            try:
                payload = json.loads(request.body)
            except (ValueError, RecursionError):  # RecursionError: nested too deep to read
                payload = None
            if not isinstance(payload, dict):
                return response.text("expected a JSON object", status=400)
            if payload.get("type") == "url_verification":
                return response.json({"challenge": payload.get("challenge")})

            problem = envelope_problem(payload)
            if problem is None and self._is_for_us(payload):
                problem = message_problem(payload)
                if problem is None:
                    try:
                        self.conversation_of(payload)
                    except conversation_ids.NotAConversationId as error:
                        problem = f'"event.channel" or "event.ts": {error}'
            if problem:
                logger.warning("Slack delivery refused: %s", problem)
                return response.text(problem, status=400)
            event = payload.get("event") or {}
            if not self._is_for_us(payload):
                return response.text("ignored")
            event_id = payload.get("event_id") or f"{event.get('channel')}:{event.get('ts')}"
            if not await self._first_delivery(event_id):
                logger.info("Slack event %s delivered again (retry %s, %s): not answered twice",
                            event_id, request.headers.get("X-Slack-Retry-Num"),
                            request.headers.get("X-Slack-Retry-Reason"))
                return response.text("duplicate", headers=NO_RETRY)

            if len(event["text"]) > MESSAGE_LENGTH:
                # Slack takes up to 40,000 characters; the person hears why there is no answer.
                self._in_background(self._say_too_long(payload))
                return response.text("ignored")
            self._handle_in_background(handle, self._user_message(payload))
            return response.text("")

        @slack_webhook.route("/interactive", methods=["POST"])
        async def interactive(request: Request) -> HTTPResponse:
            # A button clicked: Slack's Interactivity Request URL. Signed as events are.
            if not self.is_request_from_slack_authentic(request):
                return response.text("invalid Slack signature", status=401)
            try:
                click = Click.read(request.headers.get("content-type"), request.body)
            except ClickProblem as problem:
                logger.warning("Slack interaction refused: %s", problem)
                return response.text(str(problem), status=400)
            if click is None:  # another kind of interaction, or a link button: nothing to say
                return response.text("ignored")
            if not await self._first_delivery(click.key):
                logger.info("Slack click %s seen already: not handled twice", click.key)
                return response.text("duplicate")
            self._in_background(self._handle_click(handle, click))
            return response.text("")

        return slack_webhook

    async def _handle_click(self, handle: Callable[[UserMessage], Awaitable[Any]],
                            click: "Click") -> None:
        """The buttons give way to "You chose: ..." (so they cannot be clicked again; in a
        thread, only when the person they were for clicked), then the button's value is the
        person's message, in their conversation. A failed turn is answered by `Turns.handle`; a
        failed update is logged, and the turn still runs."""
        output = self.get_output_channel(click.channel, click.thread_ts)
        if click.owner in (None, click.user):
            try:
                await output.update_message(click.channel, click.message_ts, click.message_text,
                                            slack_blocks.chosen(click.message_blocks, click.title))
            except Exception:
                logger.exception("could not take the buttons off Slack message %s in %s",
                                 click.message_ts, click.channel)
        await handle(UserMessage(
            click.value, output, click.conversation_id, input_channel=self.name(),
            metadata={"out_channel": click.channel, "thread_id": click.thread_ts,
                      "users": [click.user]}))

    def _is_for_us(self, payload: Dict[Text, Any]) -> bool:
        """A person's new message in a DM with the app, or mentioning it elsewhere."""
        event = payload.get("event") or {}
        bot_users = {auth.get("user_id") for auth in payload.get("authorizations") or []
                     if auth.get("is_bot")}
        return bool(
            payload.get("type") == "event_callback"
            and self._is_user_message(payload)  # a message or mention with text, no bot_id
            # Edits, deletions, bot_message, joins ... carry a subtype: never answer those.
            and not event.get("subtype")
            and event.get("user") not in bot_users
            and (self._is_direct_message(payload) or self._is_app_mention(payload))
        )

    async def _first_delivery(self, event_id: Text) -> bool:
        try:
            return await self.seen_events.first_delivery(event_id)
        except Exception:
            # The store is down: answering twice on a retry beats never answering at all.
            logger.exception("Could not check Slack event %s for duplicates", event_id)
            return True

    def _user_message(self, payload: Dict[Text, Any]) -> UserMessage:
        event = payload["event"]
        channel = event.get("channel")
        # Mentions are answered in a thread under the mention, so a conversation in a busy channel
        # stays in one place and does not flood it; in a DM a thread is kept only if the person
        # wrote in one.
        thread_ts = event.get("thread_ts") or (event.get("ts") if self._is_app_mention(payload)
                                               else None)
        users = [auth.get("user_id") for auth in payload.get("authorizations") or []]
        metadata = {"out_channel": channel, "thread_id": thread_ts, "users": users}
        return UserMessage(
            self._sanitize_user_message(clean_message(event["text"]), users),
            self.get_output_channel(channel, thread_ts),
            self.conversation_of(payload),
            input_channel=self.name(),
            metadata=metadata,
        )

    def conversation_of(self, payload: Dict[Text, Any]) -> Text:
        """The conversation a checked message belongs to: the person's DM, or their conversation in
        the channel thread (the mention's own timestamp starts the thread)."""
        event = payload["event"]
        team, user = team_of(payload), event["user"]
        if self._is_direct_message(payload):
            return conversation_ids.slack(team, user)
        return conversation_ids.slack(team, user, event.get("channel"),
                                      event.get("thread_ts") or event.get("ts"))

    def _handle_in_background(self, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                              message: UserMessage) -> None:
        self._in_background(on_new_message(message))

    def _in_background(self, work: Awaitable[Any]) -> None:
        # Slack is answered before the work runs; a reference is kept so the task is not
        # garbage-collected, and its failure is logged (nobody awaits it).
        task = asyncio.ensure_future(work)
        self._background_tasks.add(task)
        task.add_done_callback(self._turn_done)

    async def _say_too_long(self, payload: Dict[Text, Any]) -> None:
        """Tells the person their message was too long to read, where they wrote it."""
        event = payload["event"]
        thread_ts = event.get("thread_ts") or (event.get("ts") if self._is_app_mention(payload)
                                               else None)
        output = self.get_output_channel(event.get("channel"), thread_ts)
        await output.send_text_message(event["user"], TOO_LONG)

    def _turn_done(self, task: "asyncio.Future[Any]") -> None:
        self._background_tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("A Slack message could not be handled", exc_info=task.exception())


class ClickProblem(ValueError):
    """A signed interaction that is not what Slack sends (the reason, for the 400)."""


def _text(value: Any, name: Text, required: bool = True) -> Optional[Text]:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise ClickProblem(f'"{name}" must be text')
    return value


class Click:
    """A button click, read from Slack's `block_actions` interaction payload: who clicked, on
    which message (its channel, timestamp and thread) and which button (its value and title)."""

    def __init__(self, payload: Dict[Text, Any]) -> None:
        def part(name: Text) -> Dict[Text, Any]:
            value = payload.get(name) or {}
            if not isinstance(value, dict):
                raise ClickProblem(f'"{name}" must be an object')
            return value

        user, team, container, message = part("user"), part("team"), part("container"), part("message")
        actions = payload.get("actions")
        if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
            raise ClickProblem('"actions" must be a list of objects')
        action = actions[0]
        self.user = _text(user.get("id"), "user.id")
        # The workspace, as events name it (a Grid user's own team_id may differ).
        self.team = _text(team.get("id") or user.get("team_id"), "team.id")
        self.channel = _text(container.get("channel_id"), "container.channel_id")
        self.message_ts = _text(container.get("message_ts"), "container.message_ts")
        self.thread_ts = _text(container.get("thread_ts") or message.get("thread_ts"),
                               "message.thread_ts", required=False)
        self.value = _text(action.get("value"), "actions[0].value")
        self.action_ts = _text(action.get("action_ts"), "actions[0].action_ts")
        self.owner = slack_blocks.owner_of(action.get("block_id"))  # whom the question was for
        title = (action.get("text") or {}).get("text") if isinstance(action.get("text"), dict) else None
        self.title = title if isinstance(title, str) and title else self.value
        self.message_text = message.get("text") if isinstance(message.get("text"), str) else ""
        blocks = message.get("blocks")
        self.message_blocks = blocks if isinstance(blocks, list) else []
        if len(self.value) > MESSAGE_LENGTH:
            raise ClickProblem(f'"actions[0].value" is longer than {MESSAGE_LENGTH} characters')
        self.value = clean_message(self.value)
        if not conversation_ids.SLACK_ID.fullmatch(self.channel):
            raise ClickProblem('"container.channel_id" must be a Slack channel id')
        try:
            if self.channel.startswith("D"):  # a direct message with the app
                self.conversation_id = conversation_ids.slack(self.team, self.user)
            else:  # a channel: the clicker's own conversation in that thread
                self.conversation_id = conversation_ids.slack(
                    self.team, self.user, self.channel, self.thread_ts or self.message_ts)
        except conversation_ids.NotAConversationId as error:
            raise ClickProblem(f'"user", "team" or "container": {error}') from None

    @property
    def key(self) -> Text:
        """One choice per person and message: a replay, a retry or a second click is the same
        (`action_ts` and `trigger_id` differ between clicks, so neither would catch the second)."""
        return f"click:{self.team}:{self.channel}:{self.message_ts}:{self.user}"

    @classmethod
    def read(cls, content_type: Optional[Text], body: bytes) -> Optional["Click"]:
        """The click in a signed request's body; None for an interaction that says nothing (another
        type, a link button without a value); ClickProblem for anything Slack does not send."""
        if (content_type or "").split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
            raise ClickProblem("expected application/x-www-form-urlencoded with a payload")
        try:
            form = parse_qs(body.decode("utf-8"), strict_parsing=True)
            payload = json.loads(form["payload"][0]) if len(form.get("payload", [])) == 1 else None
        except (ValueError, RecursionError, UnicodeDecodeError):
            payload = None
        if not isinstance(payload, dict):
            raise ClickProblem('expected one "payload" field holding a JSON object')
        if payload.get("type") != "block_actions":
            return None  # the app asks for no other interaction (shortcuts, modals)
        container, actions = payload.get("container"), payload.get("actions")
        if isinstance(container, dict) and container.get("type") not in (None, "message"):
            return None  # a view or an attachment: the app posts neither
        action = actions[0] if isinstance(actions, list) and actions else None
        if isinstance(action, dict) and action.get("type") != "button":
            raise ClickProblem('"actions[0].type" must be "button"')
        if isinstance(action, dict) and "value" not in action:
            return None  # a link button: Slack opens its URL, there is nothing to answer
        return cls(payload)
