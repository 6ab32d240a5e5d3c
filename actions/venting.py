"""Venting: the person wants to let off steam, not to be coached. The assistant reflects the
feeling and asks an open question, turn after turn, for as long as they want; no step is offered
until they ask for one (the usual rules) or the feeling settles ("ok that helped"), and then only
asked about.

While the `venting` slot is set, the rules in data/rules/venting.yml send feelings, stories and
short answers here instead of to a step.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import say
from actions.feelings import felt_emotion, log_mood

VENTING_SLOT = "venting"
OPENING_WORDS = 12  # "i need to vent" is an opening; a longer first message already says what happened
# The person says the pressure has gone down: then a step may be asked about.
SETTLED = re.compile(
    r"\b(feel(s|ing)? (a (bit|little) |much |so much )?better|that helped|(it |this )?help(s|ed) (a bit|a little|actually)|"
    r"needed (that|to say (that|it))|got (that|it) off my chest|done (ranting|venting|moaning)|"
    r"(ok(ay)?|alright),? i'?m done|better now|calmer now|i'?m ok(ay)? now|rant over|that'?s all|"
    r"feels good to (say|get) (it|that))\b", re.IGNORECASE)


def settled(text: Text, intent: Text, emotion: Text) -> bool:
    """Whether the feeling has settled enough to ask about a step."""
    return intent == "thank" or emotion == "hopeful" or bool(SETTLED.search(text or ""))


class ActionVent(Action):
    """One venting turn: the feeling reflected with an open question (the first turn invites them
    to go on), or, once it has settled, the question whether a step would help."""

    def name(self) -> Text:
        return "action_vent"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> List[Dict[Text, Any]]:
        parse = tracker.latest_message
        emotion = felt_emotion(parse)
        intent = (parse.get("intent") or {}).get("name") or ""
        events: List[Dict[Text, Any]] = [SlotSet("emotion", emotion)]
        if tracker.get_slot(VENTING_SLOT) and settled(parse.get("text") or "", intent, emotion):
            events += say(dispatcher, tracker, domain, "utter_vent_settled")
            return events + [SlotSet(VENTING_SLOT, False)] + log_mood(dispatcher, tracker)
        # A first message that already tells the story is answered as one, not with "what happened?".
        told = len((parse.get("text") or "").split()) > OPENING_WORDS
        response = "utter_vent_reflect" if tracker.get_slot(VENTING_SLOT) or told else "utter_vent_open"
        events += say(dispatcher, tracker, domain, response, slots={"emotion": emotion})
        return events + [SlotSet(VENTING_SLOT, True)] + log_mood(dispatcher, tracker)
