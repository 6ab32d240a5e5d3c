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
    endpoints = yaml.safe_load(write_endpoints(settings, {}).read_text())
    assert endpoints["action_endpoint"] == {"url": "http://127.0.0.1:6055/webhook"}


def test_conversations_are_kept_in_a_sqlite_file_under_var(tmp_path: Path) -> None:
    """So that they outlive a restart (history in the web chat, delivered check-ins)."""
    settings = Settings(host="127.0.0.1", rasa_port=6005, action_port=6055, var_dir=tmp_path)
    endpoints = yaml.safe_load(write_endpoints(settings, {}).read_text())
    assert endpoints["tracker_store"] == {
        "type": "runner_up.conversations.ErasingSQLTrackerStore", "dialect": "sqlite",
        "db": str(tmp_path / "conversations.sqlite3")}


def test_stores_beyond_one_machine_come_from_the_environment_without_secrets_on_disk(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """TRACKER_STORE_URL and REDIS_URL are written as references that Rasa expands when it reads
    the file; ACTION_SERVER_URL (a load balancer) replaces the local action server."""
    from rasa.core.lock_store import LockStore
    from rasa.utils.endpoints import read_endpoint_config

    from runner_up.conversations import RedisLockStore

    secret_url = "postgresql://runner:s3cret@127.0.0.1:5432/test"
    env = {"TRACKER_STORE_URL": secret_url, "REDIS_URL": "redis://:hidden@127.0.0.1:6379/2"}
    settings = Settings(host="0.0.0.0", rasa_port=6005, action_port=6055, var_dir=tmp_path,
                        action_server_url="http://actions-lb:5055/")
    path = write_endpoints(settings, env)
    assert "s3cret" not in path.read_text() and "hidden" not in path.read_text()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    tracker = read_endpoint_config(str(path), "tracker_store")
    lock = read_endpoint_config(str(path), "lock_store")
    assert (tracker.type, tracker.url) == ("runner_up.conversations.ErasingSQLTrackerStore", secret_url)
    assert (lock.type, lock.url) == ("runner_up.conversations.RedisLockStore", env["REDIS_URL"])
    assert read_endpoint_config(str(path), "action_endpoint").url == "http://actions-lb:5055/webhook"
    store = LockStore.create(lock)
    assert isinstance(store, RedisLockStore)
    assert store.red.connection_pool.connection_kwargs["db"] == 2
    assert store.red.connection_pool.connection_kwargs["password"] == "hidden"


def test_without_redis_there_is_no_lock_store_entry(tmp_path: Path) -> None:
    settings = Settings(host="127.0.0.1", rasa_port=6005, action_port=6055, var_dir=tmp_path)
    assert "lock_store" not in yaml.safe_load(write_endpoints(settings, {}).read_text())


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
