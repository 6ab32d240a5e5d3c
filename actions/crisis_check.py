"""The graded safety check: one direct, caring question when a message is ambiguous (tier `ask`).

The NLU gives an ambiguous message ("i can't take it anymore") the intent `crisis_check` and keeps
the intent it had before in `crisis.intent_before` (runner_up/nlu/crisis.py). Then:

- `action_crisis_check` asks: "When you said '...', I want to check: are you having thoughts of
  ending your life?", with the buttons yes / no, I'm safe. If this person already said no in this
  conversation, it does not ask again: it puts the message back as it was read before (below).
- a "no" (or "I'm safe") runs `action_crisis_check_safe`: it says thank you, remembers the answer
  (slot `safe_after_check`) and puts the conversation back exactly where it was: the question and
  the answer are reverted, and the ambiguous message is replayed with its intent from before, so
  the rules answer it as they would have (a feeling reflected, a form's answer taken, ...).
- a "yes", or anything that does not answer, goes to the crisis protocol (data/rules/crisis_check.yml),
  with Rasa's own responses.

An explicit statement is always `crisis`, so the protocol never depends on these actions.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SlotSet, UserUttered, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

CHECK_INTENT = "crisis_check"
SAFE_SLOT = "safe_after_check"
QUOTE_LIMIT = 60  # characters of the person's words quoted back
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def short_quote(text: Text, limit: int = QUOTE_LIMIT) -> Text:
    """The person's words to quote back: the message if short, else its last sentence (where the
    weight of a long message usually is), cut from the left at a word."""
    sentences = [s.strip() for s in _SENTENCE_END.split(text or "") if s.strip()]
    quote = " ".join((sentences[-1] if sentences else "").split()).rstrip(".!?,;: ")
    if len(quote) <= limit:
        return quote
    words, kept = quote.split(), []
    while words and len(" ".join([words[-1], *kept])) <= limit - 1:
        kept.insert(0, words.pop())
    return "…" + " ".join(kept or [quote[-(limit - 1):]])


def _user_events(events: List[EventType]) -> List[int]:
    return [i for i, event in enumerate(events) if event.get("event") == "user"]


def state_before(events: List[EventType], index: int) -> Tuple[Optional[Text], Optional[Text]]:
    """The active loop and the requested slot just before events[index]."""
    loop, requested = None, None
    for event in events[:index]:
        if event.get("event") == "active_loop":
            loop = event.get("name")
        elif event.get("event") == "slot" and event.get("name") == "requested_slot":
            requested = event.get("value")
        elif event.get("event") in ("restart", "session_started"):
            loop, requested = None, None
    return loop, requested


def text_slot(domain: DomainDict, loop: Optional[Text], requested: Optional[Text],
              intent: Text) -> Optional[Text]:
    """The slot a form's `from_text` mapping would fill with a message of `intent`, if any."""
    if not loop or not requested:
        return None
    for mapping in (domain.get("slots", {}).get(requested) or {}).get("mappings", []):
        if mapping.get("type") != "from_text":
            continue
        wanted, unwanted = mapping.get("intent") or [], mapping.get("not_intent") or []
        wanted = [wanted] if isinstance(wanted, str) else wanted
        unwanted = [unwanted] if isinstance(unwanted, str) else unwanted
        if (wanted and intent not in wanted) or intent in unwanted:
            continue
        conditions = mapping.get("conditions") or []
        if not conditions or any(c.get("active_loop") == loop and c.get("requested_slot") in (None, requested)
                                 for c in conditions):
            return requested
    return None


def as_read_before(parse: Dict[Text, Any]) -> Dict[Text, Any]:
    """The parse with the intent it had before the crisis detector put `crisis_check` on top."""
    restored = copy.deepcopy(parse)
    before = (parse.get("crisis") or {}).get("intent_before") or {"name": "nlu_fallback", "confidence": 1.0}
    restored["intent"] = before
    restored["intent_ranking"] = [r for r in parse.get("intent_ranking") or [] if r.get("name") != CHECK_INTENT]
    restored.setdefault("crisis", {})["resumed"] = True
    return restored


def replayed(events: List[EventType], domain: DomainDict, answered: bool) -> List[EventType]:
    """Events that revert the check (and its answer, when `answered`) and replay the ambiguous
    message as it was read before, with the slots it had set; the policies then answer it."""
    users = _user_events(events)
    index = users[-2] if answered else users[-1]
    message = events[index]
    parse = as_read_before(message.get("parse_data") or {})
    following: List[EventType] = []
    for event in events[index + 1:]:
        if event.get("event") != "slot":
            break
        following.append(SlotSet(event["name"], event.get("value")))  # what the NLU's entities set
    loop, requested = state_before(events, index)
    slot = text_slot(domain, loop, requested, parse["intent"].get("name") or "")
    if slot and slot not in {e["name"] for e in following}:
        following.append(SlotSet(slot, message.get("text")))
    return [
        *[UserUtteranceReverted() for _ in range(2 if answered else 1)],
        ActionExecuted("action_listen"),
        UserUttered(message.get("text"), parse, input_channel=message.get("input_channel")),
        *following,
    ]


class ActionCrisisCheck(Action):
    """Asks the direct question about an ambiguous message, once per conversation."""

    def name(self) -> Text:
        return "action_crisis_check"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> List[Dict[Text, Any]]:
        if tracker.get_slot(SAFE_SLOT):
            return replayed(tracker.events, domain, answered=False)
        quote = short_quote(tracker.latest_message.get("text") or "")
        if quote:
            dispatcher.utter_message(response="utter_crisis_check", quote=quote)
        else:
            dispatcher.utter_message(response="utter_crisis_check_plain")
        return []


class ActionCrisisCheckSafe(Action):
    """A "no" to the question: thanks, remembers it, and puts the conversation back where it was."""

    def name(self) -> Text:
        return "action_crisis_check_safe"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response="utter_crisis_check_thanks")
        return [*replayed(tracker.events, domain, answered=True), SlotSet(SAFE_SLOT, True)]
