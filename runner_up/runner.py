"""Starts the assistant on one machine: migrate, train when needed, then the action server, Rasa
and the check-in scheduler (`runner-up run`); or one of those processes alone (`runner-up serve`).

`run` waits until the servers answer, prints where to talk to it, and stops every process on
Ctrl-C (or when any exits). Each process logs to var/log/. Its secrets (runner_up/tokens.py) come
from the environment or are made once and kept under var/secrets/; every process it starts is
`runner-up serve <process>`, which is what a deployment runs too.
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

from runner_up import tokens
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


def answers(url: Text, timeout: float = 2.0, headers: Optional[Mapping[Text, Text]] = None) -> bool:
    """True when `url` answers 200."""
    try:
        request = urllib.request.Request(url, headers=dict(headers or {}))
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


TRACKER_STORE = "runner_up.conversations.ErasingSQLTrackerStore"
LOCK_STORE = "runner_up.conversations.RedisLockStore"


def endpoints(settings: Settings, env: Mapping[Text, Text] = os.environ) -> Dict[Text, Any]:
    """Rasa's endpoints: the action server (ACTION_SERVER_URL, a load balancer in front of several,
    or the local one) with the shared secret as a header, and conversations in the database named
    by TRACKER_STORE_URL, else in a SQLite file under var/, so that they survive a restart (the web
    chat shows the history, and a delivered check-in stays in it); with REDIS_URL, Redis as the
    lock store, which several Rasa replicas need. Secrets and URLs are written as `${VAR}`
    references that Rasa expands when it reads the file, so no password is written to disk. An
    entry in endpoints.yml wins, but for the action server's."""
    config = yaml.safe_load((ROOT / "endpoints.yml").read_text()) or {}
    config["action_endpoint"] = {"url": f"{settings.action_url}/webhook",
                                 "headers": {tokens.ACTION_SECRET_HEADER: f"${{{tokens.ACTION_SECRET}}}"}}
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


def rasa_arguments(settings: Settings, model: Text, token: Text,
                   env: Mapping[Text, Text] = os.environ) -> List[Text]:
    """`rasa run` with the HTTP API behind `token` (also checked by runner_up/channels/http_api.py,
    in constant time, on every route), our endpoints and channels, on the settings' address. No
    `--cors`: no web page elsewhere may read the API's answers."""
    return [
        # "=": a token may start with "-", which argparse would read as an option.
        "rasa", "run", "--enable-api", f"--auth-token={token}", "--model", model,
        "--interface", settings.host, "--port", str(settings.rasa_port),
        "--endpoints", str(write_endpoints(settings, env)),
        "--credentials", str(write_credentials(settings.var_dir / "credentials.yml", dict(env))),
    ]


def actions_command(settings: Settings) -> List[Text]:
    """The action server (runner_up/action_server.py: loopback unless ACTION_HOST, shared secret)."""
    return [sys.executable, "-m", "runner_up.action_server", "--port", str(settings.action_port)]


# What each process refuses to start without (runner_up/tokens.py).
NEEDS = {"rasa": (tokens.RASA_TOKEN, tokens.WEBCHAT_SECRET, tokens.ACTION_SECRET),
         "actions": (tokens.ACTION_SECRET,), "checkins": (tokens.RASA_TOKEN,)}


def serve(argv: Sequence[Text]) -> int:
    """`runner-up serve rasa|actions|checkins`: one process in the foreground, configured from the
    environment, for a container or a process manager (several replicas behind a load balancer;
    see README "Beyond one machine"). Nothing is trained or migrated here: ship a trained model
    (RASA_MODEL, default models/) and run `runner-up migrate` once per release. Refuses to start
    without its secrets, or with deploy/runner-up.env's `change-me` placeholders."""
    import argparse

    parser = argparse.ArgumentParser(prog="runner-up serve", description=serve.__doc__)
    parser.add_argument("process", choices=sorted(NEEDS))
    args = parser.parse_args(argv)
    try:
        tokens.required(os.environ, *NEEDS[args.process])
    except tokens.SecretProblem as problem:
        print(f"error: runner-up serve {args.process} does not start: {problem}", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    sys.stdout.flush()
    if args.process == "rasa":
        return run_rasa(rasa_arguments(settings, os.environ.get("RASA_MODEL", "models"),
                                       os.environ[tokens.RASA_TOKEN]))
    command = actions_command(settings) if args.process == "actions" else \
        [str(BIN / "runner-up"), "checkins", "run"]
    os.execv(command[0], command)
    return 0  # not reached


def run_rasa(arguments: List[Text]) -> int:
    """Rasa's own command line, run in this process: the token is handed over in memory, so it is
    not in any process's arguments (which every user of the machine can list)."""
    from rasa.__main__ import main as rasa_main

    sys.argv = arguments
    try:
        rasa_main()
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


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

    def wait_until(self, name: Text, child: subprocess.Popen, url: Text, limit: float,
                   headers: Optional[Mapping[Text, Text]] = None) -> float:
        """Seconds until `url` answers; StartupError (with the log's end) if it never does."""
        start = time.monotonic()
        while not answers(url, headers=headers):
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


def migrate(settings: Settings) -> None:
    """Brings the progress store (DATABASE_URL, default a SQLite file under var/) to the newest
    schema, then keys existing conversations by channel (runner_up/rekey.py)."""
    from runner_up import rekey
    from runner_up.store.db import Database

    database = Database()
    print(f"Progress store: {database.url} (migrating to the newest schema) ...", flush=True)
    database.upgrade()
    database.dispose()
    rekey.report(rekey.migrate(settings))


def migrate_command(argv: Sequence[Text]) -> int:
    """`runner-up migrate`: what a deployment runs once per release, before the servers (the
    progress store's schema, then the conversation keys of both stores)."""
    import argparse

    argparse.ArgumentParser(prog="runner-up migrate", description=migrate_command.__doc__).parse_args(argv)
    try:
        migrate(Settings.from_env())
    except StoreUnavailable as error:
        print(f"error: the progress store cannot be reached: {error}", file=sys.stderr)
        return 1
    return 0


def parse_run_arguments(argv: Sequence[Text]) -> Any:
    import argparse

    parser = argparse.ArgumentParser(prog="runner-up run", description=run.__doc__)
    parser.add_argument("--model", help="serve this trained model (a .tar.gz) instead of training "
                                        "one from data/ and config.yml")
    return parser.parse_args(argv)


def banner(settings: Settings, kept: Mapping[Text, tokens.Kept]) -> Text:
    """What `run` prints once everything answers."""
    rest = (f"POST {settings.rasa_url}/webhooks/rest/webhook with 'Authorization: Bearer $RUNNER_UP_REST_TOKEN'"
            if os.environ.get(tokens.REST_TOKEN) else "off (set RUNNER_UP_REST_TOKEN to turn it on)")
    token = kept[tokens.RASA_TOKEN]
    where = f"in {token.path} (mode 600)" if token.path else "RASA_TOKEN from the environment"
    return (
        f"\nRunner-Up is running.\n"
        f"  Web chat:      {chat_url(settings.rasa_url)}  (open it in a browser)\n"
        f"  REST:          {rest}\n"
        f"  Rasa HTTP API: {settings.rasa_url}  (every route needs 'Authorization: Bearer <token>'; "
        f"the token is {where})\n"
        f"  Action server: {settings.action_url}  (answers only Rasa)\n"
        f"  Check-ins:     .venv/bin/runner-up checkins list\n"
        f"Press Ctrl-C to stop."
    )


def run(argv: Sequence[Text] = ()) -> int:
    """`runner-up run [--model PATH]`: runs until Ctrl-C; returns the exit code."""
    args = parse_run_arguments(argv)
    settings = Settings.from_env()
    log_dir = settings.var_dir / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    try:
        kept = tokens.keep_all(settings.var_dir, os.environ)
        for secret in kept.values():
            if secret.path:
                print(f"{secret.name}: kept in {secret.path} (mode 600)", flush=True)
        migrate(settings)
        if args.model:
            model = Path(args.model).resolve()
            if not (model.is_file() or (model.is_dir() and any(model.glob("*.tar.gz")))):
                print(f"error: no trained model at {model}", file=sys.stderr)
                return 2
            os.environ["RASA_MODEL"] = str(model)
        else:
            train()
    except tokens.SecretProblem as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
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
    serve_command = [str(BIN / "runner-up"), "serve"]
    api = {"Authorization": f"Bearer {os.environ[tokens.RASA_TOKEN]}"}
    health = {"actions": (f"{settings.action_url}/health", None),
              "rasa": (f"{settings.rasa_url}/status", api)}
    try:
        for name in ("actions", "rasa"):
            print(f"Starting {name} (log: {log_dir / name}.log) ...", flush=True)
            child = processes.start(name, serve_command + [name])
            url, headers = health[name]
            # Loading the model takes a minute on a quiet machine, several on a busy one.
            processes.wait_until(name, child, url, limit=600, headers=headers)
        # One check-in worker: SQLite takes one writer at a time (PostgreSQL takes several).
        print(f"Starting the check-in scheduler (log: {log_dir / 'checkins'}.log) ...", flush=True)
        processes.start("checkins", serve_command + ["checkins"], env={"RASA_URL": settings.rasa_url})
        print(banner(settings, kept), flush=True)
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
