"""`runner-up checkins`: the scheduler process and the operator's view of the check-in queue.

    runner-up checkins run [--once]        deliver due check-ins (a long-running worker by default)
    runner-up checkins list [--status S]   the queue, soonest first (failed ones show their error)
    runner-up checkins cancel ID           cancel a pending or failed check-in
    runner-up checkins send ID             deliver one check-in now (failed ones get a fresh start)
    runner-up checkins bench               benchmark: 10,000 due check-ins, 2 workers, PostgreSQL

`--now 2026-12-01T10:00:00+00:00` sets the clock (tests; an operator replaying a day).
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from datetime import datetime, timezone
from typing import List, Optional, Sequence, Text

from runner_up.checkins.timing import Timing
from runner_up.checkins.worker import RasaDelivery, Worker, fixed_clock, system_clock
from runner_up.store import StoreError, StoreUnavailable
from runner_up.store import checkins as queue
from runner_up.store.db import Database
from runner_up.store.models import Checkin


def moment(text: Text) -> datetime:
    """An ISO time; without a zone it is UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date and time: {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="runner-up checkins", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    root.add_argument("--now", type=moment, help="the clock (ISO time, UTC unless a zone is given)")
    commands = root.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="deliver due check-ins")
    run.add_argument("--once", action="store_true", help="deliver what is due now, then exit")
    run.add_argument("--poll", type=float, default=5.0, help="seconds between passes (default 5)")
    run.add_argument("--threads", type=int, default=8, help="deliveries at once (default 8)")
    run.add_argument("--batch", type=int, default=100,
                     help="check-ins claimed at a time (default 100; smaller spreads a small queue over workers)")
    listing = commands.add_parser("list", help="the queue")
    listing.add_argument("--status", choices=["pending", "claimed", "sent", "failed", "cancelled"])
    listing.add_argument("--limit", type=int, default=100)
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    commands.add_parser("bench", help="benchmark (see runner_up/checkins/bench.py)", add_help=False)
    for name, text in (("cancel", "cancel a pending or failed check-in"),
                       ("send", "deliver one check-in now")):
        command = commands.add_parser(name, help=text)
        command.add_argument("id", type=int)
    return root


def row(checkin: Checkin) -> dict:
    person = checkin.person
    return {
        "id": checkin.id, "status": checkin.status, "due_at": checkin.due_at.isoformat(),
        "channel": person.channel, "sender_id": person.sender_id, "attempts": checkin.attempts,
        "next_attempt_at": checkin.next_attempt_at.isoformat() if checkin.next_attempt_at else None,
        "sent_at": checkin.sent_at.isoformat() if checkin.sent_at else None,
        "last_error": checkin.last_error,
    }


def show(rows: List[dict], as_json: bool) -> None:
    if as_json:
        for item in rows:
            print(json.dumps(item))
        return
    if not rows:
        print("no check-ins")
        return
    print(f"{'id':>6}  {'status':<9}  {'due (UTC)':<25}  {'tries':>5}  person")
    for item in rows:
        who = f"{item['channel']}:{item['sender_id'][:24]}"
        print(f"{item['id']:>6}  {item['status']:<9}  {item['due_at'][:25]:<25}  "
              f"{item['attempts']:>5}  {who}")
        if item["last_error"]:
            print(f"{'':>8}last error: {item['last_error']}")


def main(argv: Optional[Sequence[Text]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["bench"]:
        from runner_up.checkins.bench import main as bench

        return bench(argv[1:])
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    clock = fixed_clock(args.now) if args.now else system_clock
    database = Database()
    try:
        if args.command == "list":
            with database.session() as session:
                show([row(c) for c in queue.listing(session, args.status, args.limit)], args.json)
            return 0
        if args.command == "cancel":
            with database.session() as session:
                done = queue.cancel(session, args.id) is not None
            print(f"check-in {args.id} cancelled" if done
                  else f"error: check-in {args.id} is not pending or failed", file=sys.stdout if done else sys.stderr)
            return 0 if done else 1
        worker = Worker(database, RasaDelivery.from_env(), Timing.from_env(), clock,
                        threads=getattr(args, "threads", 1), batch=getattr(args, "batch", 100))
        try:
            return run(worker, args) if args.command == "run" else send(worker, database, args.id, clock)
        finally:
            worker.close()
    except (StoreUnavailable, StoreError) as error:
        print(f"error: the progress store cannot be used: {error}", file=sys.stderr)
        return 1
    except ValueError as error:  # a setting such as RUNNER_UP_QUIET_HOURS
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        database.dispose()


def run(worker: Worker, args: argparse.Namespace) -> int:
    if args.once:
        tally = worker.run_once()
        print(f"check-ins: {tally.sent} sent, {tally.retrying} to retry, {tally.failed} failed")
        return 0
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    worker.run_forever(args.poll, stop)
    return 0


def send(worker: Worker, database: Database, checkin_id: int, clock) -> int:
    with database.session() as session:
        ready = queue.make_due(session, checkin_id, clock()) is not None
    if not ready:
        print(f"error: check-in {checkin_id} is not pending or failed", file=sys.stderr)
        return 1
    status = worker.send_now(checkin_id)
    print(f"check-in {checkin_id}: {status}")
    return 0 if status == "sent" else 1


if __name__ == "__main__":
    sys.exit(main())
