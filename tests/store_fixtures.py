"""Helpers for the progress-store tests: throwaway PostgreSQL schemas and a person with one row everywhere.

PostgreSQL comes from ``RUNNER_UP_TEST_POSTGRES_URL`` (default: the local ``test`` database, user
``postgres``, trust auth). Each test gets its own schema, found through ``search_path`` in the URL, so
``DATABASE_URL`` alone describes it and the test leaves nothing behind.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Iterator, Optional

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateSchema, DropSchema

from runner_up.store import repository
from runner_up.store.db import Database, upgrade
from runner_up.store.models import Checkin, Person

POSTGRES_URL = os.environ.get(
    "RUNNER_UP_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
)
START_HINT = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"


class Postgres:
    """The test server: whether it answers, and schemas that exist for one test."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)

    @cached_property
    def admin(self) -> Engine:
        return create_engine(
            self.url, future=True, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
        )

    @cached_property
    def unreachable_reason(self) -> Optional[str]:
        """None if the server answers, else the driver's reason (checked once per run)."""
        try:
            with self.admin.connect():
                return None
        except DBAPIError as exc:
            return str(exc.orig).strip().splitlines()[0]

    def require(self) -> None:
        """Skips (or, under CI, fails) the calling test when the server does not answer."""
        reason = self.unreachable_reason
        if reason is None:
            return
        message = (
            f"PostgreSQL is not reachable at {self.url.render_as_string(hide_password=True)} "
            f"({reason}); start it with `{START_HINT}` or set RUNNER_UP_TEST_POSTGRES_URL"
        )
        if os.environ.get("CI"):
            pytest.fail(message + " (CI is set: CI has PostgreSQL, so this is a failure)")
        pytest.skip(message)

    @contextmanager
    def throwaway_schema(self) -> Iterator[str]:
        """A URL whose ``search_path`` is a new, empty schema, dropped (with its tables) afterwards."""
        self.require()
        name = f"runner_up_test_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as connection:
            connection.execute(CreateSchema(name))
        try:
            url = self.url.update_query_dict({"options": f"-csearch_path={name}"})
            yield url.render_as_string(hide_password=False)
        finally:
            with self.admin.connect() as connection:
                connection.execute(DropSchema(name, cascade=True))


POSTGRES = Postgres(POSTGRES_URL)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def empty_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database of this backend, gone after the test."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'progress.sqlite3'}"
    else:
        with POSTGRES.throwaway_schema() as url:
            yield url


@pytest.fixture
def db(empty_url: str) -> Iterator[Database]:
    """A Database on a fresh schema built by Alembic (never create_all)."""
    database = Database(empty_url)
    upgrade(database.engine)
    yield database
    database.dispose()


def populate(session: Session, person: Person, now: datetime) -> None:
    """One row in every table for ``person`` (the cascade test checks that none is missed)."""
    rejection = repository.record_rejection(
        session, person, company="Acme", role="Analyst", interviewer="Sam", happened_on=now.date(),
        now=now,
    )
    repository.record_mood(session, person, "sad", "just_rejected", 0.9, rejection=rejection, now=now)
    repository.set_step_status(session, person, "ask_feedback", "accepted", now=now, rejection=rejection)
    repository.add_strength(session, person, "Clear writing", now=now)
    repository.add_skill_gap(session, person, "SQL window functions", plan="One kata a day", now=now)
    repository.flag_crisis(session, person, now=now)
    session.add(Checkin(person=person, rejection=rejection, due_at=now + timedelta(days=3)))
    session.flush()
