"""Rasa tracker stores that can erase a person's conversation ("delete my data").

Rasa 3.6's tracker stores cannot delete a conversation, and an action cannot do it either: Rasa
saves the tracker again after the action runs (the SQL store appends every event it does not have
yet, so rows deleted behind its back come back). So the deleting action sets the slot
`erase_conversation`, and these stores, when Rasa saves a tracker with that slot set, delete every
stored event of that sender instead of saving. The next message starts a new conversation.

`runner-up run` configures `ErasingSQLTrackerStore` (SQLite under var/, or PostgreSQL with the same
keys as Rasa's SQL store); `ErasingInMemoryTrackerStore` is the same for the in-memory store.
"""

from __future__ import annotations

import logging

from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import delete

logger = logging.getLogger(__name__)

ERASE_SLOT = "erase_conversation"


def asks_to_erase(tracker: DialogueStateTracker) -> bool:
    return tracker.get_slot(ERASE_SLOT) is True


class ErasingSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store, which erases a conversation that asks for it."""

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
