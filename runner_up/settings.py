"""Configuration from the environment, with working defaults for one machine."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Text

ROOT = Path(__file__).resolve().parent.parent

# Quiet, offline defaults for every process we start (an explicit environment wins).
PROCESS_DEFAULTS = {
    "RASA_TELEMETRY_ENABLED": "false",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


def apply_process_defaults() -> None:
    """Sets the defaults above in this process's environment, where not set already."""
    for key, value in PROCESS_DEFAULTS.items():
        os.environ.setdefault(key, value)


@dataclass(frozen=True)
class Settings:
    """Where the processes listen and where local state lives."""

    host: Text
    rasa_port: int
    action_port: int
    var_dir: Path
    action_server_url: Text = ""  # where Rasa finds the action servers (a load balancer), if not here

    @property
    def rasa_url(self) -> Text:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def action_url(self) -> Text:
        return self.action_server_url.rstrip("/") or f"http://{self.host}:{self.action_port}"

    @classmethod
    def from_env(cls) -> "Settings":
        """Reads RUNNER_UP_HOST, RASA_PORT, ACTION_PORT, RUNNER_UP_VAR_DIR and ACTION_SERVER_URL."""
        return cls(
            host=os.environ.get("RUNNER_UP_HOST", "127.0.0.1"),
            rasa_port=int(os.environ.get("RASA_PORT", "5005")),
            action_port=int(os.environ.get("ACTION_PORT", "5055")),
            var_dir=Path(os.environ.get("RUNNER_UP_VAR_DIR", ROOT / "var")),
            action_server_url=os.environ.get("ACTION_SERVER_URL", ""),
        )
