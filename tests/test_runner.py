"""The run command's process handling: clear errors when a process fails, both stopped at the end;
its secrets and what each process refuses to start without."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from runner_up import tokens
from runner_up.runner import BIN, Processes, StartupError, rasa_arguments, write_endpoints
from runner_up.settings import Settings


def test_endpoints_point_at_the_configured_action_server_with_the_shared_secret(tmp_path: Path) -> None:
    settings = Settings(host="127.0.0.1", rasa_port=6005, action_port=6055, var_dir=tmp_path)
    path = write_endpoints(settings, {})
    endpoints = yaml.safe_load(path.read_text())
    assert endpoints["action_endpoint"] == {
        "url": "http://127.0.0.1:6055/webhook",
        "headers": {"X-Runner-Up-Action-Secret": "${RUNNER_UP_ACTION_SECRET}"}}
    assert os.environ["RUNNER_UP_ACTION_SECRET"] not in path.read_text(), "a reference, not the secret"


def test_rasa_always_gets_the_token_and_no_cors(tmp_path: Path) -> None:
    settings = Settings(host="127.0.0.1", rasa_port=6005, action_port=6055, var_dir=tmp_path)
    arguments = rasa_arguments(settings, "models", "a-token-of-32-characters-or-more", {})
    assert "--auth-token=a-token-of-32-characters-or-more" in arguments
    assert "--cors" not in arguments and "--enable-api" in arguments


def test_run_makes_each_secret_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    env: dict = {}
    first = tokens.keep_all(tmp_path, env)
    assert set(env) == {"RASA_TOKEN", "RUNNER_UP_WEBCHAT_SECRET", "RUNNER_UP_ACTION_SECRET"}
    for secret in first.values():
        assert secret.path is not None and stat.S_IMODE(secret.path.stat().st_mode) == 0o600
        assert len(secret.value) >= 40
    assert stat.S_IMODE((tmp_path / "secrets").stat().st_mode) == 0o700
    again = tokens.keep_all(tmp_path, {})
    assert {k: v.value for k, v in again.items()} == {k: v.value for k, v in first.items()}, "kept"
    assert len({secret.value for secret in first.values()}) == 3, "each its own"
    from_env = tokens.keep_all(tmp_path, {"RASA_TOKEN": "set-by-the-operator-0123456789"})
    assert from_env["RASA_TOKEN"].path is None and from_env["RASA_TOKEN"].value == "set-by-the-operator-0123456789"


@pytest.mark.parametrize("value, why", [(None, "not set"), ("", "not set"), ("change-me", "placeholder"),
                                        ("change-me-too", "placeholder"), ("short", "shorter")])
def test_serve_refuses_to_start_without_a_usable_token(value, why: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "RASA_TOKEN"}
    env["RUNNER_UP_VAR_DIR"] = str(tmp_path)
    if value is not None:
        env["RASA_TOKEN"] = value
    for process in ("rasa", "checkins"):
        done = subprocess.run([str(BIN / "runner-up"), "serve", process], env=env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 2, (process, done.stdout[-500:], done.stderr[-500:])
        assert "RASA_TOKEN" in done.stderr and why in done.stderr, done.stderr
        assert "Traceback" not in done.stderr


def test_the_action_server_refuses_to_start_without_its_secret(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "RUNNER_UP_ACTION_SECRET"}
    done = subprocess.run([sys.executable, "-m", "runner_up.action_server", "--port", "9"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "RUNNER_UP_ACTION_SECRET is not set" in done.stderr, done.stderr


def test_secrets_are_compared_whole() -> None:
    assert tokens.matches("abc", "abc")
    assert not tokens.matches("abd", "abc") and not tokens.matches("ab", "abc")
    assert not tokens.matches("", "") and not tokens.matches(None, "abc") and not tokens.matches("x", None)
    assert tokens.bearer("Bearer  t0k ") == "t0k" and tokens.bearer("bearer t") == "t"
    assert tokens.bearer("Basic dXNlcg==") is None and tokens.bearer(None) is None and tokens.bearer("Bearer") is None


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
