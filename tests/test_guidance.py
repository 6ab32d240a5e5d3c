"""The guidance engine: the catalogue, the choice of step, templates and dates (no Rasa needed)."""

from __future__ import annotations

import datetime
import string

import pytest
import yaml

from runner_up.guidance import catalogue as catalogue_module
from runner_up.guidance.catalogue import SEEDS, TEMPLATES, load
from runner_up.guidance.choose import Situation, choose_step, rank
from runner_up.guidance.templates import template_values
from runner_up.guidance.when import parse_when
from runner_up.nlu.labels import EMOTIONS, STAGES
from runner_up.settings import ROOT

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())
RESPONSES = DOMAIN["responses"]
REQUIRED_STEPS = [
    "dont_take_it_personally", "let_the_feelings_out", "be_gracious", "ask_for_feedback",
    "review_your_interview", "focus_on_your_strengths", "fill_the_gaps", "stay_in_the_running",
    "keep_your_cv_on_file", "connect_and_stay_in_touch", "widen_your_network", "be_grateful",
    "look_after_yourself", "keep_your_momentum", "improve_your_search", "build_resilience",
]
TODAY = datetime.date(2026, 11, 21)  # a Saturday


def test_catalogue_has_every_required_step_with_sources() -> None:
    steps = load()
    assert set(REQUIRED_STEPS) <= set(steps.ids)
    seeds = {p.name for p in SEEDS.glob("*.txt")} if SEEDS.is_dir() else None
    for step in steps.steps:
        assert step.sources
        if seeds is not None:
            assert set(step.sources) <= seeds, step.id


def test_every_step_has_its_turns_in_the_domain_with_variants() -> None:
    for step in load().steps:
        assert len(RESPONSES[step.offer]) >= 3, step.offer
        assert len(RESPONSES[step.guide]) >= 2, step.guide
        offers = [v["text"] for v in RESPONSES[step.offer]]
        assert len(set(offers)) == len(offers)


def test_every_template_is_in_the_domain_and_fills_completely() -> None:
    known = template_values("Acme", "Data Analyst", "Priya", datetime.date(2026, 3, 12))
    fallback = template_values()
    for name in TEMPLATES:
        text = RESPONSES[f"utter_template_{name}"][0]["text"]
        for values in (known, fallback):
            filled = text.format(**values)
            assert "{" not in filled and "}" not in filled
    assert fallback == {"interviewer": "Hiring Team", "company": "your organization",
                        "role": "the position", "date": "recently"}
    assert known["role"] == "the Data Analyst position" and known["date"] == "on March 12"
    assert template_values(role="Engineering role")["role"] == "the Engineering role"


def words(text: str) -> list:
    return text.lower().translate(str.maketrans("", "", string.punctuation + "’‘“”")).split()


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is not beside the repo")
def test_guidance_text_is_our_own_wording() -> None:
    seeds = set()
    for path in SEEDS.glob("*.txt"):
        w = words(path.read_text(encoding="utf-8"))
        seeds |= {tuple(w[i:i + 8]) for i in range(len(w) - 7)}
    ours = [v["text"] for name, variants in RESPONSES.items()
            if name.startswith(("utter_step_", "utter_template_")) for v in variants]
    copied = [t for t in ours
              if any(tuple(words(t)[i:i + 8]) in seeds for i in range(len(words(t)) - 7))]
    assert not copied


def test_every_emotion_and_stage_has_steps_that_fit() -> None:
    steps = load().steps
    for emotion in EMOTIONS:
        assert sum(emotion in s.emotions for s in steps) >= 2, emotion
    for stage in STAGES:
        assert sum(stage in s.stages for s in steps) >= 2, stage


def test_the_catalogue_check_refuses_unknown_prerequisites() -> None:
    good = load()
    bad = catalogue_module.Catalogue(tuple(
        s if s.id != "be_gracious" else s.__class__(**{**s.__dict__, "requires": ("has_cat",)})
        for s in good.steps))
    with pytest.raises(catalogue_module.CatalogueError, match="unknown prerequisite has_cat"):
        catalogue_module.check(bad)


def test_fresh_sadness_is_met_with_comfort_before_action() -> None:
    step = choose_step(load(), Situation("sad", "just_rejected"))
    assert step.id == "let_the_feelings_out"


def test_a_step_done_is_not_offered_again_and_the_next_fits() -> None:
    situation = Situation("sad", "just_rejected", {"let_the_feelings_out": "done"})
    assert choose_step(load(), situation).id != "let_the_feelings_out"


def test_templates_that_write_to_the_employer_need_a_rejection() -> None:
    catalogue = load()
    without = [s.id for s in rank(catalogue, Situation("neutral", "just_rejected"))]
    assert "be_gracious" not in without
    with_rejection = [s.id for s in rank(catalogue, Situation(
        "neutral", "just_rejected", facts=frozenset({"has_rejection"})))]
    assert "be_gracious" in with_rejection


def test_declined_steps_come_last_and_skip_is_honoured() -> None:
    catalogue = load()
    situation = Situation("sad", "just_rejected", {"let_the_feelings_out": "declined"})
    ranked = [s.id for s in rank(catalogue, situation)]
    assert ranked[-1] == "let_the_feelings_out"
    assert choose_step(catalogue, Situation("sad", "just_rejected"),
                       skip=["let_the_feelings_out"]).id != "let_the_feelings_out"


def test_every_step_can_be_reached() -> None:
    """Walks the catalogue the way a person would: take each step offered, mark it done."""
    catalogue = load()
    reached = set()
    for emotion in EMOTIONS:
        for stage in STAGES:
            statuses = {}
            facts = frozenset({"has_rejection", "has_company", "has_interviewer"})
            while (step := choose_step(catalogue, Situation(emotion, stage, statuses, facts))):
                reached.add(step.id)
                statuses[step.id] = "done"
    assert reached == set(catalogue.ids)


@pytest.mark.parametrize("text, expected", [
    ("today", TODAY), ("this morning", TODAY), ("yesterday", datetime.date(2026, 11, 20)),
    ("3 days ago", datetime.date(2026, 11, 18)), ("a week ago", datetime.date(2026, 11, 14)),
    ("two weeks ago", datetime.date(2026, 11, 7)), ("last Friday", datetime.date(2026, 11, 20)),
    ("on monday", datetime.date(2026, 11, 16)), ("last saturday", datetime.date(2026, 11, 14)),
    ("12 March", datetime.date(2026, 3, 12)), ("March 12th", datetime.date(2026, 3, 12)),
    ("2 December", datetime.date(2025, 12, 2)),  # no year: the most recent one
    ("2026-11-02", datetime.date(2026, 11, 2)), ("5/11/2026", datetime.date(2026, 11, 5)),
    ("3 March 2031", datetime.date(2031, 3, 3)),  # far future: read, then refused by the store
    ("sometime", None), ("", None), ("31 February", None),
])
def test_dates_are_read(text: str, expected) -> None:
    assert parse_when(text, TODAY) == expected
