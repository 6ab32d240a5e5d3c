"""Short answers the dialogue hinges on ("no", "yes please", "hi", "thanks", "I'm safe") are read
exactly as our training examples say them, whatever DIET's confidence.

DIET is trained on thousands of examples, most of them long; a one-word "no" carries little for it
to go on, and its confidence can fall under the fallback threshold. Yet "no" answers "are you safe?"
and "may I check in?". This component learns, at `rasa train`, the exact short texts of the chosen
intents' examples (normalised: lower case, punctuation and emoji dropped), keeps only those that no
other intent's example also says, and gives a message that is exactly one of them that intent with
confidence 1. Anything else is left to DIET. The crisis detector runs after it and still overrides.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any, Dict, List, Optional, Set, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

TABLE_FILE = "short_answers.json"


def normalise(text: Text) -> Text:
    """Lower case, words only: "No!!" and "no 🙂" are both "no"."""
    return " ".join(re.findall(r"[\w']+", (text or "").lower()))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class ShortAnswerClassifier(GraphComponent):
    """Exact short answers of a few intents, learned from the training examples."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"intents": ["affirm", "deny", "greet", "goodbye", "thank", "confirm_safe"],
                "max_words": 4}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 table: Optional[Dict[Text, Text]] = None) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self.table = table or {}

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "ShortAnswerClassifier":
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "ShortAnswerClassifier":
        with model_storage.read_from(resource) as directory:
            table = json.loads((directory / TABLE_FILE).read_text(encoding="utf-8"))
        return cls(config, model_storage, resource, table)

    def train(self, training_data: TrainingData) -> Resource:
        said_as: Dict[Text, Set[Text]] = defaultdict(set)
        for example in training_data.intent_examples:
            said_as[normalise(example.get(TEXT))].add(example.get(INTENT))
        wanted = set(self._config["intents"])
        self.table = {text: next(iter(intents)) for text, intents in said_as.items()
                      if text and len(intents) == 1 and next(iter(intents)) in wanted
                      and len(text.split()) <= self._config["max_words"]}
        with self._model_storage.write_to(self._resource) as directory:
            (directory / TABLE_FILE).write_text(json.dumps(self.table, sort_keys=True, indent=0),
                                                encoding="utf-8")
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = self.table.get(normalise(message.get(TEXT)))
            if intent is None:
                continue
            ranking = [r for r in message.get("intent_ranking") or [] if r.get(INTENT_NAME_KEY) != intent]
            message.set(INTENT, {INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: 1.0},
                        add_to_output=True)
            message.set("intent_ranking",
                        [{INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: 1.0}]
                        + [{**r, PREDICTED_CONFIDENCE_KEY: 0.0} for r in ranking], add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
