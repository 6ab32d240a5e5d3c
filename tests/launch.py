"""Starting Runner-Up's processes for a test: the action server and Rasa on free ports, with the
environment and stores the test chooses (the session-wide `servers` fixture is one such set)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Dict, List, Optional

import requests
import yaml

from runner_up.channels import write_credentials
from runner_up.runner import BIN, Processes, free_port


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
        response = requests.post(f"{self.rasa_url}/model/parse", json={"text": text}, timeout=60)
        assert response.status_code == 200, response.text[:500]
        return response.json()

    def say(self, sender: str, text: str) -> List[Dict]:
        response = requests.post(f"{self.rasa_url}/webhooks/rest/webhook",
                                 json={"sender": sender, "message": text}, timeout=60)
        assert response.status_code == 200, response.text[:500]
        return response.json()


def rasa_and_actions(processes: Processes, model: Path, workdir: Path, env: Dict[str, str],
                     tracker_db: Optional[Path] = None, ports: Optional[Dict[str, int]] = None,
                     limit: float = 240, tracker_url: Optional[str] = None) -> Servers:
    """Starts `rasa run actions` and `rasa run --enable-api` (waiting until both answer). With
    `tracker_db`, conversations live in that SQLite file (as with `runner-up run`), so they outlive
    a restart; with `tracker_url`, in that database (as TRACKER_STORE_URL configures it); `ports`
    keeps the same ports across a restart."""
    ports = ports or {"actions": free_port(), "rasa": free_port()}
    endpoints: Dict = {"action_endpoint": {"url": f"http://127.0.0.1:{ports['actions']}/webhook"}}
    if tracker_db is not None:
        endpoints["tracker_store"] = {"type": "runner_up.conversations.ErasingSQLTrackerStore",
                                      "dialect": "sqlite", "db": str(tracker_db)}
    if tracker_url is not None:
        endpoints["tracker_store"] = {"type": "runner_up.conversations.ErasingSQLTrackerStore", "url": tracker_url}
    (workdir / "endpoints.yml").write_text(yaml.safe_dump(endpoints))
    commands = {
        "actions": [str(BIN / "rasa"), "run", "actions", "--port", str(ports["actions"])],
        "rasa": [str(BIN / "rasa"), "run", "--enable-api", "--model", str(model),
                 "--interface", "127.0.0.1", "--port", str(ports["rasa"]),
                 "--endpoints", str(workdir / "endpoints.yml"),
                 "--credentials", str(write_credentials(workdir / "credentials.yml", env))],
    }
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    health = {"actions": f"{urls['actions']}/health", "rasa": f"{urls['rasa']}/status"}
    children = {name: processes.start(name, command, env=env) for name, command in commands.items()}
    for name, child in children.items():
        processes.wait_until(name, child, health[name], limit=limit)
    return Servers(urls["rasa"], urls["actions"], children, env.get("DATABASE_URL", ""), tracker_db)
