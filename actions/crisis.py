"""Marks a crisis turn in the progress store: a flag and its time, nothing of what was said.

Runs after the crisis responses, which Rasa sends on its own; if this action or the store fails,
the person has already had the help. It also sets `in_crisis` and `had_crisis`: after an explicit
statement Rasa's slot mappings already did, but a "yes" to the safety check (actions/crisis_check.py)
is an `affirm`, which sets neither.
"""

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import logger, progress
from runner_up.store import StoreUnavailable, repository


class ActionFlagCrisis(Action):
    def name(self) -> Text:
        return "action_flag_crisis"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> List[Dict[Text, Any]]:
        try:
            with progress(tracker) as (session, person):
                repository.flag_crisis(session, person)
        except StoreUnavailable as error:
            # No message about the outage here: this is not the moment.
            logger.error("crisis flag not stored: %s", error)
        return [SlotSet("in_crisis", True), SlotSet("had_crisis", True)]
