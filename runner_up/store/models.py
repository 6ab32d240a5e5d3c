"""Tables of the progress store: one person per (channel, sender_id) and what they went through.

Progress tables keep labels, names, dates and short texts the person chose to have remembered;
never the raw text of their messages. Every child row hangs off ``people`` with
``ON DELETE CASCADE``, so deleting a person erases everything about them.

Timestamps are UTC and come back timezone-aware on every backend (see ``UTCDateTime``).
Alembic owns the schema: a change here needs a migration in ``migrations/versions/``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    UniqueConstraint,
    column,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import declarative_base, relationship
from sqlalchemy.types import TypeDecorator

# Named constraints, so migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Base: Any = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))

STEP_STATUSES = ("offered", "accepted", "done", "declined")
CHECKIN_STATUSES = ("pending", "claimed", "sent", "failed", "cancelled")

# Lengths the repository validates against (and the columns enforce).
NAME_LENGTH = 200
SHORT_TEXT_LENGTH = 300
PLAN_LENGTH = 500
STEP_ID_LENGTH = 64


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """``DateTime(timezone=True)`` that stores UTC and always returns aware UTC datetimes.

    SQLite has no time zones: without this, values written aware would come back naive.
    Naive values are refused rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Dialect) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware one")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: Optional[datetime], dialect: Dialect) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def _person_fk() -> Column:
    return Column(Integer, ForeignKey("people.id", ondelete="CASCADE"), nullable=False, index=True)


def _rejection_fk(ondelete: str) -> Column:
    return Column(Integer, ForeignKey("rejections.id", ondelete=ondelete), nullable=True, index=True)


def _created_at() -> Column:
    return Column(UTCDateTime(), nullable=False, default=utcnow)


def _children(target: str) -> Any:
    # The database cascades too (passive_deletes): rows never loaded are not fetched to be deleted.
    return relationship(
        target, back_populates="person", cascade="all, delete-orphan", passive_deletes=True,
        order_by=f"{target}.id",
    )


class Person(Base):
    """One person on one channel, keyed by Rasa's ``sender_id``."""

    __tablename__ = "people"
    __table_args__ = (
        UniqueConstraint("channel", "sender_id"),
        CheckConstraint(column("quiet_start").between(0, 23), name="quiet_start_hour"),
        CheckConstraint(column("quiet_end").between(0, 23), name="quiet_end_hour"),
    )

    id = Column(Integer, primary_key=True)
    channel = Column(String(32), nullable=False)
    sender_id = Column(String(255), nullable=False)
    created_at = _created_at()
    last_seen_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    time_zone = Column(String(64), nullable=True)
    country = Column(String(8), nullable=True)
    quiet_start = Column(SmallInteger, nullable=True)
    quiet_end = Column(SmallInteger, nullable=True)
    checkin_consent = Column(Boolean, nullable=True)  # None: not asked yet
    consent_changed_at = Column(UTCDateTime(), nullable=True)

    rejections = _children("Rejection")
    mood_entries = _children("MoodEntry")
    steps = _children("Step")
    strengths = _children("Strength")
    skill_gaps = _children("SkillGap")
    checkins = _children("Checkin")
    crisis_flags = _children("CrisisFlag")

    def __repr__(self) -> str:
        return f"Person(id={self.id!r}, channel={self.channel!r})"


class Rejection(Base):
    """One turned-down application; every field is optional."""

    __tablename__ = "rejections"

    id = Column(Integer, primary_key=True)
    person_id = _person_fk()
    company = Column(String(NAME_LENGTH), nullable=True)
    role = Column(String(NAME_LENGTH), nullable=True)
    interviewer = Column(String(NAME_LENGTH), nullable=True)
    happened_on = Column(Date, nullable=True)
    created_at = _created_at()

    person = relationship("Person", back_populates="rejections")


class MoodEntry(Base):
    """The emotion and stage read from one message (labels only, never the text)."""

    __tablename__ = "mood_entries"

    id = Column(Integer, primary_key=True)
    person_id = _person_fk()
    rejection_id = _rejection_fk("SET NULL")
    emotion = Column(String(16), nullable=False)
    stage = Column(String(24), nullable=False)
    confidence = Column(Float, nullable=False)
    created_at = _created_at()

    person = relationship("Person", back_populates="mood_entries")
    rejection = relationship("Rejection")


class Step(Base):
    """One catalogue step for one person; the row moves between statuses, stamping each."""

    __tablename__ = "steps"
    __table_args__ = (
        UniqueConstraint("person_id", "step_id"),
        CheckConstraint(column("status").in_(STEP_STATUSES), name="status"),
    )

    id = Column(Integer, primary_key=True)
    person_id = _person_fk()
    rejection_id = _rejection_fk("SET NULL")
    step_id = Column(String(STEP_ID_LENGTH), nullable=False)
    status = Column(String(16), nullable=False)
    offered_at = Column(UTCDateTime(), nullable=True)
    accepted_at = Column(UTCDateTime(), nullable=True)
    done_at = Column(UTCDateTime(), nullable=True)
    declined_at = Column(UTCDateTime(), nullable=True)
    updated_at = Column(UTCDateTime(), nullable=False, default=utcnow)

    person = relationship("Person", back_populates="steps")
    rejection = relationship("Rejection")


class Strength(Base):
    """Something the person is good at, in their words (short)."""

    __tablename__ = "strengths"

    id = Column(Integer, primary_key=True)
    person_id = _person_fk()
    text = Column(String(SHORT_TEXT_LENGTH), nullable=False)
    created_at = _created_at()

    person = relationship("Person", back_populates="strengths")


class SkillGap(Base):
    """A gap the person wants to fill, with their plan; ``done_at`` once filled."""

    __tablename__ = "skill_gaps"

    id = Column(Integer, primary_key=True)
    person_id = _person_fk()
    gap = Column(String(SHORT_TEXT_LENGTH), nullable=False)
    plan = Column(String(PLAN_LENGTH), nullable=True)
    created_at = _created_at()
    done_at = Column(UTCDateTime(), nullable=True)

    person = relationship("Person", back_populates="skill_gaps")


class Checkin(Base):
    """A check-in the scheduler delivers by itself; claimed exactly once by one worker."""

    __tablename__ = "checkins"
    __table_args__ = (
        CheckConstraint(column("status").in_(CHECKIN_STATUSES), name="status"),
        Index("ix_checkins_status_due_at", "status", "due_at"),
    )

    id = Column(Integer, primary_key=True)
    person_id = _person_fk()
    rejection_id = _rejection_fk("CASCADE")
    due_at = Column(UTCDateTime(), nullable=False)
    status = Column(String(16), nullable=False, default="pending")
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(UTCDateTime(), nullable=True)
    last_error = Column(String(500), nullable=True)
    claimed_by = Column(String(64), nullable=True)
    claimed_at = Column(UTCDateTime(), nullable=True)
    delivered_at = Column(UTCDateTime(), nullable=True)  # by the action that said it
    sent_at = Column(UTCDateTime(), nullable=True)
    created_at = _created_at()

    person = relationship("Person", back_populates="checkins")
    rejection = relationship("Rejection")


# At most one open (pending or claimed) check-in per rejection, enforced by the database itself.
OPEN_CHECKIN_STATUSES = ("pending", "claimed")
_OPEN = Checkin.__table__.c.status.in_(OPEN_CHECKIN_STATUSES)
Index(
    "uq_checkins_open_rejection",
    Checkin.__table__.c.rejection_id,
    unique=True,
    postgresql_where=_OPEN,
    sqlite_where=_OPEN,
)


class CrisisFlag(Base):
    """That a crisis was detected, and when: the flag and the time, no text."""

    __tablename__ = "crisis_flags"

    id = Column(Integer, primary_key=True)
    person_id = _person_fk()
    flagged_at = Column(UTCDateTime(), nullable=False, default=utcnow)

    person = relationship("Person", back_populates="crisis_flags")
