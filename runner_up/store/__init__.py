"""Each person's progress: SQLAlchemy models, Alembic migrations and a repository of plain functions.

Layout, one concern per module:

- ``models``: the tables (declarative classes on one ``MetaData`` with a naming convention).
- ``db``: configuration (``DATABASE_URL``), engines, ``upgrade()``/``downgrade()`` through Alembic and
  the ``Database`` boundary whose ``session()`` commits or rolls back.
- ``repository``: functions that take a ``session`` first and never commit.
- ``migrations/``: Alembic's scripts; Alembic owns the schema.

This module holds the package's exception tree, so every layer can raise and catch the same types::

    StoreError
     +-- StoreUnavailable   the database cannot be reached (down, locked, unwritable)
     +-- InvalidInput       a value no person could mean (too long, unknown label, absurd date)

Nothing here touches a database or the file system at import.
"""

from __future__ import annotations


class StoreError(Exception):
    """Base class of every error the progress store raises on purpose."""


class StoreUnavailable(StoreError):
    """The database cannot be reached right now; the message says which one and why."""


class InvalidInput(StoreError):
    """A value was refused before reaching the database; the message says why, for a human."""


__all__ = ["StoreError", "StoreUnavailable", "InvalidInput"]
