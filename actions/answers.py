"""Answers beyond the coaching turns.

A yes or a no that answers no question on the table: if the check-in question is still open (the
person answered it with something else first), it is that question's answer; otherwise the person
is told what they can do, never just "Okay.". Money worry gets an honest out-of-scope answer that
names where to look; "is it worth complaining?" a considered answer."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.checkins import ASKED_SLOT, ActionAcceptCheckin, ActionDeclineCheckin
from actions.common import say
from actions.rejection import known, today, told_details
from runner_up.guidance.details import find_details


class ActionAnswerYes(Action):
    def name(self) -> Text:
        return "action_answer_yes"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> List[Dict[Text, Any]]:
        if tracker.get_slot(ASKED_SLOT):
            return (ActionAcceptCheckin().run(dispatcher, tracker, domain)
                    + [FollowupAction("action_offer_step")])
        return say(dispatcher, tracker, domain, "utter_yes_nothing_pending")


class ActionAnswerNo(Action):
    def name(self) -> Text:
        return "action_answer_no"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> List[Dict[Text, Any]]:
        if tracker.get_slot(ASKED_SLOT):
            return (ActionDeclineCheckin().run(dispatcher, tracker, domain)
                    + [FollowupAction("action_offer_step")])
        return say(dispatcher, tracker, domain, "utter_no_nothing_pending")


class ActionMoneyWorry(Action):
    """Money worry: an honest answer that it is beyond us, naming where to look. A first message
    that also tells the rejection ("told no by Pinecrest on friday and im scared about money")
    then goes on to the rejection's details."""

    def name(self) -> Text:
        return "action_money_worry"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> List[Dict[Text, Any]]:
        events = say(dispatcher, tracker, domain, "utter_money_worry")
        text = tracker.latest_message.get("text") or ""
        if (not tracker.get_slot("has_rejection") and not tracker.active_loop_name
                and find_details(text, today()).get("company")):
            events.append(FollowupAction("rejection_form"))
        return events


class ActionComplaintAdvice(Action):
    """"Is it worth complaining to <company> about <person>?": a considered answer, with their
    names when we know them."""

    def name(self) -> Text:
        return "action_complaint_advice"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> List[Dict[Text, Any]]:
        told = told_details(tracker)
        company = known(tracker.get_slot("company")) or told.get("company")
        interviewer = known(tracker.get_slot("interviewer")) or told.get("interviewer")
        if company and interviewer:
            return say(dispatcher, tracker, domain, "utter_complaint_advice",
                       company=company, interviewer=interviewer)
        return say(dispatcher, tracker, domain, "utter_complaint_advice_unnamed")
