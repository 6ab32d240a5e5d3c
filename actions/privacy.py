"""Privacy actions: "export my data" gives everything stored about the person as JSON; "delete my
data" (after a confirmation, a rule) erases their progress rows and their conversation. Both only
in a private conversation (never in a Slack channel thread, which everyone in the channel reads).

The conversation is erased by the tracker store when Rasa saves this turn (runner_up.conversations):
this action only sets the slot that asks for it, after the progress rows are gone.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import channel_of, database, refuse_unless_private
from runner_up.store import StoreUnavailable, repository

logger = logging.getLogger(__name__)

ERASE_SLOT = "erase_conversation"  # runner_up.conversations.ERASE_SLOT (that module loads Rasa)


def conversation(tracker: Tracker) -> List[Dict[Text, Any]]:
    """What was said, by whom and when, as the conversation store holds it (messages the person
    never typed, such as the web chat's "/greet" and triggered check-ins, left out)."""
    said = []
    for event in tracker.events:
        if event.get("event") not in ("user", "bot") or not event.get("text"):
            continue
        text = event["text"]
        if event["event"] == "user" and (text.startswith("/") or text.startswith("EXTERNAL: ")):
            continue
        said.append({"from": "you" if event["event"] == "user" else "Runner-Up", "text": text,
                     "at": event.get("timestamp")})
    return said


class ActionExportData(Action):
    """Everything stored about the person: their progress and the conversation, as JSON."""

    def name(self) -> Text:
        return "action_export_data"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> List[Dict[Text, Any]]:
        if refuse_unless_private(dispatcher, tracker):
            return []
        try:
            with database().session() as session:
                person = repository.find_person(session, channel_of(tracker), tracker.sender_id)
                stored = repository.export(session, person) if person is not None else {}
        except StoreUnavailable as error:
            logger.error("export failed, the store is unavailable: %s", error)
            dispatcher.utter_message(response="utter_export_failed")
            return []
        data = {"progress": stored, "conversation": conversation(tracker)}
        dispatcher.utter_message(response="utter_export_intro")
        dispatcher.utter_message(text="```\n" + json.dumps(data, indent=2, ensure_ascii=False) + "\n```")
        return []


class ActionDeleteData(Action):
    """Erases the person's progress rows, then asks the tracker store to erase the conversation."""

    def name(self) -> Text:
        return "action_delete_data"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> List[Dict[Text, Any]]:
        if refuse_unless_private(dispatcher, tracker):
            return []
        try:
            with database().session() as session:
                person = repository.find_person(session, channel_of(tracker), tracker.sender_id)
                if person is not None:
                    repository.delete_person(session, person)
        except StoreUnavailable as error:
            # Nothing is erased, so that asking again later erases everything.
            logger.error("delete failed, the store is unavailable: %s", error)
            dispatcher.utter_message(response="utter_delete_failed")
            return []
        dispatcher.utter_message(response="utter_data_deleted")
        return [SlotSet(ERASE_SLOT, True)]
