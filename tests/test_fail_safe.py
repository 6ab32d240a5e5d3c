"""runner_up/channels/fail_safe.py on its own: a turn that fails or hangs still gets an answer
(care and helplines for a crisis, utter_turn_failed for anyone else), with the model's texts or,
failing those, the fixed ones. The same through the real server with each store killed is
tests/test_stores_down.py."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, Dict, List, Optional

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.core.domain import Domain

from runner_up.channels import fail_safe
from runner_up.channels.fail_safe import CARE_TEXT, FAILED_TEXT, Turns
from tests.dialogue import DOMAIN, variants

CRISIS = "i want to end my life"
AMBIGUOUS = "i cant take it anymore"


class FakeAgent:
    """The agent's parts the fail-safe uses: the NLU and the NLG of the real domain."""

    def __init__(self, nlu_fails: bool = False, nlg: Optional[Any] = None) -> None:
        from rasa.core.nlg import TemplatedNaturalLanguageGenerator

        self.domain = Domain.from_dict(DOMAIN)
        self.nlg = nlg or TemplatedNaturalLanguageGenerator(self.domain.responses)
        self.nlu_fails = nlu_fails
        self.parsed: List[str] = []

    async def parse_message(self, text: str) -> Dict[str, Any]:
        self.parsed.append(text)
        if self.nlu_fails:
            raise RuntimeError("the model is broken too")
        intent = {CRISIS: "crisis", AMBIGUOUS: "crisis_check"}.get(text, "greet")
        return {"intent": {"name": intent}}


class BrokenNLG:
    async def generate(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("no templates")


def turns(agent: FakeAgent, **seconds: float) -> Turns:
    handler = Turns()
    handler.app = SimpleNamespace(ctx=SimpleNamespace(agent=agent))  # type: ignore[assignment]
    handler._fixed_crisis = fail_safe.fixed_crisis_texts()
    handler.crisis_reply_after = seconds.get("crisis", 5.0)
    handler.turn_limit = seconds.get("limit", 90.0)
    return handler


def run(handler: Turns, text: str, turn: Any) -> tuple:
    output = CollectingOutputChannel()
    completed = asyncio.run(handler.handle(turn, UserMessage(text, output, "rest:someone")))
    return completed, [m.get("text") for m in output.messages]


async def store_down(message: UserMessage) -> None:
    raise ConnectionError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")


def test_a_turn_that_completes_is_left_alone() -> None:
    agent = FakeAgent()

    async def fine(message: UserMessage) -> None:
        await message.output_channel.send_text_message(message.sender_id, "Hi!")

    assert run(turns(agent), CRISIS, fine) == (True, ["Hi!"])
    assert agent.parsed == [], "no second parse when all is well"


def test_a_crisis_whose_turn_fails_gets_the_care_and_the_helplines() -> None:
    completed, said = run(turns(FakeAgent()), CRISIS, store_down)
    assert not completed
    assert said[0] in variants("utter_crisis_care")
    assert "findahelpline.com" in said[1] and "which country" in said[1]


def test_an_ambiguous_message_whose_turn_fails_gets_the_care_too() -> None:
    """The safety question could not be followed up with the stores down: the care instead."""
    completed, said = run(turns(FakeAgent()), AMBIGUOUS, store_down)
    assert not completed
    assert said[0] in variants("utter_crisis_care") and "findahelpline.com" in said[1]


def test_a_failed_safety_question_is_asked_all_the_same() -> None:
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.trackers import DialogueStateTracker

    from runner_up.channels import action_failures

    output = CollectingOutputChannel()
    nlg = TemplatedNaturalLanguageGenerator(Domain.from_dict(DOMAIN).responses)
    tracker = DialogueStateTracker.from_events("rest:someone", [])
    asyncio.run(action_failures.tell_person(output, nlg, tracker,
                                            *action_failures.INSTEAD["action_crisis_check"]))
    (said,) = output.messages
    assert said["text"] in variants("utter_crisis_check_plain")
    assert [b["payload"] for b in said["buttons"]] == ["/affirm", "/deny"]


def test_anyone_else_hears_that_something_is_broken() -> None:
    completed, said = run(turns(FakeAgent()), "hello", store_down)
    assert not completed and said == list(variants("utter_turn_failed"))
    assert said == [FAILED_TEXT], "the fixed text says the same as the domain's"


def test_without_the_models_texts_the_fixed_ones_go_out() -> None:
    _, said = run(turns(FakeAgent(nlg=BrokenNLG())), CRISIS, store_down)
    assert said[0] == CARE_TEXT
    assert "findahelpline.com" in said[1] and "iasp.info" in said[1], "data/crisis_resources.yml's international entry"
    _, said = run(turns(FakeAgent(nlg=BrokenNLG())), "hello", store_down)
    assert said == [FAILED_TEXT]


def test_a_message_the_nlu_cannot_read_either_gets_the_care() -> None:
    _, said = run(turns(FakeAgent(nlu_fails=True)), "hello", store_down)
    assert said[0] in variants("utter_crisis_care") and "findahelpline.com" in said[1]


def test_the_default_country_gets_its_own_helplines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNNER_UP_DEFAULT_COUNTRY", "gb")
    _, said = run(turns(FakeAgent()), CRISIS, store_down)
    assert "116 123" in said[1]


def test_a_crisis_whose_turn_hangs_gets_the_care_at_once_and_the_turn_goes_on() -> None:
    async def slow(message: UserMessage) -> None:
        await asyncio.sleep(0.6)
        await message.output_channel.send_text_message(message.sender_id, "the usual answer")

    completed, said = run(turns(FakeAgent(), crisis=0.2), CRISIS, slow)
    assert completed, "the turn finished after all"
    assert said[0] in variants("utter_crisis_care") and "findahelpline.com" in said[1]
    assert said[2:] == ["the usual answer"]


def test_a_slow_turn_that_is_no_crisis_is_waited_for() -> None:
    async def slow(message: UserMessage) -> None:
        await asyncio.sleep(0.4)
        await message.output_channel.send_text_message(message.sender_id, "the usual answer")

    assert run(turns(FakeAgent(), crisis=0.1), "hello", slow) == (True, ["the usual answer"])


def test_a_turn_that_never_ends_is_told_at_the_limit() -> None:
    async def forever(message: UserMessage) -> None:
        await asyncio.sleep(30)

    completed, said = run(turns(FakeAgent(), crisis=0.1, limit=0.3), "hello", forever)
    assert not completed and said == [FAILED_TEXT]
    completed, said = run(turns(FakeAgent(), crisis=0.1, limit=0.3), CRISIS, forever)
    assert not completed and len(said) == 2 and "findahelpline.com" in said[1], "the care once, nothing more"


def test_a_failure_is_logged_with_its_stack_trace(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("ERROR", logger="runner_up.channels.fail_safe"):
        run(turns(FakeAgent()), "hello", store_down)
    assert "a turn failed before it could answer" in caplog.text
    assert "ConnectionError: Error 111" in caplog.text
