"""Actions that listen: reflect back the feeling the NLU read, and keep it in the mood log."""

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import progress, say, store_back, store_unavailable
from runner_up.nlu.labels import EMOTIONS, STAGES
from runner_up.store import StoreUnavailable, repository

# Below this the emotion is too uncertain to name back to the person.
MIN_CONFIDENCE = 0.4


def felt_emotion(parse: Dict[Text, Any]) -> Text:
    """The emotion to reflect for a parse: the NLU's top emotion if it is confident enough."""
    emotion = parse.get("emotion") or {}
    name = emotion.get("name")
    if name in EMOTIONS and float(emotion.get("confidence", 0.0)) >= MIN_CONFIDENCE:
        return str(name)
    return "neutral"


def stage_of(parse: Dict[Text, Any]) -> Text:
    stage = (parse.get("stage") or {}).get("name")
    return str(stage) if stage in STAGES else "unknown"


class ActionReflectFeeling(Action):
    """Reflects the feeling (a variant for that emotion) and records it in the mood log."""

    def name(self) -> Text:
        return "action_reflect_feeling"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        parse = tracker.latest_message
        emotion, stage = felt_emotion(parse), stage_of(parse)
        events: List[Dict[Text, Any]] = [SlotSet("emotion", emotion)]
        if stage != "unknown":
            events.append(SlotSet("stage", stage))
        events += say(dispatcher, tracker, domain, "utter_reflect_feeling", slots={"emotion": emotion})
        return events + log_mood(dispatcher, tracker)


def log_mood(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
    """Keeps the feeling the latest message was read with in the person's mood log. A message
    nothing was read in (a button's payload such as "/vent": no emotion, or its confidence 0) is
    not a mood, and is not logged."""
    parse = tracker.latest_message
    read = parse.get("emotion") or {}
    if not read.get("name") or not float(read.get("confidence") or 0.0):
        return []
    try:
        with progress(tracker) as (session, person):
            repository.record_mood(
                session, person, read.get("name") if read.get("name") in EMOTIONS else "neutral",
                stage_of(parse), float(read.get("confidence") or 0.0))
    except StoreUnavailable as error:
        return store_unavailable(dispatcher, tracker, error)
    return store_back(tracker)
