"""Set-up and data validation, as a new user (and CI) runs them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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


@pytest.mark.slow
def test_rasa_data_validate_passes_without_warnings() -> None:
    env = {**os.environ, "PYTHONWARNINGS": "ignore::DeprecationWarning"}
    result = subprocess.run([str(Path(sys.executable).parent / "rasa"), "data", "validate"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    warnings = [line for line in output.splitlines()
                if ("Warning" in line or " WARNING " in line) and "DeprecationWarning" not in line]
    assert not warnings, "\n".join(warnings)
