"""The check-in queue in the progress store: scheduling, claiming exactly once, and the outcome.

A check-in row goes ``pending`` → ``claimed`` (by one worker, inside one transaction that locks it:
``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the whole database on SQLite) → ``sent``, or back to
``pending`` with a backoff when delivery failed, or ``failed`` after too many attempts. The action
that speaks a check-in stamps ``delivered_at`` on its claimed row in the same database: that stamp
proves the delivery (Rasa answers 200 even when the action server was down) and refuses a second
one. Like the repository, every function takes the session and never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Dict, List, Optional, Tuple

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from runner_up.checkins.timing import Timing
from runner_up.store.models import OPEN_CHECKIN_STATUSES, Checkin, Person, Rejection, utcnow

MAX_ATTEMPTS = 5
FIRST_BACKOFF = timedelta(seconds=30)
LONGEST_BACKOFF = timedelta(hours=1)
# A claim older than this belongs to a worker that died mid-delivery.
LEASE = timedelta(minutes=2)


@dataclass(frozen=True)
class Claimed:
    """What a worker needs to deliver one claimed check-in (no ORM object crosses threads)."""

    id: int
    sender_id: str
    channel: str
    attempts: int


# --- the person's side --------------------------------------------------------------------------

def open_checkin(session: Session, person_id: int, rejection_id: Optional[int]) -> Optional[Checkin]:
    """The person's open check-in about this rejection, or about none (asked for after a crisis)."""
    about = Checkin.rejection_id.is_(None) if rejection_id is None else Checkin.rejection_id == rejection_id
    statement = select(Checkin).where(Checkin.person_id == person_id, about,
                                      Checkin.status.in_(OPEN_CHECKIN_STATUSES))
    return session.scalars(statement).first()


def schedule(session: Session, person: Person, rejection: Optional[Rejection], due_at: datetime) -> Checkin:
    """The check-in about this rejection (or about none), due at `due_at` (an open one is moved,
    not doubled)."""
    session.flush()  # a person or rejection just added gets its id
    checkin = open_checkin(session, person.id, rejection.id if rejection else None)
    if checkin is None:
        checkin = Checkin(person=person, rejection=rejection, due_at=due_at, status="pending",
                          attempts=0)
        session.add(checkin)
    elif checkin.status == "pending":
        checkin.due_at, checkin.next_attempt_at = due_at, None
    session.flush()
    return checkin


def pending(session: Session, person: Person) -> List[Checkin]:
    """The person's pending check-ins, soonest first."""
    statement = (select(Checkin).where(Checkin.person_id == person.id, Checkin.status == "pending")
                 .order_by(Checkin.due_at))
    return list(session.scalars(statement))


def move_next(session: Session, person: Person, due_at: datetime) -> Optional[Checkin]:
    """Moves the person's next pending check-in to `due_at`; None when there is none."""
    upcoming = pending(session, person)
    if not upcoming:
        return None
    upcoming[0].due_at, upcoming[0].next_attempt_at = due_at, None
    return upcoming[0]


# --- the worker's side --------------------------------------------------------------------------

def claim_due(session: Session, worker: str, now: datetime, timing: Timing,
              limit: int = 50) -> List[Claimed]:
    """Claims up to `limit` due check-ins for `worker`. Rows of people in their quiet hours are moved
    to the end of them; rows of people talking right now wait (unclaimed) until they have paused."""
    statement = (
        select(Checkin, Person)
        .join(Person, Checkin.person_id == Person.id)
        .where(Checkin.status == "pending", Checkin.due_at <= now,
               or_(Checkin.next_attempt_at.is_(None), Checkin.next_attempt_at <= now),
               Person.last_seen_at <= now - timing.idle)
        .order_by(Checkin.due_at, Checkin.id)
        .limit(limit)
        .with_for_update(of=Checkin, skip_locked=True)
    )
    claimed = []
    for checkin, person in session.execute(statement):
        later = timing.outside_quiet_hours(now, person.time_zone)
        if later > now:
            checkin.due_at = later
            continue
        checkin.status, checkin.claimed_by, checkin.claimed_at = "claimed", worker, now
        checkin.attempts += 1
        claimed.append(Claimed(checkin.id, person.sender_id, person.channel, checkin.attempts))
    return claimed


def mark_delivered(session: Session, checkin_id: int, sender_id: str,
                   now: Optional[datetime] = None) -> Optional[Checkin]:
    """Called by the action that speaks the check-in: the row, stamped, if this delivery is the
    first for a claimed check-in of this very person; None otherwise (say nothing).
    The sender id alone identifies them: a triggered intent carries its output channel's name
    ("collector" for REST), not the person's channel."""
    statement = (
        select(Checkin).join(Person, Checkin.person_id == Person.id)
        .where(Checkin.id == checkin_id, Checkin.status == "claimed",
               Checkin.delivered_at.is_(None), Person.sender_id == sender_id)
        .with_for_update(of=Checkin)
    )
    checkin = session.scalars(statement).first()
    if checkin is not None:
        checkin.delivered_at = now or utcnow()
    return checkin


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... up to an hour."""
    return min(FIRST_BACKOFF * (2 ** max(attempts - 1, 0)), LONGEST_BACKOFF)


def finish(session: Session, checkin_id: int, now: datetime, error: Optional[str] = None,
           server_failed: bool = False) -> str:
    """Records how the delivery of one claimed check-in went; returns the new status."""
    return finish_all(session, {checkin_id: (error, server_failed)}, now)[checkin_id]


def finish_all(session: Session, outcomes: Dict[int, Tuple[Optional[str], bool]],
               now: datetime) -> Dict[int, str]:
    """Records how deliveries went ({id: (error, server_failed)}), in one locking read; returns
    each row's new status.

    Delivered means the action stamped the row. If Rasa then answered with an error (a channel that
    failed after the action spoke: `server_failed`), the stamp is cleared and the delivery retried;
    if only the connection broke after the stamp, the check-in counts as sent."""
    rows = session.scalars(select(Checkin).where(Checkin.id.in_(list(outcomes)))
                           .with_for_update()).all()
    statuses = {checkin_id: "gone" for checkin_id in outcomes}
    for checkin in rows:
        error, server_failed = outcomes[checkin.id]
        statuses[checkin.id] = _finish(checkin, now, error, server_failed)
    return statuses


def _finish(checkin: Checkin, now: datetime, error: Optional[str], server_failed: bool) -> str:
    if checkin.status != "claimed":
        return checkin.status
    if checkin.delivered_at is not None and not server_failed:
        checkin.status, checkin.sent_at, checkin.last_error = "sent", now, None
        return checkin.status
    checkin.delivered_at = None
    checkin.last_error = (error or "the check-in action did not run")[:500]
    if checkin.attempts >= MAX_ATTEMPTS:
        checkin.status = "failed"
    else:
        checkin.status, checkin.next_attempt_at = "pending", now + backoff(checkin.attempts)
    checkin.claimed_by = None
    return checkin.status


def recover_abandoned(session: Session, now: datetime) -> Dict[str, int]:
    """Claims older than the lease (their worker died): delivered ones are sent, others pending."""
    statement = (select(Checkin).where(Checkin.status == "claimed", Checkin.claimed_at < now - LEASE)
                 .with_for_update(skip_locked=True))
    outcome = {"sent": 0, "pending": 0}
    for checkin in session.scalars(statement):
        if checkin.delivered_at is not None:
            checkin.status, checkin.sent_at = "sent", now
        else:
            checkin.status, checkin.next_attempt_at, checkin.claimed_by = "pending", None, None
        outcome[checkin.status] += 1
    return outcome


# --- the operator's side ------------------------------------------------------------------------

def listing(session: Session, status: Optional[str] = None, limit: int = 100) -> List[Checkin]:
    statement = select(Checkin).order_by(Checkin.due_at, Checkin.id).limit(limit)
    if status:
        statement = statement.where(Checkin.status == status)
    return list(session.scalars(statement))


def cancel(session: Session, checkin_id: int) -> Optional[Checkin]:
    """Cancels a pending or failed check-in; None if there is no such row or it is past that."""
    checkin = session.get(Checkin, checkin_id, with_for_update=True)
    if checkin is None or checkin.status not in ("pending", "failed"):
        return None
    checkin.status = "cancelled"
    return checkin


def make_due(session: Session, checkin_id: int, now: datetime) -> Optional[Checkin]:
    """A pending or failed check-in, due now and with its attempts reset."""
    checkin = session.get(Checkin, checkin_id, with_for_update=True)
    if checkin is None or checkin.status not in ("pending", "failed"):
        return None
    if checkin.status == "failed" and open_checkin(session, checkin.person_id, checkin.rejection_id):
        return None  # a newer open check-in about the same rejection takes its place
    checkin.status, checkin.due_at, checkin.next_attempt_at, checkin.attempts = "pending", now, None, 0
    return checkin


def claim_one(session: Session, checkin_id: int, worker: str, now: datetime) -> Optional[Claimed]:
    """Claims one pending check-in now, whatever its due time, quiet hours or the live
    conversation (the operator asked for it); None if it is not pending."""
    row = session.execute(
        select(Checkin, Person).join(Person, Checkin.person_id == Person.id)
        .where(Checkin.id == checkin_id, Checkin.status == "pending")
        .with_for_update(of=Checkin, skip_locked=True)
    ).first()
    if row is None:
        return None
    checkin, person = row
    checkin.status, checkin.claimed_by, checkin.claimed_at = "claimed", worker, now
    checkin.attempts += 1
    return Claimed(checkin.id, person.sender_id, person.channel, checkin.attempts)
