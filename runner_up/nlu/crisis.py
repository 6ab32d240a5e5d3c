"""The crisis detector: the last NLU component, whose verdict overrides every other.

When a message shows a risk of suicide or self-harm the top intent becomes `crisis`, with the
detector's confidence, whatever DIET or the fallback classifier said (DESIGN.md). Two halves:

- rules (`crisis_rules.read`) on the spaCy tokens: explicit statements are flagged outright;
  idioms and negations raise the bar; softer cues lower it;
- a classifier (`LabelModel`, the same encoder + n-gram model as emotion and stage) trained by
  `rasa train` on our NLU examples: intent `crisis` against every other intent.

Every parse also carries `crisis`: the classifier's probability and what the rules read, so a
report or a log can say why a message was or was not flagged.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Text, Tuple

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import SPACY_DOCS
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from runner_up.nlu import crisis_rules
from runner_up.nlu.classifiers import LabelModelComponent, example_of
from runner_up.nlu.label_model import Example

logger = logging.getLogger(__name__)

CRISIS = "crisis"
OTHER = "other"


@dataclass(frozen=True)
class Verdict:
    """The detector's decision on one message."""

    flagged: bool
    confidence: float  # how sure the detector is that this is a crisis
    probability: float  # the classifier's probability alone
    finding: crisis_rules.Finding

    def as_output(self) -> Dict[Text, Any]:
        return {
            "flagged": self.flagged,
            "confidence": self.confidence,
            "classifier": self.probability,
            "rules": list(self.finding.explicit),
            "cues": list(self.finding.cues),
            "idioms": list(self.finding.idioms),
            "negated": list(self.finding.negated),
        }


def decide(probability: float, finding: crisis_rules.Finding, config: Dict[Text, Any]) -> Verdict:
    """Combines the rules' finding with the classifier's probability (a plain, tested function)."""
    if finding.explicit:
        return Verdict(True, max(probability, config["rule_confidence"]), probability, finding)
    if finding.guarded:
        bar = config["guarded_threshold"]  # idioms and denials: only a very sure classifier
    elif finding.cues:
        bar = config["cue_threshold"]
    else:
        bar = config["threshold"]
    flagged = probability >= bar
    return Verdict(flagged, probability, probability, finding)


_PUNCTUATION = re.compile(r"[^\w\s]")


def _plain(text: Text) -> Text:
    return " ".join(_PUNCTUATION.sub(" ", text).split())


def with_plain_copies(examples: List[Example], targets: List[Text]) -> Tuple[List[Example], List[Text]]:
    """The examples, and each again as typed without punctuation or apostrophes.

    People write "im done" and "i don t want to be here" as often as our examples' "I'm done":
    the copies teach the n-gram half of the classifier both spellings. The encoder half keeps the
    original embedding (its word pieces hardly change). Measured: neutral on our own
    cross-validation, +0.02 recall on the outside tweets at the same precision.
    """
    copies = [Example(e.embedding, _plain(e.lemmas), _plain(e.text)) for e in examples]
    return list(examples) + copies, list(targets) * 2


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class CrisisDetector(LabelModelComponent):
    """Makes `crisis` the top intent when a message shows risk of suicide or self-harm."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Bars for the classifier's probability (see `decide`) and the model's settings."""
        return {
            **LabelModelComponent.get_default_config(),
            "threshold": 0.65,
            "cue_threshold": 0.05,
            "guarded_threshold": 0.98,
            "rule_confidence": 0.95,
        }

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the classifier: examples of intent `crisis` against all the others."""
        examples: List[Example] = []
        targets: List[Text] = []
        for message in training_data.intent_examples:
            example = example_of(message)
            if example is not None:
                examples.append(example)
                targets.append(CRISIS if message.get(INTENT) == CRISIS else OTHER)
        if CRISIS not in targets:
            raise ValueError(f"the NLU data has no examples of intent '{CRISIS}'")
        resource = self.fit(*with_plain_copies(examples, targets))
        logger.info(f"Trained the crisis detector on {len(examples)} examples (and plain copies).")
        return resource

    def probability(self, message: Message) -> float:
        """The classifier's probability that the message is a crisis (0 when nothing is readable)."""
        example = example_of(message)
        if example is None or self._model is None:
            return 0.0
        return dict(self._model.ranking(example))[CRISIS]

    def verdict(self, message: Message) -> Verdict:
        """The decision for one processed message."""
        doc = message.get(SPACY_DOCS[TEXT])
        finding = crisis_rules.read(doc) if doc is not None else crisis_rules.Finding()
        return decide(self.probability(message), finding, self._config)

    def process(self, messages: List[Message]) -> List[Message]:
        """Puts `crisis` on top of the intents when flagged, and takes it away when not."""
        for message in messages:
            verdict = self.verdict(message)
            message.set(CRISIS, verdict.as_output(), add_to_output=True)
            ranking = [
                r for r in message.get("intent_ranking") or [] if r.get(INTENT_NAME_KEY) != CRISIS
            ]
            if verdict.flagged:
                top = {INTENT_NAME_KEY: CRISIS, PREDICTED_CONFIDENCE_KEY: verdict.confidence}
                message.set(INTENT, top, add_to_output=True)
                ranking = [top] + ranking
            elif (message.get(INTENT) or {}).get(INTENT_NAME_KEY) == CRISIS:
                message.set(INTENT, ranking[0] if ranking else None, add_to_output=True)
            # DIET also learns the intent; only the detector may give it.
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages
