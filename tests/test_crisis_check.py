"""The graded safety check without a model: the normaliser, the question's quote, and the events
that put the conversation back where it was after a "no" (actions/crisis_check.py)."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.crisis_check import (
    ActionCrisisCheck, ActionCrisisCheckSafe, as_read_before, short_quote, text_slot,
)
from runner_up.nlu.normalize import normalize
from runner_up.settings import ROOT

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())


@pytest.mark.parametrize("text, plain", [
    ("ｉ ｗａｎｔ ｔｏ ｄｉｅ", "i want to die"),
    ("i want to\n\ndie", "i want to die"),
    ("kill\u200bmyself", "kill myself"),
    ("sui\u00adcide", "suicide"),
    ("  lots \t of\r\n space  ", "lots of space"),
    ("👨\u200d👩\u200d👧 family", "👨👩👧 family"),
    ("", ""),
])
def test_normalize(text: str, plain: str) -> None:
    assert normalize(text) == plain


def test_the_quote_is_short_and_the_persons_own_words() -> None:
    assert short_quote("i can't take it anymore") == "i can't take it anymore"
    long = ("so the recruiter finally called back after three weeks and said no again. "
            "honestly some days i feel like i just cannot take any of this anymore, at all")
    quote = short_quote(long)
    assert len(quote) <= 60 and quote.startswith("…") and quote.endswith("anymore, at all")
    assert quote[1:] in long


def parse(intent: str, before: str, text: str) -> Dict[str, Any]:
    return {"text": text, "intent": {"name": intent, "confidence": 0.7},
            "intent_ranking": [{"name": intent, "confidence": 0.7}, {"name": before, "confidence": 0.6}],
            "entities": [], "crisis": {"tier": "ask", "intent_before": {"name": before, "confidence": 0.6}}}


def user(text: str, parse_data: Dict[str, Any]) -> Dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": parse_data, "input_channel": "rest"}


def tracker(events: List[Dict[str, Any]], slots: Dict[str, Any] = None) -> Tracker:
    latest = next(e["parse_data"] for e in reversed(events) if e["event"] == "user")
    return Tracker("rest:someone", slots or {}, latest, events, False, None, None, "action_listen")


AMBIGUOUS = "ugh what's the point, Acme said no"
BEFORE_CHECK = [
    {"event": "action", "name": "action_listen"},
    user(AMBIGUOUS, parse("crisis_check", "tell_what_happened", AMBIGUOUS)),
    {"event": "slot", "name": "company", "value": "Acme"},  # set from an entity
]


def test_an_ambiguous_message_is_asked_about_with_buttons() -> None:
    dispatcher = CollectingDispatcher()
    assert ActionCrisisCheck().run(dispatcher, tracker(BEFORE_CHECK), DOMAIN) == []
    (said,) = dispatcher.messages
    assert said["response"] == "utter_crisis_check" and said["quote"] == AMBIGUOUS
    buttons = [variant["buttons"] for variant in DOMAIN["responses"]["utter_crisis_check"]]
    assert all([b["payload"] for b in bs] == ["/affirm", "/deny"] for bs in buttons)


def test_a_no_replays_the_message_as_it_was_read_before() -> None:
    events = BEFORE_CHECK + [
        {"event": "action", "name": "action_crisis_check"},
        {"event": "bot", "text": "When you said ..."},
        {"event": "action", "name": "action_listen"},
        user("no", {"text": "no", "intent": {"name": "deny", "confidence": 1.0}, "entities": []}),
    ]
    dispatcher = CollectingDispatcher()
    result = ActionCrisisCheckSafe().run(dispatcher, tracker(events), DOMAIN)
    assert [m["response"] for m in dispatcher.messages] == ["utter_crisis_check_thanks"]
    assert [e["event"] for e in result] == ["rewind", "rewind", "action", "user", "slot", "slot"]
    assert result[2]["name"] == "action_listen"
    assert result[3]["text"] == AMBIGUOUS
    assert result[3]["parse_data"]["intent"]["name"] == "tell_what_happened"
    assert "crisis_check" not in [r["name"] for r in result[3]["parse_data"]["intent_ranking"]]
    assert (result[4]["name"], result[4]["value"]) == ("company", "Acme")
    assert (result[5]["name"], result[5]["value"]) == ("safe_after_check", True)


def test_once_safe_an_ambiguous_message_is_not_asked_about_again() -> None:
    dispatcher = CollectingDispatcher()
    result = ActionCrisisCheck().run(dispatcher, tracker(BEFORE_CHECK, {"safe_after_check": True}), DOMAIN)
    assert dispatcher.messages == []
    assert [e["event"] for e in result] == ["rewind", "action", "user", "slot"]
    assert result[2]["parse_data"]["intent"]["name"] == "tell_what_happened"


def test_an_answer_to_a_form_is_given_back_to_the_form() -> None:
    assert text_slot(DOMAIN, "rejection_form", "company", "inform") == "company"
    assert text_slot(DOMAIN, "rejection_form", "company", "crisis_check") is None
    assert text_slot(DOMAIN, None, None, "inform") is None


def test_a_parse_without_a_former_intent_falls_back() -> None:
    restored = as_read_before({"intent": {"name": "crisis_check"}, "crisis": {}})
    assert restored["intent"]["name"] == "nlu_fallback" and restored["crisis"]["resumed"]


def test_every_answer_to_the_question_has_a_rule() -> None:
    """No is "safe", anything else the protocol: every typed intent needs its rule (or the
    explicit crisis rules, for `crisis`)."""
    rules = yaml.safe_load((ROOT / "data" / "rules" / "crisis_check.yml").read_text())["rules"]
    answered = {r["steps"][1]["intent"] for r in rules
                if r["steps"][0].get("action") == "action_crisis_check" and len(r["steps"]) > 1}
    typed = {i for i in DOMAIN["intents"] if not i.startswith("EXTERNAL_")} | {"nlu_fallback"}
    assert typed - {"crisis"} == answered


# Through the real stack (Rasa + action server, conftest's `servers`).

AMBIGUOUS_TEXTS = ["honestly i can't take it anymore", "what's the point", "im done."]


def check_texts() -> set:
    from tests.dialogue import variants

    return {t.split("{quote}")[-1] for t in variants("utter_crisis_check")} | variants("utter_crisis_check_plain")


def asked(replies: List[str]) -> bool:
    return any(t.endswith(tuple(check_texts())) for t in replies)


def protocol(replies: List[str]) -> bool:
    from tests.dialogue import variants

    return bool(set(replies) & variants("utter_crisis_care")) and any("findahelpline.com" in t or "988" in t
                                                                     for t in replies)


def ask_tier_text(servers: Any) -> str:
    """One of the ambiguous texts that this model puts in tier `ask`."""
    for text in AMBIGUOUS_TEXTS:
        if servers.parse(text)["crisis"]["tier"] == "ask":
            return text
    pytest.fail(f"none of {AMBIGUOUS_TEXTS} is in tier ask")


@pytest.mark.slow
def test_the_safety_check_through_the_real_stack(servers: Any) -> None:
    import uuid

    from tests.dialogue import texts, variants

    text = ask_tier_text(servers)

    # No: the message is answered as it would have been, no helplines; not asked again after.
    who = f"test-{uuid.uuid4()}"
    question = texts(servers.say(who, text))
    assert asked(question) and not protocol(question), question
    resumed = texts(servers.say(who, "no"))
    assert resumed[0] in variants("utter_crisis_check_thanks") and len(resumed) > 1, resumed
    assert not protocol(resumed) and not asked(resumed)
    assert not set(resumed) & variants("utter_crisis_still_here"), resumed
    again = texts(servers.say(who, text))
    assert again and not asked(again) and not protocol(again), again
    # An explicit statement always gets the protocol.
    explicit = texts(servers.say(who, "i want to kill myself"))
    assert protocol(explicit) and explicit[-1] in variants("utter_crisis_ask_safe"), explicit

    # Yes: the protocol.
    who = f"test-{uuid.uuid4()}"
    assert asked(texts(servers.say(who, text)))
    yes = texts(servers.say(who, "yes"))
    assert protocol(yes) and yes[-1] in variants("utter_crisis_ask_safe"), yes
    # ... and the person is in crisis mode: job talk waits.
    waits = texts(servers.say(who, "what should I do next about the job?"))
    assert set(waits) & variants("utter_crisis_still_here"), waits

    # Not an answer: the protocol too.
    who = f"test-{uuid.uuid4()}"
    assert asked(texts(servers.say(who, text)))
    other = texts(servers.say(who, "whatever. acme turned me down for the analyst role"))
    assert protocol(other), other
