"""Guidance actions: offer the step that fits, walk through it, remember what the person did.

The choice is `runner_up.guidance.choose.choose_step`; these actions only gather what it needs
(from the latest parse, the slots and the progress store) and say the step's turns.
"""

from __future__ import annotations

import datetime
import re
from typing import Any, Dict, FrozenSet, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import progress, say, store_back, store_unavailable
from actions.feelings import ActionReflectFeeling, felt_emotion, stage_of
from actions.rejection import known
from runner_up.guidance.catalogue import Step, load
from runner_up.guidance.choose import FINISHED, Situation, choose_step, ready
from runner_up.guidance.done import says_done
from runner_up.guidance.templates import template_values
from runner_up.store import StoreUnavailable, repository

HEAVY_FEELINGS = {"sad", "angry", "anxious", "ashamed", "hopeless"}
STATUSES_SLOT = "step_statuses"  # this conversation's copy, for when the store is down
# Steps whose guide asks the person something, and the form that keeps the answer.
ASKS = {"focus_on_your_strengths": "strength_form", "fill_the_gaps": "skill_gap_form"}


class Memory:
    """What the store and this conversation know about the person's steps and rejection."""

    def __init__(self, tracker: Tracker) -> None:
        self.statuses: Dict[Text, Text] = dict(tracker.get_slot(STATUSES_SLOT) or {})
        self.details = {k: known(tracker.get_slot(k)) for k in ("company", "role", "interviewer", "when")}
        self.has_rejection = bool(tracker.get_slot("has_rejection"))
        self.store_error: Optional[StoreUnavailable] = None
        try:
            with progress(tracker) as (session, person):
                self.statuses.update(repository.step_statuses(session, person))
                latest = repository.latest_rejection(session, person)
                if latest is not None:
                    self.has_rejection = True
                    stored = {"company": latest.company, "role": latest.role,
                              "interviewer": latest.interviewer,
                              "when": latest.happened_on.isoformat() if latest.happened_on else None}
                    self.details = {k: self.details[k] or stored[k] for k in stored}
        except StoreUnavailable as error:
            self.store_error = error

    @property
    def facts(self) -> FrozenSet[Text]:
        facts = {"has_rejection"} if self.has_rejection or any(self.details.values()) else set()
        if self.details["company"]:
            facts.add("has_company")
        if self.details["interviewer"]:
            facts.add("has_interviewer")
        return frozenset(facts)


def situation(tracker: Tracker, memory: Memory) -> Situation:
    """How they feel and where they are: the latest message if it says, else what we last read."""
    parse = tracker.latest_message
    emotion = felt_emotion(parse)
    if emotion == "neutral":
        emotion = tracker.get_slot("emotion") or "neutral"
    stage = stage_of(parse)
    if stage == "unknown":
        stage = tracker.get_slot("stage") or "unknown"
    return Situation(emotion, stage, memory.statuses, memory.facts)


def record(tracker: Tracker, dispatcher: CollectingDispatcher, step_id: Text, status: Text,
           memory: Optional[Memory] = None) -> List[Dict[Text, Any]]:
    """Stores the step's new status (and keeps this conversation's copy)."""
    statuses = dict(tracker.get_slot(STATUSES_SLOT) or {})
    statuses[step_id] = status
    events: List[Dict[Text, Any]] = [SlotSet(STATUSES_SLOT, statuses)]
    if memory is not None and memory.store_error is not None:
        return events + store_unavailable(dispatcher, tracker, memory.store_error)
    try:
        with progress(tracker) as (session, person):
            if status == "offered":
                repository.offer_step(session, person, step_id)
            else:
                repository.set_step_status(session, person, step_id, status)
    except StoreUnavailable as error:
        return events + store_unavailable(dispatcher, tracker, error)
    return events + store_back(tracker)


def offer(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
          skip: Tuple[Text, ...] = (), prefer: Tuple[Text, ...] = ()) -> List[Dict[Text, Any]]:
    """Offers the first step of `prefer` the person has not taken yet, or else the one that fits."""
    memory = Memory(tracker)
    catalogue, now = load(), situation(tracker, memory)
    wanted = [catalogue[i] for i in prefer if i not in skip and now.statuses.get(i) not in FINISHED
              and ready(catalogue[i], now)]
    step = wanted[0] if wanted else choose_step(catalogue, now, skip=skip)
    if step is None:
        dispatcher.utter_message(response="utter_no_more_steps")
        return [SlotSet("current_step", None)]
    events = say(dispatcher, tracker, domain, step.offer)
    return events + [SlotSet("current_step", step.id)] + record(tracker, dispatcher, step.id, "offered", memory)


def current_step(tracker: Tracker) -> Optional[Step]:
    return load().get(tracker.get_slot("current_step"))


class ActionOfferStep(Action):
    """Offers the one step that fits best now; a message heavy with feeling is reflected first
    (explore, comfort, then act), whatever intent it was read as."""

    def name(self) -> Text:
        return "action_offer_step"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> List[Dict[Text, Any]]:
        events: List[Dict[Text, Any]] = []
        if tracker.get_slot("checkin_asked"):
            # The check-in question was answered with something else: ask it again rather than
            # put a step on top of it (a later "yes please" then answers it).
            return [FollowupAction("action_ask_checkin")]
        if tracker.get_slot("venting"):
            events.append(SlotSet("venting", False))
        if tracker.latest_action_name == "action_listen" and felt_emotion(
                tracker.latest_message) in HEAVY_FEELINGS:
            events = ActionReflectFeeling().run(dispatcher, tracker, domain)
            # The offer below must see what the reflection just set (the variants it used).
            for event in events:
                if event.get("event") == "slot":
                    tracker.slots[event["name"]] = event["value"]
        return events + offer(dispatcher, tracker, domain)


class ActionAnotherStep(Action):
    """Offers a different step (the one on the table stays offered, for later)."""

    def name(self) -> Text:
        return "action_another_step"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> List[Dict[Text, Any]]:
        step = current_step(tracker)
        events = [SlotSet("venting", False)] if tracker.get_slot("venting") else []
        return events + offer(dispatcher, tracker, domain, skip=(step.id,) if step else ())


# How people name the drafts, in their own words (a message naming one picks it).
TEMPLATE_WORDS = {
    "feedback_request": r"feedback",
    "thank_you": r"thank[\s-]*(you|u)|thanks (note|email|message)",
    "keep_cv": r"\b(cv|resume|résumé) on file|keep (my|me) (cv|resume|on file)|on file",
    "stay_in_running": r"stay(ing)?[\s-]+in[\s-]+the[\s-]+running|still interested",
    "linkedin": r"linked\s*in|connection (note|request)",
    "follow_up": r"follow[\s-]*up",
}


def template_named(text: Text) -> Optional[Text]:
    """The draft a message names ("the feedback request", "the linkedin one"), if exactly one."""
    named = [t for t, pattern in TEMPLATE_WORDS.items() if re.search(pattern, text, re.IGNORECASE)]
    return named[0] if len(named) == 1 else None


class ActionReviewInterview(Action):
    """"Can we go over the interview itself first": the review step, as a reflection on what
    happened in the interview, whatever step was on the table."""

    def name(self) -> Text:
        return "action_review_interview"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response="utter_review_interview_intro")
        return walk_through(load()["review_your_interview"], dispatcher, tracker, domain)


class ActionSecondChance(Action):
    """"Do you think they'd ever consider me again?": an honest yes-it-happens, then the step that
    makes it likelier (stay in the running, or else ask them to keep the CV on file)."""

    def name(self) -> Text:
        return "action_second_chance"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> List[Dict[Text, Any]]:
        events = say(dispatcher, tracker, domain, "utter_second_chance")
        return events + offer(dispatcher, tracker, domain,
                              prefer=("stay_in_the_running", "keep_your_cv_on_file"))


def template_message(domain: DomainDict, template: Text, memory: Memory) -> Text:
    when = memory.details["when"]
    date = None
    if when:
        try:
            date = datetime.date.fromisoformat(when)
        except ValueError:
            date = None
    values = template_values(memory.details["company"], memory.details["role"],
                             memory.details["interviewer"], date)
    text = domain["responses"][f"utter_template_{template}"][0]["text"].format(**values)
    # Fenced, so that the web chat and Slack show it as one block to copy, not as loose paragraphs.
    return f"```\n{text.strip()}\n```"


def walk_through(step: Step, dispatcher: CollectingDispatcher, tracker: Tracker,
                 domain: DomainDict) -> List[Dict[Text, Any]]:
    """The step's how-to, then its template (in its own message, so that it can be copied as it
    is); the step is recorded as accepted, and a step that asks something waits for the answer."""
    memory = Memory(tracker)
    events = [SlotSet("current_step", step.id)] + say(dispatcher, tracker, domain, step.guide)
    if tracker.get_slot("venting"):  # asking for a step ends the venting
        events.append(SlotSet("venting", False))
    if step.template:
        dispatcher.utter_message(text=template_message(domain, step.template, memory))
    events += record(tracker, dispatcher, step.id, "accepted", memory)
    if step.id in ASKS:
        events.append(FollowupAction(ASKS[step.id]))
    return events


class ActionAcceptStep(Action):
    """Walks the person through the step they took (or offers one if none is on the table)."""

    def name(self) -> Text:
        return "action_accept_step"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> List[Dict[Text, Any]]:
        step = current_step(tracker)
        if step is None:
            return offer(dispatcher, tracker, domain)
        return walk_through(step, dispatcher, tracker, domain)


class ActionDeclineStep(Action):
    """Respects a no: the step is remembered as declined and nothing else is pushed."""

    def name(self) -> Text:
        return "action_decline_step"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> List[Dict[Text, Any]]:
        step = current_step(tracker)
        events = say(dispatcher, tracker, domain, "utter_step_declined")
        if step is None:
            return events
        return events + record(tracker, dispatcher, step.id, "declined") + [SlotSet("current_step", None)]


class ActionStepDone(Action):
    """Marks the step on the table (or the one last taken) as done."""

    def name(self) -> Text:
        return "action_step_done"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> List[Dict[Text, Any]]:
        text = tracker.latest_message.get("text") or ""
        if not says_done(text):
            # Naming a step ("a feedback request. the one you just listed") is not doing it.
            template = template_named(text)
            if template:
                return [SlotSet("template_type", template), FollowupAction("action_send_template")]
            step = current_step(tracker)
            if step is None:
                dispatcher.utter_message(response="utter_step_done_unknown")
                return []
            dispatcher.utter_message(response="utter_step_done_check", title=step.title)
            return []
        step = current_step(tracker)
        if step is None:
            dispatcher.utter_message(response="utter_step_done_unknown")
            return []
        events = say(dispatcher, tracker, domain, "utter_step_done", title=step.title)
        return events + record(tracker, dispatcher, step.id, "done") + [SlotSet("current_step", None)]


class ActionSendTemplate(Action):
    """Sends the template asked for, filled with what the person told us."""

    def name(self) -> Text:
        return "action_send_template"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> List[Dict[Text, Any]]:
        template = tracker.get_slot("template_type") or template_named(
            tracker.latest_message.get("text") or "")
        if not template:
            dispatcher.utter_message(response="utter_which_template")
            return []
        memory = Memory(tracker)
        dispatcher.utter_message(response="utter_template_intro")
        dispatcher.utter_message(text=template_message(domain, template, memory))
        step = next((s for s in load().steps if s.template == template), None)
        events: List[Dict[Text, Any]] = [SlotSet("template_type", None)]
        if step is not None:
            events += [SlotSet("current_step", step.id)] + record(
                tracker, dispatcher, step.id, "accepted", memory)
        return events
