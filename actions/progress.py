"""Actions that remember: first contact and coming back, strengths, skills, the progress summary."""

from __future__ import annotations

import abc
import datetime
import os
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import is_private, progress, refuse_unless_private, say, store_back, store_unavailable
from actions.checkins import browser_zone
from actions.picture import send_picture
from actions.rejection import is_skip
from actions.steps import current_step, walk_through
from runner_up.guidance.catalogue import load
from runner_up.guidance.strengths import extract_strength, names_strength
from runner_up import picture
from runner_up.store import InvalidInput, StoreUnavailable, repository

# Someone whose last message is older than this is greeted with what they told us before.
COMING_BACK_AFTER = datetime.timedelta(hours=12)
COUNTRY_ENV = "RUNNER_UP_DEFAULT_COUNTRY"
# What the strength form's answer is, when it is not a strength ("thanks, you're alright for a
# robot"), unless the words name one ("thanks. i'm good at planning").
NOT_A_STRENGTH = {"thank", "greet", "goodbye", "bot_challenge", "affirm", "ask_progress", "another_step",
                  "ask_next_step", "stop_checkins", "delete_data", "export_data", "vent", "money_worry"}


def listing(items: List[Text]) -> Text:
    return ", ".join(items) if items else "none yet"


def welcome_back(summary: Dict[Text, Any]) -> Optional[Dict[Text, Any]]:
    """The welcome-back response and its values for what a returning person told us, if anything."""
    latest = summary.get("latest_rejection") or {}
    if latest.get("company"):
        return {"response": "utter_welcome_back", "company": latest["company"]}
    catalogue = load()
    in_progress = [catalogue.get(i) for i in summary["steps"].get("accepted", [])]
    in_progress = [s for s in in_progress if s is not None]
    if in_progress:
        return {"response": "utter_welcome_back_steps", "title": in_progress[-1].title}
    return None


class ActionGreet(Action):
    """First contact: who we are, what we keep and why, how to delete it, then "what happened?".
    A person coming back after a while is greeted with what they told us before.

    (Not in `action_session_start`: Rasa's own session start keeps working when the action server
    is down, and the crisis rules depend on it.)"""

    def name(self) -> Text:
        return "action_greet"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> List[Dict[Text, Any]]:
        events: List[Dict[Text, Any]] = []
        default_country = os.environ.get(COUNTRY_ENV, "").upper()
        if default_country and not tracker.get_slot("country"):
            events.append(SlotSet("country", default_country))
        introduced = any(e.get("event") == "bot" and "delete my data" in (e.get("text") or "")
                         for e in tracker.events)
        try:
            with progress(tracker) as (session, person):
                now = datetime.datetime.now(datetime.timezone.utc)
                # Not in a channel thread: the welcome back names what the person told us.
                away = (is_private(tracker) and person.last_seen_at is not None
                        and now - person.last_seen_at > COMING_BACK_AFTER)
                summary = repository.summary(session, person)
        except StoreUnavailable as error:
            if not introduced:
                dispatcher.utter_message(response="utter_greet")
                return events + store_unavailable(dispatcher, tracker, error)
            return events + say(dispatcher, tracker, domain, "utter_greet_again")
        if summary["rejections"]:
            events.append(SlotSet("has_rejection", True))
        greeting = welcome_back(summary) if away else None
        if greeting:
            dispatcher.utter_message(**greeting)
        elif introduced or summary["rejections"] or any(summary["steps"].values()):
            events += say(dispatcher, tracker, domain, "utter_greet_again")
        else:
            dispatcher.utter_message(response="utter_greet")
        return events + store_back(tracker)


class ActionFeedbackHelp(Action):
    """"How do I ask for feedback?": the feedback step's guide and its request template."""

    def name(self) -> Text:
        return "action_feedback_help"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> List[Dict[Text, Any]]:
        return walk_through(load()["ask_for_feedback"], dispatcher, tracker, domain)


class ActionAskSilently(Action, abc.ABC):
    """The step's guide has just asked the question; the form only has to wait for the answer."""

    @abc.abstractmethod
    def name(self) -> Text:
        """Each form slot's ask action."""

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> List[Dict[Text, Any]]:
        return []


class ActionAskStrength(ActionAskSilently):
    def name(self) -> Text:
        return "action_ask_strength"


class ActionAskSkillGap(ActionAskSilently):
    def name(self) -> Text:
        return "action_ask_skill_gap"


class ActionRecordStrength(Action):
    """Keeps a strength the person named (the form's answer, or a message sharing one)."""

    def name(self) -> Text:
        return "action_record_strength"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> List[Dict[Text, Any]]:
        said = tracker.get_slot("strength") or tracker.latest_message.get("text") or ""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        # The phrase, not the message: "i just told you one?? keeping things organised under
        # pressure" keeps "keeping things organised under pressure". Only a bare skip or a short
        # no is a skip: a sentence naming a strength is kept whatever intent it was read as.
        text = extract_strength(said)
        if (text is None or is_skip(said, None) or (intent == "deny" and len(said.split()) <= 3)
                or (intent in NOT_A_STRENGTH and not names_strength(said))):
            dispatcher.utter_message(response="utter_strength_skipped")
            return [SlotSet("strength", None)]
        events = [SlotSet("strength", None)] + say(dispatcher, tracker, domain,
                                                   "utter_strength_noted", strength=text)
        try:
            with progress(tracker) as (session, person):
                repository.add_strength(session, person, text)
                step = current_step(tracker)
                if step is not None and step.id == "focus_on_your_strengths":
                    repository.set_step_status(session, person, "focus_on_your_strengths", "done")
        except StoreUnavailable as error:
            return events + store_unavailable(dispatcher, tracker, error)
        except InvalidInput as error:
            dispatcher.utter_message(response="utter_detail_not_kept", reason=str(error))
        return events + store_back(tracker)


class ActionRecordSkillGap(Action):
    """Keeps the skill the person wants to build."""

    def name(self) -> Text:
        return "action_record_skill_gap"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> List[Dict[Text, Any]]:
        text = " ".join((tracker.get_slot("skill_gap") or "").split())
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if not text or is_skip(text, intent):
            dispatcher.utter_message(response="utter_skill_gap_skipped")
            return [SlotSet("skill_gap", None)]
        events: List[Dict[Text, Any]] = [SlotSet("skill_gap", None)]
        try:
            with progress(tracker) as (session, person):
                repository.add_skill_gap(session, person, text)
        except StoreUnavailable as error:
            dispatcher.utter_message(response="utter_skill_gap_noted", skill_gap=text)
            return events + store_unavailable(dispatcher, tracker, error)
        except InvalidInput as error:
            dispatcher.utter_message(response="utter_detail_not_kept", reason=str(error))
            return events
        dispatcher.utter_message(response="utter_skill_gap_noted", skill_gap=text)
        return events + store_back(tracker)


class ActionProgressSummary(Action):
    """"What have I done so far?", "how have I been doing?": rejections, steps, strengths and
    skills from the store, then the picture of their mood over time and their steps."""

    def name(self) -> Text:
        return "action_progress_summary"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> List[Dict[Text, Any]]:
        if refuse_unless_private(dispatcher, tracker):
            return []
        try:
            with progress(tracker) as (session, person):
                summary = repository.summary(session, person)
                # Times as the person's browser tells them (the web chat sends its zone).
                chart = (picture.for_person(session, person, time_zone=browser_zone(tracker))
                         if repository.mood_count(session, person) else None)
        except StoreUnavailable as error:
            return store_unavailable(dispatcher, tracker, error)
        steps = summary["steps"]
        noted = bool(summary["rejections"] or any(steps.values()) or summary["strengths"])
        if not (noted or chart):
            dispatcher.utter_message(response="utter_progress_empty")
            return store_back(tracker)
        if noted:
            catalogue = load()
            title = lambda ids: listing([catalogue[i].title for i in ids if catalogue.get(i)])  # noqa: E731
            dispatcher.utter_message(
                response="utter_progress_summary", rejections=str(summary["rejections"]),
                done=title(steps.get("done", [])), accepted=title(steps.get("accepted", [])),
                strengths=listing(summary["strengths"]),
                skill_gaps=listing([g["gap"] for g in summary["skill_gaps"] if not g["done"]]))
        if chart:
            send_picture(dispatcher, domain, "utter_mood_picture", chart)
        else:
            dispatcher.utter_message(response="utter_mood_picture_none")
        return store_back(tracker)
