"""Our training data: every example labelled, enough of each label, none copied from outside."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
import yaml
from rasa.shared.nlu.training_data.loading import load_data

from runner_up.nlu.classifiers import label_of
from runner_up.nlu.labels import EMOTIONS, STAGES
from runner_up.settings import ROOT
from tests.conftest import EVALDATA

MIN_PER_LABEL = 40


@pytest.fixture(scope="module")
def examples():
    return load_data(str(ROOT / "data" / "nlu")).intent_examples


@pytest.mark.parametrize("key, labels", [("emotion", EMOTIONS), ("stage", STAGES)])
def test_every_example_has_a_valid_label(examples, key, labels) -> None:
    missing = [m.get("text") for m in examples if label_of(m, key) not in labels]
    assert not missing, f"{len(missing)} examples without a valid {key}: {missing[:5]}"


@pytest.mark.parametrize("key, labels", [("emotion", EMOTIONS), ("stage", STAGES)])
def test_enough_examples_per_label(examples, key, labels) -> None:
    counts = Counter(label_of(m, key) for m in examples)
    thin = {label: counts[label] for label in labels if counts[label] < MIN_PER_LABEL}
    assert not thin, f"fewer than {MIN_PER_LABEL} examples: {thin}"


def test_domain_and_nlu_data_name_the_same_intents(examples) -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    # EXTERNAL_ intents are only ever sent by Rasa's trigger_intent (the check-in scheduler).
    # crisis_check is given only by the crisis detector (tier `ask`), never learned.
    typed = {intent for intent in domain["intents"]
             if not intent.startswith("EXTERNAL_") and intent != "crisis_check"}
    assert typed == {m.get("intent") for m in examples}


def normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


@pytest.mark.skipif(not EVALDATA.is_dir(), reason="../shared/evaldata is not beside the repo")
def test_no_outside_evaluation_text_is_in_our_data(examples) -> None:
    ours = {normalise(m.get("text")) for m in examples}
    copied = []
    for path in EVALDATA.glob("*.jsonl"):
        for line in path.open(encoding="utf-8"):
            row = json.loads(line)
            for field in ("text", "situation"):
                text = normalise(row.get(field) or "")
                if len(text) >= 15 and text in ours:
                    copied.append((path.name, row["id"]))
    assert not copied, f"texts from ../shared/evaldata found in data/nlu: {copied[:5]}"


def test_no_example_is_written_twice() -> None:
    """Read from the files themselves: Rasa's loader merges repeats without a word."""
    seen, repeated = set(), []
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text()).get("nlu", []):
            if "intent" not in block:
                continue  # synonyms, lookup tables
            items = block.get("examples") or []
            if isinstance(items, str):
                items = [{"text": line[2:]} for line in items.splitlines() if line.startswith("- ")]
            for item in items:
                text = " ".join((item["text"] if isinstance(item, dict) else str(item)).lower().split())
                if text in seen:
                    repeated.append((path.name, text))
                seen.add(text)
    assert not repeated, repeated[:10]
