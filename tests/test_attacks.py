"""Attacks on one person's conversation, each a real request against the real run command:
`runner-up run --model <the session's model>` with its defaults (secrets it makes itself, SQLite
under a fresh RUNNER_UP_VAR_DIR, free RASA_PORT / ACTION_PORT), REST turned on with
RUNNER_UP_REST_TOKEN (as tools do) and Slack pointed at the local fake. A web chat person (and a
Slack person) tell us their company; a second client tries every way to get it, or to act for them.

Also, a `runner-up run` with no REST token at all (REST refuses everything), and the stores of an
older version (bare ids) migrated on start. The crisis reply with each store down is
tests/test_stores_down.py; the deployment's files are checked in tests/test_deploy.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import stat
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple
from unittest import mock
from urllib.parse import quote

import pytest
import requests
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from runner_up import tokens
from runner_up.channels import session_tokens
from runner_up.runner import BIN, Processes, free_port
from runner_up.settings import ROOT
from runner_up.store import repository
from runner_up.store.db import Database
from tests.dialogue import texts, variants
from tests.fake_slack import SIGNING_SECRET, TEAM, FakeSlack, deliver, direct_message, dm_channel, mention

COMPANY = "Initrode"  # what the web chat person tells us
VICTIM_SAYS = f"{COMPANY} turned me down this morning for the analyst job and I'm absolutely gutted"
OLD_COMPANY = "Globex"  # what a web chat person told an older version
OLD_SESSION = "feedfacecafebeef" * 2
SECRET_NAMES = (tokens.RASA_TOKEN, tokens.REST_TOKEN, tokens.WEBCHAT_SECRET, tokens.ACTION_SECRET)
PRIVATE_ONLY = variants("utter_private_only")


@dataclass
class Running:
    """A `runner-up run` and what it printed."""

    rasa_url: str
    action_port: int
    var_dir: Path
    output: str
    rest_token: Optional[str]

    @property
    def api_token(self) -> str:
        return (self.var_dir / "secrets" / "rasa-token").read_text().strip()

    @property
    def webchat_secret(self) -> str:
        return (self.var_dir / "secrets" / "webchat-secret").read_text().strip()

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.api_token}", **kwargs.pop("headers", {})}
        return requests.request(method, self.rasa_url + path, headers=headers, timeout=60, **kwargs)

    def tracker_texts(self, conversation_id: str) -> List[str]:
        response = self.api("GET", f"/conversations/{quote(conversation_id, safe='')}/tracker")
        assert response.status_code == 200, response.text[:300]
        return [e.get("text") or "" for e in response.json()["events"] if e["event"] in ("user", "bot")]

    def rest(self, body: Any, token: Optional[str] = "own", **headers: str) -> requests.Response:
        if token == "own":
            token = self.rest_token
        if token is not None:
            headers.setdefault("Authorization", f"Bearer {token}")
        return requests.post(f"{self.rasa_url}/webhooks/rest/webhook", json=body, headers=headers, timeout=60)


def old_stores(var_dir: Path) -> None:
    """What an older Runner-Up left in var/: bare ids, a web chat person who named a company."""
    var_dir.mkdir(parents=True, exist_ok=True)
    store = SQLTrackerStore(dialect="sqlite", db=str(var_dir / "conversations.sqlite3"))
    old = DialogueStateTracker.from_events(OLD_SESSION, [
        UserUttered(f"{OLD_COMPANY} said no today", input_channel="socketio"),
        ActionExecuted("utter_greet"), BotUttered("I'm sorry.")])
    asyncio.run(store.save(old))
    store.engine.dispose()
    database = Database(f"sqlite:///{var_dir / 'progress.sqlite3'}")
    database.upgrade("0002")
    with database.session() as session:
        person = repository.get_or_create_person(session, "socketio", OLD_SESSION)
        repository.record_rejection(session, person, company=OLD_COMPANY)
    database.dispose()


class Launch:
    """`runner-up run --model MODEL` started with the defaults: none of the secrets, stores or
    Slack settings of this test run in its environment, but `extra`; `ready()` waits for it."""

    def __init__(self, processes: Processes, name: str, model: str, var_dir: Path, extra: Dict[str, str]) -> None:
        rasa_port, self.action_port = free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if k not in SECRET_NAMES and k not in (
            "DATABASE_URL", "TRACKER_STORE_URL", "REDIS_URL", "ACTION_SERVER_URL", "RASA_URL", "RASA_MODEL",
            "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL")}
        env.update({"RUNNER_UP_VAR_DIR": str(var_dir), "RASA_PORT": str(rasa_port),
                    "ACTION_PORT": str(self.action_port), **extra})
        var_dir.mkdir(parents=True, exist_ok=True)
        self.var_dir, self.extra, self.url = var_dir, extra, f"http://127.0.0.1:{rasa_port}"
        self.log = var_dir.parent / f"{name}.log"
        self.child = subprocess.Popen([str(BIN / "runner-up"), "run", "--model", model], cwd=ROOT,
                                      stdout=self.log.open("wb"), stderr=subprocess.STDOUT, env=env)
        processes.children.append((name, self.child))

    def ready(self, limit: float = 600) -> Running:
        deadline = time.monotonic() + limit
        while "Runner-Up is running." not in (output := self.log.read_text(errors="replace")):
            assert self.child.poll() is None, f"runner-up run exited {self.child.returncode}:\n{output[-3000:]}"
            assert time.monotonic() < deadline, f"runner-up run not ready in {limit:.0f} s:\n{output[-3000:]}"
            time.sleep(0.5)
        return Running(self.url, self.action_port, self.var_dir, output, self.extra.get(tokens.REST_TOKEN))


@pytest.fixture(scope="module")
def runs(trained_model: Path, fake_slack: FakeSlack,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dict[str, Running]]:
    """Two runs, started together (their model loads overlap): one with REST turned on and Slack
    pointed at the fake, over the stores of an older version; one with nothing configured."""
    root = tmp_path_factory.mktemp("attacks")
    old_stores(root / "var")
    processes = Processes(root)
    try:
        launches = {
            "run": Launch(processes, "run", str(trained_model), root / "var", {
                tokens.REST_TOKEN: f"rest-{uuid.uuid4().hex}", "SLACK_BOT_TOKEN": fake_slack.token,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": fake_slack.api_url}),
            "bare": Launch(processes, "bare", str(trained_model), root / "bare" / "var", {}),
        }
        yield {name: launch.ready() for name, launch in launches.items()}
    finally:
        processes.stop()


@pytest.fixture(scope="module")
def run(runs: Dict[str, Running]) -> Running:
    return runs["run"]


@pytest.fixture(scope="module")
def run_without_rest(runs: Dict[str, Running]) -> Running:
    """`runner-up run` with nothing configured at all."""
    return runs["bare"]


# --- The web chat person, and a second client ---


class Socket:
    """A socket.io client of the web chat, as a browser's would be (long-polling)."""

    def __init__(self, url: str, origin: Optional[str] = None) -> None:
        import socketio

        self.url, self.origin = url, origin
        self.client = socketio.AsyncClient(reconnection=False)
        self.confirmed: "asyncio.Queue[Any]" = asyncio.Queue()
        self.said: List[Dict[str, Any]] = []
        self.client.on("session_confirm", self.confirmed.put)
        self.client.on("bot_uttered", self.said.append)

    async def __aenter__(self) -> "Socket":
        headers = {"Origin": self.origin} if self.origin else {}
        await self.client.connect(self.url, transports=["polling"], socketio_path="/socket.io/",
                                  headers=headers, wait_timeout=10)
        return self

    async def __aexit__(self, *_: Any) -> None:
        await self.client.eio.disconnect(abort=True)

    async def session(self, request: Any) -> Dict[str, str]:
        await self.client.emit("session_request", request)
        return await asyncio.wait_for(self.confirmed.get(), 10)

    async def say(self, data: Any, replies: int = 1, wait: float = 60) -> List[Dict[str, Any]]:
        """Sends `data` as user_uttered; the bot messages that came back (waits for `replies`)."""
        before = len(self.said)
        await self.client.emit("user_uttered", data)
        deadline = time.monotonic() + wait
        while len(self.said) - before < replies and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # anything else the turn sends
        return self.said[before:]


@pytest.fixture(scope="module")
def victim(run: Running) -> Dict[str, str]:
    """A web chat person who told us about the rejection, company included."""
    answers = {**{t: COMPANY for t in variants("utter_ask_company")},
               **{t: "Data Analyst" for t in variants("utter_ask_role")},
               **{t: "skip" for t in variants("utter_ask_interviewer")},
               **{t: "yesterday" for t in variants("utter_ask_when")},
               **{t: "no thanks" for t in variants("utter_ask_checkin_consent")}}

    async def talk() -> Dict[str, str]:
        async with Socket(run.rasa_url) as browser:
            confirmed = await browser.session({})
            said = await browser.say({"message": VICTIM_SAYS}, replies=2)
            for _ in range(6):  # the rejection's details, asked one by one, then check-ins
                assert said and not any(m.get("refused") for m in said), said
                if said[-1].get("text") not in answers:
                    break
                said = await browser.say({"message": answers[said[-1]["text"]]})
            return confirmed

    confirmed = asyncio.run(talk())
    assert COMPANY in "\n".join(run.tracker_texts(f"web:{confirmed['session_id']}"))
    return confirmed


def no_company(messages: List[str], company: str = COMPANY) -> bool:
    return not any(company in text for text in messages)


# --- 2. Rasa's HTTP API ---


def api_routes(run: Running) -> List[Tuple[str, str]]:
    """Every (method, path) of the app the run serves: Rasa's API and the channels, built by Rasa's
    own code from the credentials the run wrote; path parameters filled in."""
    from rasa.core.run import configure_app, create_http_input_channels

    # The credentials name Slack's secrets as ${VAR}: any value does to build the routes.
    with mock.patch.dict(os.environ, {"SLACK_BOT_TOKEN": "xoxb-routes", "SLACK_SIGNING_SECRET": "routes"}):
        channels = create_http_input_channels(None, str(run.var_dir / "credentials.yml"))
        app = configure_app(channels, auth_token="unused", enable_api=True)
    filled = {"<conversation_id:path>": quote("rest:someone", safe=""), "<name:str>": "widget.js",
              "<session_id:str>": uuid.uuid4().hex}
    routes = []
    for route in app.router.routes:
        path = "/" + route.path
        for parameter, value in filled.items():
            path = path.replace(parameter, value)
        assert "<" not in path, f"a path parameter the test does not fill: {path}"
        routes += [(method, path) for method in sorted(route.methods) if method != "OPTIONS"]
    return routes


OPEN = re.compile(r"^/$|^/webhooks/|^/socket\.io/")


@pytest.mark.slow
def test_every_api_route_needs_the_token(run: Running) -> None:
    routes = api_routes(run)
    guarded = [(m, p) for m, p in routes if not OPEN.match(p)]
    assert {("GET", "/status"), ("GET", "/version"), ("PUT", "/model"), ("DELETE", "/model"),
            ("POST", "/model/parse"), ("GET", "/conversations/rest%3Asomeone/tracker"),
            ("POST", "/conversations/rest%3Asomeone/trigger_intent")} <= set(guarded)
    wrong = {"Authorization": "Bearer " + "x" * 43}
    for method, path in guarded:
        for headers, query in [({}, ""), (wrong, ""), ({"Authorization": f"Basic {run.api_token}"}, ""),
                               ({"Authorization": run.api_token}, ""), ({}, "?token=" + "y" * 43),
                               ({}, "?token=")]:
            response = requests.request(method, run.rasa_url + path + query, headers=headers,
                                        json={}, timeout=60)
            assert response.status_code == 401, (method, path, headers, query, response.status_code)
            assert response.json()["reason"] == "NotAuthenticated"
    # The same paths, spelt otherwise, are no way round it.
    for path in ["/status/", "//status", "/%73tatus", "/webhooks/../status", "/webhooks/%2e%2e/status",
                 "/socket.io/../status", "/conversations/rest%3Asomeone/tracker?token"]:
        response = requests.get(run.rasa_url + path, timeout=60)
        assert response.status_code in (401, 404), (path, response.status_code)
        assert "events" not in response.text and "num_threads" not in response.text


@pytest.mark.slow
def test_the_token_opens_the_api_in_a_header_or_rasas_query(run: Running) -> None:
    assert run.api("GET", "/status").status_code == 200
    assert requests.get(f"{run.rasa_url}/status?token={run.api_token}", timeout=60).status_code == 200
    assert run.api("GET", "/version").status_code == 200


@pytest.mark.slow
def test_the_open_routes_check_their_own_credentials(run: Running, victim: Dict[str, str]) -> None:
    url = run.rasa_url
    assert requests.get(url + "/", timeout=30).status_code == 200  # Rasa's hello, nothing more
    assert run.rest({"sender": "x", "message": "hi"}, token=None).status_code == 401
    assert requests.post(url + "/webhooks/slack/webhook", json={"type": "url_verification"},
                         timeout=30).status_code == 401
    history = f"{url}/webhooks/socketio/chat/history/{victim['session_id']}"
    assert requests.get(history, timeout=30).status_code == 401


@pytest.mark.slow
def test_the_token_is_kept_readable_by_its_owner_only_and_in_no_process_arguments(run: Running) -> None:
    secrets_dir = run.var_dir / "secrets"
    assert stat.S_IMODE(secrets_dir.stat().st_mode) == 0o700
    for name in ("rasa-token", "webchat-secret", "action-secret"):
        path = secrets_dir / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, name
        assert len(path.read_text().strip()) >= 40
    assert f"RASA_TOKEN: kept in {secrets_dir / 'rasa-token'} (mode 600)" in run.output, "the path is printed"
    values = {(secrets_dir / name).read_text().strip() for name in ("rasa-token", "webchat-secret", "action-secret")}
    for proc in Path("/proc").iterdir():
        try:
            arguments = (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        assert not any(value in arguments for value in values), f"a secret in the arguments of {proc.name}"


@pytest.mark.slow
def test_no_other_web_page_may_read_the_api_or_rest(run: Running) -> None:
    evil = {"Origin": "https://evil.example"}
    for response in [run.api("GET", "/status", headers=evil),
                     requests.options(f"{run.rasa_url}/status", headers={**evil, "Access-Control-Request-Method": "GET"},
                                      timeout=30),
                     run.rest({"sender": "cors", "message": "hi"}, Origin="https://evil.example")]:
        assert "Access-Control-Allow-Origin" not in response.headers, response.headers


# --- 3. REST ---


@pytest.mark.slow
def test_rest_needs_its_token(run: Running) -> None:
    body = {"sender": "rest-attack", "message": "hello"}
    for token in (None, "", "wrong-" + run.rest_token, run.rest_token[:-1]):  # type: ignore[index]
        assert run.rest(body, token=token).status_code == 401, token
    assert run.rest(body, token=None, Authorization=f"Basic {run.rest_token}").status_code == 401
    assert run.rest(body).status_code == 200


@pytest.mark.slow
def test_rest_with_its_token_cannot_reach_a_web_chat_conversation(run: Running, victim: Dict[str, str]) -> None:
    session = victim["session_id"]
    for sender, extra in [(session, {}), (f"web:{session}", {}), (session, {"input_channel": "socketio"}),
                          (f"web:{session}", {"input_channel": "socketio"})]:
        for message in ("export my data", "what have I done so far?"):
            response = run.rest({"sender": sender, "message": message, **extra})
            assert response.status_code == 200
            assert no_company(texts(response.json())), (sender, extra, response.text[:500])
    # The person's own conversation got none of it, and still holds what they said.
    theirs = run.tracker_texts(f"web:{session}")
    assert not any("export my data" in t for t in theirs) and COMPANY in "\n".join(theirs)
    # While the person asking in their own chat gets it (the attack could have worked).
    async def own_export() -> List[Dict[str, Any]]:
        async with Socket(run.rasa_url) as browser:
            await browser.session({"token": victim["token"]})
            return await browser.say({"message": "export my data"}, replies=2)
    assert COMPANY in "\n".join(m.get("text", "") for m in asyncio.run(own_export()))


# --- 5. Web chat ---


@pytest.mark.slow
def test_a_socket_cannot_join_post_into_or_act_in_a_session_it_was_not_given(run: Running,
                                                                          victim: Dict[str, str]) -> None:
    session = victim["session_id"]
    forged = f"{session}.{'A' * 43}"
    other_secret = session_tokens.token_for("not-the-servers-secret-0123456789", session)

    async def attack() -> Tuple[List[Dict[str, Any]], List[List[Dict[str, Any]]]]:
        async with Socket(run.rasa_url) as owner, Socket(run.rasa_url) as attacker:
            await owner.session({"token": victim["token"]})  # the person, listening
            before = await attacker.say({"message": "export my data", "session_id": session})
            seen = [before]
            for request in ({"session_id": session}, {"token": session}, {"token": forged},
                            {"token": other_secret}, session):
                confirmed = await attacker.session(request)
                assert confirmed["session_id"] != session, request
                seen.append(await attacker.say({"message": "export my data", "session_id": session}))
                seen.append(await attacker.say({"message": "delete my data", "session_id": session}))
                seen.append(await attacker.say({"message": "yes", "session_id": session}))
                exported = await attacker.say({"message": "export my data"}, replies=2)
                assert no_company([m.get("text", "") for m in exported]), exported
            await asyncio.sleep(1)
            return owner.said, seen

    before = run.tracker_texts(f"web:{session}")
    owner_heard, attempts = asyncio.run(attack())
    first, *named = attempts
    assert first and all(m.get("refused") for m in first), f"no session yet: {first}"
    assert all(said and all(m.get("refused") for m in said) for said in named), named
    assert owner_heard == [], f"the person's chat got something from the attacker: {owner_heard}"
    assert run.tracker_texts(f"web:{session}") == before, "the person's conversation is as it was"
    assert COMPANY in "\n".join(before)


@pytest.mark.slow
def test_the_history_needs_the_sessions_own_token(run: Running, victim: Dict[str, str]) -> None:
    history = f"{run.rasa_url}/webhooks/socketio/chat/history/{victim['session_id']}"
    _, someone_elses = session_tokens.new_session(run.webchat_secret)
    for headers, status in [({}, 401), ({"Authorization": f"Bearer {victim['session_id']}"}, 401),
                            ({"Authorization": f"Bearer {victim['session_id']}.{'A' * 43}"}, 401),
                            ({"Authorization": f"Bearer {someone_elses}"}, 403)]:
        response = requests.get(history, headers=headers, timeout=30)
        assert response.status_code == status and COMPANY not in response.text, (headers, response.text[:200])
    mine = requests.get(history, headers={"Authorization": f"Bearer {victim['token']}"}, timeout=30)
    assert mine.status_code == 200 and COMPANY in mine.text


@pytest.mark.slow
def test_a_socket_from_another_origin_is_refused(run: Running) -> None:
    handshake = f"{run.rasa_url}/socket.io/?EIO=4&transport=polling"
    assert requests.get(handshake, headers={"Origin": "https://evil.example"}, timeout=30).status_code == 400
    assert requests.get(handshake, headers={"Origin": run.rasa_url}, timeout=30).status_code == 200
    assert requests.get(handshake, headers={"Origin": run.rasa_url.replace("127.0.0.1", "127.0.0.1.evil.example")},
                        timeout=30).status_code == 400


# --- 4. The action server ---


def non_loopback_address() -> Optional[str]:
    """This machine's address on its default route's interface (an address others reach it by)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.254", 9))  # no packet is sent: this only picks the route
            address = probe.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address


@pytest.mark.slow
def test_the_action_server_is_unreachable_from_another_address(run: Running) -> None:
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to connect from")
    # That address is reachable: something listening on every interface answers there.
    with socket.socket() as listener:
        listener.bind(("0.0.0.0", 0))
        listener.listen()
        socket.create_connection((address, listener.getsockname()[1]), timeout=5).close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((address, run.action_port), timeout=5).close()
    socket.create_connection(("127.0.0.1", run.action_port), timeout=5).close()  # and it is running


@pytest.mark.slow
def test_the_action_server_answers_only_rasa(run: Running, victim: Dict[str, str]) -> None:
    """A forged call (a tracker naming the web chat person, asking for their export) from this
    machine, without the shared secret or with a wrong one."""
    forged = {"next_action": "action_export_data", "sender_id": f"web:{victim['session_id']}",
              "tracker": {"sender_id": f"web:{victim['session_id']}", "slots": {}, "latest_message": {},
                          "events": [], "latest_input_channel": "socketio"},
              "domain": {}, "version": "3.6.21"}
    webhook = f"http://127.0.0.1:{run.action_port}/webhook"
    for headers in ({}, {tokens.ACTION_SECRET_HEADER: "x" * 43}, {"Authorization": f"Bearer {run.api_token}"}):
        response = requests.post(webhook, json=forged, headers=headers, timeout=30)
        assert response.status_code == 401 and COMPANY not in response.text, (headers, response.text[:200])
    assert requests.get(f"http://127.0.0.1:{run.action_port}/actions", timeout=30).status_code == 401
    evil = requests.get(f"http://127.0.0.1:{run.action_port}/health", headers={"Origin": "https://evil.example"},
                        timeout=30)
    assert evil.status_code == 200 and "Access-Control-Allow-Origin" not in evil.headers


# --- 1. Conversations keyed by channel: Slack, and the migration ---


def slack_posts_after(fake: FakeSlack, channel: str, count: int, wait: float = 90) -> List[str]:
    deadline = time.monotonic() + wait
    while len(fake.posts(channel)) < count:
        assert time.monotonic() < deadline, f"{count} posts in {channel} not seen: {fake.posts(channel)}"
        time.sleep(0.2)
    time.sleep(1.0)
    return [post.args["text"] for post in fake.posts(channel)]


@pytest.mark.slow
def test_slack_mentions_are_not_the_dm_and_do_no_private_things(run: Running, fake_slack: FakeSlack) -> None:
    user, channel = "U" + uuid.uuid4().hex[:10].upper(), "C" + uuid.uuid4().hex[:10].upper()
    hook = f"{run.rasa_url}/webhooks/slack/webhook"
    assert deliver(hook, direct_message(user, VICTIM_SAYS)).status_code == 200
    dm = slack_posts_after(fake_slack, dm_channel(user), 1)
    for ask in ("export my data", "what have I done so far?", "delete my data"):
        assert deliver(hook, mention(user, channel, ask)).status_code == 200
    in_channel = slack_posts_after(fake_slack, channel, 3)
    assert no_company(in_channel), in_channel
    assert sum(text in PRIVATE_ONLY for text in in_channel) >= 2, in_channel
    assert not any(text in variants("utter_data_deleted") for text in in_channel)
    assert COMPANY in "\n".join(run.tracker_texts(f"slack:{TEAM}:{user}")), "the DM is untouched"
    thread_ts = fake_slack.posts(channel)[0].args["thread_ts"]
    assert not any(COMPANY in t for t in run.tracker_texts(f"slack:{TEAM}:{user}:{channel}:{thread_ts}"))
    assert len(fake_slack.posts(dm_channel(user))) == len(dm), "nothing of the mentions went to the DM"


@pytest.mark.slow
def test_text_echoed_to_slack_is_escaped(run: Running, fake_slack: FakeSlack) -> None:
    user = "U" + uuid.uuid4().hex[:10].upper()
    hook = f"{run.rasa_url}/webhooks/slack/webhook"
    typed = "tell <!channel> about <https://evil.example|your bank> & <@U0SOMEONE>"
    assert deliver(hook, direct_message(user, typed)).status_code == 200
    before = len(slack_posts_after(fake_slack, dm_channel(user), 1))
    assert deliver(hook, direct_message(user, "export my data")).status_code == 200
    posted = slack_posts_after(fake_slack, dm_channel(user), before + 2)
    export = next(text for text in posted if "tell " in text)
    # (Rasa's Slack channel keeps a link's address and drops its label: "about https://evil.example".)
    assert "tell &lt;!channel&gt; about" in export and "&amp; &lt;@U0SOMEONE&gt;" in export, export
    assert not any(re.search(r"<[!@#]|<https?:", text) for text in posted), posted


@pytest.mark.slow
def test_the_older_versions_stores_were_keyed_by_channel_on_start(run: Running) -> None:
    assert OLD_COMPANY in "\n".join(run.tracker_texts(f"web:{OLD_SESSION}"))
    assert run.tracker_texts(OLD_SESSION) == [], "nothing left under the bare id"
    database = Database(f"sqlite:///{run.var_dir / 'progress.sqlite3'}")
    with database.session() as session:
        assert repository.find_person(session, "socketio", f"web:{OLD_SESSION}") is not None
        assert repository.find_person(session, "socketio", OLD_SESSION) is None
    database.dispose()
    assert "Keyed the existing conversations by channel: 1 socketio" in run.output
    # And the bare id, which REST used to be able to name, now names REST's own conversation.
    response = run.rest({"sender": OLD_SESSION, "message": "export my data"})
    assert response.status_code == 200 and no_company(texts(response.json()), OLD_COMPANY)


# --- 3 again: REST with no token configured ---


@pytest.mark.slow
def test_with_no_rest_token_rest_refuses_every_request(run_without_rest: Running) -> None:
    assert "REST:          off (set RUNNER_UP_REST_TOKEN to turn it on)" in run_without_rest.output
    for token in (None, "", "anything", run_without_rest.api_token):
        response = run_without_rest.rest({"sender": "someone", "message": "hello"}, token=token)
        assert response.status_code == 403 and "RUNNER_UP_REST_TOKEN" in response.text, (token, response.text)
    assert json.loads(requests.post(f"{run_without_rest.rasa_url}/webhooks/rest/webhook", data=b"x",
                                    timeout=30).text)["error"]
