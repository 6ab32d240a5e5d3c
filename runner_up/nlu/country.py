"""Finds the country a person names ("I'm in the UK"), for the crisis resources.

Rasa fills the `country` slot from this entity itself, so the resources for that country reach the
person even when the action server is down. The names come from data/crisis_resources.yml and are
stored in the model at training time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from runner_up import crisis_resources

ENTITY = "country"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class CountryExtractor(GraphComponent):
    """Adds a `country` entity (an ISO code such as GB) for every country named in a message."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """`resources`: the crisis resources file whose country names are recognised."""
        return {"resources": str(crisis_resources.RESOURCES_FILE)}

    def __init__(self, model_storage: ModelStorage, resource: Resource,
                 config: Dict[Text, Any], aliases: Optional[Dict[Text, Text]] = None) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self._config = config
        self._aliases = aliases or {}

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "CountryExtractor":
        return cls(model_storage, resource, config)

    def train(self, training_data: TrainingData) -> Resource:
        """Reads the country names from the resources file and stores them with the model."""
        self._aliases = crisis_resources.load(Path(self._config["resources"])).aliases
        with self._model_storage.write_to(self._resource) as directory:
            (directory / "aliases.json").write_text(json.dumps(self._aliases), encoding="utf-8")
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "CountryExtractor":
        with model_storage.read_from(resource) as directory:
            aliases = json.loads((directory / "aliases.json").read_text(encoding="utf-8"))
        return cls(model_storage, resource, config, aliases)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            found = crisis_resources.find_countries(message.get(TEXT) or "", self._aliases)
            if not found:
                continue
            entities = [e for e in message.get(ENTITIES, []) if e.get("entity") != ENTITY]
            for country in found:
                entities.append({"entity": ENTITY, "value": country["value"], "start": country["start"],
                                 "end": country["end"], "confidence": 1.0,
                                 "extractor": self.__class__.__name__})
            message.set(ENTITIES, entities, add_to_output=True)
        return messages
