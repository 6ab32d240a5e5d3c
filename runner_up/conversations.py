"""Rasa tracker stores that can erase a person's conversation ("delete my data").

Rasa 3.6's tracker stores cannot delete a conversation, and an action cannot do it either: Rasa
saves the tracker again after the action runs (the SQL store appends every event it does not have
yet, so rows deleted behind its back come back). So the deleting action sets the slot
`erase_conversation`, and these stores, when Rasa saves a tracker with that slot set, delete every
stored event of that sender instead of saving. The next message starts a new conversation.

`runner-up run` configures `ErasingSQLTrackerStore` (SQLite under var/, or the database named by
`TRACKER_STORE_URL`); `ErasingInMemoryTrackerStore` is the same for the in-memory store.

Both SQL stores here also take one URL (`url: ${TRACKER_STORE_URL}` in endpoints.yml, expanded by
Rasa from the environment), so a password never has to be written into a file, and the SQL store
checks a pooled connection before using it (after a database restart, the first turn would
otherwise fail on a dead connection). `RedisLockStore` does the same for Rasa's Redis lock store
(`url: ${REDIS_URL}`), which several Rasa replicas need so that one conversation's messages are
handled one at a time.

**A conversation store that is down fails the turn; it never loses it quietly.** Rasa 3.6 wraps
every tracker store in `FailSafeTrackerStore`, which on an error saves to memory (lost on restart,
unseen by other replicas, while the person was answered as if all was well) and on a read error
returns no tracker (the conversation starts over, and its next save appends a new session to the
old one). Our SQL store instead retries a connection-level failure (a database restart or
failover) for up to RUNNER_UP_STORE_RETRY_SECONDS (default 30) and then raises
`ConversationStoreDown`; `install()` makes the wrapper pass our store's calls straight through, so
that error fails the turn (a 500 on REST) and nothing is acknowledged that was not stored. A save
is safe to repeat: Rasa's SQL store appends only the events it does not have yet.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import time
from typing import Any, Awaitable, Callable, Dict, Optional, Text, TypeVar

from rasa.core import lock_store
from rasa.core.tracker_store import (FailSafeTrackerStore, InMemoryTrackerStore, SQLTrackerStore,
                                     create_engine_kwargs)
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import create_engine, delete
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import sessionmaker

logger = logging.getLogger(__name__)

ERASE_SLOT = "erase_conversation"
RETRY_SECONDS = float(os.environ.get("RUNNER_UP_STORE_RETRY_SECONDS", "30"))
T = TypeVar("T")


class ConversationStoreDown(RuntimeError):
    """The conversation store stayed unreachable for the whole retry window."""


def transient(error: Exception) -> bool:
    """A failure to reach the database (worth retrying), not a bad statement."""
    return isinstance(error, OperationalError) or (
        isinstance(error, DBAPIError) and error.connection_invalidated)


async def retried(operation: Callable[[], Awaitable[T]], what: Text, window: float) -> T:
    """`operation()`, retried with backoff while the database cannot be reached, for up to
    `window` seconds; then ConversationStoreDown."""
    deadline = time.monotonic() + window
    delay = 0.2
    while True:
        try:
            return await operation()
        except DBAPIError as error:
            if not transient(error):
                raise
            if time.monotonic() + delay > deadline:
                raise ConversationStoreDown(
                    f"the conversation store was unreachable for {window:.0f} s ({what}): {error.orig}") from error
            logger.warning("conversation store unreachable (%s), retrying in %.1f s: %s", what, delay, error.orig)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)


def asks_to_erase(tracker: DialogueStateTracker) -> bool:
    return tracker.get_slot(ERASE_SLOT) is True


def sql_store_keys(url: Text) -> Dict[Text, Any]:
    """Rasa's SQL tracker store keys (dialect, host, port, db, username, password) from one URL;
    `postgres://` is read as `postgresql://`."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    parsed = make_url(url)
    return {"dialect": parsed.drivername, "host": parsed.host, "port": parsed.port,
            "db": parsed.database, "username": parsed.username, "password": parsed.password,
            "query": dict(parsed.query) or None}


class ErasingSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store, which erases a conversation that asks for it, takes its database as
    one URL (in `host`, where Rasa puts an endpoint's `url`), and pings pooled connections."""

    def __init__(self, domain: Optional[Domain] = None, host: Optional[Text] = None,
                 **kwargs: Any) -> None:
        if host and "://" in host:
            kwargs.update(sql_store_keys(host))
        else:
            kwargs["host"] = host
        super().__init__(domain=domain, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sessionmaker(bind=self.engine)

    retry_seconds = RETRY_SECONDS

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        return await retried(lambda: super(ErasingSQLTrackerStore, self).retrieve(sender_id),
                             "read", self.retry_seconds)

    async def retrieve_full_tracker(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        return await retried(lambda: super(ErasingSQLTrackerStore, self).retrieve_full_tracker(sender_id),
                             "read", self.retry_seconds)

    async def save(self, tracker: DialogueStateTracker) -> None:
        await retried(lambda: self._save(tracker), "save", self.retry_seconds)

    async def _save(self, tracker: DialogueStateTracker) -> None:
        if not asks_to_erase(tracker):
            await super().save(tracker)
            return
        with self.session_scope() as session:
            erased = session.execute(
                delete(self.SQLEvent).where(self.SQLEvent.sender_id == tracker.sender_id)
            ).rowcount
            session.commit()
        logger.info("conversation erased at the person's request: %s events", erased)


class ErasingInMemoryTrackerStore(InMemoryTrackerStore):
    """Rasa's in-memory tracker store, which erases a conversation that asks for it."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        if not asks_to_erase(tracker):
            await super().save(tracker)
            return
        self.store.pop(tracker.sender_id, None)
        logger.info("conversation erased at the person's request")


class RedisLockStore(lock_store.RedisLockStore):
    """Rasa's Redis lock store, configured by one URL (`redis://[:password@]host[:port][/db]`)."""

    KEY_PREFIX = "runnerup"  # Rasa takes letters and digits only

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        parsed = make_url(endpoint_config.url or "redis://localhost:6379/1")
        super().__init__(host=parsed.host or "localhost", port=parsed.port or 6379,
                         db=int(parsed.database or 1), username=parsed.username,
                         password=parsed.password, use_ssl=parsed.drivername == "rediss",
                         key_prefix=endpoint_config.kwargs.get("key_prefix", self.KEY_PREFIX))


def install() -> None:
    """Makes Rasa's FailSafeTrackerStore pass calls to our SQL store straight through (see the
    module's docstring); other stores keep Rasa's behaviour. Idempotent."""
    for name in ("retrieve", "retrieve_full_tracker", "save"):
        original = getattr(FailSafeTrackerStore, name)
        if getattr(original, "_runner_up_wrapped", False):
            continue

        def through(original: Callable, name: Text) -> Callable:
            @functools.wraps(original)
            async def method(self: FailSafeTrackerStore, *args: Any) -> Any:
                if isinstance(self._tracker_store, ErasingSQLTrackerStore):
                    return await getattr(self._tracker_store, name)(*args)
                return await original(self, *args)

            method._runner_up_wrapped = True  # type: ignore[attr-defined]
            return method

        setattr(FailSafeTrackerStore, name, through(original, name))


install()  # Rasa imports this module to build the store named in endpoints.yml, before wrapping it
