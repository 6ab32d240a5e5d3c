"""Rasa graph components that label every message with an emotion and a stage.

Both are trained by `rasa train` from the `emotion` / `stage` metadata of our NLU examples
(see data/LABELS.md), persisted with the model, and add to every parse
`{"emotion": {"name", "confidence"}, "emotion_ranking": [...]}` (likewise for `stage`),
as DESIGN.md specifies.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar, Dict, List, Optional, Text, Tuple, Type

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import METADATA, METADATA_EXAMPLE, METADATA_INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from runner_up.nlu.label_model import Example, LabelModel
from runner_up.nlu.labels import EMOTIONS, STAGES
from runner_up.nlu.tokenizer import NOTHING_READABLE

logger = logging.getLogger(__name__)


def label_of(message: Message, key: Text) -> Optional[Text]:
    """The example's own `key` metadata, else its intent's, else None."""
    metadata = message.get(METADATA) or {}
    for level in (METADATA_EXAMPLE, METADATA_INTENT):
        value = (metadata.get(level) or {}).get(key)
        if value:
            return str(value)
    return None


def example_of(message: Message) -> Optional[Example]:
    """The model's view of a message, or None when the encoder saw nothing in it."""
    sequence, _ = message.get_dense_features(TEXT)
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    if sequence is None or sequence.features.shape[0] == 0 or all(
        t.text == NOTHING_READABLE for t in tokens
    ):
        return None
    return Example(
        # Mean pooling over tokens: how all-MiniLM-L6-v2 was trained to embed sentences.
        embedding=np.asarray(sequence.features, dtype=np.float32).mean(axis=0),
        lemmas=" ".join((t.lemma or t.text).lower() for t in tokens),
        text=(message.get(TEXT) or "").lower(),
    )


class LabelModelComponent(GraphComponent):
    """A graph component around one `LabelModel`: created, trained into and loaded from the
    model storage the same way by the emotion and stage classifiers and the crisis detector."""

    @classmethod
    def required_components(cls) -> List[Type]:
        """A tokenizer (lemmas) and, before this, the sentence encoder's dense features."""
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """`c`: inverse regularisation; `ngram_weight`: n-gram features against the encoder."""
        return {"c": 8.0, "ngram_weight": 1.0}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Optional[LabelModel] = None,
    ) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LabelModelComponent":
        """An untrained component (see `train`)."""
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "LabelModelComponent":
        """Loads the persisted model (Rasa calls this when the server starts)."""
        with model_storage.read_from(resource) as directory:
            return cls(config, model_storage, resource, LabelModel.load(directory))

    def fit(self, examples: List[Example], targets: List[Text]) -> Resource:
        """Trains the model with the configured settings and persists it."""
        self._model = LabelModel.fit(
            examples, targets, c=self._config["c"], ngram_weight=self._config["ngram_weight"]
        )
        with self._model_storage.write_to(self._resource) as directory:
            self._model.save(directory)
        return self._resource


class MessageLabelClassifier(LabelModelComponent):
    """Shared implementation; subclasses name the key and the label set."""

    KEY: ClassVar[Text] = ""
    LABELS: ClassVar[Tuple[Text, ...]] = ()
    # The label given to a message in which nothing can be read (empty, only symbols).
    NOTHING_SAID: ClassVar[Text] = ""

    def labelled_examples(self, training_data: TrainingData) -> Tuple[List[Example], List[Text]]:
        """The training messages that carry this component's label, and their labels."""
        examples, targets = [], []
        for message in training_data.intent_examples:
            label = label_of(message, self.KEY)
            example = example_of(message)
            if label is None or example is None:
                continue
            if label not in self.LABELS:
                raise ValueError(
                    f"'{message.get(TEXT)}' has {self.KEY} '{label}', not one of {self.LABELS}"
                )
            examples.append(example)
            targets.append(label)
        return examples, targets

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the model on every example labelled with `KEY` and persists it."""
        examples, targets = self.labelled_examples(training_data)
        missing = set(self.LABELS) - set(targets)
        if missing:
            raise ValueError(f"no training examples with {self.KEY} {sorted(missing)}")
        resource = self.fit(examples, targets)
        logger.info(f"Trained the {self.KEY} classifier on {len(examples)} examples.")
        return resource

    def rank(self, message: Message) -> List[Tuple[Text, float]]:
        """Every label with its probability, most likely first."""
        example = example_of(message)
        if example is None or self._model is None:
            rest = [label for label in self.LABELS if label != self.NOTHING_SAID]
            return [(self.NOTHING_SAID, 1.0)] + [(label, 0.0) for label in rest]
        return self._model.ranking(example)

    def process(self, messages: List[Message]) -> List[Message]:
        """Adds `KEY` and `KEY_ranking` to each message's parse."""
        for message in messages:
            ranking = [{"name": name, "confidence": conf} for name, conf in self.rank(message)]
            message.set(self.KEY, ranking[0], add_to_output=True)
            message.set(f"{self.KEY}_ranking", ranking, add_to_output=True)
        return messages


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class EmotionClassifier(MessageLabelClassifier):
    """How the person feels: sad, angry, anxious, ashamed, hopeless, hopeful or neutral."""

    KEY = "emotion"
    LABELS = EMOTIONS
    NOTHING_SAID = "neutral"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class StageClassifier(MessageLabelClassifier):
    """Where the person is in the process, from waiting to landed (or unknown)."""

    KEY = "stage"
    LABELS = STAGES
    NOTHING_SAID = "unknown"
