"""Check-ins without Rasa: when they are due, the queue in the store (SQLite and PostgreSQL), and the
worker against a stand-in for Rasa that fails the ways Rasa fails."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from typing import Iterator, List

import pytest
from sqlalchemy import select

from runner_up.checkins.stub import StubRasa
from runner_up.checkins.timing import Timing, describe, parse_day
from runner_up.checkins.worker import RasaDelivery, Worker
from runner_up.store import checkins as queue
from runner_up.store import repository
from runner_up.store.db import Database
from runner_up.store.models import Checkin, Person

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=timezone.utc)  # a Monday
TIMING = Timing(days=3, quiet_start=21, quiet_end=9, default_zone="UTC", idle=timedelta(minutes=15))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


# --- timing -------------------------------------------------------------------------------------

def test_quiet_hours_wrap_midnight_in_the_persons_zone() -> None:
    assert [TIMING.is_quiet(h) for h in (20, 21, 23, 0, 8, 9)] == [False, True, True, True, True, False]
    # 22:30 UTC is 23:30 in Berlin: moved to 09:00 Berlin (08:00 UTC) next morning.
    assert TIMING.outside_quiet_hours(utc(2026, 11, 23, 22, 30), "Europe/Berlin") == utc(2026, 11, 24, 8)
    # 02:00 UTC is 03:00 in Berlin: 09:00 the same local day.
    assert TIMING.outside_quiet_hours(utc(2026, 11, 24, 2), "Europe/Berlin") == utc(2026, 11, 24, 8)
    # 14:00 UTC is 06:00 in Los Angeles: quiet there, not in UTC.
    assert TIMING.outside_quiet_hours(NOW, "America/Los_Angeles") == utc(2026, 11, 23, 17)
    assert TIMING.outside_quiet_hours(NOW, None) == NOW


def test_first_due_is_days_later_outside_quiet_hours() -> None:
    assert TIMING.first_due(NOW, "UTC") == NOW + timedelta(days=3)
    assert TIMING.first_due(utc(2026, 11, 23, 23), "UTC") == utc(2026, 11, 27, 9)


def test_a_chosen_day_lands_at_ten_local() -> None:
    assert TIMING.due_on(date(2026, 11, 27), "Asia/Tokyo") == utc(2026, 11, 27, 1)
    early = Timing(quiet_start=22, quiet_end=11)
    assert early.due_on(date(2026, 11, 27), "UTC") == utc(2026, 11, 27, 11)


@pytest.mark.parametrize("text, expected", [
    ("check in tomorrow", date(2026, 11, 24)),
    ("can you check in on Friday instead", date(2026, 11, 27)),
    ("not monday, do it next mon", date(2026, 11, 30)),  # a weekday is the next one after today
    ("check in with me in two days", date(2026, 11, 25)),
    ("ask me again in 3 days", date(2026, 11, 26)),
    ("in a couple of weeks please", date(2026, 12, 7)),
    ("next week instead", date(2026, 11, 30)),
    ("the day after tomorrow", date(2026, 11, 25)),
    ("at the weekend", date(2026, 11, 28)),
    ("check in later", None),
    ("in 400 days", None),
    ("", None),
])
def test_parse_day(text: str, expected) -> None:
    assert parse_day(text, date(2026, 11, 23)) == expected


def test_describe_says_the_day_in_the_persons_words() -> None:
    assert describe(NOW + timedelta(hours=1), "UTC", TIMING, NOW) == "this afternoon"
    assert describe(utc(2026, 11, 24, 9), "UTC", TIMING, NOW) == "tomorrow morning"
    assert describe(utc(2026, 11, 26, 14), "UTC", TIMING, NOW) == "on Thursday afternoon"
    assert describe(utc(2026, 12, 3, 9), "UTC", TIMING, NOW) == "on 3 December"


@pytest.mark.parametrize("env, message", [
    ({"RUNNER_UP_QUIET_HOURS": "late"}, "RUNNER_UP_QUIET_HOURS"),
    ({"RUNNER_UP_QUIET_HOURS": "21-25"}, "RUNNER_UP_QUIET_HOURS"),
    ({"RUNNER_UP_CHECKIN_DAYS": "0"}, "RUNNER_UP_CHECKIN_DAYS"),
    ({"RUNNER_UP_TIMEZONE": "Mars/Olympus"}, "RUNNER_UP_TIMEZONE"),
])
def test_bad_settings_are_named(env, message) -> None:
    with pytest.raises(ValueError, match=message):
        Timing.from_env(env)


def test_settings_from_the_environment() -> None:
    timing = Timing.from_env({"RUNNER_UP_CHECKIN_DAYS": "5", "RUNNER_UP_QUIET_HOURS": "22-7",
                              "RUNNER_UP_TIMEZONE": "Europe/Dublin"})
    assert (timing.days, timing.quiet_start, timing.quiet_end, timing.default_zone) == (5, 22, 7, "Europe/Dublin")


# --- the queue ----------------------------------------------------------------------------------

def person_with_rejection(db: Database, sender: str = "someone", zone: str = "UTC",
                          seen: datetime = NOW - timedelta(days=4)) -> int:
    with db.session() as session:
        person = repository.get_or_create_person(session, "socketio", sender)
        person.time_zone, person.last_seen_at = zone, seen
        rejection = repository.record_rejection(session, person, company="Acme", now=seen)
        queue.schedule(session, person, rejection, TIMING.first_due(seen, zone))
        session.flush()
        return person.id


def statuses(db: Database) -> List[str]:
    with db.session() as session:
        return list(session.scalars(select(Checkin.status).order_by(Checkin.id)))


def test_scheduling_twice_moves_the_open_checkin(db: Database) -> None:
    with db.session() as session:
        person = repository.get_or_create_person(session, "rest", "a")
        rejection = repository.record_rejection(session, person, company="Acme")
        first = queue.schedule(session, person, rejection, NOW)
        again = queue.schedule(session, person, rejection, NOW + timedelta(days=1))
        assert first.id == again.id and again.due_at == NOW + timedelta(days=1)
        assert queue.move_next(session, person, NOW + timedelta(days=2)).due_at == NOW + timedelta(days=2)
        assert repository.set_checkin_consent(session, person, False) == 1
        assert queue.move_next(session, person, NOW) is None


def test_a_checkin_about_no_rejection_is_kept_per_person_and_not_doubled(db: Database) -> None:
    with db.session() as session:
        a, b = (repository.get_or_create_person(session, "rest", name) for name in "ab")
        first = queue.schedule(session, a, None, NOW)
        again = queue.schedule(session, a, None, NOW + timedelta(days=1))
        theirs = queue.schedule(session, b, None, NOW)
        assert first.id == again.id != theirs.id and again.due_at == NOW + timedelta(days=1)
        assert first.rejection is None and theirs.due_at == NOW
        acme = queue.schedule(session, a, repository.record_rejection(session, a, company="Acme"), NOW)
        assert acme.id not in (first.id, theirs.id), "one about an interview is another check-in"


def test_claim_takes_due_rows_once_and_respects_quiet_hours_and_live_conversations(db: Database) -> None:
    person_with_rejection(db, "due")
    person_with_rejection(db, "asleep", zone="Asia/Tokyo")  # 23:00 in Tokyo at 14:00 UTC
    person_with_rejection(db, "talking", seen=NOW - timedelta(minutes=5))
    person_with_rejection(db, "later", seen=NOW - timedelta(days=1))
    with db.session() as session:
        claimed = queue.claim_due(session, "w1", NOW, TIMING)
    assert [c.sender_id for c in claimed] == ["due"]
    assert (claimed[0].channel, claimed[0].attempts) == ("socketio", 1)
    with db.session() as session:
        assert queue.claim_due(session, "w2", NOW, TIMING) == []
        asleep = session.scalars(select(Checkin).join(Person).where(Person.sender_id == "asleep")).one()
        assert asleep.status == "pending" and asleep.due_at == utc(2026, 11, 24, 0)  # 09:00 in Tokyo


def test_the_action_speaks_a_claimed_checkin_once_and_only_for_its_person(db: Database) -> None:
    person_with_rejection(db, "someone")
    with db.session() as session:
        (claimed,) = queue.claim_due(session, "w", NOW, TIMING)
    with db.session() as session:
        assert queue.mark_delivered(session, claimed.id, "someone else") is None
        assert queue.mark_delivered(session, claimed.id, "someone") is not None
    with db.session() as session:
        assert queue.mark_delivered(session, claimed.id, "someone") is None
        assert queue.finish(session, claimed.id, NOW) == "sent"


def test_failures_back_off_then_fail_and_stay_visible(db: Database) -> None:
    person_with_rejection(db)
    now = NOW
    for attempt in range(1, queue.MAX_ATTEMPTS + 1):
        with db.session() as session:
            (claimed,) = queue.claim_due(session, "w", now, TIMING)
            assert claimed.attempts == attempt
        with db.session() as session:
            status = queue.finish(session, claimed.id, now, "Rasa answered 502", server_failed=True)
            checkin = session.get(Checkin, claimed.id)
            if attempt < queue.MAX_ATTEMPTS:
                assert status == "pending" and checkin.next_attempt_at == now + queue.backoff(attempt)
                assert queue.claim_due(session, "w", now + queue.backoff(attempt) / 2, TIMING) == []
                now = checkin.next_attempt_at
    assert status == "failed"
    with db.session() as session:
        (failed,) = queue.listing(session, "failed")
        assert failed.last_error == "Rasa answered 502"
        assert queue.make_due(session, failed.id, now).status == "pending"
        assert queue.cancel(session, failed.id).status == "cancelled"


def test_a_claim_abandoned_by_a_dead_worker_is_recovered(db: Database) -> None:
    person_with_rejection(db, "a")
    person_with_rejection(db, "b")
    with db.session() as session:
        first, second = queue.claim_due(session, "dead", NOW, TIMING)
        queue.mark_delivered(session, first.id, first.sender_id)  # it spoke, then the worker died
    later = NOW + queue.LEASE + timedelta(seconds=1)
    with db.session() as session:
        assert queue.recover_abandoned(session, NOW + queue.LEASE / 2) == {"sent": 0, "pending": 0}
        assert queue.recover_abandoned(session, later) == {"sent": 1, "pending": 1}
        assert [c.sender_id for c in queue.claim_due(session, "w", later, TIMING)] == [second.sender_id]


# --- the worker, against a stand-in for Rasa ----------------------------------------------------

@pytest.fixture
def stub(db: Database) -> Iterator[StubRasa]:
    with StubRasa(db) as stub:
        yield stub


def worker(db: Database, url: str, now: datetime = NOW + timedelta(days=3, minutes=1)) -> Worker:
    return Worker(db, RasaDelivery(url, timeout=5), TIMING, clock=lambda: now, batch=7, threads=4)


def test_every_due_checkin_is_delivered_once(db: Database, stub: StubRasa) -> None:
    for index in range(30):
        person_with_rejection(db, f"person-{index}")
    run = worker(db, stub.url)
    tally = run.run_once()
    assert (tally.sent, tally.retrying, tally.failed) == (30, 0, 0)
    assert run.run_once().sent == 0
    run.close()
    assert len(stub.spoken) == 30 and stub.duplicates == 0
    assert stub.channels == {"socketio": 30}
    assert set(statuses(db)) == {"sent"}


@pytest.mark.parametrize("mode", ["down", "error_after_action", "action_down"])
def test_a_failed_delivery_is_retried_later_and_said_once(db: Database, stub: StubRasa, mode: str) -> None:
    person_with_rejection(db)
    due = NOW + timedelta(days=3, minutes=1)
    url = "http://127.0.0.1:9" if mode == "down" else stub.url  # port 9: nothing listens
    stub.mode = mode
    tally = worker(db, url, due).run_once()
    assert (tally.sent, tally.retrying) == (0, 1)
    with db.session() as session:
        (checkin,) = session.scalars(select(Checkin)).all()
        assert checkin.status == "pending" and checkin.delivered_at is None and checkin.last_error
    stub.mode = "ok"
    assert worker(db, stub.url, due + timedelta(seconds=10)).run_once().sent == 0  # backing off
    assert worker(db, stub.url, due + queue.backoff(1)).run_once().sent == 1
    assert statuses(db) == ["sent"]
    assert sum(stub.spoken.values()) == (2 if mode == "error_after_action" else 1)


def test_the_error_after_speaking_case_is_the_only_repeat(db: Database, stub: StubRasa) -> None:
    """Rasa answering 500 after the action spoke means its channel failed to send: the person most
    likely never saw it, so it is sent again. This is the one case where a repeat can happen."""
    person_with_rejection(db)
    stub.mode = "error_after_action"
    worker(db, stub.url).run_once()
    stub.mode = "ok"
    worker(db, stub.url, NOW + timedelta(days=4)).run_once()
    assert stub.spoken == {1: 2}


def test_operator_cli_lists_cancels_and_sends(db: Database, stub: StubRasa, tmp_path) -> None:
    person_with_rejection(db, "a")
    person_with_rejection(db, "b")
    env = {"DATABASE_URL": db.url, "RASA_URL": stub.url, "PATH": ""}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "runner_up.cli", "checkins", *args],
                              env=env, capture_output=True, text=True, timeout=60)

    listed = cli("list")
    assert listed.returncode == 0 and listed.stdout.count("pending") == 2, listed.stdout
    assert cli("cancel", "1").returncode == 0
    refused = cli("cancel", "1")
    assert refused.returncode == 1 and "not pending or failed" in refused.stderr
    sent = cli("send", "2")  # now, whatever its due time
    assert sent.returncode == 0 and "sent" in sent.stdout, sent.stderr
    assert statuses(db) == ["cancelled", "sent"] and stub.spoken == {2: 1}
    assert cli("--now", "2026-12-01T10:00", "run", "--once").stdout.strip() == \
        "check-ins: 0 sent, 0 to retry, 0 failed"
    assert '"status": "sent"' in cli("list", "--json", "--status", "sent").stdout
    bad = cli("--now", "soon", "list")
    assert bad.returncode == 2 and "not an ISO date" in bad.stderr


def test_two_worker_processes_on_postgresql_deliver_each_checkin_once(capsys) -> None:
    """The benchmark's set-up, small: two `runner-up checkins run` processes racing on one queue."""
    from runner_up.checkins.bench import main as bench
    from tests.store_fixtures import POSTGRES

    POSTGRES.require()
    assert bench(["--count", "1000", "--workers", "2", "--threads", "4",
                  "--database-url", POSTGRES.url.render_as_string(hide_password=False)]) == 0
    report = capsys.readouterr().out
    assert "delivered (status sent)       1,000" in report and "delivered twice                   0" in report
    per_worker = report.split("per worker")[1].splitlines()[0].split(",")
    assert len(per_worker) == 2, f"both workers took a share: {per_worker}"
