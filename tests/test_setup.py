"""Set-up and data validation, as a new user (and CI) runs them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from runner_up.settings import ROOT


def test_install_fails_clearly_without_python_310(tmp_path: Path) -> None:
    for name in ("scripts", "pyproject.toml", "constraints.txt", "requirements-encoder.txt"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}  # no pyenv, no python3.10
    result = subprocess.run(["bash", "scripts/install.sh"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "needs Python 3.10" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / ".venv").exists()


def responses_sent_by_actions() -> set:
    """Responses our actions and channels send by name (code, guidance catalogue, templates; the
    channels' apology when an action fails): Rasa's validator cannot see those and calls them unused."""
    from runner_up.guidance.catalogue import TEMPLATES, load

    named = set()
    for path in [*(ROOT / "actions").glob("*.py"), *(ROOT / "runner_up" / "channels").glob("*.py")]:
        named |= set(re.findall(r"[\"'](utter_[a-z_]+)[\"']", path.read_text()))
    for step in load().steps:
        named |= {step.offer, step.guide}
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    asked_by_forms = {f"utter_ask_{slot}" for form in domain.get("forms", {}).values()
                      for slot in form["required_slots"]}
    return named | asked_by_forms | {f"utter_template_{name}" for name in TEMPLATES}


@pytest.mark.slow
def test_rasa_data_validate_passes_without_warnings() -> None:
    env = {**os.environ, "PYTHONWARNINGS": "ignore::DeprecationWarning"}
    result = subprocess.run([str(Path(sys.executable).parent / "rasa"), "data", "validate"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    sent_by_actions = responses_sent_by_actions()
    warnings = []
    for line in output.splitlines():
        if ("Warning" not in line and " WARNING " not in line) or "DeprecationWarning" in line:
            continue
        unused = re.search(r"The utterance '(utter_[a-z_]+)' is not used in any story or rule", line)
        if unused and unused.group(1) in sent_by_actions:
            continue
        # Intents only Rasa's trigger_intent sends (the check-in scheduler) have no examples.
        # crisis_check: given by the crisis detector only (tier `ask`), never learned.
        if re.search(r"The intent 'crisis_check' is listed in the domain file, but is not found "
                     r"in the NLU training data", line):
            continue
        if re.search(r"The intent 'EXTERNAL_[a-z_]+' is listed in the domain file, but is not found "
                     r"in the NLU training data", line):
            continue
        warnings.append(line)
    assert not warnings, "\n".join(warnings)


def test_credentials_file_is_what_the_runner_writes_without_secrets() -> None:
    """credentials.yml (for a plain `rasa run`) and runner_up.channels agree."""
    from runner_up.channels import credentials

    assert yaml.safe_load((ROOT / "credentials.yml").read_text()) == credentials({})


def test_the_channel_classes_named_in_the_credentials_exist() -> None:
    """The credentials name our channels by path (writing them must not import Rasa)."""
    from runner_up.channels import REST, SLACK, WEBCHAT
    from runner_up.channels.rest import RestInput
    from runner_up.channels.slack import SlackInput
    from runner_up.channels.webchat import WebChatInput

    assert REST == f"{RestInput.__module__}.{RestInput.__qualname__}"
    assert SLACK == f"{SlackInput.__module__}.{SlackInput.__qualname__}"
    assert WEBCHAT == f"{WebChatInput.__module__}.{WebChatInput.__qualname__}"
