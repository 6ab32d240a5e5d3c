"""The secrets the processes share, and how they are compared.

| variable | what it guards | who sends it |
|---|---|---|
| `RASA_TOKEN` | Rasa's HTTP API (`/model`, `/conversations/...`, `/status`, ...) | the check-in scheduler, operators' tools |
| `RUNNER_UP_REST_TOKEN` | the REST channel (`/webhooks/rest/webhook`); unset, REST refuses every request | tests, tools |
| `RUNNER_UP_WEBCHAT_SECRET` | signs the web chat's session tokens (runner_up/channels/session_tokens.py) | nobody: only the Rasa replicas hold it |
| `RUNNER_UP_ACTION_SECRET` | the action server's `/webhook` (a header Rasa sends) | Rasa |

`runner-up run` (one machine) makes a random value for each of the three it needs that the
environment does not set, and keeps it under `<var>/secrets/` (the folder 700, each file 600),
so a restart keeps the web chat's sessions and the scheduler's token. `runner-up serve` (replicas)
makes nothing: every replica must get the same values, so a missing one, or the `change-me`
placeholder of deploy/runner-up.env, stops it with a message.

Every comparison is constant-time (`hmac.compare_digest`), so the time an answer takes says
nothing about how much of a guess was right.
"""

from __future__ import annotations

import hmac
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, MutableMapping, Optional, Text

RASA_TOKEN = "RASA_TOKEN"
REST_TOKEN = "RUNNER_UP_REST_TOKEN"
WEBCHAT_SECRET = "RUNNER_UP_WEBCHAT_SECRET"
ACTION_SECRET = "RUNNER_UP_ACTION_SECRET"
# The header Rasa sends the action server (endpoints.yml `action_endpoint.headers`).
ACTION_SECRET_HEADER = "X-Runner-Up-Action-Secret"
# What `runner-up run` makes when the environment does not set it, and the file it keeps it in.
GENERATED = {RASA_TOKEN: "rasa-token", WEBCHAT_SECRET: "webchat-secret", ACTION_SECRET: "action-secret"}
PLACEHOLDER = "change-me"
SHORTEST = 16  # characters; a generated one has 43


class SecretProblem(ValueError):
    """A secret is missing or unusable; the message says which variable and what to do."""


def matches(provided: Optional[Text], expected: Optional[Text]) -> bool:
    """Whether `provided` is `expected`, in time that does not depend on where they differ. An
    expected value that is empty or unset matches nothing."""
    if not expected or provided is None:
        return False
    return hmac.compare_digest(provided.encode("utf-8", "surrogatepass"),
                               expected.encode("utf-8", "surrogatepass"))


def bearer(authorization: Optional[Text]) -> Optional[Text]:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def problem(name: Text, value: Optional[Text]) -> Optional[Text]:
    """Why `value` cannot be the secret `name` (None if it can)."""
    if not value:
        return f"{name} is not set"
    if PLACEHOLDER in value.lower():
        return f"{name} is still the placeholder ({value!r}): set a random value"
    if len(value) < SHORTEST:
        return f"{name} is shorter than {SHORTEST} characters"
    return None


def required(env: Mapping[Text, Text], *names: Text) -> None:
    """SecretProblem naming every one of `names` that `env` lacks or has unusable."""
    problems = [p for p in (problem(name, env.get(name)) for name in names) if p]
    if problems:
        raise SecretProblem("; ".join(problems) + ". Generate one with: "
                            "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'")


@dataclass(frozen=True)
class Kept:
    """A secret `runner-up run` uses: its value, and the file it came from (None: the environment)."""

    name: Text
    value: Text
    path: Optional[Path]


def secrets_dir(var_dir: Path) -> Path:
    """`<var>/secrets`, created readable by this user only."""
    folder = var_dir / "secrets"
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(stat.S_IRWXU)
    return folder


def kept(var_dir: Path, name: Text, env: Mapping[Text, Text] = os.environ) -> Kept:
    """The secret `name`: from the environment when set there (it must be usable), else from its
    file under `<var>/secrets/`, made on first use with 32 random bytes (mode 600)."""
    if env.get(name):
        required(env, name)
        return Kept(name, env[name], None)
    path = secrets_dir(var_dir) / GENERATED[name]
    if not path.exists():
        # Created 600 from the start (never readable by others, not even for a moment).
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_urlsafe(32) + "\n")
    path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    value = path.read_text().strip()
    if problem(name, value):
        raise SecretProblem(f"{path} does not hold a usable {name}: delete it to get a new one")
    return Kept(name, value, path)


def keep_all(var_dir: Path, env: MutableMapping[Text, Text]) -> Mapping[Text, Kept]:
    """Every secret `runner-up run` needs (GENERATED), set in `env` for the processes it starts."""
    found = {name: kept(var_dir, name, env) for name in GENERATED}
    for name, secret in found.items():
        env[name] = secret.value
    return found


def for_own_servers(env: Mapping[Text, Text] = os.environ) -> MutableMapping[Text, Text]:
    """Every secret, for a tool that starts servers of its own (`runner-up bench`, `scale`): the
    environment's where set, random ones otherwise (kept nowhere)."""
    names = (RASA_TOKEN, REST_TOKEN, WEBCHAT_SECRET, ACTION_SECRET)
    return {name: env.get(name) or secrets.token_urlsafe(32) for name in names}


def bearer_header(token: Text) -> MutableMapping[Text, Text]:
    """`Authorization: Bearer <token>`, as a requests header."""
    return {"Authorization": f"Bearer {token}"}
