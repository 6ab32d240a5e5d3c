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
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional, Text

from rasa.core import lock_store
from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import create_engine, delete
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

logger = logging.getLogger(__name__)

ERASE_SLOT = "erase_conversation"


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

    async def save(self, tracker: DialogueStateTracker) -> None:
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
