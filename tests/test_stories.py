"""`rasa test` on the test stories (tests/stories/): every path must be predicted exactly."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from runner_up.runner import BIN
from runner_up.settings import ROOT


@pytest.mark.slow
def test_stories_are_predicted_without_errors(trained_model: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(BIN / "rasa"), "test", "core", "--model", str(trained_model),
         "--stories", str(ROOT / "tests" / "stories"), "--out", str(tmp_path),
         "--fail-on-prediction-errors"],
        cwd=ROOT, capture_output=True, text=True, timeout=900)
    failed = tmp_path / "failed_test_stories.yml"
    report = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, (report or result.stdout[-3000:] + result.stderr[-3000:])
