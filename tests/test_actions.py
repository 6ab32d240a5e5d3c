"""Custom actions: registered set matches the domain; each action tested with a fresh tracker."""

from __future__ import annotations

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from actions.feelings import ActionReflectFeeling, felt_emotion
from runner_up.settings import ROOT

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())


def test_registered_actions_and_domain_actions_are_the_same_set() -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    assert set(executor.actions) == set(DOMAIN["actions"])


def tracker_with(parse: dict) -> Tracker:
    return Tracker("someone", {}, parse, [], False, None, {}, "action_listen")


@pytest.mark.parametrize(
    "parse, expected",
    [
        ({"emotion": {"name": "sad", "confidence": 0.9}}, "sad"),
        ({"emotion": {"name": "angry", "confidence": 0.41}}, "angry"),
        ({"emotion": {"name": "angry", "confidence": 0.2}}, "neutral"),
        ({"emotion": {"name": "bored", "confidence": 0.9}}, "neutral"),
        ({}, "neutral"),
    ],
)
def test_felt_emotion(parse: dict, expected: str) -> None:
    assert felt_emotion(parse) == expected


def test_reflect_feeling_sets_the_emotion_slot() -> None:
    dispatcher = CollectingDispatcher()
    events = ActionReflectFeeling().run(
        dispatcher, tracker_with({"emotion": {"name": "anxious", "confidence": 0.8}}), DOMAIN
    )
    assert events == [SlotSet("emotion", "anxious")]
    assert dispatcher.messages == []


def test_every_reflected_emotion_has_a_response_variant() -> None:
    conditioned = {
        c["value"]
        for variant in DOMAIN["responses"]["utter_reflect_feeling"]
        for c in variant.get("condition", [])
    }
    unconditioned = [v for v in DOMAIN["responses"]["utter_reflect_feeling"] if "condition" not in v]
    assert conditioned == {"sad", "angry", "anxious", "ashamed", "hopeless", "hopeful"}
    assert unconditioned, "neutral needs a default variant"
