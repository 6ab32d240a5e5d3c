"""The rejection form (company, role, interviewer, when: all optional) and recording it.

The form never insists: "skip", "rather not say" or "no idea" move on. Absurd answers (a name
longer than any real one, a date in the future) get a clear answer and one more chance.

A name given in answer to the form's question is taken as the person typed it: the NLU knows
neither "Vorvorix" (it reads it as a fallback, which is not a skip here) nor where "Zephyr Labs"
begins (its entity may be "Labs" only), so a short answer of one to four words is the name,
unless all that is left beside an entity is filler ("it was Acme" is Acme).
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import progress, store_back, store_unavailable
from runner_up.guidance.when import parse_when
from runner_up.store import InvalidInput, StoreUnavailable, repository
from runner_up.store.models import NAME_LENGTH

SKIPPED = "skipped"
# Intents that mean "I'd rather not say" when the form asks for a detail.
SKIP_INTENTS = {"deny", "out_of_scope", "nlu_fallback"}
SKIP_WORDS = {"skip", "pass", "no idea", "dunno", "don't know", "dont know", "not sure",
              "rather not say", "i'd rather not say", "none", "no one", "nobody", "n/a", "-"}


# A bare answer to "which company?" is at most this many words; more is a sentence.
ANSWER_WORDS = 4
FILLER = {"it", "it's", "its", "was", "is", "they", "were", "are", "the", "a", "an", "company",
          "called", "at", "with", "for", "from", "by", "oh", "um", "well", "just", "i", "think"}


def is_skip(text: Optional[Text], intent: Optional[Text]) -> bool:
    said = " ".join((text or "").lower().strip(" .!").split())
    return intent in SKIP_INTENTS or said in SKIP_WORDS or said.startswith(("skip", "rather not"))


def answered_name(value: Any, tracker: Tracker, slot: Text) -> Any:
    """What the person named, when their message answered the form's question for `slot`: the
    whole short answer, or the entity (`value`) when the rest of the words are filler."""
    said = " ".join(str(tracker.latest_message.get("text") or "").split()).strip(" .!")
    if tracker.get_slot("requested_slot") != slot or not said or len(said.split()) > ANSWER_WORDS:
        return value
    rest = said.lower().replace(str(value or "").lower(), " ").replace(",", " ").split()
    if value and str(value).lower() in said.lower() and all(word in FILLER for word in rest):
        return value
    return said


def known(value: Any) -> Optional[Text]:
    """A form slot's value, or None when it was skipped or never given."""
    return None if value in (None, SKIPPED, "") else str(value)


def today() -> datetime.date:
    return datetime.datetime.now(datetime.timezone.utc).date()


class ValidateRejectionForm(FormValidationAction):
    """Checks each detail; a skip fills the slot with `skipped` so the form moves on."""

    def name(self) -> Text:
        return "validate_rejection_form"

    def _name(self, what: Text, slot: Text, value: Any, dispatcher: CollectingDispatcher,
              tracker: Tracker) -> Dict[Text, Any]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        value = answered_name(value, tracker, slot)
        short = len(str(value).split()) <= ANSWER_WORDS
        if is_skip(value, None if short and intent in ("out_of_scope", "nlu_fallback") else intent):
            return {slot: SKIPPED}
        cleaned = " ".join(str(value).split())
        if len(cleaned) > NAME_LENGTH:
            dispatcher.utter_message(response="utter_name_too_long", what=what, limit=NAME_LENGTH)
            return {slot: None}
        return {slot: cleaned}

    def validate_company(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: DomainDict) -> Dict[Text, Any]:
        return self._name("company name", "company", value, dispatcher, tracker)

    def validate_role(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                      domain: DomainDict) -> Dict[Text, Any]:
        return self._name("role", "role", value, dispatcher, tracker)

    def validate_interviewer(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> Dict[Text, Any]:
        return self._name("name", "interviewer", value, dispatcher, tracker)

    def validate_when(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                      domain: DomainDict) -> Dict[Text, Any]:
        if is_skip(value, (tracker.latest_message.get("intent") or {}).get("name")):
            return {"when": SKIPPED}
        date = parse_when(str(value), today())
        if date is None:
            dispatcher.utter_message(response="utter_when_unreadable")
            return {"when": SKIPPED}
        if date > today() + datetime.timedelta(days=1):
            dispatcher.utter_message(response="utter_when_in_future")
            return {"when": None}
        return {"when": date.isoformat()}


class ActionRecordRejection(Action):
    """Stores the rejection the form collected."""

    def name(self) -> Text:
        return "action_record_rejection"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> List[Dict[Text, Any]]:
        when = known(tracker.get_slot("when"))
        happened_on = None
        if when:
            try:
                happened_on = datetime.date.fromisoformat(when)
            except ValueError:  # an entity that never went through the form's validation
                happened_on = parse_when(when, today())
        try:
            with progress(tracker) as (session, person):
                repository.record_rejection(
                    session, person, company=known(tracker.get_slot("company")),
                    role=known(tracker.get_slot("role")),
                    interviewer=known(tracker.get_slot("interviewer")), happened_on=happened_on)
        except StoreUnavailable as error:
            return store_unavailable(dispatcher, tracker, error)
        except InvalidInput as error:
            dispatcher.utter_message(response="utter_detail_not_kept", reason=str(error))
            return []
        dispatcher.utter_message(response="utter_rejection_noted")
        return store_back(tracker) + [SlotSet("has_rejection", True)]
