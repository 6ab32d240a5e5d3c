"""Which step to offer next: a plain function of the catalogue, how the person feels, where they
are, and what they already did."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Iterable, List, Optional, Text

from runner_up.guidance.catalogue import Catalogue, Step

# A step in one of these states is not offered again (declined ones come back only when nothing
# else is left: the person may have changed their mind).
FINISHED = frozenset({"done", "accepted"})


@dataclass(frozen=True)
class Situation:
    """What the choice depends on."""

    emotion: Text = "neutral"
    stage: Text = "unknown"
    statuses: Dict[Text, Text] = field(default_factory=dict)  # step id -> offered/accepted/done/declined
    facts: FrozenSet[Text] = frozenset()  # has_rejection, has_company, has_interviewer


def ready(step: Step, situation: Situation) -> bool:
    """Its prerequisites hold."""
    for need in step.requires:
        if need.startswith("done:"):
            if situation.statuses.get(need[5:]) != "done":
                return False
        elif need not in situation.facts:
            return False
    return True


def fit(step: Step, situation: Situation) -> int:
    """2 when it suits both the feeling and the stage, 1 for one of them, 0 for neither."""
    return int(situation.emotion in step.emotions) + int(situation.stage in step.stages)


def rank(catalogue: Catalogue, situation: Situation, skip: Iterable[Text] = ()) -> List[Step]:
    """Steps that may be offered now, best first."""
    skipped = set(skip)
    candidates = [
        s for s in catalogue.steps
        if s.id not in skipped and situation.statuses.get(s.id) not in FINISHED and ready(s, situation)
    ]
    declined = lambda s: situation.statuses.get(s.id) == "declined"  # noqa: E731
    offered = lambda s: situation.statuses.get(s.id) == "offered"  # noqa: E731
    return sorted(candidates, key=lambda s: (declined(s), -fit(s, situation), offered(s), s.priority))


def choose_step(catalogue: Catalogue, situation: Situation, skip: Iterable[Text] = ()) -> Optional[Step]:
    """The next step to offer, or None when every step is done."""
    ranked = rank(catalogue, situation, skip)
    return ranked[0] if ranked else None
