"""Alembic environment of the progress store.

The connection comes, in this order, from ``config.attributes["connection"]`` (what
``runner_up.store.db.upgrade`` passes), the ``sqlalchemy.url`` main option, or ``DATABASE_URL``
resolved exactly as the application does (``runner_up.store.db.database_url``).
"""

from __future__ import annotations

from contextlib import contextmanager
from logging.config import fileConfig
from typing import Any, Iterator, Union

from alembic import context
from sqlalchemy.engine import Connection

from runner_up.store.db import database_url, make_engine
from runner_up.store.models import Base, UTCDateTime

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _render_item(type_: str, obj: Any, autogen_context: Any) -> Union[str, bool]:
    # Migrations spell the column type plainly, not as an import of the application's models.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _options(connection_or_dialect: str) -> dict:
    return {
        "target_metadata": target_metadata,
        "render_item": _render_item,
        "compare_type": True,
        # SQLite cannot ALTER most things: autogenerate "move and copy" batches for it.
        "render_as_batch": connection_or_dialect == "sqlite",
        # SQLite's DDL is transactional too (with db.py's BEGIN handling): all or nothing.
        "transactional_ddl": True,
    }


@contextmanager
def _sqlite_foreign_keys_off(connection: Connection) -> Iterator[None]:
    """Batch migrations recreate tables; with foreign keys on, dropping a parent would cascade."""
    if connection.dialect.name != "sqlite" or connection.in_transaction():
        yield  # the pragma is ignored inside a transaction; the caller keeps responsibility
        return
    dbapi = connection.connection
    dbapi.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        dbapi.execute("PRAGMA foreign_keys=ON")


def _run(connection: Connection) -> None:
    with _sqlite_foreign_keys_off(connection):
        context.configure(connection=connection, **_options(connection.dialect.name))
        with context.begin_transaction():
            context.run_migrations()


def run_migrations_online() -> None:
    """Runs on the connection handed over, or on a new engine for the configured URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or database_url())
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


def run_migrations_offline() -> None:
    """``alembic upgrade head --sql``: writes the SQL instead of running it."""
    url = config.get_main_option("sqlalchemy.url") or database_url()
    context.configure(url=url, literal_binds=True, **_options(url.split(":", 1)[0].split("+")[0]))
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
