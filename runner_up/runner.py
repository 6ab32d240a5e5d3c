"""Starts the assistant on one machine: train when needed, then the action server, Rasa and the
check-in scheduler.

Waits until the servers answer, prints where to talk to it, and stops every process on Ctrl-C (or
when any exits). Each process logs to var/log/.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Text

import yaml

from runner_up.channels import chat_url, write_credentials
from runner_up.settings import ROOT, Settings
from runner_up.store import StoreUnavailable

# The virtual environment's commands (rasa, ...), beside the running interpreter.
BIN = Path(sys.executable).parent


class StartupError(RuntimeError):
    """A process did not come up; the message says which and where its log is."""


def free_port() -> int:
    """A TCP port on localhost that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(url: Text, timeout: float = 2.0) -> bool:
    """True when `url` answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


TRACKER_STORE = "runner_up.conversations.ErasingSQLTrackerStore"
LOCK_STORE = "runner_up.conversations.RedisLockStore"


def endpoints(settings: Settings, env: Mapping[Text, Text] = os.environ) -> Dict[Text, Any]:
    """Rasa's endpoints: the action server (ACTION_SERVER_URL, a load balancer in front of several,
    or the local one), and conversations in the database named by TRACKER_STORE_URL, else in a
    SQLite file under var/, so that they survive a restart (the web chat shows the history, and a
    delivered check-in stays in it); with REDIS_URL, Redis as the lock store, which several Rasa
    replicas need. URLs are written as `${VAR}` references that Rasa expands when it reads the
    file, so no password is written to disk. An entry in endpoints.yml wins."""
    config = yaml.safe_load((ROOT / "endpoints.yml").read_text()) or {}
    config["action_endpoint"] = {"url": f"{settings.action_url}/webhook"}
    if env.get("TRACKER_STORE_URL"):
        config.setdefault("tracker_store", {"type": TRACKER_STORE, "url": "${TRACKER_STORE_URL}"})
    else:
        config.setdefault("tracker_store", {
            "type": TRACKER_STORE, "dialect": "sqlite", "db": str(settings.var_dir / "conversations.sqlite3")})
    if env.get("REDIS_URL"):
        config.setdefault("lock_store", {"type": LOCK_STORE, "url": "${REDIS_URL}"})
    return config


def write_endpoints(settings: Settings, env: Mapping[Text, Text] = os.environ) -> Path:
    """endpoints(settings, env) as <var>/endpoints.yml."""
    path = settings.var_dir / "endpoints.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(endpoints(settings, env)))
    return path


def rasa_command(settings: Settings, model: Text = "models") -> List[Text]:
    """`rasa run` with the HTTP API, our endpoints and channels (credentials), on the settings'
    address; `--auth-token` when RASA_TOKEN is set (the scheduler sends it)."""
    command = [
        str(BIN / "rasa"), "run", "--enable-api", "--cors", "*", "--model", model,
        "--interface", settings.host, "--port", str(settings.rasa_port),
        "--endpoints", str(write_endpoints(settings)),
        "--credentials", str(write_credentials(settings.var_dir / "credentials.yml")),
    ]
    if os.environ.get("RASA_TOKEN"):
        command += ["--auth-token", os.environ["RASA_TOKEN"]]
    return command


def actions_command(settings: Settings) -> List[Text]:
    return [str(BIN / "rasa"), "run", "actions", "--port", str(settings.action_port)]


def serve(argv: Sequence[Text]) -> int:
    """`runner-up serve rasa|actions|checkins`: one process in the foreground, configured from the
    environment, for a container or a process manager (several replicas behind a load balancer;
    see README "Beyond one machine"). Nothing is trained or migrated here: ship a trained model
    (RASA_MODEL, default models/) and run `alembic upgrade head` once per release."""
    import argparse

    parser = argparse.ArgumentParser(prog="runner-up serve", description=serve.__doc__)
    parser.add_argument("process", choices=["rasa", "actions", "checkins"])
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if args.process == "rasa":
        command = rasa_command(settings, os.environ.get("RASA_MODEL", "models"))
    elif args.process == "actions":
        command = actions_command(settings)
    else:
        command = [str(BIN / "runner-up"), "checkins", "run"]
    sys.stdout.flush()
    os.execv(command[0], command)
    return 0  # not reached


class Processes:
    """The child processes, started in order and stopped in reverse."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.children: List[tuple[Text, subprocess.Popen]] = []

    def start(self, name: Text, command: List[Text],
              env: Optional[Dict[Text, Text]] = None) -> subprocess.Popen:
        """Starts `command` with the environment plus `env`, logging to <log_dir>/<name>.log."""
        log = (self.log_dir / f"{name}.log").open("ab")
        child = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                 env={**os.environ, **(env or {})})
        self.children.append((name, child))
        return child

    def wait_until(self, name: Text, child: subprocess.Popen, url: Text, limit: float) -> float:
        """Seconds until `url` answers; StartupError (with the log's end) if it never does."""
        start = time.monotonic()
        while not answers(url):
            if child.poll() is not None:
                raise StartupError(f"{name} exited with code {child.returncode}: {self._log_end(name)}")
            if time.monotonic() - start > limit:
                raise StartupError(f"{name} did not answer at {url} within {limit:.0f} s: {self._log_end(name)}")
            time.sleep(0.2)
        return time.monotonic() - start

    def _log_end(self, name: Text) -> Text:
        log = self.log_dir / f"{name}.log"
        tail = log.read_text(errors="replace").splitlines()[-15:] if log.exists() else []
        return "\n".join([f"see {log}", *tail])

    def exited(self) -> Optional[tuple[Text, int]]:
        for name, child in self.children:
            if child.poll() is not None:
                return name, child.returncode
        return None

    def stop(self) -> None:
        for _, child in reversed(self.children):
            if child.poll() is None:
                child.terminate()
        for _, child in reversed(self.children):
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()


def train() -> None:
    """`rasa train`: Rasa itself skips the work when the newest model matches data and config."""
    print("Training the model if data or configuration changed (first time: a few minutes) ...", flush=True)
    subprocess.run([str(BIN / "rasa"), "train", "--out", "models"], cwd=ROOT, check=True)


def migrate() -> None:
    """Brings the progress store (DATABASE_URL, default a SQLite file under var/) to the newest schema."""
    from runner_up.store.db import Database

    database = Database()
    print(f"Progress store: {database.url} (migrating to the newest schema) ...", flush=True)
    database.upgrade()
    database.dispose()


def run() -> int:
    """Runs until Ctrl-C; returns the exit code."""
    settings = Settings.from_env()
    log_dir = settings.var_dir / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    try:
        migrate()
        train()
    except StoreUnavailable as error:
        print(f"error: the progress store cannot be reached: {error}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as error:
        print(f"error: training failed (exit code {error.returncode})", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopped before the servers started.", file=sys.stderr)
        return 130

    processes = Processes(log_dir)
    stop = {"now": False}

    def request_stop(signum: int, frame: object) -> None:
        stop["now"] = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    commands = {"actions": actions_command(settings), "rasa": rasa_command(settings)}
    health = {"actions": f"{settings.action_url}/health", "rasa": f"{settings.rasa_url}/status"}
    try:
        for name in ("actions", "rasa"):
            print(f"Starting {name} (log: {log_dir / name}.log) ...", flush=True)
            child = processes.start(name, commands[name])
            processes.wait_until(name, child, health[name], limit=180)
        # One check-in worker: SQLite takes one writer at a time (PostgreSQL takes several).
        print(f"Starting the check-in scheduler (log: {log_dir / 'checkins'}.log) ...", flush=True)
        processes.start("checkins", [str(BIN / "runner-up"), "checkins", "run"],
                        env={"RASA_URL": settings.rasa_url})
        print(
            f"\nRunner-Up is running.\n"
            f"  Web chat:      {chat_url(settings.rasa_url)}  (open it in a browser)\n"
            f"  Rasa server:   {settings.rasa_url}  (REST: POST {settings.rasa_url}/webhooks/rest/webhook,"
            f" parse: POST {settings.rasa_url}/model/parse)\n"
            f"  Action server: {settings.action_url}\n"
            f"  Check-ins:     .venv/bin/runner-up checkins list\n"
            f"  Talk in the terminal: .venv/bin/rasa shell\n"
            f"Press Ctrl-C to stop.",
            flush=True,
        )
        while not stop["now"]:
            ended = processes.exited()
            if ended:
                print(f"error: {ended[0]} exited with code {ended[1]}: see {log_dir / ended[0]}.log",
                      file=sys.stderr)
                return 1
            time.sleep(0.5)
        print("\nStopping ...", flush=True)
        return 0
    except StartupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        processes.stop()
