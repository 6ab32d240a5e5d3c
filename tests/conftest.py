"""Shared fixtures: one model trained per test run, one Rasa server and action server serving it.

Training uses config.yml with smaller epoch counts (DIET, TED) so the whole suite stays fast;
everything else (pipeline, data, domain) is the project's own.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Iterator

import pytest
import yaml

from runner_up.runner import BIN, Processes
from runner_up.settings import ROOT, apply_process_defaults
from tests.fake_slack import SIGNING_SECRET, FakeSlack
from tests.launch import Servers, rasa_and_actions, use_test_secrets

apply_process_defaults()
use_test_secrets()  # every process a test starts inherits this run's secrets

# The progress-store fixtures (db, empty_url, backend: SQLite and PostgreSQL) for every test module.
pytest_plugins = ["tests.store_fixtures"]

TEST_EPOCHS = {"DIETClassifier": 25, "TEDPolicy": 15}
EVALDATA = ROOT.parent / "shared" / "evaldata"


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
    env = {"DATABASE_URL": progress_database, "SLACK_BOT_TOKEN": fake_slack.token,
           "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": fake_slack.api_url}
    processes = Processes(workdir)
    try:
        # Conversations in a SQLite tracker store, as `runner-up run` keeps them.
        yield rasa_and_actions(processes, trained_model, workdir, env,
                               tracker_db=workdir / "conversations.sqlite3")
    finally:
        processes.stop()
