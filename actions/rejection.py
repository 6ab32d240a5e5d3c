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
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.checkins import remember_zone
from actions.common import progress, say, store_back, store_unavailable
from runner_up.checkins.timing import Timing
from runner_up.guidance.details import find_details
from runner_up.guidance.when import parse_when
from runner_up.store import InvalidInput, StoreUnavailable, repository
from runner_up.store import checkins as queue
from runner_up.store.models import NAME_LENGTH, utcnow

SKIPPED = "skipped"
# Intents that mean "I'd rather not say" when the form asks for a detail.
SKIP_INTENTS = {"deny", "out_of_scope", "nlu_fallback"}
SKIP_WORDS = {"skip", "pass", "no idea", "dunno", "don't know", "dont know", "not sure",
              "rather not say", "i'd rather not say", "none", "no one", "nobody", "n/a", "-"}


# A bare answer to "which company?" is at most this many words; more is a sentence.
ANSWER_WORDS = 4
FILLER = {"it", "it's", "its", "was", "is", "they", "were", "are", "the", "a", "an", "company",
          "called", "at", "with", "for", "from", "by", "oh", "um", "well", "just", "i", "think"}


# A "no" read by DIET skips the question only if the answer says no: "devops engineer, for all the
# good it did" names the role, whatever intent DIET read in it.
SAYS_NO = re.compile(r"\b(no|nope|nah|not|don'?t|dont|never|none|nobody|nothing)\b")


def is_skip(text: Optional[Text], intent: Optional[Text]) -> bool:
    said = " ".join((text or "").lower().strip(" .!").split())
    if intent == "deny" and not SAYS_NO.search(said):
        intent = None
    return intent in SKIP_INTENTS or said in SKIP_WORDS or said.startswith(("skip", "rather not"))


def answered_name(value: Any, tracker: Tracker, slot: Text) -> Any:
    """What the person named, when their message answered the form's question for `slot`: the
    whole short answer, or the entity (`value`) when the rest of the words are filler."""
    said = " ".join(str(tracker.latest_message.get("text") or "").split()).strip(" .!")
    if tracker.get_slot("requested_slot") != slot or not said:
        return value
    named = find_details(said, today()).get(slot)
    if named and slot != "when":  # "some guy called Piers" names Piers
        return named
    head = said.split(",")[0].strip()
    if head != said and 0 < len(head.split()) <= ANSWER_WORDS and (  # "devops engineer, for all the good it did"
            not value or str(value).lower() in head.lower() or " ".join(str(value).split()).strip(" .!") == said):
        said = head
    if len(said.split()) > ANSWER_WORDS:
        return value
    rest = said.lower().replace(str(value or "").lower(), " ").replace(",", " ").split()
    if value and str(value).lower() in said.lower() and all(word in FILLER for word in rest):
        return value
    return said


def as_iso_date(value: Optional[Text]) -> Optional[Text]:
    """An ISO date for a date told in words ("yesterday") or already ISO; None if it names none
    or names a day still to come."""
    date = parse_when(value, today()) if value else None
    return date.isoformat() if date is not None and date <= today() else None


def known(value: Any) -> Optional[Text]:
    """A form slot's value, or None when it was skipped or never given."""
    return None if value in (None, SKIPPED, "") else str(value)


def today() -> datetime.date:
    return datetime.datetime.now(datetime.timezone.utc).date()


DETAILS = ("company", "role", "interviewer", "when")


def told_details(tracker: Tracker) -> Dict[Text, Text]:
    """The details the person gave in this conversation's messages (the latest one included): DIET's
    entities, then what runner_up.guidance.details reads; the earliest mention of each wins."""
    found: Dict[Text, Text] = {}
    for event in tracker.events:
        if event.get("event") != "user":
            continue
        parse = event.get("parse_data") or {}
        if (parse.get("intent") or {}).get("name") == "crisis":
            continue
        read = {e.get("entity"): str(e.get("value")) for e in parse.get("entities") or []
                if e.get("entity") in DETAILS and e.get("value")}
        # Our narrow patterns over DIET's guesses (it read "QA" as the company in "Aldgate
        # Software turned down my application for QA engineer").
        for slot, value in {**read, **find_details(event.get("text") or "", today())}.items():
            found.setdefault(slot, value)
    return found


class ValidateRejectionForm(FormValidationAction):
    """Checks each detail; a skip fills the slot with `skipped` so the form moves on. A detail the
    person already gave, in this message or an earlier one, is taken and not asked for."""

    def name(self) -> Text:
        return "validate_rejection_form"

    async def get_validation_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        events = await super().get_validation_events(dispatcher, tracker, domain)
        latest = find_details(tracker.latest_message.get("text") or "", today())
        for event in events:  # a detail the message states outright, over DIET's reading of it
            slot = event.get("name")
            if (event.get("event") == "slot" and slot in latest and slot != "when"
                    and slot != tracker.get_slot("requested_slot") and event.get("value") != SKIPPED):
                event["value"] = latest[slot]
        setting = {e["name"] for e in events if e.get("event") == "slot"}
        for slot, value in told_details(tracker).items():
            if tracker.get_slot(slot) is None and slot not in setting:
                if slot == "when":
                    value = as_iso_date(value)
                if value and len(value) <= NAME_LENGTH:
                    events.append(SlotSet(slot, value))
        return events

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


class ActionNoteAnotherRejection(Action):
    """Once a rejection is on record, a message naming a different company ("Globex turned me down
    too") is a new rejection: its own row (with the details the message gives), its own check-in
    when the person said yes to those, and the slots now about it."""

    def name(self) -> Text:
        return "action_note_another_rejection"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> List[Dict[Text, Any]]:
        parse = tracker.latest_message
        details = find_details(parse.get("text") or "", today())
        details.update({e["entity"]: str(e["value"]) for e in parse.get("entities") or []
                        if e.get("entity") in DETAILS and e.get("value")})
        company = details.get("company")
        if not company:
            return []
        try:
            with progress(tracker) as (session, person):
                told = {str(r.company).lower() for r in person.rejections if r.company}
                if company.lower() in told:
                    return []
                when = as_iso_date(details.get("when"))
                rejection = repository.record_rejection(
                    session, person, company=company, role=details.get("role"),
                    interviewer=details.get("interviewer"),
                    happened_on=datetime.date.fromisoformat(when) if when else None)
                if person.checkin_consent:
                    remember_zone(tracker, person)
                    timing = Timing.from_env()
                    queue.schedule(session, person, rejection, timing.first_due(utcnow(), person.time_zone))
        except StoreUnavailable as error:
            return store_unavailable(dispatcher, tracker, error)
        except InvalidInput as error:
            dispatcher.utter_message(response="utter_detail_not_kept", reason=str(error))
            return []
        events = say(dispatcher, tracker, domain, "utter_another_rejection_noted", company=company)
        return events + store_back(tracker) + [SlotSet("has_rejection", True)] + [
            SlotSet(slot, details.get(slot)) for slot in DETAILS]
