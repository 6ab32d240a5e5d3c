"""Where the progress database is, how to connect to it, how to migrate it, and the session boundary.

``DATABASE_URL`` picks the database; without it, a SQLite file under the var directory
(``RUNNER_UP_VAR_DIR``, default ``var/``). Nothing connects until a session is used.

SQLite is configured for several processes on one machine (Rasa's action server and the
check-in scheduler): foreign keys on, WAL journal, and every transaction begins with
``BEGIN IMMEDIATE`` so writers queue behind one another (up to a busy timeout) instead of
failing halfway through with ``database is locked``. The side effect: one thread must not hold two
SQLite sessions open at once.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Union

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

from runner_up.settings import Settings
from runner_up.store import StoreError, StoreUnavailable

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_FILE_NAME = "progress.sqlite3"
SQLITE_BUSY_TIMEOUT_SECONDS = 15.0
POSTGRES_CONNECT_TIMEOUT_SECONDS = 10


def default_sqlite_path() -> Path:
    """``<RUNNER_UP_VAR_DIR or <repo>/var>/progress.sqlite3``."""
    return Settings.from_env().var_dir / SQLITE_FILE_NAME


def database_url() -> str:
    """``DATABASE_URL`` if set (``postgres://`` read as ``postgresql://``), else the SQLite default."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{default_sqlite_path()}"
    if url.startswith("postgres://"):  # the spelling of Heroku and others; SQLAlchemy 1.4 refuses it
        url = "postgresql://" + url[len("postgres://"):]
    return url


def describe(url: Union[str, URL]) -> str:
    """The URL without its password, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid database URL>"


def make_engine(url: Optional[Union[str, URL]] = None) -> Engine:
    """An engine for ``url`` (default: ``database_url()``); it connects only when first used."""
    try:
        parsed = make_url(url if url is not None else database_url())
    except ArgumentError as exc:
        raise StoreError(f"The database URL is not valid: {exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, is_default=url is None and not os.environ.get("DATABASE_URL"))
    connect_args: dict = {}
    if parsed.get_driver_name() == "psycopg2" and "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT_SECONDS
    try:
        return create_engine(parsed, future=True, pool_pre_ping=True, connect_args=connect_args)
    except (ArgumentError, ImportError) as exc:
        raise StoreError(f"Cannot use the database {describe(parsed)}: {exc}") from exc


def _sqlite_engine(url: URL, is_default: bool) -> Engine:
    if is_default and url.database:
        try:
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnavailable(f"The progress store cannot create {url.database}: {exc}") from exc
    connect_args = {} if "timeout" in url.query else {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
    engine = create_engine(url, future=True, pool_pre_ping=True, connect_args=connect_args)
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def _on_sqlite_connect(dbapi_connection: Any, connection_record: Any) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT; SQLAlchemy's "begin" event does it instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
    finally:
        cursor.close()


def _on_sqlite_begin(connection: Connection) -> None:
    # IMMEDIATE takes the write lock up front: a transaction that read first and writes later
    # can otherwise fail at once with SQLITE_BUSY when another process wrote in between.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def unavailable(exc: BaseException, url: Union[str, URL]) -> StoreUnavailable:
    """A ``StoreUnavailable`` naming the database (no password) and the driver's first line."""
    reason = getattr(exc, "orig", None) or exc
    first_line = (str(reason).strip().splitlines() or [type(reason).__name__])[0]
    return StoreUnavailable(f"The progress store is unavailable ({describe(url)}): {first_line}")


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means the database could not be reached or used at all right now."""
    if isinstance(exc, (OperationalError, InterfaceError, PoolTimeoutError)):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def alembic_config(url: Optional[str] = None) -> Config:
    """An Alembic ``Config`` built in code, pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _run_alembic(target: Union[Engine, str, URL, None], run: Callable[[Config], None]) -> None:
    engine = target if isinstance(target, Engine) else make_engine(target)
    try:
        with engine.connect() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            run(config)
            if connection.in_transaction():
                connection.commit()
    except (DBAPIError, PoolTimeoutError) as exc:
        if is_unavailable(exc):
            raise unavailable(exc, engine.url) from exc
        raise
    finally:
        if engine is not target:
            engine.dispose()


def upgrade(target: Union[Engine, str, URL, None] = None, revision: str = "head") -> None:
    """``alembic upgrade <revision>`` on an engine or URL (default: ``database_url()``)."""
    _run_alembic(target, lambda config: command.upgrade(config, revision))


def downgrade(target: Union[Engine, str, URL, None] = None, revision: str = "base") -> None:
    """``alembic downgrade <revision>`` on an engine or URL (default: ``database_url()``)."""
    _run_alembic(target, lambda config: command.downgrade(config, revision))


class Database:
    """An engine and its sessions; the engine is created on first use, from ``url`` or the environment.

    ``with db.session() as session:`` commits when the block ends, rolls back if it raises, and turns
    "cannot reach the database" into ``StoreUnavailable``. Objects stay readable after the block.
    """

    def __init__(self, url: Optional[Union[str, URL]] = None) -> None:
        self._url = url

    @cached_property
    def engine(self) -> Engine:
        """The engine (created now if this is the first use)."""
        return make_engine(self._url)

    @cached_property
    def _sessions(self) -> sessionmaker:
        return sessionmaker(bind=self.engine, future=True, expire_on_commit=False)

    @property
    def url(self) -> str:
        """The database URL without its password."""
        return describe(self.engine.url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        try:
            with self._sessions.begin() as session:
                yield session
        except (DBAPIError, PoolTimeoutError) as exc:
            if is_unavailable(exc):
                raise unavailable(exc, self.url) from exc
            raise

    def upgrade(self, revision: str = "head") -> None:
        """Migrates this database to ``revision`` (default: the newest)."""
        upgrade(self.engine, revision)

    def dispose(self) -> None:
        """Closes pooled connections (if the engine was ever created)."""
        if "engine" in self.__dict__:
            self.engine.dispose()
