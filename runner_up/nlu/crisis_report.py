"""Crisis detector report: recall, precision and false alarms, on our sets and on outside text.

    .venv/bin/runner-up report --crisis [--evaldata ../shared/evaldata] [--cache var/cache]

Trains the detector exactly as `rasa train` does (config.yml settings, data/nlu), then measures
the tiers (none / ask / crisis, see runner_up.nlu.crisis) on:
- our own data, 5-fold cross-validated (intent `crisis` against all the others);
- our held-out test sets, tests/data/crisis/{crisis,not_crisis}.txt (written apart from data/),
  and each section of crisis.txt apart (its `direct` section holds the explicit statements);
- ../shared/evaldata/crisis_twitter_suicidal_intention.jsonl: recall and precision;
- the job texts of ../shared/evaldata (EmpatheticDialogues job rows, GoEmotions job subset):
  none of them is labelled crisis.
A message counts as caught when its tier is `ask` or `crisis` (recall, precision); on texts that
are no crisis, the full protocol (`crisis`) and the question (`ask`) are counted apart.
The outside texts are only read here, to measure; they never reach data/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional, Sequence, Text, Tuple

import numpy as np
from rasa.shared.nlu.constants import INTENT, TEXT
from sklearn.model_selection import StratifiedKFold

from runner_up.nlu import crisis_rules
from runner_up.nlu.crisis import (
    ASK, CRISIS, NONE, OTHER, CrisisDetector, Verdict, decide, plain_text, with_plain_copies,
)
from runner_up.nlu.featurize import Featurizer, cached_examples, pipeline_config
from runner_up.nlu.label_model import Example, LabelModel
from runner_up.nlu.normalize import normalize
from runner_up.nlu.spacy_nlp import build_pipeline
from runner_up.settings import ROOT

TEST_SETS = ROOT / "tests" / "data" / "crisis"
SEALED = ROOT / "tests" / "data" / "sealed"  # measured once per change, never tuned on (its README)


def read_lines(path: Path) -> List[Text]:
    """One message a line; blank lines and `# ` comment lines skipped."""
    return [text for texts in read_sections(path).values() for text in texts]


def read_sections(path: Path) -> Dict[Text, List[Text]]:
    """The messages under each `# heading` of a test set file."""
    sections: Dict[Text, List[Text]] = {}
    heading = ""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("# "):
                heading = line[2:].strip()
            elif line.strip():
                sections.setdefault(heading, []).append(line.strip())
    return sections


class Encoded:
    """Texts featurized once: their classifier examples and their rule findings."""

    def __init__(self, featurizer: Featurizer, texts: Sequence[Text], cache: Optional[Path],
                 config_path: Path = Path("config.yml")) -> None:
        self.texts = list(texts)
        self.examples = [None if e is None else plain_text(e)
                         for e in cached_examples(featurizer, self.texts, cache, config_path)]
        self.findings = read_all(self.texts)

    def verdicts(self, model: LabelModel, config: Dict) -> List[Verdict]:
        readable = [e for e in self.examples if e is not None]
        column = model.labels.index(CRISIS)
        probabilities = iter(model.predict(readable)[:, column] if readable else [])
        return [
            decide(float(next(probabilities)) if e is not None else 0.0, finding, config)
            for e, finding in zip(self.examples, self.findings)
        ]


def read_all(texts: Sequence[Text]) -> List[crisis_rules.Finding]:
    """The rules' findings, on the normalised, lower-cased text (as the detector reads it)."""
    return [crisis_rules.read(doc) for doc in build_pipeline().pipe(normalize(t).lower() for t in texts)]


def scores(truth: Sequence[bool], flagged: Sequence[bool]) -> Dict[Text, float]:
    tp = sum(t and f for t, f in zip(truth, flagged))
    fp = sum(f and not t for t, f in zip(truth, flagged))
    fn = sum(t and not f for t, f in zip(truth, flagged))
    negatives = sum(not t for t in truth)
    return {
        "n": len(truth),
        "recall": tp / (tp + fn) if tp + fn else float("nan"),
        # Precision means nothing on a set with no crisis in it (only false alarms can happen).
        "precision": tp / (tp + fp) if tp + fp and tp + fn else float("nan"),
        "false_alarm": fp / negatives if negatives else float("nan"),
    }


def tier_scores(truth: Sequence[bool], tiers: Sequence[Text]) -> Dict[Text, float]:
    """`scores` counting `ask` or `crisis` as caught, the tiers' counts, and on the texts that are
    no crisis the rate of each tier apart: the full protocol (`crisis_rate`) and the question."""
    result = scores(truth, [tier != NONE for tier in tiers])
    for tier in (NONE, ASK, CRISIS):
        result[tier] = sum(t == tier for t in tiers)
    calm = [tier for t, tier in zip(truth, tiers) if not t]
    result["crisis_rate"] = calm.count(CRISIS) / len(calm) if calm else float("nan")
    result["ask_rate"] = calm.count(ASK) / len(calm) if calm else float("nan")
    return result


def training_set(featurizer: Featurizer, data: Path, cache: Optional[Path] = None,
                 config_path: Path = Path("config.yml")) -> Tuple[List[Example], List[Text], List[Text]]:
    """Our NLU examples as the detector learns them: features, crisis or other, and text."""
    from rasa.shared.nlu.training_data.loading import load_data

    messages = load_data(str(data)).intent_examples
    texts = [m.get(TEXT) for m in messages]
    features = cached_examples(featurizer, texts, cache, config_path)
    kept = [(e, m) for e, m in zip(features, messages) if e is not None]
    targets = [CRISIS if m.get(INTENT) == CRISIS else OTHER for _, m in kept]
    return [plain_text(e) for e, _ in kept], targets, [m.get(TEXT) for _, m in kept]


def fit(config: Dict, examples: List[Example], targets: List[Text]) -> LabelModel:
    """The detector's classifier, trained as `CrisisDetector.train` trains it."""
    return LabelModel.fit(*with_plain_copies(examples, targets), c=config["c"],
                          ngram_weight=config["ngram_weight"])


def cross_validated(examples: List[Example], targets: List[Text], texts: List[Text],
                    config: Dict, folds: int) -> Dict[Text, float]:
    findings = read_all(texts)
    tiers = [NONE] * len(examples)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=42)
    for train_idx, test_idx in splitter.split(np.zeros(len(targets)), targets):
        model = fit(config, [examples[i] for i in train_idx], [targets[i] for i in train_idx])
        column = model.labels.index(CRISIS)
        probabilities = model.predict([examples[i] for i in test_idx])[:, column]
        for i, p in zip(test_idx, probabilities):
            tiers[i] = decide(float(p), findings[i], config).tier
    return tier_scores([t == CRISIS for t in targets], tiers)


def outside_sets(evaldata: Path) -> Dict[Text, Tuple[List[Text], List[bool]]]:
    from runner_up.nlu.report import load_jsonl

    tweets = load_jsonl(evaldata / "crisis_twitter_suicidal_intention.jsonl")
    ed = load_jsonl(evaldata / "empatheticdialogues_job.jsonl")
    goemotions = load_jsonl(evaldata / "goemotions_job_subset.jsonl")
    return {
        "Twitter suicidal intention": ([r["text"] for r in tweets], [bool(r["meta"]["crisis"]) for r in tweets]),
        "EmpatheticDialogues job rows, first turn": ([r["text"] for r in ed], [False] * len(ed)),
        "EmpatheticDialogues job rows, situation": ([r["situation"] or r["text"] for r in ed], [False] * len(ed)),
        "GoEmotions job subset": ([r["text"] for r in goemotions], [False] * len(goemotions)),
    }


def run(data: Path, config_path: Path, evaldata: Path, folds: int, cache: Optional[Path],
        show_misses: int = 0, sealed: bool = False) -> List[Tuple[Text, Dict[Text, float]]]:
    """Prints the report; returns its rows (set name, scores)."""
    config = pipeline_config(config_path, CrisisDetector)
    featurizer = Featurizer(config_path)
    print("featurizing the training data ...", flush=True)
    examples, targets, texts = training_set(featurizer, data, cache, config_path)
    print(f"  {targets.count(CRISIS)} crisis, {targets.count(OTHER)} other examples")
    rows = [(f"own data, {folds}-fold CV", cross_validated(examples, targets, texts, config, folds))]
    model = fit(config, examples, targets)

    sets: Dict[Text, Tuple[List[Text], List[bool]]] = {}
    if TEST_SETS.is_dir():
        crisis, calm = read_lines(TEST_SETS / "crisis.txt"), read_lines(TEST_SETS / "not_crisis.txt")
        sets["own test sets (tests/data/crisis)"] = (crisis + calm, [True] * len(crisis) + [False] * len(calm))
        for heading, texts in read_sections(TEST_SETS / "crisis.txt").items():
            sets[f"  crisis.txt: {heading}"] = (texts, [True] * len(texts))
    if evaldata.is_dir():
        sets.update(outside_sets(evaldata))
    if sealed:
        crisis, calm = read_lines(SEALED / "crisis.txt"), read_lines(SEALED / "not_crisis.txt")
        sets["SEALED slice (tests/data/sealed)"] = (crisis + calm, [True] * len(crisis) + [False] * len(calm))
    for name, (set_texts, truth) in sets.items():
        print(f"featurizing {name.strip()} ({len(set_texts)} texts) ...", flush=True)
        encoded = Encoded(featurizer, set_texts, cache, config_path)
        verdicts = encoded.verdicts(model, config)
        rows.append((name, tier_scores(truth, [v.tier for v in verdicts])))
        if name.startswith("SEALED"):  # beside trivial baselines: the rules alone, the majority class
            rules = [decide(0.0, finding, config).tier for finding in encoded.findings]
            rows.append(("  baseline: the rules alone", tier_scores(truth, rules)))
            rows.append(("  baseline: majority class (never a crisis)", tier_scores(truth, [NONE] * len(truth))))
        misses = [(t, v) for t, v, y in zip(set_texts, verdicts, truth) if v.flagged != y or (v.tier == ASK and not y)]
        for text, verdict in misses[:show_misses]:
            label = "MISSED" if not verdict.flagged else "ASKED" if verdict.tier == ASK else "FALSE ALARM"
            print(f"  {label} p={verdict.probability:.2f} {verdict.finding} {text[:140]}")

    print("\nCaught = tier ask or crisis. On texts that are no crisis: the full protocol and the "
          "question apart.\n")
    print("| measured on | n | none | ask | crisis | recall (caught) | precision (caught) "
          "| full protocol on no-crisis | ask on no-crisis |\n|---|---|---|---|---|---|---|---|---|")
    for name, s in rows:
        print(f"| {name} | {s['n']} | {s[NONE]} | {s[ASK]} | {s[CRISIS]} | {_fmt(s['recall'])} "
              f"| {_fmt(s['precision'])} | {_fmt(s['crisis_rate'])} | {_fmt(s['ask_rate'])} |")
    return rows


def _fmt(value: float) -> Text:
    return "–" if value != value else f"{value:.3f}"
