"""Benchmark: `/model/parse` latency over 500 messages, server memory, model load time and
`rasa train` time from scratch. Prints figures against the targets; it is not a test.

    .venv/bin/runner-up bench [--messages 500] [--model PATH] [--skip-train]
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

from runner_up.runner import BIN, Processes
from runner_up.settings import ROOT

TARGETS = {"parse p50 (ms)": 60.0, "server RSS (MB)": 1536.0, "rasa train (s)": 300.0}


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


def newest_model() -> Optional[Path]:
    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def main(argv: Optional[Sequence[Text]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--model", type=Path, help="model to serve (default: train one, or newest in models/)")
    parser.add_argument("--skip-train", action="store_true", help="do not time a training from scratch")
    parser.add_argument("--port", type=int, default=5095)
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

    url = f"http://127.0.0.1:{args.port}"
    processes = Processes(workdir)
    server = processes.start("rasa", [
        str(BIN / "rasa"), "run", "--enable-api", "--model", str(model),
        "--interface", "127.0.0.1", "--port", str(args.port),
    ])
    try:
        figures["server start until ready (s)"] = processes.wait_until(
            "rasa", server, f"{url}/status", limit=300
        )
        messages = sample_messages(args.messages)
        session = requests.Session()
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
    })
    print(f"\nRunner-Up benchmark ({len(latencies)} parses over HTTP, one client, this machine)")
    for name, value in figures.items():
        target = TARGETS.get(name)
        verdict = "" if target is None else (f"  target <= {target:g}: " + ("met" if value <= target else "MISSED"))
        print(f"  {name:30s} {value:10.1f}{verdict}")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
