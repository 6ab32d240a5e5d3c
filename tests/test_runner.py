"""The run command's process handling: clear errors when a process fails, both stopped at the end."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from runner_up.runner import Processes, StartupError, write_endpoints
from runner_up.settings import Settings


def test_endpoints_point_at_the_configured_action_server(tmp_path: Path) -> None:
    settings = Settings(host="127.0.0.1", rasa_port=6005, action_port=6055, var_dir=tmp_path)
    endpoints = yaml.safe_load(write_endpoints(settings).read_text())
    assert endpoints["action_endpoint"] == {"url": "http://127.0.0.1:6055/webhook"}


def test_conversations_are_kept_in_a_sqlite_file_under_var(tmp_path: Path) -> None:
    """So that they outlive a restart (history in the web chat, delivered check-ins)."""
    settings = Settings(host="127.0.0.1", rasa_port=6005, action_port=6055, var_dir=tmp_path)
    endpoints = yaml.safe_load(write_endpoints(settings).read_text())
    assert endpoints["tracker_store"] == {
        "type": "runner_up.conversations.ErasingSQLTrackerStore", "dialect": "sqlite",
        "db": str(tmp_path / "conversations.sqlite3")}


def test_a_process_that_exits_early_is_reported_with_its_log(tmp_path: Path) -> None:
    processes = Processes(tmp_path)
    child = processes.start("broken", [sys.executable, "-c", "print('boom'); raise SystemExit(3)"])
    with pytest.raises(StartupError, match=r"broken exited with code 3: see .*broken.log"):
        processes.wait_until("broken", child, "http://127.0.0.1:9/never", limit=30)
    assert "boom" in (tmp_path / "broken.log").read_text()


def test_a_process_that_never_answers_times_out(tmp_path: Path) -> None:
    processes = Processes(tmp_path)
    child = processes.start("silent", [sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with pytest.raises(StartupError, match="did not answer"):
            processes.wait_until("silent", child, "http://127.0.0.1:9/never", limit=1)
    finally:
        processes.stop()
    assert child.poll() is not None


def test_stop_ends_every_child(tmp_path: Path) -> None:
    processes = Processes(tmp_path)
    children = [processes.start(f"p{i}", [sys.executable, "-c", "import time; time.sleep(60)"])
                for i in range(2)]
    assert processes.exited() is None
    processes.stop()
    assert all(child.poll() is not None for child in children)
