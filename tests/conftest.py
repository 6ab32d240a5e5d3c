"""Shared fixtures: one model trained per test run, one Rasa server and action server serving it.

Training uses config.yml with smaller epoch counts (DIET, TED) so the whole suite stays fast;
everything else (pipeline, data, domain) is the project's own.
"""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
import requests
import yaml

from runner_up.channels import write_credentials
from runner_up.runner import BIN, Processes
from runner_up.settings import ROOT, apply_process_defaults
from tests.fake_slack import SIGNING_SECRET, FakeSlack

apply_process_defaults()

# The progress-store fixtures (db, empty_url, backend: SQLite and PostgreSQL) for every test module.
pytest_plugins = ["tests.store_fixtures"]

TEST_EPOCHS = {"DIETClassifier": 25, "TEDPolicy": 15}
EVALDATA = ROOT.parent / "shared" / "evaldata"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def test_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """config.yml with the test epoch counts."""
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    for component in config["pipeline"] + config["policies"]:
        if component["name"] in TEST_EPOCHS:
            component["epochs"] = TEST_EPOCHS[component["name"]]
    path = tmp_path_factory.mktemp("config") / "config.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.fixture(scope="session")
def trained_model(test_config: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained once for the whole run (or RUNNER_UP_TEST_MODEL, to iterate faster)."""
    if os.environ.get("RUNNER_UP_TEST_MODEL"):
        return Path(os.environ["RUNNER_UP_TEST_MODEL"])
    out = tmp_path_factory.mktemp("models")
    subprocess.run(
        [str(BIN / "rasa"), "train", "--config", str(test_config), "--out", str(out),
         "--fixed-model-name", "test-model"],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
    )
    return out / "test-model.tar.gz"


class Servers:
    """URLs of the running action server and Rasa server."""

    def __init__(self, rasa_url: str, action_url: str, processes: Dict[str, subprocess.Popen],
                 database_url: str = ""):
        self.rasa_url = rasa_url
        self.action_url = action_url
        self.processes = processes
        self.database_url = database_url

    def parse(self, text: str) -> Dict:
        response = requests.post(f"{self.rasa_url}/model/parse", json={"text": text}, timeout=60)
        assert response.status_code == 200, response.text[:500]
        return response.json()

    def say(self, sender: str, text: str) -> List[Dict]:
        response = requests.post(f"{self.rasa_url}/webhooks/rest/webhook",
                                 json={"sender": sender, "message": text}, timeout=60)
        assert response.status_code == 200, response.text[:500]
        return response.json()


@pytest.fixture(scope="session")
def progress_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A fresh SQLite progress store, migrated, for the action server of this run."""
    from runner_up.store.db import Database

    url = f"sqlite:///{tmp_path_factory.mktemp('progress') / 'progress.sqlite3'}"
    database = Database(url)
    database.upgrade()
    database.dispose()
    return url


@pytest.fixture(scope="session")
def fake_slack() -> Iterator[FakeSlack]:
    """Slack's Web API faked on a local port for the whole run; the Rasa server posts to it."""
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def servers(trained_model: Path, progress_database: str, fake_slack: FakeSlack,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """`rasa run actions` and `rasa run --enable-api` on free local ports, for the whole run."""
    workdir = tmp_path_factory.mktemp("servers")
    action_port, rasa_port = free_port(), free_port()
    endpoints = workdir / "endpoints.yml"
    env = {"DATABASE_URL": progress_database, "SLACK_BOT_TOKEN": fake_slack.token,
           "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": fake_slack.api_url}
    endpoints.write_text(yaml.safe_dump(
        {"action_endpoint": {"url": f"http://127.0.0.1:{action_port}/webhook"}}))
    commands = {
        "actions": [str(BIN / "rasa"), "run", "actions", "--port", str(action_port)],
        "rasa": [str(BIN / "rasa"), "run", "--enable-api", "--model", str(trained_model),
                 "--interface", "127.0.0.1", "--port", str(rasa_port),
                 "--endpoints", str(endpoints),
                 "--credentials", str(write_credentials(workdir / "credentials.yml", env))],
    }
    processes = Processes(workdir)
    health = {"actions": f"http://127.0.0.1:{action_port}/health",
              "rasa": f"http://127.0.0.1:{rasa_port}/status"}
    try:
        children = {name: processes.start(name, command, env=env)
                    for name, command in commands.items()}
        for name, child in children.items():
            processes.wait_until(name, child, health[name], limit=240)
        yield Servers(f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{action_port}", children,
                      progress_database)
    finally:
        processes.stop()
