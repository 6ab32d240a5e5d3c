"""Benchmark of the check-in scheduler: N due check-ins on PostgreSQL, W worker processes, and the
local stand-in for Rasa (`runner_up.checkins.stub`, which stamps each row as the real action does).
Prints how long delivering all of them took, and how many were delivered twice (target: none).

    .venv/bin/runner-up checkins bench [--count 10000] [--workers 2] [--database-url URL]

The database URL (default: the local `test` database) gets a throwaway schema, dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Optional, Sequence, Text

from sqlalchemy import create_engine, func, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.schema import CreateSchema, DropSchema
from tqdm import tqdm

from runner_up.checkins.stub import StubRasa
from runner_up.runner import BIN
from runner_up.store.db import Database
from runner_up.store.models import Checkin, Person, Rejection

DEFAULT_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
TARGET_SECONDS = 60.0


def fill(database: Database, count: int) -> None:
    """`count` people, each with a rejection and a check-in due a minute ago (bulk inserts)."""
    now = datetime.now(timezone.utc)
    seen = now - timedelta(days=3)
    with database.session() as session:
        session.execute(insert(Person), [
            {"channel": "socketio", "sender_id": f"bench-{i}", "last_seen_at": seen, "created_at": seen}
            for i in range(count)])
        people = session.execute(select(Person.id).order_by(Person.id)).scalars().all()
        session.execute(insert(Rejection), [
            {"person_id": p, "company": "Acme", "created_at": seen} for p in people])
        rejections = session.execute(select(Rejection.id, Rejection.person_id)).all()
        session.execute(insert(Checkin), [
            {"person_id": person, "rejection_id": rejection, "due_at": now - timedelta(minutes=1),
             "status": "pending", "attempts": 0, "created_at": seen}
            for rejection, person in rejections])


def sent(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(Checkin).where(Checkin.status == "sent"))


def main(argv: Optional[Sequence[Text]] = None) -> int:
    parser = argparse.ArgumentParser(prog="runner-up checkins bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8, help="deliveries at once per worker")
    parser.add_argument("--database-url", default=os.environ.get("RUNNER_UP_BENCH_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args(argv)

    base = make_url(args.database_url)
    if base.get_backend_name() != "postgresql":
        print("error: the benchmark needs PostgreSQL (several workers claim with SKIP LOCKED)",
              file=sys.stderr)
        return 2
    schema = f"runner_up_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, future=True, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(CreateSchema(schema))
    except Exception as error:  # noqa: BLE001 (any failure to reach the server is reported)
        print(f"error: PostgreSQL at {base.render_as_string(hide_password=True)}: {error}", file=sys.stderr)
        return 1
    url = base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    database = Database(url)
    workers = []
    try:
        database.upgrade()
        print(f"Filling {args.count:,} due check-ins ...", flush=True)
        fill(database, args.count)
        with StubRasa(Database(url)) as stub:
            env = {**os.environ, "DATABASE_URL": url, "RASA_URL": stub.url,
                   "RUNNER_UP_QUIET_HOURS": "0-0", "RUNNER_UP_CHECKIN_IDLE_MINUTES": "0"}
            start = time.monotonic()
            workers = [subprocess.Popen(
                [str(BIN / "runner-up"), "checkins", "run", "--poll", "0.2", "--threads", str(args.threads)],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(args.workers)]
            done = 0
            with tqdm(total=args.count, unit="check-in", desc="delivering") as bar:
                while done < args.count and time.monotonic() - start < 600:
                    time.sleep(0.2)
                    now_done = sent(database)
                    bar.update(now_done - done)
                    done = now_done
            seconds = time.monotonic() - start
            with database.session() as session:
                per_worker = session.execute(
                    select(Checkin.claimed_by, func.count()).where(Checkin.status == "sent")
                    .group_by(Checkin.claimed_by)).all()
            calls, spoken, duplicates = sum(stub.calls.values()), len(stub.spoken), stub.duplicates
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
        database.dispose()
        with admin.connect() as connection:
            connection.execute(DropSchema(schema, cascade=True))
        admin.dispose()

    ok = done == args.count and duplicates == 0 and seconds < TARGET_SECONDS
    print(f"\nCheck-in delivery, {args.workers} workers x {args.threads} threads, PostgreSQL, stub Rasa:")
    print(f"  due check-ins            {args.count:>10,}")
    print(f"  delivered (status sent)  {done:>10,}")
    print(f"  spoken by the stub       {spoken:>10,}   (trigger_intent calls: {calls:,})")
    print(f"  delivered twice          {duplicates:>10,}   (target 0)")
    print(f"  time                     {seconds:>10.1f} s (target < {TARGET_SECONDS:.0f} s), "
          f"{done / seconds:,.0f} per second")
    print("  per worker               " + ", ".join(f"{count:,}" for _, count in sorted(per_worker)))
    print("  " + ("all targets met" if ok else "TARGET MISSED"))
    return 0 if ok else 1
