"""The crisis detector: the last NLU component, whose verdict overrides every other.

A graded safety check, as crisis counsellors work (ask directly, then act). Every message gets a
tier (DESIGN.md's contract, extended):

- `crisis`: an explicit statement (the rules), or a classifier that is very sure. The top intent
  becomes `crisis`, with the detector's confidence, whatever DIET or the fallback classifier said;
  the dialogue starts the crisis protocol.
- `ask`: an ambiguous signal: the classifier in its middle band, or a cue without an explicit
  statement ("can't take it anymore", "what's the point", the warning signs). The top intent
  becomes `crisis_check`; the dialogue asks one direct question, and a "no" puts the message back
  as it was read before (`intent_before`).
- `none`: the message keeps its intent.

Two halves:

- rules (`crisis_rules.read`) on spaCy tokens of the normalised text (`normalize`): explicit
  statements, cues, and idioms and negations that raise the bar;
- a classifier (`LabelModel`, the same encoder + n-gram model as emotion and stage) trained by
  `rasa train` on our NLU examples: intent `crisis` against every other intent.

Every parse carries `crisis`: the tier, the classifier's probability, what the rules read and the
intent the message had before the detector, so a report, a log or an action can say why.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import SPACY_DOCS
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from runner_up.nlu import crisis_rules
from runner_up.nlu.classifiers import LabelModelComponent, example_of
from runner_up.nlu.label_model import Example
from runner_up.nlu.normalize import normalize
from runner_up.nlu.spacy_nlp import build_pipeline

logger = logging.getLogger(__name__)

CRISIS = "crisis"
CRISIS_CHECK = "crisis_check"  # the top intent of a message in tier `ask`
OTHER = "other"
NONE, ASK = "none", "ask"  # the tiers, with CRISIS
TIER_INTENTS = {CRISIS: CRISIS, ASK: CRISIS_CHECK}


@dataclass(frozen=True)
class Verdict:
    """The detector's decision on one message."""

    tier: Text  # NONE, ASK or CRISIS
    confidence: float  # how sure the detector is of the tier's signal
    probability: float  # the classifier's probability alone
    finding: crisis_rules.Finding

    @property
    def flagged(self) -> bool:
        """Caught: asked about or sent to the crisis protocol."""
        return self.tier != NONE

    def as_output(self) -> Dict[Text, Any]:
        return {
            "tier": self.tier,
            "flagged": self.flagged,
            "confidence": self.confidence,
            "classifier": self.probability,
            "rules": list(self.finding.explicit),
            "cues": list(self.finding.cues),
            "idioms": list(self.finding.idioms),
            "negated": list(self.finding.negated),
        }


def decide(probability: float, finding: crisis_rules.Finding, config: Dict[Text, Any]) -> Verdict:
    """The tier, from the rules' finding and the classifier's probability (a plain, tested function).

    Explicit statements: `crisis`. Otherwise the classifier must reach `crisis_threshold` for
    `crisis` (`guarded_threshold` after a denial; after an idiom alone, never), and the ask bar for `ask`: `threshold`
    alone, `cue_threshold` with a cue, `crisis_threshold` after an idiom or a denial.
    """
    if finding.explicit:
        return Verdict(CRISIS, max(probability, config["rule_confidence"]), probability, finding)
    if finding.guarded:  # idioms and denials: only a very sure classifier
        crisis_bar, ask_bar = config["guarded_threshold"], config["crisis_threshold"]
        if finding.idioms and not finding.negated:
            # An idiom ("over my dead body", "end of my rope") with no statement beside it is the
            # ambiguity the question is for: asked, never the protocol on the classifier alone.
            crisis_bar = float("inf")
    elif finding.cues:
        crisis_bar, ask_bar = config["crisis_threshold"], config["cue_threshold"]
    else:
        crisis_bar, ask_bar = config["crisis_threshold"], config["threshold"]
    tier = CRISIS if probability >= crisis_bar else ASK if probability >= ask_bar else NONE
    return Verdict(tier, probability, probability, finding)


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
    """Makes `crisis` (or, in tier `ask`, `crisis_check`) the top intent when a message shows a
    risk of suicide or self-harm."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Bars for the classifier's probability (see `decide`) and the model's settings."""
        return {
            **LabelModelComponent.get_default_config(),
            "threshold": 0.65,
            "crisis_threshold": 0.9,
            "cue_threshold": 0.05,
            "guarded_threshold": 0.98,
            "rule_confidence": 0.95,
        }

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the classifier: examples of intent `crisis` against all the others."""
        examples: List[Example] = []
        targets: List[Text] = []
        for message in training_data.intent_examples:
            example = detector_example(message)
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
        example = detector_example(message)
        if example is None or self._model is None:
            return 0.0
        return dict(self._model.ranking(example))[CRISIS]

    def verdict(self, message: Message) -> Verdict:
        """The decision for one processed message."""
        return decide(self.probability(message), read_rules(message), self._config)

    def process(self, messages: List[Message]) -> List[Message]:
        """Puts the tier's intent on top, and takes `crisis` and `crisis_check` away otherwise."""
        for message in messages:
            verdict = self.verdict(message)
            # DIET also learns `crisis`; only the detector may give it (or `crisis_check`).
            ranking = [r for r in message.get("intent_ranking") or []
                       if r.get(INTENT_NAME_KEY) not in TIER_INTENTS.values()]
            before = message.get(INTENT) or {}
            if before.get(INTENT_NAME_KEY) in TIER_INTENTS.values():
                before = ranking[0] if ranking else {}
            output = verdict.as_output()
            # What the message was before the override: a "no, I'm safe" puts it back.
            output["intent_before"] = dict(before) if before else None
            message.set(CRISIS, output, add_to_output=True)
            if verdict.flagged:
                top = {INTENT_NAME_KEY: TIER_INTENTS[verdict.tier],
                       PREDICTED_CONFIDENCE_KEY: verdict.confidence}
                message.set(INTENT, top, add_to_output=True)
                ranking = [top] + ranking
            else:
                message.set(INTENT, before or None, add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages


def detector_example(message: Message) -> Optional[Example]:
    """The classifier's view of a message (`example_of`), its n-grams read from normalised text."""
    example = example_of(message)
    return None if example is None else plain_text(example)


def plain_text(example: Example) -> Example:
    return dataclasses.replace(example, text=normalize(example.text).lower())


def read_rules(message: Message) -> crisis_rules.Finding:
    """The rules' reading of the message's normalised text.

    The pipeline's spaCy doc is used when normalising changes nothing it reads; otherwise the
    normalised text is parsed again, by the same blank pipeline, lower-cased as SpacyNLP does.
    """
    text = message.get(TEXT) or ""
    plain = normalize(text)
    doc = message.get(SPACY_DOCS[TEXT])
    if doc is None or plain != text:
        doc = build_pipeline()(plain.lower()) if plain else None
    return crisis_rules.read(doc) if doc is not None else crisis_rules.Finding()
