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


def test_crisis_detector_trains_persists_loads_and_overrides_the_intent(featurizer, tmp_path: Path) -> None:
    from runner_up.nlu.crisis import CrisisDetector

    crisis = ["i want to end my life", "i cant go on, i want to die", "everyone would be better off without me",
              "i have the pills ready tonight"]
    calm = ["they turned me down, gutted", "what should I do next?", "this rejection is killing me",
            "I'd kill for that job", "going for a run then pizza", "hi there"]
    messages = [Message.build(t, intent="crisis") for t in crisis] + [
        Message.build(t, intent="express_feeling") for t in calm]
    storage, resource = LocalModelStorage(tmp_path), Resource("crisis")
    context = ExecutionContext(GraphSchema({}), node_name="crisis")
    config = CrisisDetector.get_default_config()
    CrisisDetector.create(config, storage, resource, context).train(TrainingData(featurizer.process(messages)))

    loaded = CrisisDetector.load(config, storage, resource, context)
    parsed = featurizer.messages(["honestly i want to kill myself", "this waiting is killing me"])
    for message in parsed:
        message.set("intent", {"name": "express_feeling", "confidence": 0.9})
        message.set("intent_ranking", [{"name": "express_feeling", "confidence": 0.9},
                                       {"name": "crisis", "confidence": 0.1}])
    loaded.process(parsed)
    risk, idiom = parsed
    assert risk.get("intent")["name"] == "crisis" and risk.get("intent_ranking")[0]["name"] == "crisis"
    assert [r["name"] for r in risk.get("intent_ranking")].count("crisis") == 1
    assert idiom.get("intent")["name"] == "express_feeling"
    assert "crisis" not in [r["name"] for r in idiom.get("intent_ranking")]
    assert idiom.get("crisis")["idioms"] == ["killing me"]


def test_short_answers_are_read_exactly_as_the_examples_say_them(tmp_path: Path) -> None:
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from runner_up.nlu.short_answers import ShortAnswerClassifier

    examples = [("no", "deny"), ("No thanks!", "deny"), ("yes please", "affirm"),
                ("I'm safe", "confirm_safe"), ("not now", "deny"), ("not now", "reschedule_checkin"),
                ("no I didn't get the job at all", "deny"), ("my plan", "inform")]
    data = TrainingData([Message(data={"text": text, "intent": intent}) for text, intent in examples])
    storage, context = LocalModelStorage(tmp_path), ExecutionContext(GraphSchema({}), "s")
    config = ShortAnswerClassifier.get_default_config()
    ShortAnswerClassifier.create(config, storage, Resource("s"), context).train(data)
    loaded = ShortAnswerClassifier.load(config, storage, Resource("s"), context)

    def read(text: str) -> dict:
        message = Message(data={"text": text, "intent": {"name": "nlu_fallback", "confidence": 0.3},
                                "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.3},
                                                   {"name": "deny", "confidence": 0.27}]})
        loaded.process([message])
        return message.get("intent")

    assert read("No!!") == {"name": "deny", "confidence": 1.0}
    assert read("no thanks 🙂")["name"] == "deny"
    assert read("YES please")["name"] == "affirm"
    assert read("I'm safe")["name"] == "confirm_safe"
    assert read("not now")["name"] == "nlu_fallback", "said by two intents: left to DIET"
    assert read("no I didn't get the job at all")["name"] == "nlu_fallback", "too long to be exact"
    assert read("my plan")["name"] == "nlu_fallback", "not one of the chosen intents"
    assert read("nope")["name"] == "nlu_fallback", "only what the examples say"
