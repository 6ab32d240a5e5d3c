"""Actions that listen: reflect back the feeling the NLU read in the person's message."""

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from runner_up.nlu.labels import EMOTIONS

# Below this the emotion is too uncertain to name back to the person.
MIN_CONFIDENCE = 0.4


def felt_emotion(parse: Dict[Text, Any]) -> Text:
    """The emotion to reflect for a parse: the NLU's top emotion if it is confident enough."""
    emotion = parse.get("emotion") or {}
    name = emotion.get("name")
    if name in EMOTIONS and float(emotion.get("confidence", 0.0)) >= MIN_CONFIDENCE:
        return str(name)
    return "neutral"


class ActionReflectFeeling(Action):
    """Records the emotion to reflect; `utter_reflect_feeling` varies on that slot."""

    def name(self) -> Text:
        return "action_reflect_feeling"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        return [SlotSet("emotion", felt_emotion(tracker.latest_message))]
