"""The progress store on SQLite and on PostgreSQL: schema from Alembic, repository, failures.

Every database test runs on both backends, each on a fresh database built with ``upgrade()``:
a SQLite file in ``tmp_path`` and a throwaway PostgreSQL schema (see ``tests/store_fixtures.py``).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    CheckConstraint,
    UniqueConstraint,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from runner_up.settings import ROOT
from runner_up.store import InvalidInput, StoreError, StoreUnavailable
from runner_up.store import repository as repo
from runner_up.store.db import (
    MIGRATIONS_DIR,
    Database,
    alembic_config,
    database_url,
    downgrade,
    make_engine,
    upgrade,
)
from runner_up.store.models import Base, Checkin, Person, Rejection, Step
from tests.store_fixtures import POSTGRES, populate

NOW = datetime(2026, 5, 4, 9, 30, tzinfo=timezone.utc)


def count(session: Session, table: Any, *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(table).where(*where)) or 0


def table_names(url_or_db: Any) -> set:
    engine = url_or_db.engine if isinstance(url_or_db, Database) else make_engine(url_or_db)
    with engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def new_person(db: Database, sender_id: str = "user-1") -> Person:
    with db.session() as session:
        return repo.get_or_create_person(session, "web", sender_id)


# --- schema and configuration -------------------------------------------------------------------

def test_upgrade_head_gives_the_schema_of_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        assert MigrationContext.configure(connection).get_current_revision() == "0003"
    assert table_names(db) == set(Base.metadata.tables) | {"alembic_version"}


def constraint_names(table: Any = None, inspector: Any = None, name: str = "") -> Dict[str, set]:
    """Names of a table's constraints and indexes, from the models or as the database reflects them."""
    if inspector is None:
        return {
            "pk": {table.primary_key.name},
            "fk": {fk.name for fk in table.foreign_key_constraints},
            "uq": {c.name for c in table.constraints if isinstance(c, UniqueConstraint)},
            "ck": {c.name for c in table.constraints if isinstance(c, CheckConstraint)},
            "ix": {index.name for index in table.indexes},
        }
    return {
        "pk": {inspector.get_pk_constraint(name)["name"]},
        "fk": {fk["name"] for fk in inspector.get_foreign_keys(name)},
        "uq": {uq["name"] for uq in inspector.get_unique_constraints(name)},
        "ck": {ck["name"] for ck in inspector.get_check_constraints(name)},
        "ix": {ix["name"] for ix in inspector.get_indexes(name) if "duplicates_constraint" not in ix},
    }


def test_migrated_names_cascades_and_partial_index_match_the_models(db: Database) -> None:
    """What compare_metadata does not compare: constraint names, ON DELETE rules, the WHERE clause."""
    with db.engine.connect() as connection:
        inspector = inspect(connection)
        for table in Base.metadata.sorted_tables:
            assert constraint_names(inspector=inspector, name=table.name) == constraint_names(table)
            reflected = {fk["name"]: fk["options"].get("ondelete") for fk in
                         inspector.get_foreign_keys(table.name)}
            assert reflected == {fk.name: fk.ondelete for fk in table.foreign_key_constraints}
        (open_,) = [ix for ix in inspector.get_indexes("checkins")
                    if ix["name"] == "uq_checkins_open_rejection"]
        assert open_["unique"] and open_["column_names"] == ["rejection_id"]
        where = str(open_["dialect_options"].get(f"{connection.dialect.name}_where"))
        assert "pending" in where and "claimed" in where


def test_downgrade_base_leaves_no_tables_and_upgrade_rebuilds(db: Database) -> None:
    downgrade(db.engine, "base")
    assert table_names(db) <= {"alembic_version"}
    db.upgrade()
    assert table_names(db) == set(Base.metadata.tables) | {"alembic_version"}


def test_alembic_env_reads_database_url(empty_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", empty_url)
    command.upgrade(alembic_config(), "head")
    assert set(Base.metadata.tables) <= table_names(empty_url)


def test_alembic_ini_points_at_the_packaged_migrations() -> None:
    script = ScriptDirectory.from_config(Config(str(ROOT / "alembic.ini")))
    assert Path(script.dir) == MIGRATIONS_DIR
    assert script.get_current_head() == "0003"


def test_default_database_is_a_sqlite_file_in_the_var_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("RUNNER_UP_VAR_DIR", str(tmp_path / "var"))
    assert database_url() == f"sqlite:///{tmp_path / 'var' / 'progress.sqlite3'}"
    upgrade()  # creates var/ on first use, nothing at import
    database = Database()
    with database.session() as session:
        repo.get_or_create_person(session, "web", "u")
    database.dispose()
    assert (tmp_path / "var" / "progress.sqlite3").is_file()


def test_database_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://bob@db.example/progress")
    assert database_url() == "postgresql://bob@db.example/progress"
    assert make_engine().dialect.driver == "psycopg2"
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://bob@db.example/progress")
    assert make_engine().url.database == "progress"


def test_an_invalid_database_url_is_a_store_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "not a url")
    with pytest.raises(StoreError, match="The database URL is not valid"):
        Database().session().__enter__()


def test_sqlite_uses_wal_and_enforces_foreign_keys(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'p.sqlite3'}")
    database.upgrade()
    with database.engine.connect() as connection:
        assert connection.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with pytest.raises(IntegrityError):
        with database.session() as session:
            session.add(Rejection(person_id=12345))
    database.dispose()


# --- people -------------------------------------------------------------------------------------

def test_get_or_create_person_once_per_channel_and_sender(db: Database) -> None:
    with db.session() as session:
        first = repo.get_or_create_person(session, "web", "u1")
        assert repo.get_or_create_person(session, "web", "u1") is first
        other_channel = repo.get_or_create_person(session, "slack", "u1")
        assert other_channel.id != first.id
    with db.session() as session:
        assert repo.get_or_create_person(session, "web", "u1").id == first.id
        assert count(session, Person) == 2


def test_get_or_create_person_race_between_two_sessions(backend: str, db: Database) -> None:
    """B looks and finds nobody; A creates and commits; B's insert collides and B uses A's row."""
    if backend == "sqlite":
        pytest.skip("SQLite transactions begin IMMEDIATE, so A cannot commit while B's is open; "
                    "covered by the thread and unique-violation tests")
    created_by_a: List[int] = []
    with db.session() as b:
        def a_wins_meanwhile(state: Any) -> Any:
            frozen = state.invoke_statement().freeze()
            if not created_by_a:
                with db.session() as a:
                    created_by_a.append(repo.get_or_create_person(a, "web", "racer").id)
            return frozen()

        event.listen(b, "do_orm_execute", a_wins_meanwhile)
        person = repo.get_or_create_person(b, "web", "racer")
        assert person.id == created_by_a[0]
        repo.record_rejection(b, person, company="Acme")  # B's transaction goes on after the savepoint
    with db.session() as session:
        assert count(session, Person) == 1
        assert count(session, Rejection) == 1


def test_get_or_create_person_recovers_from_a_unique_violation(db: Database) -> None:
    """The row appears between the look-up and the insert: the savepoint rolls back, the re-select wins."""
    with db.session() as session:
        sneaked: List[bool] = []

        def sneak_in(state: Any) -> Any:
            frozen = state.invoke_statement().freeze()
            if not sneaked:
                sneaked.append(True)
                session.connection().execute(insert(Person.__table__).values(
                    channel="web", sender_id="sneaky", created_at=NOW, last_seen_at=NOW))
            return frozen()

        event.listen(session, "do_orm_execute", sneak_in)
        person = repo.get_or_create_person(session, "web", "sneaky")
        assert person.created_at == NOW
        event.remove(session, "do_orm_execute", sneak_in)
        repo.touch_person(session, person, now=NOW + timedelta(minutes=1))
    with db.session() as session:
        assert count(session, Person) == 1


def test_get_or_create_person_from_many_threads(db: Database) -> None:
    workers = 6
    barrier = threading.Barrier(workers)

    def create(_: int) -> int:
        barrier.wait()
        with db.session() as session:
            return repo.get_or_create_person(session, "slack", "U123").id

    with ThreadPoolExecutor(workers) as pool:
        ids = set(pool.map(create, range(workers)))
    assert len(ids) == 1
    with db.session() as session:
        assert count(session, Person) == 1


def test_touch_person_stores_aware_utc_times(db: Database) -> None:
    person = new_person(db)
    later = datetime(2026, 5, 4, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    with db.session() as session:
        repo.touch_person(session, session.get(Person, person.id), now=later)
    with db.session() as session:
        seen = session.get(Person, person.id).last_seen_at
        assert seen == later and seen.utcoffset() == timedelta(0) and seen.hour == 10
        assert session.get(Person, person.id).created_at.tzinfo is not None


def test_session_rolls_back_on_error_and_repository_never_commits(db: Database) -> None:
    with pytest.raises(RuntimeError):
        with db.session() as session:
            person = repo.get_or_create_person(session, "web", "ghost")
            repo.record_rejection(session, person, company="Acme")
            raise RuntimeError("boom")
    with db.session() as session:
        assert count(session, Person) == 0 and count(session, Rejection) == 0


def test_set_checkin_consent_stamps_and_cancels_pending(db: Database) -> None:
    with db.session() as session:
        person = repo.get_or_create_person(session, "web", "u")
        assert person.checkin_consent is None
        assert repo.set_checkin_consent(session, person, True, now=NOW) == 0
        rejection = repo.record_rejection(session, person)
        session.add(Checkin(person=person, rejection=rejection, due_at=NOW + timedelta(days=3)))
        assert person.consent_changed_at == NOW
        later = NOW + timedelta(hours=1)
        assert repo.set_checkin_consent(session, person, False, now=later) == 1
        assert (person.checkin_consent, person.consent_changed_at) == (False, later)
    with db.session() as session:
        assert session.scalars(select(Checkin.status)).all() == ["cancelled"]


def test_flag_crisis_keeps_only_the_time(db: Database) -> None:
    with db.session() as session:
        person = repo.get_or_create_person(session, "web", "u")
        flag = repo.flag_crisis(session, person, now=NOW)
    assert {c.name for c in flag.__table__.columns} == {"id", "person_id", "flagged_at"}
    with db.session() as session:
        assert session.get(Person, person.id).crisis_flags[0].flagged_at == NOW


# --- rejections, moods, steps, strengths, gaps --------------------------------------------------

def test_record_rejection_cleans_names_and_latest_rejection(db: Database) -> None:
    with db.session() as session:
        person = repo.get_or_create_person(session, "web", "u")
        assert repo.latest_rejection(session, person) is None
        repo.record_rejection(session, person, company="Old Co", now=NOW - timedelta(days=30))
        repo.record_rejection(
            session, person, company="  Acme\x00\u200b   Corp\n\tLtd ", role=" ",
            interviewer="Dana\x07 Smith", happened_on=NOW.date() + timedelta(days=1), now=NOW,
        )
    with db.session() as session:
        latest = repo.latest_rejection(session, session.get(Person, person.id))
        assert latest is not None
        assert (latest.company, latest.role, latest.interviewer) == ("Acme Corp Ltd", None, "Dana Smith")
        assert latest.happened_on == date(2026, 5, 5) and latest.created_at == NOW


def test_record_mood(db: Database) -> None:
    with db.session() as session:
        person = repo.get_or_create_person(session, "web", "u")
        rejection = repo.record_rejection(session, person)
        entry = repo.record_mood(session, person, "hopeful", "rebuilding", 0.75,
                                 rejection=rejection, now=NOW)
    assert summary_of(db, person)["latest_mood"] == {
        "emotion": "hopeful", "stage": "rebuilding", "confidence": 0.75, "at": NOW}
    with db.session() as session:
        assert session.get(type(entry), entry.id).rejection_id == rejection.id


def test_steps_move_between_statuses_on_one_row(db: Database) -> None:
    person = new_person(db)
    times = [NOW + timedelta(hours=h) for h in range(4)]
    with db.session() as session:
        person = session.get(Person, person.id)
        repo.offer_step(session, person, "ask_feedback", now=times[0])
        repo.set_step_status(session, person, "ask_feedback", "declined", now=times[1])
    with db.session() as session:
        person = session.get(Person, person.id)
        repo.set_step_status(session, person, "ask_feedback", "accepted", now=times[2])
        repo.set_step_status(session, person, "ask_feedback", "done", now=times[3])
        repo.offer_step(session, person, "thank_you_note", now=times[3])
    with db.session() as session:
        step = session.scalars(select(Step).where(Step.step_id == "ask_feedback")).one()
        assert step.status == "done"
        assert [step.offered_at, step.declined_at, step.accepted_at, step.done_at] == times
        assert step.updated_at == times[3]
        assert repo.step_statuses(session, session.get(Person, person.id)) == {
            "ask_feedback": "done", "thank_you_note": "offered"}
        assert count(session, Step) == 2


def test_offer_step_keeps_accepted_and_done(db: Database) -> None:
    with db.session() as session:
        person = repo.get_or_create_person(session, "web", "u")
        repo.set_step_status(session, person, "stay_in_touch", "accepted", now=NOW)
        step = repo.offer_step(session, person, "stay_in_touch", now=NOW + timedelta(days=1))
        assert (step.status, step.offered_at) == ("accepted", NOW + timedelta(days=1))
        repo.set_step_status(session, person, "widen_network", "declined", now=NOW)
        assert repo.offer_step(session, person, "widen_network", now=NOW).status == "offered"


def test_add_strength_dedupes_case_insensitively(db: Database) -> None:
    with db.session() as session:
        person = repo.get_or_create_person(session, "web", "u")
        first = repo.add_strength(session, person, "Clear  writing")
        assert repo.add_strength(session, person, " CLEAR writing\n") is first
        repo.add_strength(session, person, "Calm under pressure")
    with db.session() as session:
        assert repo.strengths(session, session.get(Person, person.id)) == [
            "Clear writing", "Calm under pressure"]


def test_skill_gaps_with_plans(db: Database) -> None:
    with db.session() as session:
        person = repo.get_or_create_person(session, "web", "u")
        gap = repo.add_skill_gap(session, person, "System design", now=NOW)
        assert repo.add_skill_gap(session, person, "system DESIGN", plan="Read one chapter a week") is gap
        repo.add_skill_gap(session, person, "Public speaking", plan="Join a club")
        repo.complete_skill_gap(session, gap, now=NOW + timedelta(days=20))
    assert summary_of(db, person)["skill_gaps"] == [
        {"gap": "System design", "plan": "Read one chapter a week", "done": True},
        {"gap": "Public speaking", "plan": "Join a club", "done": False},
    ]


def summary_of(db: Database, person: Person) -> Dict[str, Any]:
    with db.session() as session:
        return repo.summary(session, session.get(Person, person.id))


def test_summary(db: Database) -> None:
    person = new_person(db)
    assert summary_of(db, person) == {
        "rejections": 0, "latest_rejection": None, "latest_mood": None,
        "steps": {"offered": [], "accepted": [], "done": [], "declined": []},
        "strengths": [], "skill_gaps": [], "checkin_consent": None,
    }
    with db.session() as session:
        person = session.get(Person, person.id)
        populate(session, person, NOW)
        repo.record_mood(session, person, "hopeful", "reapplying", 0.6, now=NOW + timedelta(days=2))
        repo.offer_step(session, person, "be_gracious", now=NOW)
        repo.set_checkin_consent(session, person, True, now=NOW)
    assert summary_of(db, person) == {
        "rejections": 1,
        "latest_rejection": {"company": "Acme", "role": "Analyst", "interviewer": "Sam",
                             "happened_on": NOW.date()},
        "latest_mood": {"emotion": "hopeful", "stage": "reapplying", "confidence": 0.6,
                        "at": NOW + timedelta(days=2)},
        "steps": {"offered": ["be_gracious"], "accepted": ["ask_feedback"], "done": [], "declined": []},
        "strengths": ["Clear writing"],
        "skill_gaps": [{"gap": "SQL window functions", "plan": "One kata a day", "done": False}],
        "checkin_consent": True,
    }


# --- what the database itself enforces ----------------------------------------------------------

def test_one_pending_checkin_per_rejection(db: Database) -> None:
    with db.session() as session:
        person = repo.get_or_create_person(session, "web", "u")
        rejection, other = repo.record_rejection(session, person), repo.record_rejection(session, person)
        first = Checkin(person=person, rejection=rejection, due_at=NOW)
        session.add_all([first, Checkin(person=person, rejection=other, due_at=NOW)])
    with pytest.raises(IntegrityError):
        with db.session() as session:
            session.add(Checkin(person_id=person.id, rejection_id=rejection.id, due_at=NOW))
    with db.session() as session:
        session.get(Checkin, first.id).status = "sent"
        session.add(Checkin(person_id=person.id, rejection_id=rejection.id, due_at=NOW))
    with db.session() as session:
        assert count(session, Checkin, Checkin.status == "pending") == 2
        assert count(session, Checkin) == 3


@pytest.mark.parametrize("row", [
    lambda person_id: Step(person_id=person_id, step_id="x", status="finished", updated_at=NOW),
    lambda person_id: Checkin(person_id=person_id, due_at=NOW, status="lost"),
    lambda person_id: Person(channel="web", sender_id="q", quiet_start=24),
], ids=["step-status", "checkin-status", "quiet-hour"])
def test_check_constraints(db: Database, row: Callable[[int], Any]) -> None:
    person = new_person(db)
    with pytest.raises(IntegrityError):
        with db.session() as session:
            session.add(row(person.id))


def rows_about(session: Session, person_id: int) -> Dict[str, int]:
    """Rows that belong to the person, in every table of the metadata."""
    found = {}
    for table in Base.metadata.sorted_tables:
        key = table.c.id if table.name == "people" else table.c.get("person_id")
        assert key is not None, f"{table.name} has no person_id: deleting a person would miss it"
        found[table.name] = count(session, table, key == person_id)
    return found


@pytest.mark.parametrize("how", ["orm", "database"])
def test_deleting_a_person_erases_every_row(db: Database, how: str) -> None:
    with db.session() as session:
        doomed = repo.get_or_create_person(session, "web", "doomed")
        keeper = repo.get_or_create_person(session, "web", "keeper")
        populate(session, doomed, NOW)
        populate(session, keeper, NOW)
        assert all(rows_about(session, doomed.id).values()), "populate() must fill every table"
    with db.session() as session:
        if how == "orm":
            person = session.get(Person, doomed.id)
            assert person.rejections and person.steps  # loaded children go through the ORM
            repo.delete_person(session, person)
        else:
            session.execute(delete(Person).where(Person.id == doomed.id))
    with db.session() as session:
        assert not any(rows_about(session, doomed.id).values())
        assert all(rows_about(session, keeper.id).values())


def test_invalid_input_is_refused_with_a_clear_message(db: Database) -> None:
    long = "x" * 201
    cases: List[tuple] = [
        (lambda s, p: repo.record_rejection(s, p, company=long),
         "The company name is too long: 201 characters, at most 200."),
        (lambda s, p: repo.record_rejection(s, p, role=long), "The role is too long"),
        (lambda s, p: repo.record_rejection(s, p, interviewer=long), "interviewer's name is too long"),
        (lambda s, p: repo.record_rejection(s, p, happened_on=date(2026, 5, 6), now=NOW),
         "The interview date 2026-05-06 is in the future."),
        (lambda s, p: repo.record_rejection(s, p, happened_on=date(1949, 12, 31), now=NOW),
         "The interview date 1949-12-31 is before 1950."),
        (lambda s, p: repo.add_strength(s, p, "y" * 301), "The strength is too long: 301 characters"),
        (lambda s, p: repo.add_strength(s, p, " \t "), "The strength is empty."),
        (lambda s, p: repo.add_skill_gap(s, p, "z" * 301), "The skill gap is too long"),
        (lambda s, p: repo.add_skill_gap(s, p, "SQL", plan="p" * 501), "The plan is too long"),
        (lambda s, p: repo.record_mood(s, p, "joyful", "waiting", 0.5),
         "Unknown emotion 'joyful'; expected one of: sad, angry, anxious"),
        (lambda s, p: repo.record_mood(s, p, "sad", "celebrating", 0.5), "Unknown stage 'celebrating'"),
        (lambda s, p: repo.record_mood(s, p, "sad", "waiting", 1.5), "not between 0 and 1"),
        (lambda s, p: repo.set_step_status(s, p, "ask_feedback", "finished"),
         "Unknown step status 'finished'; expected one of: offered, accepted, done, declined."),
        (lambda s, p: repo.set_step_status(s, p, "s" * 65, "done"), "The step id is too long"),
        (lambda s, p: repo.get_or_create_person(s, "", "u"), "The channel must be non-empty text."),
    ]
    with db.session() as session:
        person = repo.get_or_create_person(session, "web", "u")
        for call, message in cases:
            with pytest.raises(InvalidInput) as refused:
                call(session, person)
            assert message in str(refused.value)
        # At the limits, after stripping, is fine.
        repo.record_rejection(session, person, company=f"  {'x' * 200}\n",
                              happened_on=date(2026, 5, 5), now=NOW)
    with db.session() as session:
        assert count(session, Rejection) == 1
        assert sum(rows_about(session, person.id).values()) == 2  # the person and that rejection


# --- when the database is down ------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "postgresql://postgres:secret@127.0.0.1:1/x",
    "sqlite:///{tmp}/not-a-dir/progress.sqlite3",
], ids=["closed-port", "unwritable-sqlite-path"])
def test_unreachable_database_raises_store_unavailable(url: str, tmp_path: Path) -> None:
    # A file where a directory should be: unwritable even for root, who ignores permission bits.
    (tmp_path / "not-a-dir").write_text("a file where a directory should be")
    database = Database(url.format(tmp=tmp_path))
    with pytest.raises(StoreUnavailable) as down:
        with database.session() as session:
            repo.get_or_create_person(session, "web", "u")
    message = str(down.value)
    assert message.startswith("The progress store is unavailable (")
    assert "\n" not in message and "secret" not in message
    assert ("Connection refused" in message) or ("unable to open database file" in message)
    with pytest.raises(StoreUnavailable):
        upgrade(url.format(tmp=tmp_path))


def test_data_written_before_an_outage_is_there_after(backend: str, db: Database, empty_url: str) -> None:
    person = new_person(db, "survivor")
    with db.session() as session:
        populate(session, session.get(Person, person.id), NOW)

    if backend == "sqlite":
        # Another process holds the write lock: an impatient reader gives up, with a clear error.
        impatient = Database(f"{empty_url}?timeout=0.1")
        with db.session() as holder:
            repo.touch_person(holder, holder.get(Person, person.id), now=NOW)
            with pytest.raises(StoreUnavailable, match="database is locked"):
                with impatient.session() as session:
                    repo.get_or_create_person(session, "web", "survivor")
        impatient.dispose()
    else:
        # The server drops every connection of our pool; pool_pre_ping replaces them.
        with db.session() as session:
            pid = session.scalar(select(func.pg_backend_pid()))
        with POSTGRES.admin.connect() as admin:
            assert admin.scalar(select(func.pg_terminate_backend(pid))) is True
        with pytest.raises(StoreUnavailable):
            with Database("postgresql://postgres@127.0.0.1:1/x").session() as session:
                repo.get_or_create_person(session, "web", "survivor")

    with db.session() as session:
        survivor = repo.get_or_create_person(session, "web", "survivor")
        assert survivor.id == person.id
        assert all(rows_about(session, person.id).values())
        assert repo.strengths(session, survivor) == ["Clear writing"]
