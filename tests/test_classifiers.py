"""The emotion and stage graph components: train, persist, load and label messages."""

from __future__ import annotations

from pathlib import Path
from typing import List, Tuple

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from runner_up.nlu.classifiers import EmotionClassifier, StageClassifier, label_of
from runner_up.nlu.featurize import Featurizer
from runner_up.nlu.labels import EMOTIONS, STAGES
from runner_up.settings import ROOT

LABELLED: List[Tuple[str, str, str]] = [
    ("they turned me down this morning, I'm gutted", "sad", "just_rejected"),
    ("just got the rejection email, feeling so low", "sad", "just_rejected"),
    ("it's so unfair, they ghosted me after the final round", "angry", "waiting"),
    ("furious, they won't even give feedback", "angry", "seeking_feedback"),
    ("I can't stop worrying, still no answer from them", "anxious", "waiting"),
    ("nervous about the next interview on monday", "anxious", "reapplying"),
    ("I blew the technical question, so embarrassing", "ashamed", "reflecting"),
    ("looking back I feel stupid for rambling", "ashamed", "reflecting"),
    ("I'll never get hired anywhere, what's the point", "hopeless", "reapplying"),
    ("I give up applying, nobody wants me", "hopeless", "reapplying"),
    ("signed up for a course, feeling good about it", "hopeful", "rebuilding"),
    ("I got the offer!! start in june", "hopeful", "landed"),
    ("hi there", "neutral", "unknown"),
    ("what should I do next?", "neutral", "unknown"),
    ("I updated my CV today", "neutral", "rebuilding"),
    ("accepted the contract today", "neutral", "landed"),
]


@pytest.fixture(scope="module")
def featurizer() -> Featurizer:
    return Featurizer(ROOT / "config.yml")


def training_data(featurizer: Featurizer) -> TrainingData:
    messages = [
        Message.build(text, intent="express_feeling", example_metadata={"emotion": e, "stage": s})
        for text, e, s in LABELLED
    ]
    return TrainingData(featurizer.process(messages))


@pytest.mark.parametrize("component, key, labels, nothing", [
    (EmotionClassifier, "emotion", EMOTIONS, "neutral"),
    (StageClassifier, "stage", STAGES, "unknown"),
])
def test_train_persist_load_and_label(featurizer, tmp_path: Path, component, key, labels, nothing) -> None:
    storage = LocalModelStorage(tmp_path)
    resource = Resource(key)
    context = ExecutionContext(GraphSchema({}), node_name=key)
    config = component.get_default_config()
    trained = component.create(config, storage, resource, context)
    trained.train(training_data(featurizer))

    loaded = component.load(config, storage, resource, context)
    messages = featurizer.messages(["they turned me down this morning, I'm gutted", ""])
    loaded.process(messages)
    parsed, empty = messages
    assert parsed.get(key)["name"] == dict(zip(("emotion", "stage"), LABELLED[0][1:]))[key]
    ranking = parsed.get(f"{key}_ranking")
    assert sorted(r["name"] for r in ranking) == sorted(labels)
    assert parsed.as_dict(only_output_properties=True)[key] == ranking[0]
    assert empty.get(key) == {"name": nothing, "confidence": 1.0}


def test_a_label_outside_the_set_is_refused(featurizer, tmp_path: Path) -> None:
    data = training_data(featurizer)
    data.training_examples[0].data["metadata"]["example"]["emotion"] = "bored"
    storage = LocalModelStorage(tmp_path)
    classifier = EmotionClassifier.create(EmotionClassifier.get_default_config(), storage,
                                          Resource("e"), ExecutionContext(GraphSchema({}), "e"))
    with pytest.raises(ValueError, match="bored"):
        classifier.train(data)


def test_a_missing_label_is_refused(featurizer, tmp_path: Path) -> None:
    data = TrainingData([m for m in training_data(featurizer).training_examples
                         if label_of(m, "emotion") != "hopeless"])
    storage = LocalModelStorage(tmp_path)
    classifier = EmotionClassifier.create(EmotionClassifier.get_default_config(), storage,
                                          Resource("e"), ExecutionContext(GraphSchema({}), "e"))
    with pytest.raises(ValueError, match="hopeless"):
        classifier.train(data)


def test_example_metadata_overrides_the_intent_default() -> None:
    message = Message.build("hi", intent="greet", intent_metadata={"emotion": "neutral"},
                            example_metadata={"emotion": "hopeful"})
    assert label_of(message, "emotion") == "hopeful"
    assert label_of(Message.build("hi", intent="greet", intent_metadata={"stage": "unknown"}),
                    "stage") == "unknown"
    assert label_of(Message.build("hi", intent="greet"), "stage") is None
