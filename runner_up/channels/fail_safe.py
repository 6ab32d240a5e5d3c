"""A turn that cannot run still gets an answer: care and helplines for a person in crisis, an
honest "something is broken" for anyone else. Never silence, never a 500 page.

Rasa reads the conversation from the tracker store and takes the conversation's lock (Redis, with
several replicas) before any rule runs, so when either store is down the whole turn fails, or
hangs, and the crisis rules (Rasa responses only, no action server) never run. The NLU does not
need them: it runs in memory, and can still tell a crisis. So each channel hands its messages to
`Turns.handle`, which runs the turn and:

- if it fails: reads the message with the NLU; a crisis, an ambiguous message (tier `ask`, intent
  `crisis_check`: the safety question could not be followed up without the stores, so it gets
  the care instead) or a message the NLU cannot read either gets the care message and the
  helplines, anyone else `utter_turn_failed`;
- if it has not finished after RUNNER_UP_CRISIS_REPLY_SECONDS (default 5; the conversation store
  retries an outage for up to 30 s): a crisis gets the care and the helplines at once, and the
  turn goes on (if the store comes back, it finishes as usual);
- if it has not finished after RUNNER_UP_TURN_LIMIT_SECONDS (default 90): `utter_turn_failed`,
  unless the person already had the care.

The texts come from the model's domain through Rasa's NLG with an empty conversation
(`utter_crisis_care`, `utter_crisis_resources` with the country of RUNNER_UP_DEFAULT_COUNTRY if
set); if even that fails, from fixed texts: CARE_TEXT and data/crisis_resources.yml's
international entry (read when the server starts). Whether the turn completed is returned, so
REST can answer 503 to a turn that was not stored.

The progress store going down needs none of this: actions carry on without it, and the crisis
rules use no action but the silent `action_flag_crisis`.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, Sanic

logger = logging.getLogger(__name__)

CRISIS_INTENT = "crisis"
# Intents that get the care when their turn cannot run: a crisis, and an ambiguous message.
CARE_INTENTS = frozenset({CRISIS_INTENT, "crisis_check"})
CRISIS_RESPONSES = ("utter_crisis_care", "utter_crisis_resources")
FAILED_RESPONSE = "utter_turn_failed"
# If the model's domain has no such response, or the NLG fails.
FAILED_TEXT = ("Sorry, something on my side is broken right now, so I couldn't take in your "
               "message. Please try again in a minute.")
CARE_TEXT = ("I'm really glad you told me. What you're feeling matters, and you don't have to carry "
             "it alone. Part of me isn't working right now, but please talk to a person who can help, "
             "right now.")
COUNTRY_ENV = "RUNNER_UP_DEFAULT_COUNTRY"


def seconds(name: Text, default: float) -> float:
    return float(os.environ.get(name) or default)


def fixed_crisis_texts() -> List[Text]:
    """CARE_TEXT and the international helplines of data/crisis_resources.yml (read from disk)."""
    from runner_up.crisis_resources import load, render_text

    resources = load()
    return [CARE_TEXT, render_text(resources.countries[resources.default])]


class Turns:
    """Runs a channel's turns (see the module's docstring). One per channel blueprint; it learns
    the app (and so the agent) when the server starts."""

    def __init__(self) -> None:
        self.app: Optional[Sanic] = None
        self.crisis_reply_after = seconds("RUNNER_UP_CRISIS_REPLY_SECONDS", 5.0)
        self.turn_limit = seconds("RUNNER_UP_TURN_LIMIT_SECONDS", 90.0)
        self._fixed_crisis: List[Text] = [CARE_TEXT]

    def attach(self, blueprint: Blueprint) -> None:
        """Learns the app serving `blueprint` and reads the fixed texts, when the server starts."""

        @blueprint.listener("before_server_start")
        async def keep_the_app(app: Sanic, _: Any) -> None:
            self.app = app
            try:
                self._fixed_crisis = fixed_crisis_texts()
            except Exception:  # noqa: BLE001 (the server must start; the care text alone remains)
                logger.exception("could not read the crisis resources for the fail-safe reply")

    async def handle(self, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                     message: UserMessage) -> bool:
        """Runs the turn; True if it completed. Otherwise the person has been answered (see the
        module's docstring) and the failure logged with its stack trace."""
        turn = asyncio.ensure_future(on_new_message(message))
        cared = False
        try:
            await asyncio.wait_for(asyncio.shield(turn), self.crisis_reply_after)
            return True
        except asyncio.TimeoutError:
            if await self.is_crisis(message):
                logger.error("a crisis message's turn is still running after %.0f s: sending the "
                             "care and helplines now", self.crisis_reply_after)
                await self.send_crisis_reply(message)
                cared = True
        except Exception:  # noqa: BLE001 (any failure of a turn: the person must hear something)
            logger.exception("a turn failed before it could answer (%s)", message.sender_id)
            await self.answer_failed_turn(message)
            return False
        try:
            await asyncio.wait_for(asyncio.shield(turn), max(self.turn_limit - self.crisis_reply_after, 0.0))
            return True
        except asyncio.TimeoutError:
            logger.error("a turn is still running after %.0f s (%s): telling the person",
                         self.turn_limit, message.sender_id)
            turn.add_done_callback(_log_late_failure)
            if not cared:
                await self.send(message, FAILED_RESPONSE, [FAILED_TEXT])
        except Exception:  # noqa: BLE001
            logger.exception("a turn failed before it could answer (%s)", message.sender_id)
            if not cared:
                await self.answer_failed_turn(message)
        return False

    async def answer_failed_turn(self, message: UserMessage) -> None:
        if await self.is_crisis(message):
            await self.send_crisis_reply(message)
        else:
            await self.send(message, FAILED_RESPONSE, [FAILED_TEXT])

    async def is_crisis(self, message: UserMessage) -> bool:
        """Whether the NLU reads `message` as a crisis or an ambiguous one (`CARE_INTENTS`); True
        when it cannot read it at all (care sent to someone who did not need it is better than
        none to someone who did)."""
        agent = getattr(self.app.ctx, "agent", None) if self.app else None
        try:
            parsed = await agent.parse_message(message.text or "")
        except Exception:  # noqa: BLE001
            logger.exception("the NLU could not read a message whose turn failed")
            return True
        return ((parsed.get("intent") or {}).get("name")) in CARE_INTENTS

    async def send_crisis_reply(self, message: UserMessage) -> None:
        await self.send_all(message, list(CRISIS_RESPONSES), self._fixed_crisis)

    async def send(self, message: UserMessage, response: Text, fixed: List[Text]) -> None:
        await self.send_all(message, [response], fixed)

    async def send_all(self, message: UserMessage, responses: List[Text], fixed: List[Text]) -> None:
        """The responses, filled by the model's NLG; the fixed texts if any cannot be."""
        try:
            messages = await self._generate(responses, message)
        except Exception:  # noqa: BLE001
            logger.exception("could not fill %s; sending the fixed text", responses)
            messages = [{"text": text} for text in fixed]
        for reply in messages:
            try:
                await message.output_channel.send_response(message.sender_id, reply)
            except Exception:  # noqa: BLE001 (the channel itself is down: nothing more to do here)
                logger.exception("could not answer %s after a failed turn", message.sender_id)
                return

    async def _generate(self, responses: List[Text], message: UserMessage) -> List[Dict[Text, Any]]:
        agent = self.app.ctx.agent  # type: ignore[union-attr]
        tracker = DialogueStateTracker.from_events(message.sender_id, [], slots=agent.domain.slots)
        country = os.environ.get(COUNTRY_ENV, "").upper()
        if country and "country" in {slot.name for slot in agent.domain.slots}:
            tracker.slots["country"].value = country
        generated = []
        for name in responses:
            reply = await agent.nlg.generate(name, tracker, message.output_channel.name())
            if not reply or not reply.get("text"):
                raise LookupError(f"the model's domain has no {name}")
            generated.append(reply)
        return generated


def _log_late_failure(turn: "asyncio.Future[Any]") -> None:
    """A turn that failed after `handle` stopped waiting for it: logged (nobody awaits it)."""
    if not turn.cancelled() and turn.exception() is not None:
        logger.error("a turn failed", exc_info=turn.exception())
