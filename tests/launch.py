"""Starting Runner-Up's processes for a test: the action server and Rasa on free ports, with the
environment and stores the test chooses (the session-wide `servers` fixture is one such set).

The secrets (runner_up/tokens.py) are the test run's own, set in this process's environment by
`use_test_secrets()` (tests/conftest.py calls it), so every process a test starts inherits them, and
`api_headers()` / `rest_headers()` are what a client sends."""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path
from typing import Dict, List, Optional
from urllib.parse import quote

import requests
import yaml

from runner_up import tokens
from runner_up.channels import write_credentials
from runner_up.runner import BIN, Processes, actions_command, free_port
from runner_up.settings import Settings


def use_test_secrets() -> None:
    """A random value of every secret for this test run, where the environment has none."""
    for name in (tokens.RASA_TOKEN, tokens.REST_TOKEN, tokens.WEBCHAT_SECRET, tokens.ACTION_SECRET):
        os.environ.setdefault(name, secrets.token_urlsafe(24))


def api_headers() -> Dict[str, str]:
    """What a client of Rasa's HTTP API sends (RASA_TOKEN)."""
    return {"Authorization": f"Bearer {os.environ[tokens.RASA_TOKEN]}"}


def rest_headers() -> Dict[str, str]:
    """What a client of the REST channel sends (RUNNER_UP_REST_TOKEN)."""
    return {"Authorization": f"Bearer {os.environ[tokens.REST_TOKEN]}"}


def action_endpoint(port: int) -> Dict:
    """Rasa's action endpoint for a local action server, with the shared secret."""
    return {"url": f"http://127.0.0.1:{port}/webhook",
            "headers": {tokens.ACTION_SECRET_HEADER: os.environ[tokens.ACTION_SECRET]}}


class Servers:
    """URLs of a running Rasa server (and action server), and ways to talk to it."""

    def __init__(self, rasa_url: str, action_url: str, processes: Dict[str, subprocess.Popen],
                 database_url: str = "", tracker_db: Optional[Path] = None):
        self.rasa_url = rasa_url
        self.action_url = action_url
        self.processes = processes
        self.database_url = database_url
        self.tracker_db = tracker_db  # the SQLite file of the conversations, if they are in one

    def parse(self, text: str) -> Dict:
        response = requests.post(f"{self.rasa_url}/model/parse", json={"text": text},
                                 headers=api_headers(), timeout=60)
        assert response.status_code == 200, response.text[:500]
        return response.json()

    def say(self, sender: str, text: str) -> List[Dict]:
        """A REST turn as `sender` (the conversation `rest:<sender>`)."""
        response = requests.post(f"{self.rasa_url}/webhooks/rest/webhook", headers=rest_headers(),
                                 json={"sender": sender, "message": text}, timeout=60)
        assert response.status_code == 200, response.text[:500]
        return response.json()

    def tracker(self, conversation_id: str) -> Dict:
        """The conversation as Rasa keeps it (`rest:<sender>`, `web:<session>`, `slack:...`)."""
        response = requests.get(f"{self.rasa_url}/conversations/{quote(conversation_id, safe='')}/tracker",
                                headers=api_headers(), timeout=30)
        assert response.status_code == 200, response.text[:500]
        return response.json()


def rasa_and_actions(processes: Processes, model: Path, workdir: Path, env: Dict[str, str],
                     tracker_db: Optional[Path] = None, ports: Optional[Dict[str, int]] = None,
                     limit: float = 240, tracker_url: Optional[str] = None,
                     lock_url: Optional[str] = None) -> Servers:
    """Starts `rasa run actions` and `rasa run --enable-api` (waiting until both answer). With
    `tracker_db`, conversations live in that SQLite file (as with `runner-up run`), so they outlive
    a restart; with `tracker_url`, in that database (as TRACKER_STORE_URL configures it); `ports`
    keeps the same ports across a restart; with `lock_url`, Redis as the lock store (as REDIS_URL
    configures it; put REDIS_URL in `env` too for the web chat's rooms)."""
    ports = ports or {"actions": free_port(), "rasa": free_port()}
    endpoints: Dict = {"action_endpoint": action_endpoint(ports["actions"])}
    if tracker_db is not None:
        endpoints["tracker_store"] = {"type": "runner_up.conversations.ErasingSQLTrackerStore",
                                      "dialect": "sqlite", "db": str(tracker_db)}
    if tracker_url is not None:
        endpoints["tracker_store"] = {"type": "runner_up.conversations.ErasingSQLTrackerStore", "url": tracker_url}
    if lock_url is not None:
        endpoints["lock_store"] = {"type": "runner_up.conversations.RedisLockStore", "url": lock_url}
    (workdir / "endpoints.yml").write_text(yaml.safe_dump(endpoints))
    settings = Settings("127.0.0.1", ports["rasa"], ports["actions"], workdir)
    commands = {
        "actions": actions_command(settings),
        "rasa": [str(BIN / "rasa"), "run", "--enable-api", f"--auth-token={os.environ[tokens.RASA_TOKEN]}",
                 "--model", str(model), "--interface", "127.0.0.1", "--port", str(ports["rasa"]),
                 "--endpoints", str(workdir / "endpoints.yml"),
                 "--credentials", str(write_credentials(workdir / "credentials.yml", env))],
    }
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    health = {"actions": (f"{urls['actions']}/health", None), "rasa": (f"{urls['rasa']}/status", api_headers())}
    children = {name: processes.start(name, command, env=env) for name, command in commands.items()}
    for name, child in children.items():
        processes.wait_until(name, child, health[name][0], limit=limit, headers=health[name][1])
    return Servers(urls["rasa"], urls["actions"], children, env.get("DATABASE_URL", ""), tracker_db)
