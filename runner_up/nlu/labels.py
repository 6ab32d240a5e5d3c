"""The label sets fixed by DESIGN.md: other tools rely on these exact names."""

from typing import Tuple

EMOTIONS: Tuple[str, ...] = (
    "sad",
    "angry",
    "anxious",
    "ashamed",
    "hopeless",
    "hopeful",
    "neutral",
)
STAGES: Tuple[str, ...] = (
    "waiting",
    "just_rejected",
    "seeking_feedback",
    "reflecting",
    "rebuilding",
    "reapplying",
    "landed",
    "unknown",
)
