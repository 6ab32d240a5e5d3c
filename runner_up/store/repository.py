"""Plain functions over the progress store: each takes a ``session`` first, none commits.

The caller owns the transaction (``with Database().session() as session:``). Values a person typed are
cleaned (control characters dropped, whitespace collapsed) and checked; a value no one could mean
raises ``InvalidInput`` with a message fit for a log and a human. Functions that stamp a time take
``now`` (default: the current UTC time), so tests can fix the clock.
"""

from __future__ import annotations

import math
import unicodedata
from datetime import date, datetime, timedelta
from typing import Any, Dict, List, Optional

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from runner_up.nlu.labels import EMOTIONS, STAGES
from runner_up.store import InvalidInput
from runner_up.store.models import (
    NAME_LENGTH,
    PLAN_LENGTH,
    SHORT_TEXT_LENGTH,
    STEP_ID_LENGTH,
    STEP_STATUSES,
    Checkin,
    CrisisFlag,
    MoodEntry,
    Person,
    Rejection,
    SkillGap,
    Step,
    Strength,
    utcnow,
)

EARLIEST_DATE = date(1950, 1, 1)
_DROPPED_CATEGORIES = {"Cc", "Cf", "Cs"}  # control, format (zero-width, bidi), lone surrogates
_STAMPS = {"offered": "offered_at", "accepted": "accepted_at", "done": "done_at", "declined": "declined_at"}


# --- validation ---------------------------------------------------------------------------------

def clean_text(value: Optional[str], what: str, limit: int) -> Optional[str]:
    """``value`` without control characters, whitespace collapsed; ``None`` if nothing is left.

    Raises ``InvalidInput`` if it is not text or is longer than ``limit`` characters once cleaned.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"The {what} must be text, not {type(value).__name__}.")
    kept = "".join(
        ch for ch in value if ch.isspace() or unicodedata.category(ch) not in _DROPPED_CATEGORIES
    )
    cleaned = " ".join(kept.split())
    if len(cleaned) > limit:
        raise InvalidInput(
            f"The {what} is too long: {len(cleaned)} characters, at most {limit}."
        )
    return cleaned or None


def _required_text(value: str, what: str, limit: int) -> str:
    cleaned = clean_text(value, what, limit)
    if cleaned is None:
        raise InvalidInput(f"The {what} is empty.")
    return cleaned


def _identifier(value: str, what: str, limit: int) -> str:
    # Keys from Rasa are opaque: checked, never rewritten.
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"The {what} must be non-empty text.")
    if len(value) > limit:
        raise InvalidInput(f"The {what} is too long: {len(value)} characters, at most {limit}.")
    return value


def _one_of(value: str, allowed: tuple, what: str) -> str:
    if value not in allowed:
        raise InvalidInput(f"Unknown {what} {value!r}; expected one of: {', '.join(allowed)}.")
    return value


def _check_date(happened_on: Optional[date], now: datetime) -> Optional[date]:
    if happened_on is None:
        return None
    if isinstance(happened_on, datetime):
        happened_on = happened_on.date()
    if not isinstance(happened_on, date):
        raise InvalidInput(f"The interview date must be a date, not {type(happened_on).__name__}.")
    if happened_on > now.date() + timedelta(days=1):
        raise InvalidInput(f"The interview date {happened_on.isoformat()} is in the future.")
    if happened_on < EARLIEST_DATE:
        raise InvalidInput(f"The interview date {happened_on.isoformat()} is before 1950.")
    return happened_on


# --- people -------------------------------------------------------------------------------------

def find_person(session: Session, channel: str, sender_id: str) -> Optional[Person]:
    """The person for (channel, sender_id), or None if we never kept anything for them."""
    statement = select(Person).where(Person.channel == channel, Person.sender_id == sender_id)
    return session.scalars(statement).one_or_none()


def get_or_create_person(session: Session, channel: str, sender_id: str) -> Person:
    """The person for (channel, sender_id), created if new; safe when two processes race to create."""
    channel = _identifier(channel, "channel", 32)
    sender_id = _identifier(sender_id, "sender id", 255)
    person = find_person(session, channel, sender_id)
    if person is not None:
        return person
    person = Person(channel=channel, sender_id=sender_id)
    try:
        with session.begin_nested():
            session.add(person)
    except IntegrityError:
        # Another session inserted them between our look and our insert: use theirs.
        existing = find_person(session, channel, sender_id)
        if existing is None:
            raise
        return existing
    return person


def touch_person(session: Session, person: Person, now: Optional[datetime] = None) -> None:
    """Records that the person was just seen."""
    person.last_seen_at = now or utcnow()


def set_checkin_consent(
    session: Session, person: Person, consent: bool, now: Optional[datetime] = None
) -> int:
    """Records a yes/no to check-ins; a no cancels pending ones. Returns how many were cancelled."""
    if not isinstance(consent, bool):
        raise InvalidInput("Consent to check-ins must be yes or no.")
    now = now or utcnow()
    if person.checkin_consent is not consent:
        person.checkin_consent = consent
        person.consent_changed_at = now
    if consent:
        return 0
    pending = session.scalars(
        select(Checkin).where(Checkin.person == person, Checkin.status == "pending")
    ).all()
    for checkin in pending:
        checkin.status = "cancelled"
    return len(pending)


def flag_crisis(session: Session, person: Person, now: Optional[datetime] = None) -> CrisisFlag:
    """Records that a crisis was detected (the time only, never what was said)."""
    flag = CrisisFlag(person=person, flagged_at=now or utcnow())
    session.add(flag)
    return flag


def delete_person(session: Session, person: Person) -> None:
    """Erases the person and, by cascade, everything recorded about them."""
    session.delete(person)
    session.flush()


# --- rejections and moods -----------------------------------------------------------------------

def record_rejection(
    session: Session,
    person: Person,
    company: Optional[str] = None,
    role: Optional[str] = None,
    interviewer: Optional[str] = None,
    happened_on: Optional[date] = None,
    now: Optional[datetime] = None,
) -> Rejection:
    """Records a rejection; every detail is optional, names are cleaned and checked."""
    now = now or utcnow()
    rejection = Rejection(
        person=person,
        company=clean_text(company, "company name", NAME_LENGTH),
        role=clean_text(role, "role", NAME_LENGTH),
        interviewer=clean_text(interviewer, "interviewer's name", NAME_LENGTH),
        happened_on=_check_date(happened_on, now),
        created_at=now,
    )
    session.add(rejection)
    return rejection


def latest_rejection(session: Session, person: Person) -> Optional[Rejection]:
    """The most recently recorded rejection, if any."""
    statement = select(Rejection).where(Rejection.person == person).order_by(Rejection.id.desc())
    return session.scalars(statement.limit(1)).first()


def record_mood(
    session: Session,
    person: Person,
    emotion: str,
    stage: str,
    confidence: float,
    rejection: Optional[Rejection] = None,
    now: Optional[datetime] = None,
) -> MoodEntry:
    """Records the emotion and stage read from a message (labels from ``runner_up.nlu.labels``)."""
    _one_of(emotion, EMOTIONS, "emotion")
    _one_of(stage, STAGES, "stage")
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)):
        raise InvalidInput(f"The confidence must be a number, not {type(confidence).__name__}.")
    if not (math.isfinite(confidence) and 0.0 <= confidence <= 1.0):
        raise InvalidInput(f"The confidence {confidence!r} is not between 0 and 1.")
    entry = MoodEntry(
        person=person, rejection=rejection, emotion=emotion, stage=stage,
        confidence=float(confidence), created_at=now or utcnow(),
    )
    session.add(entry)
    return entry


def mood_entries(session: Session, person: Person, limit: Optional[int] = None) -> List[MoodEntry]:
    """The person's mood log, oldest first; with ``limit``, only the latest ``limit`` entries."""
    statement = select(MoodEntry).where(MoodEntry.person == person).order_by(MoodEntry.id.desc())
    if limit is not None:
        statement = statement.limit(limit)
    return list(reversed(session.scalars(statement).all()))


def mood_count(session: Session, person: Person) -> int:
    """How many mood entries the person has."""
    return session.scalar(
        select(func.count()).select_from(MoodEntry).where(MoodEntry.person == person)) or 0


# --- steps --------------------------------------------------------------------------------------

def _find_step(session: Session, person: Person, step_id: str) -> Optional[Step]:
    statement = select(Step).where(Step.person == person, Step.step_id == step_id)
    return session.scalars(statement).one_or_none()


def set_step_status(
    session: Session,
    person: Person,
    step_id: str,
    status: str,
    now: Optional[datetime] = None,
    rejection: Optional[Rejection] = None,
) -> Step:
    """Moves the person's row for ``step_id`` to ``status`` (created if new), stamping its time."""
    step_id = _identifier(step_id, "step id", STEP_ID_LENGTH)
    _one_of(status, STEP_STATUSES, "step status")
    now = now or utcnow()
    step = _find_step(session, person, step_id)
    if step is None:
        step = Step(person=person, step_id=step_id, rejection=rejection)
        session.add(step)
    elif rejection is not None:
        step.rejection = rejection
    step.status = status
    setattr(step, _STAMPS[status], now)
    step.updated_at = now
    return step


def offer_step(
    session: Session,
    person: Person,
    step_id: str,
    now: Optional[datetime] = None,
    rejection: Optional[Rejection] = None,
) -> Step:
    """Offers a step; one already accepted or done keeps its status (only the offer is stamped)."""
    step = _find_step(session, person, _identifier(step_id, "step id", STEP_ID_LENGTH))
    if step is not None and step.status in ("accepted", "done"):
        now = now or utcnow()
        step.offered_at = step.updated_at = now
        return step
    return set_step_status(session, person, step_id, "offered", now=now, rejection=rejection)


def step_statuses(session: Session, person: Person) -> Dict[str, str]:
    """``{step_id: status}`` for every step this person was offered or took."""
    rows = session.execute(select(Step.step_id, Step.status).where(Step.person == person))
    return {step_id: status for step_id, status in rows}


def steps_taken(session: Session, person: Person) -> List[Step]:
    """The steps the person took on (accepted) or did, in the order they last moved."""
    statement = (select(Step).where(Step.person == person, Step.status.in_(("accepted", "done")))
                 .order_by(Step.updated_at, Step.id))
    return list(session.scalars(statement))


# --- strengths and skill gaps -------------------------------------------------------------------

def add_strength(
    session: Session, person: Person, text: str, now: Optional[datetime] = None
) -> Strength:
    """Adds a strength, or returns the one already there that differs only in case or spacing."""
    text = _required_text(text, "strength", SHORT_TEXT_LENGTH)
    existing = session.scalars(select(Strength).where(Strength.person == person)).all()
    for strength in existing:
        if strength.text.casefold() == text.casefold():
            return strength
    strength = Strength(person=person, text=text, created_at=now or utcnow())
    session.add(strength)
    return strength


def strengths(session: Session, person: Person) -> List[str]:
    """The person's strengths, oldest first."""
    statement = select(Strength.text).where(Strength.person == person).order_by(Strength.id)
    return list(session.scalars(statement))


def add_skill_gap(
    session: Session,
    person: Person,
    gap: str,
    plan: Optional[str] = None,
    now: Optional[datetime] = None,
) -> SkillGap:
    """Adds a gap with an optional plan; the same open gap again (any case) only updates the plan."""
    gap = _required_text(gap, "skill gap", SHORT_TEXT_LENGTH)
    plan = clean_text(plan, "plan", PLAN_LENGTH)
    statement = select(SkillGap).where(SkillGap.person == person, SkillGap.done_at.is_(None))
    for existing in session.scalars(statement):
        if existing.gap.casefold() == gap.casefold():
            if plan is not None:
                existing.plan = plan
            return existing
    skill_gap = SkillGap(person=person, gap=gap, plan=plan, created_at=now or utcnow())
    session.add(skill_gap)
    return skill_gap


def complete_skill_gap(
    session: Session, skill_gap: SkillGap, now: Optional[datetime] = None
) -> SkillGap:
    """Marks a skill gap as filled."""
    skill_gap.done_at = now or utcnow()
    return skill_gap


# --- summary ------------------------------------------------------------------------------------

def summary(session: Session, person: Person) -> Dict[str, Any]:
    """What the person has done so far, as plain data (for a "here is your progress" turn)."""
    count = session.scalar(
        select(func.count()).select_from(Rejection).where(Rejection.person == person)
    )
    latest = latest_rejection(session, person)
    mood = session.scalars(
        select(MoodEntry).where(MoodEntry.person == person).order_by(MoodEntry.id.desc()).limit(1)
    ).first()
    steps: Dict[str, List[str]] = {status: [] for status in STEP_STATUSES}
    for step_id, status in sorted(step_statuses(session, person).items()):
        steps[status].append(step_id)
    gaps = session.scalars(
        select(SkillGap).where(SkillGap.person == person).order_by(SkillGap.id)
    )
    return {
        "rejections": count or 0,
        "latest_rejection": None if latest is None else {
            "company": latest.company,
            "role": latest.role,
            "interviewer": latest.interviewer,
            "happened_on": latest.happened_on,
        },
        "latest_mood": None if mood is None else {
            "emotion": mood.emotion,
            "stage": mood.stage,
            "confidence": mood.confidence,
            "at": mood.created_at,
        },
        "steps": steps,
        "strengths": strengths(session, person),
        "skill_gaps": [
            {"gap": gap.gap, "plan": gap.plan, "done": gap.done_at is not None} for gap in gaps
        ],
        "checkin_consent": person.checkin_consent,
    }


def _row(obj: Any) -> Dict[str, Any]:
    """A row as plain data: every column except the internal keys that point at the person."""
    values = {}
    for column in obj.__table__.columns:
        if column.name == "person_id":
            continue
        value = getattr(obj, column.name)
        values[column.name] = value.isoformat() if isinstance(value, (date, datetime)) else value
    return values


def export(session: Session, person: Person) -> Dict[str, Any]:
    """Everything the progress store holds about the person, table by table, as JSON-ready data."""
    tables = {"rejections": Rejection, "mood_entries": MoodEntry, "steps": Step,
              "strengths": Strength, "skill_gaps": SkillGap, "checkins": Checkin,
              "crisis_flags": CrisisFlag}
    return {
        "person": _row(person),
        **{name: [_row(row) for row in session.scalars(
            select(table).where(table.person_id == person.id).order_by(table.id))]
           for name, table in tables.items()},
    }
