"""A turn through the REST channel reaches the action server and reflects the feeling."""

from __future__ import annotations

import uuid

import pytest
import yaml

from runner_up.settings import ROOT

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())


def variants(response: str, emotion: str | None = None) -> set:
    texts = set()
    for variant in DOMAIN["responses"][response]:
        conditions = variant.get("condition") or []
        values = {c["value"] for c in conditions}
        if (emotion is None and not conditions) or emotion in values:
            texts.add(variant["text"])
    return texts


@pytest.mark.slow
def test_greeting_then_a_sad_rejection_is_reflected(servers) -> None:
    sender = f"test-{uuid.uuid4()}"
    greeting = servers.say(sender, "hello")
    assert [m["text"] for m in greeting] == list(variants("utter_greet"))
    reply = servers.say(sender, "they turned me down this morning and I'm absolutely gutted")
    assert len(reply) == 1
    assert reply[0]["text"] in variants("utter_reflect_feeling", "sad")


@pytest.mark.slow
def test_each_conversation_keeps_its_own_emotion(servers) -> None:
    angry, hopeful = f"test-{uuid.uuid4()}", f"test-{uuid.uuid4()}"
    a = servers.say(angry, "they ghosted me after 3 interviews, I'm furious, so unfair")
    h = servers.say(hopeful, "I got the offer!! so happy, I start in June")
    assert a[0]["text"] in variants("utter_reflect_feeling", "angry")
    assert h[-1]["text"] not in variants("utter_reflect_feeling", "angry")
