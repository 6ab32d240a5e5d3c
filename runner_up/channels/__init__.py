"""The channels Rasa serves, and the credentials file that turns them on.

Each channel module contributes its section from the environment, so a channel whose secrets are
not configured (Slack without a token) is simply not served. Secrets are written as `${VAR}`
references, which Rasa expands when it reads the file, so they never land on disk.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Text

import yaml

# The web chat: Rasa's socket.io channel (still named "socketio") that sends each bot text whole and
# serves the widget (runner_up/channels/webchat.py). The widget keeps its session id (the sender id)
# across reloads. The class is named by its path, which Rasa imports; importing it here would load
# Rasa into every process that only writes this file.
WEBCHAT = "runner_up.channels.webchat.WebChatInput"
SLACK = "runner_up.channels.slack.SlackInput"
# Rasa's REST channel (still "rest", at /webhooks/rest/webhook) with its input checked.
REST = "runner_up.channels.rest.RestInput"
CHAT_PATH = "/webhooks/socketio/chat/"
SOCKETIO = {
    "user_message_evt": "user_uttered",
    "bot_message_evt": "bot_uttered",
    "session_persistence": True,
    "metadata_key": "metadata",
}


def chat_url(rasa_url: Text) -> Text:
    """Where the web chat's page is, on the Rasa server at `rasa_url`."""
    return rasa_url.rstrip("/") + CHAT_PATH


def slack_credentials(env: Mapping[Text, Text]) -> Dict[Text, Any]:
    """Slack's entry (runner_up/channels/slack.py): none unless both Slack secrets are set.

    Values are `${VAR}` references that Rasa expands when it reads the file (rasa.shared.utils.io
    registers an `!env_var` resolver on plain scalars), so the secrets never land on disk.
    """
    if not (env.get("SLACK_BOT_TOKEN") and env.get("SLACK_SIGNING_SECRET")):
        return {}
    return {SLACK: {"slack_token": "${SLACK_BOT_TOKEN}", "slack_signing_secret": "${SLACK_SIGNING_SECRET}"}}


def credentials(env: Optional[Mapping[Text, Text]] = None) -> Dict[Text, Any]:
    """The `credentials.yml` content for this environment."""
    env = os.environ if env is None else env
    sections: Dict[Text, Any] = {REST: None, WEBCHAT: dict(SOCKETIO)}
    sections.update(slack_credentials(env))
    return sections


def write_credentials(path: Path, env: Optional[Mapping[Text, Text]] = None) -> Path:
    """Writes `credentials(env)` to `path` and returns it."""
    path.write_text(yaml.safe_dump(credentials(env), sort_keys=False))
    return path
