"""Benchmark: `/model/parse` latency over 500 messages, a full conversation turn through the REST
channel (Rasa + action server + progress store), the crisis detector's own cost per message,
server memory, model load time and `rasa train` time from scratch. Prints figures against the
targets; it is not a test.

    .venv/bin/runner-up bench [--messages 500] [--turns 300] [--model PATH] [--skip-train]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Text

import requests
import yaml

from runner_up import tokens
from runner_up.runner import BIN, Processes, actions_command
from runner_up.settings import ROOT, Settings

TARGETS = {
    "parse p50 (ms)": 60.0, "server RSS (MB)": 1536.0, "rasa train (s)": 300.0,
    "REST turn p50 (ms)": 100.0, "REST turn p95 (ms)": 200.0, "crisis detector (ms/message)": 10.0,
}
# One person's conversation, over and over: feelings, steps taken, declined and done, progress.
TURNS = [
    "I didn't get the job at Acme, they told me this morning", "Data analyst", "skip", "yesterday",
    "yes", "done, I did that", "what should I do next?", "no thanks", "another one please", "yes",
    "I'm feeling a bit better today", "what have I done so far?", "thanks",
]


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def rss_mb(pid: int) -> Dict[Text, float]:
    """Current (VmRSS) and peak (VmHWM) resident memory of a process, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields


def sample_messages(count: int, seed: int = 7) -> List[Text]:
    """Plain texts of our own NLU examples, shuffled (short chat messages, as people send)."""
    from rasa.shared.nlu.training_data.loading import load_data

    texts = [m.get("text") for m in load_data(str(ROOT / "data" / "nlu")).intent_examples]
    random.Random(seed).shuffle(texts)
    return (texts * (count // len(texts) + 1))[:count]


def time_training(out: Path) -> float:
    print("training from scratch with config.yml (rasa train --force) ...", flush=True)
    start = time.perf_counter()
    subprocess.run([str(BIN / "rasa"), "train", "--force", "--out", str(out)], cwd=ROOT,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def time_model_load(model: Path) -> float:
    """Seconds for `Agent.load` of the model, in a fresh interpreter (imports excluded)."""
    code = (
        "import time, asyncio\n"
        "from rasa.core.agent import Agent\n"
        "start = time.perf_counter()\n"
        f"agent = Agent.load({str(model)!r})\n"
        "print(time.perf_counter() - start)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, check=True)
    return float(result.stdout.strip().splitlines()[-1])


def time_crisis_detector(model: Path, texts: Sequence[Text]) -> float:
    """Milliseconds per message that the crisis detector adds to a parse (rules + classifier),
    timed on messages the pipeline in front of it has already featurized."""
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.storage.local_model_storage import LocalModelStorage

    from runner_up.nlu.crisis import CrisisDetector
    from runner_up.nlu.featurize import Featurizer

    storage_dir = Path(tempfile.mkdtemp(prefix="runner-up-model-"))
    storage, metadata = LocalModelStorage.from_model_archive(storage_dir, model)
    node = next(n for n in metadata.predict_schema.nodes.values() if n.uses is CrisisDetector)
    detector = CrisisDetector.load(
        {**CrisisDetector.get_default_config(), **node.config}, storage,
        node.resource, ExecutionContext(metadata.predict_schema))
    messages = Featurizer().messages(texts)
    detector.process(messages[:10])  # warm-up
    start = time.perf_counter()
    for message in messages:
        detector.process([message])
    return (time.perf_counter() - start) * 1000 / len(messages)


def time_turns(url: Text, count: int, sender: Text = "bench-person",
               session: Optional[requests.Session] = None) -> List[float]:
    """Milliseconds per REST turn (each answer waits on actions and the store): one person at a
    time, in conversations of the scripted length, a new conversation each time."""
    session = session or requests.Session()
    latencies = []
    for index in range(count):
        text = TURNS[index % len(TURNS)]
        start = time.perf_counter()
        response = session.post(f"{url}/webhooks/rest/webhook", timeout=60, json={
            "sender": f"{sender}-{index // len(TURNS)}", "message": text})
        latencies.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
        if (index + 1) % 100 == 0:
            print(f"  turns {index + 1}/{count}", flush=True)
    return latencies


def time_one_long_conversation(url: Text, count: int,
                               session: Optional[requests.Session] = None) -> List[float]:
    """The same turns in one conversation: Rasa sends the action server every event so far on
    every call, so a turn gets slower as a conversation grows."""
    session = session or requests.Session()
    latencies = []
    for index in range(count):
        start = time.perf_counter()
        session.post(f"{url}/webhooks/rest/webhook", timeout=60, json={
            "sender": "bench-long", "message": TURNS[index % len(TURNS)]}).raise_for_status()
        latencies.append((time.perf_counter() - start) * 1000)
    return latencies


def newest_model() -> Optional[Path]:
    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def main(argv: Optional[Sequence[Text]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--model", type=Path, help="model to serve (default: train one, or newest in models/)")
    parser.add_argument("--skip-train", action="store_true", help="do not time a training from scratch")
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--port", type=int, default=5095)
    parser.add_argument("--action-port", type=int, default=5096)
    args = parser.parse_args(argv)

    figures: Dict[Text, float] = {}
    workdir = Path(tempfile.mkdtemp(prefix="runner-up-bench-"))
    model = args.model
    if not args.skip_train:
        figures["rasa train (s)"] = time_training(workdir)
        model = model or next(workdir.glob("*.tar.gz"))
    model = model or newest_model()
    if model is None:
        print("error: no model: train one (rasa train) or drop --skip-train", file=sys.stderr)
        return 1
    print(f"model: {model}", flush=True)
    figures["model load (s)"] = time_model_load(model)

    messages = sample_messages(args.messages)
    print("timing the crisis detector on its own ...", flush=True)
    figures["crisis detector (ms/message)"] = time_crisis_detector(model, messages[:300])

    from runner_up.store.db import Database

    database_url = f"sqlite:///{workdir / 'progress.sqlite3'}"
    Database(database_url).upgrade()
    # As `runner-up run` serves it: conversations in a SQLite tracker store, every secret checked.
    secrets = tokens.for_own_servers()
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(yaml.safe_dump({
        "action_endpoint": {"url": f"http://127.0.0.1:{args.action_port}/webhook",
                            "headers": {tokens.ACTION_SECRET_HEADER: secrets[tokens.ACTION_SECRET]}},
        "tracker_store": {"type": "runner_up.conversations.ErasingSQLTrackerStore", "dialect": "sqlite",
                          "db": str(workdir / "conversations.sqlite3")},
    }))
    url = f"http://127.0.0.1:{args.port}"
    processes = Processes(workdir)
    settings = Settings("127.0.0.1", args.port, args.action_port, workdir)
    actions = processes.start("actions", actions_command(settings),
                              env={"DATABASE_URL": database_url, **secrets})
    server = processes.start("rasa", [
        str(BIN / "rasa"), "run", "--enable-api", f"--auth-token={secrets[tokens.RASA_TOKEN]}",
        "--model", str(model), "--interface", "127.0.0.1", "--port", str(args.port),
        "--endpoints", str(endpoints),
    ], env=dict(secrets))
    api = tokens.bearer_header(secrets[tokens.RASA_TOKEN])
    rest = requests.Session()
    rest.headers.update(tokens.bearer_header(secrets[tokens.REST_TOKEN]))
    try:
        processes.wait_until("actions", actions, f"http://127.0.0.1:{args.action_port}/health", limit=120)
        figures["server start until ready (s)"] = processes.wait_until(
            "rasa", server, f"{url}/status", limit=300, headers=api
        )
        session = requests.Session()
        session.headers.update(api)
        for text in messages[:20]:  # warm-up: first calls build TensorFlow graphs
            session.post(f"{url}/model/parse", json={"text": text}, timeout=60)
        latencies: List[float] = []
        failures = 0
        for index, text in enumerate(messages, start=1):
            start = time.perf_counter()
            response = session.post(f"{url}/model/parse", json={"text": text}, timeout=60)
            latencies.append((time.perf_counter() - start) * 1000)
            failures += response.status_code != 200
            if index % 100 == 0:
                print(f"  parsed {index}/{len(messages)}", flush=True)
        time_turns(url, 5, sender="warm-up", session=rest)
        turns = time_turns(url, args.turns, session=rest)
        long = time_one_long_conversation(url, 10 * len(TURNS), session=rest)
        memory = rss_mb(server.pid)
    finally:
        processes.stop()

    figures.update({
        "parse p50 (ms)": statistics.median(latencies),
        "parse p95 (ms)": percentile(latencies, 95),
        "parse max (ms)": max(latencies),
        "server RSS (MB)": memory["VmRSS"],
        "server peak RSS (MB)": memory["VmHWM"],
        "parse failures": failures,
        "REST turn p50 (ms)": statistics.median(turns),
        "REST turn p95 (ms)": percentile(turns, 95),
        f"one {len(long)}-turn conversation: first {len(TURNS)} p50 (ms)": statistics.median(long[:len(TURNS)]),
        f"one {len(long)}-turn conversation: last {len(TURNS)} p50 (ms)": statistics.median(long[-len(TURNS):]),
    })
    print(f"\nRunner-Up benchmark ({len(latencies)} parses and {len(turns)} REST turns over HTTP,"
          " one client, SQLite progress store, this machine)")
    for name, value in figures.items():
        target = TARGETS.get(name)
        verdict = "" if target is None else (f"  target <= {target:g}: " + ("met" if value <= target else "MISSED"))
        print(f"  {name:44s} {value:10.1f}{verdict}")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
