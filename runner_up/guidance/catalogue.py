"""The guidance catalogue (data/guidance/steps.yml): every step of advice, as data."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, FrozenSet, List, Optional, Text, Tuple

import yaml

from runner_up.nlu.labels import EMOTIONS, STAGES
from runner_up.settings import ROOT

CATALOGUE_FILE = ROOT / "data" / "guidance" / "steps.yml"
SEEDS = ROOT.parent / "shared" / "seeds"
TEMPLATES = ("thank_you", "feedback_request", "keep_cv", "stay_in_running", "linkedin", "follow_up")
FACTS = ("has_rejection", "has_company", "has_interviewer")


class CatalogueError(ValueError):
    """The catalogue file is inconsistent."""


@dataclass(frozen=True)
class Step:
    id: Text
    title: Text
    summary: Text
    sources: Tuple[Text, ...]
    emotions: FrozenSet[Text]
    stages: FrozenSet[Text]
    requires: Tuple[Text, ...]
    template: Optional[Text]
    priority: int
    offer: Text  # response names
    guide: Text


@dataclass(frozen=True)
class Catalogue:
    steps: Tuple[Step, ...]

    def __getitem__(self, step_id: Text) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def get(self, step_id: Optional[Text]) -> Optional[Step]:
        try:
            return self[step_id] if step_id else None
        except KeyError:
            return None

    @property
    def ids(self) -> List[Text]:
        return [step.id for step in self.steps]


def _step(raw: Dict) -> Step:
    fits = raw.get("fits") or {}
    return Step(
        id=raw["id"], title=raw["title"], summary=raw["summary"],
        sources=tuple(raw["sources"]), emotions=frozenset(fits.get("emotions") or ()),
        stages=frozenset(fits.get("stages") or ()), requires=tuple(raw.get("requires") or ()),
        template=raw.get("template"), priority=int(raw.get("priority", 100)),
        offer=raw["turns"]["offer"], guide=raw["turns"]["guide"],
    )


def check(catalogue: Catalogue) -> None:
    """Raises CatalogueError on unknown labels, prerequisites, templates or duplicate ids."""
    ids = catalogue.ids
    if len(set(ids)) != len(ids):
        raise CatalogueError("step ids are not unique")
    for step in catalogue.steps:
        problems = []
        if not step.sources:
            problems.append("no source article")
        if step.emotions - set(EMOTIONS) or step.stages - set(STAGES):
            problems.append("unknown emotion or stage")
        if step.template is not None and step.template not in TEMPLATES:
            problems.append(f"unknown template {step.template}")
        for need in step.requires:
            if need not in FACTS and not (need.startswith("done:") and need[5:] in ids):
                problems.append(f"unknown prerequisite {need}")
        if problems:
            raise CatalogueError(f"step {step.id}: {'; '.join(problems)}")


@functools.lru_cache(maxsize=4)
def load(path: Path = CATALOGUE_FILE) -> Catalogue:
    """Reads and checks the catalogue (once per process)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    catalogue = Catalogue(tuple(_step(s) for s in raw["steps"]))
    check(catalogue)
    return catalogue
