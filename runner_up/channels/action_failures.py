"""When a custom action cannot run (the action server is down, restarting or answered an error),
the person is told at once, instead of getting silence.

Rasa 3.6 logs such a failure, drops the action's events and goes on: the person hears nothing and
cannot tell a crash from a slow reply. There is no hook for it, so `install()` wraps
`RemoteAction.run` (every call to the action server goes through it): on a failure it sends
`utter_action_failed` through the turn's output channel, once per turn, then lets Rasa handle the
failure as before (events lost, the conversation goes on; the next message, once the action server
is back, works as usual).

A failure of `action_crisis_check` (the safety question about an ambiguous message) sends the
question itself, without the quote (`utter_crisis_check_plain`), instead of the apology: the person
is asked all the same, and a "yes" reaches the crisis protocol, which needs no action server.

Not told: a failure of `action_flag_crisis` (bookkeeping only: the care and the helplines around it
are Rasa's own responses and still go out, and an apology there would only confuse). Not wrapped: a
form's validation rejecting a slot (ActionExecutionRejection, part of a normal turn),
and a turn the person did not start (an EXTERNAL_ intent, such as a check-in sent by the scheduler:
it is retried later, and nobody should get an apology out of the blue). The channels' modules call
`install()` when Rasa loads them, so it applies wherever our channels serve.
"""

from __future__ import annotations

import functools
import logging
from typing import Any, Dict, List, Text

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.channels.channel import OutputChannel

logger = logging.getLogger(__name__)

RESPONSE = "utter_action_failed"
# If the domain has no such response (a model from before it was added).
FALLBACK_TEXT = ("Sorry, part of me isn't working right now, so I couldn't do that. Please try again "
                 "in a minute or two: what we've said so far is kept.")
# Intents the scheduler triggers (EXTERNAL_checkin), never typed by the person.
EXTERNAL_INTENT_PREFIX = "EXTERNAL_"
# Actions whose failure the person cannot notice.
SILENT_ACTIONS = frozenset({"action_flag_crisis"})
# Actions whose failure gets another response than the apology: (response, fixed text).
INSTEAD = {"action_crisis_check": ("utter_crisis_check_plain",
                                   "I want to check, because it matters: are you having thoughts of "
                                   "ending your life?")}
_TOLD = "_runner_up_told_of_failure"  # set on a turn's output channel once the person was told


async def tell_person(output_channel: OutputChannel, nlg: Any, tracker: Any,
                      response: Text = RESPONSE, fixed_text: Text = FALLBACK_TEXT) -> None:
    """Sends the apology (or `response`) through `output_channel`, unless this turn already did or
    was external."""
    latest = tracker.latest_message
    intent = ((latest.intent or {}).get("name") if latest else None) or ""
    if intent.startswith(EXTERNAL_INTENT_PREFIX) or getattr(output_channel, _TOLD, False):
        return
    setattr(output_channel, _TOLD, True)
    message: Dict[Text, Any] = {"text": fixed_text}
    try:
        message = await nlg.generate(response, tracker, output_channel.name()) or message
    except Exception:  # noqa: BLE001 (the apology must go out even if the template cannot be filled)
        logger.exception("could not fill %s; sending the fixed text", response)
    try:
        await output_channel.send_response(tracker.sender_id, message)
    except Exception:  # noqa: BLE001 (the channel itself failing: nothing more we can do here)
        logger.exception("could not tell %s that an action failed", tracker.sender_id)


def install() -> None:
    """Wraps RemoteAction.run once per process (idempotent)."""
    if getattr(RemoteAction.run, "_runner_up_wrapped", False):
        return
    original = RemoteAction.run

    @functools.wraps(original)
    async def run(self: RemoteAction, output_channel: OutputChannel, nlg: Any, tracker: Any,
                  domain: Any) -> List[Any]:
        try:
            return await original(self, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise
        except Exception:
            if self.name() in INSTEAD:
                await tell_person(output_channel, nlg, tracker, *INSTEAD[self.name()])
            elif self.name() not in SILENT_ACTIONS:
                await tell_person(output_channel, nlg, tracker)
            raise

    run._runner_up_wrapped = True  # type: ignore[attr-defined]
    RemoteAction.run = run  # type: ignore[method-assign]
