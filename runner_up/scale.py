"""`runner-up scale`: Runner-Up as it runs beyond one machine, on this one, under load.

It starts 2 action servers behind a round-robin balancer, 2 Rasa servers (conversations in
PostgreSQL, Redis as the lock store and as the web chat's socket.io manager), and talks
50 conversations x 20 turns at once through the REST channel, each turn going to the other Rasa
server than the last. Then 2 check-in workers deliver every conversation's check-in, and a browser
session connected to one Rasa server gets a message sent through the other. It checks:

- 0 errors: every turn answered 200 with at least one message;
- no conversation sees another's state: each conversation's company (a made-up name, told only to
  it) is in its own thank-you draft and data export, and no other conversation's is in anything it
  was told;
- every step persisted: the progress store has each person's rejection, mood, step done and one
  check-in sent (exactly once, one attempt), and the tracker store has each conversation's 20
  messages in order;
- socket.io across replicas: the message reaches the browser session on the other server.

It prints the figures (latency percentiles, turns per second, the balancer's spread). PostgreSQL
and Redis come from RUNNER_UP_SCALE_POSTGRES_URL (default the local test server; two throwaway
databases are created and dropped) and RUNNER_UP_SCALE_REDIS_URL (default redis://127.0.0.1:6379/5).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Text, Tuple
from urllib.parse import quote

import requests
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from runner_up import conversation_ids, tokens
from runner_up.balancer import Balancer
from runner_up.runner import BIN, Processes, free_port
from runner_up.settings import ROOT

POSTGRES_URL = os.environ.get("RUNNER_UP_SCALE_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("RUNNER_UP_SCALE_REDIS_URL", "redis://127.0.0.1:6379/5")
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())
SYLLABLES = ["vor", "tal", "quin", "bex", "mar", "dun", "zel", "prax", "lum", "kor"]


def responses(name: Text) -> List[Text]:
    return [variant["text"] for variant in DOMAIN["responses"][name]]


FORM_QUESTIONS = {name: responses(name) for name in
                  ("utter_ask_company", "utter_ask_role", "utter_ask_interviewer", "utter_ask_when")}
FORM_ANSWERS = {"utter_ask_role": "Data Analyst", "utter_ask_interviewer": "skip",
                "utter_ask_when": "yesterday"}
OPENING = ["hello", "They turned me down this morning for the analyst job and I'm absolutely gutted"]
AFTER_FORM = ["yes please", "yes", "done! I sent it off this morning",
              "can you draft a thank-you note for the interviewer", "what have I done so far?"]
FILLERS = ["I'm feeling a bit better today", "thanks, that helps", "what should I do next?",
           "not right now", "I think I'm okay", "thank you"]
LAST = "export my data"
CHECKIN_OPENING = "Hi, it's Runner-Up"  # how every utter_checkin variant begins


def company_name(index: int) -> Text:
    """A made-up company name, different for each conversation (never a real word)."""
    first, second = divmod(index, len(SYLLABLES))
    return (SYLLABLES[first % len(SYLLABLES)] + SYLLABLES[second] + "ix").capitalize()


@dataclass
class Conversation:
    """One person's conversation: what was sent, what came back, how long each turn took."""

    index: int
    sender: Text
    company: Text
    sent: List[Text] = field(default_factory=list)
    replies: List[List[Text]] = field(default_factory=list)
    latencies: List[float] = field(default_factory=list)
    servers: List[int] = field(default_factory=list)
    errors: List[Text] = field(default_factory=list)

    def next_message(self, turns: int) -> Text:
        """The next message: the opening, the form's answers, the steps, fillers, then the export."""
        done = len(self.sent)
        if done < len(OPENING):
            return OPENING[done]
        last = self.replies[-1][-1] if self.replies and self.replies[-1] else ""
        for question, texts in FORM_QUESTIONS.items():
            if last in texts:
                return self.company if question == "utter_ask_company" else FORM_ANSWERS[question]
        if done == turns - 1:
            return LAST
        after = [m for m in AFTER_FORM if m not in self.sent]
        if after:
            return after[0]
        return FILLERS[(done - len(OPENING)) % len(FILLERS)]


def talk(conversation: Conversation, rasa_urls: Sequence[Text], turns: int, rest_token: Text) -> Conversation:
    """All the conversation's turns, alternating between the Rasa servers."""
    with requests.Session() as http:
        http.headers.update(tokens.bearer_header(rest_token))
        for turn in range(turns):
            server = (conversation.index + turn) % len(rasa_urls)
            message = conversation.next_message(turns)
            start = time.perf_counter()
            try:
                response = http.post(f"{rasa_urls[server]}/webhooks/rest/webhook", timeout=120,
                                     json={"sender": conversation.sender, "message": message})
                answered = response.status_code == 200 and bool(response.json())
                replies = [m.get("text", "") for m in response.json()] if answered else []
                if not answered:
                    conversation.errors.append(f"turn {turn + 1}: {response.status_code} {response.text[:200]}")
            except (requests.RequestException, ValueError) as error:
                replies = []
                conversation.errors.append(f"turn {turn + 1}: {error}")
            conversation.latencies.append(time.perf_counter() - start)
            conversation.sent.append(message)
            conversation.replies.append(replies)
            conversation.servers.append(server)
    return conversation


def leaks(conversation: Conversation, companies: Sequence[Text]) -> List[Text]:
    """Other conversations' companies in what this conversation was told."""
    told = "\n".join(t for replies in conversation.replies for t in replies)
    return [c for c in companies if c != conversation.company and c in told]


def own_state_seen(conversation: Conversation) -> Dict[Text, bool]:
    """Whether the conversation's own company came back in its draft and in its export."""
    draft = next((r for m, r in zip(conversation.sent, conversation.replies) if "thank-you" in m), [])
    export = conversation.replies[-1] if conversation.sent[-1] == LAST else []
    return {"draft": any(conversation.company in t for t in draft),
            "export": any(conversation.company in t and conversation.sender in t for t in export)}


@contextmanager
def throwaway_database(admin_url: Text, purpose: Text) -> Iterator[Text]:
    """A new PostgreSQL database on the server of `admin_url`, dropped afterwards."""
    name = f"runner_up_scale_{purpose}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"), {"name": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def across_replicas(listen_url: Text, send_url: Text, api_token: Text,
                          timeout: float = 20.0) -> Tuple[bool, float]:
    """A web chat session connected to `listen_url`; a message for it triggered through
    `send_url`'s HTTP API. Returns whether it arrived, and after how many seconds."""
    import socketio

    received: asyncio.Queue = asyncio.Queue()
    client = socketio.AsyncClient(reconnection=False)
    client.on("bot_uttered", lambda data: received.put_nowait(data))
    confirmed: asyncio.Queue = asyncio.Queue()
    client.on("session_confirm", lambda data: confirmed.put_nowait(data))
    # Long-polling: the pinned engine.io client's websocket needs a newer aiohttp than Rasa's.
    await client.connect(listen_url, transports=["polling"], socketio_path="/socket.io")
    try:
        await client.emit("session_request", {})
        session_id = (await asyncio.wait_for(confirmed.get(), timeout))["session_id"]
        conversation = quote(conversation_ids.web(session_id), safe="")
        start = time.perf_counter()
        await asyncio.to_thread(
            requests.post, f"{send_url}/conversations/{conversation}/trigger_intent?output_channel=socketio",
            json={"name": "greet"}, headers=tokens.bearer_header(api_token), timeout=60)
        try:
            message = await asyncio.wait_for(received.get(), timeout)
        except asyncio.TimeoutError:
            return False, time.perf_counter() - start
        return bool(message.get("text")), time.perf_counter() - start
    finally:
        await client.disconnect()


class Deployment:
    """The processes of the scaled-out set-up, on free local ports, logging to `workdir`."""

    def __init__(self, model: Path, workdir: Path, env: Dict[Text, Text]) -> None:
        self.model, self.workdir, self.env = model, workdir, env
        self.processes = Processes(workdir)
        self.balancers: List[Balancer] = []
        self.rasa_urls: List[Text] = []

    def start(self, replicas: int = 2) -> float:
        """Action servers behind a balancer, then Rasa servers using it; seconds until all answer."""
        start = time.monotonic()
        action_ports = [free_port() for _ in range(replicas)]
        actions = [self.processes.start(f"actions-{i}", [str(BIN / "runner-up"), "serve", "actions"],
                                        env={**self.env, "ACTION_PORT": str(port)})
                   for i, port in enumerate(action_ports)]
        for i, (child, port) in enumerate(zip(actions, action_ports)):
            self.processes.wait_until(f"actions-{i}", child, f"http://127.0.0.1:{port}/health", limit=240)
        action_balancer = self.balancer([("127.0.0.1", port) for port in action_ports])
        rasa_ports = [free_port() for _ in range(replicas)]
        rasa = [self.processes.start(
            f"rasa-{i}", [str(BIN / "runner-up"), "serve", "rasa"],
            env={**self.env, "RASA_PORT": str(port), "RASA_MODEL": str(self.model),
                 "ACTION_SERVER_URL": action_balancer.url,
                 "RUNNER_UP_VAR_DIR": str(self.workdir / f"rasa-{i}")})
            for i, port in enumerate(rasa_ports)]
        self.rasa_urls = [f"http://127.0.0.1:{port}" for port in rasa_ports]
        api = tokens.bearer_header(self.env[tokens.RASA_TOKEN])
        for i, (child, url) in enumerate(zip(rasa, self.rasa_urls)):
            self.processes.wait_until(f"rasa-{i}", child, f"{url}/status", limit=300, headers=api)
        return time.monotonic() - start

    def balancer(self, backends: List[Tuple[Text, int]]) -> Balancer:
        balancer = Balancer(backends).start()
        self.balancers.append(balancer)
        return balancer

    def checkin_workers(self, count: int, now: datetime) -> List[Any]:
        """`count` check-in workers, their clock at `now`, reaching Rasa through a balancer."""
        rasa = self.balancer([("127.0.0.1", int(url.rsplit(":", 1)[1])) for url in self.rasa_urls])
        return [self.processes.start(
            f"checkins-{i}", [str(BIN / "runner-up"), "checkins", "--now", now.isoformat(), "run", "--poll", "0.5",
             "--batch", "5", "--threads", "4"],
            env={**self.env, "RASA_URL": rasa.url}) for i in range(count)]

    def stop(self) -> None:
        self.processes.stop()
        for balancer in self.balancers:
            balancer.stop()


def deliver_checkins(deployment: Deployment, progress_url: Text, workers: int,
                     limit: float = 240) -> Dict[Text, Any]:
    """Starts the workers with their clock four days ahead (every check-in due, outside the quiet
    hours), waits until none is pending or claimed, and stops them; returns the outcome."""
    from sqlalchemy import func, select

    from runner_up.store.db import Database
    from runner_up.store.models import Checkin

    day = datetime.now(timezone.utc) + timedelta(days=4)
    now = day.replace(hour=12, minute=0, second=0, microsecond=0)
    children = deployment.checkin_workers(workers, now)
    database = Database(progress_url)
    start = time.monotonic()
    try:
        while True:
            with database.session() as session:
                open_rows = session.scalar(select(func.count()).select_from(Checkin).where(
                    Checkin.status.in_(["pending", "claimed"])))
            if not open_rows or time.monotonic() - start > limit:
                break
            time.sleep(0.5)
        seconds = time.monotonic() - start
        with database.session() as session:
            rows = session.scalars(select(Checkin)).all()
            outcome = {
                "seconds": seconds, "total": len(rows),
                "sent": sum(r.status == "sent" for r in rows),
                "not_sent": sorted({r.status for r in rows} - {"sent"}),
                "attempts_over_1": sum(r.attempts > 1 for r in rows),
                "per_worker": sorted(
                    sum(1 for r in rows if r.claimed_by == w) for w in {r.claimed_by for r in rows}),
            }
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait(timeout=30)
        database.dispose()
    return outcome


def persisted(progress_url: Text, tracker_url: Text, conversations: Sequence[Conversation]) -> Dict[Text, Any]:
    """What the two stores hold for each conversation, against what it was told."""
    from sqlalchemy import select

    from runner_up.store import repository
    from runner_up.store.db import Database
    from runner_up.store.models import Checkin, MoodEntry, Rejection

    problems: List[Text] = []
    database = Database(progress_url)
    tracker = create_engine(tracker_url, future=True)
    checkins_said: List[int] = []
    try:
        with database.session() as session, tracker.connect() as events:
            for c in conversations:
                person = repository.find_person(session, "rest", conversation_ids.rest(c.sender))
                if person is None:
                    problems.append(f"{c.sender}: no person")
                    continue
                companies = [r.company for r in session.scalars(
                    select(Rejection).where(Rejection.person_id == person.id))]
                if companies != [c.company]:
                    problems.append(f"{c.sender}: rejections {companies}, told {c.company}")
                if not session.scalars(select(MoodEntry).where(MoodEntry.person_id == person.id)).first():
                    problems.append(f"{c.sender}: no mood")
                if "done" not in repository.step_statuses(session, person).values():
                    problems.append(f"{c.sender}: no step done")
                statuses = [r.status for r in session.scalars(
                    select(Checkin).where(Checkin.person_id == person.id))]
                if statuses != ["sent"]:
                    problems.append(f"{c.sender}: check-ins {statuses}")
                rows = events.execute(text(
                    "SELECT type_name, data FROM events WHERE sender_id = :s ORDER BY id"),
                    {"s": conversation_ids.rest(c.sender)}).all()
                said = [json.loads(d).get("text") for t, d in rows if t == "user"]
                typed = [t for t in said if not (t or "").startswith("/") and not (t or "").startswith("EXTERNAL")]
                if typed != c.sent:
                    problems.append(f"{c.sender}: tracker holds {len(typed)} of {len(c.sent)} messages")
                bot = [json.loads(d).get("text") or "" for t, d in rows if t == "bot"]
                checkin_texts = [t for t in bot if t.startswith(CHECKIN_OPENING)]
                checkins_said.append(len(checkin_texts))
    finally:
        database.dispose()
        tracker.dispose()
    return {"problems": problems, "checkins_said_once": sum(n == 1 for n in checkins_said)}


def run(model: Path, workdir: Path, conversations: int = 50, turns: int = 20, workers: int = 2,
        postgres_url: Text = POSTGRES_URL, redis_url: Text = REDIS_URL) -> Dict[Text, Any]:
    """The whole run; returns the figures and every problem found (none when all is well)."""
    from runner_up.store.db import Database

    workdir.mkdir(parents=True, exist_ok=True)
    with throwaway_database(postgres_url, "progress") as progress_url, \
            throwaway_database(postgres_url, "tracker") as tracker_url:
        database = Database(progress_url)
        database.upgrade()
        database.dispose()
        env = {"DATABASE_URL": progress_url, "TRACKER_STORE_URL": tracker_url, "REDIS_URL": redis_url,
               **tokens.for_own_servers()}
        deployment = Deployment(model, workdir, env)
        try:
            startup = deployment.start()
            people = [Conversation(i, f"scale-{i}-{uuid.uuid4().hex[:8]}", company_name(i))
                      for i in range(conversations)]
            start = time.perf_counter()
            with ThreadPoolExecutor(max_workers=conversations) as pool:
                done = list(pool.map(lambda c: talk(c, deployment.rasa_urls, turns, env[tokens.REST_TOKEN]),
                                     people))
            talking = time.perf_counter() - start
            delivered = deliver_checkins(deployment, progress_url, workers)
            arrived, seconds = asyncio.run(across_replicas(deployment.rasa_urls[1], deployment.rasa_urls[0],
                                                           env[tokens.RASA_TOKEN]))
            spread = deployment.balancers[0].connections
        finally:
            deployment.stop()
        stored = persisted(progress_url, tracker_url, done)
    latencies = [t for c in done for t in c.latencies]
    companies = [c.company for c in done]
    return {
        "conversations": conversations, "turns": turns, "startup_seconds": startup,
        "seconds": talking, "turns_per_second": len(latencies) / talking,
        "p50_ms": 1000 * statistics.median(latencies), "p95_ms": 1000 * percentile(latencies, 0.95),
        "max_ms": 1000 * max(latencies),
        "per_rasa_server": [sum(c.servers.count(i) for c in done) for i in range(2)],
        "per_action_server": spread,
        "errors": [e for c in done for e in c.errors],
        "leaks": {c.sender: leaks(c, companies) for c in done if leaks(c, companies)},
        "own_state_missing": {c.sender: seen for c in done if not all((seen := own_state_seen(c)).values())},
        "checkins": delivered, "stored": stored,
        "socketio_across_replicas": {"arrived": arrived, "seconds": seconds},
    }


def passed(figures: Dict[Text, Any]) -> bool:
    checkins = figures["checkins"]
    return (not figures["errors"] and not figures["leaks"] and not figures["own_state_missing"]
            and not figures["stored"]["problems"]
            and figures["stored"]["checkins_said_once"] == figures["conversations"]
            and checkins["sent"] == checkins["total"] == figures["conversations"]
            and checkins["attempts_over_1"] == 0 and figures["socketio_across_replicas"]["arrived"])


def report(figures: Dict[Text, Any]) -> Text:
    c = figures["checkins"]
    lines = [
        f"{figures['conversations']} conversations x {figures['turns']} turns, 2 Rasa servers (alternating), "
        f"2 action servers behind a balancer, 2 check-in workers, PostgreSQL + Redis",
        f"  start-up of the 4 servers: {figures['startup_seconds']:.1f} s",
        f"  turns: {sum(figures['per_rasa_server'])} in {figures['seconds']:.1f} s "
        f"({figures['turns_per_second']:.1f}/s); latency p50 {figures['p50_ms']:.0f} ms, "
        f"p95 {figures['p95_ms']:.0f} ms, max {figures['max_ms']:.0f} ms",
        f"  per Rasa server: {figures['per_rasa_server']}; per action server: {figures['per_action_server']}",
        f"  errors: {len(figures['errors'])}; conversations seeing another's company: {len(figures['leaks'])}; "
        f"missing their own in draft or export: {len(figures['own_state_missing'])}",
        f"  stored: {len(figures['stored']['problems'])} problems; "
        f"check-ins said once in their conversation: {figures['stored']['checkins_said_once']}",
        f"  check-ins: {c['sent']}/{c['total']} sent in {c['seconds']:.1f} s, retried: {c['attempts_over_1']}, "
        f"per worker: {c['per_worker']}",
        f"  socket.io across replicas: {'arrived' if figures['socketio_across_replicas']['arrived'] else 'LOST'}"
        f" in {figures['socketio_across_replicas']['seconds'] * 1000:.0f} ms",
        f"  verdict: {'PASS' if passed(figures) else 'FAIL'}",
    ]
    for key in ("errors", "leaks", "own_state_missing"):
        if figures[key]:
            lines.append(f"  {key} (first 5): {list(figures[key])[:5] if isinstance(figures[key], list) else dict(list(figures[key].items())[:5])}")
    lines += [f"  stored: {p}" for p in figures["stored"]["problems"][:5]]
    return "\n".join(lines)


def main(argv: Optional[Sequence[Text]] = None) -> int:
    parser = argparse.ArgumentParser(prog="runner-up scale", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="a trained model (default: the newest in models/)")
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--workdir", default=None, help="where the processes log (default var/scale)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)
    model = Path(args.model) if args.model else newest_model()
    workdir = Path(args.workdir) if args.workdir else ROOT / "var" / "scale"
    figures = run(model, workdir, args.conversations, args.turns)
    print(report(figures))
    if args.json:
        print(json.dumps(figures, indent=2, default=str))
    return 0 if passed(figures) else 1


def newest_model() -> Path:
    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise SystemExit("error: no trained model in models/: run scripts/run.sh (or rasa train) first")
    return models[-1]
