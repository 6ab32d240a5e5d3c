"""What every action shares: the progress store at the action boundary, and responses said with
variety (a variant the person did not just read).

The database session lives here, at the edge (`with progress(tracker) as (session, person)`);
the repository functions inside never commit. When the store cannot be reached, actions carry on
without the progress features and tell the person once, honestly (`store_unavailable`).
"""

from __future__ import annotations

import functools
import logging
import random
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from runner_up import conversation_ids
from runner_up.store import StoreUnavailable, repository
from runner_up.store.db import Database
from runner_up.store.models import Person

logger = logging.getLogger(__name__)

UNAVAILABLE_SLOT = "progress_unavailable"
VARIANTS_SLOT = "recent_variants"


@functools.lru_cache(maxsize=1)
def database() -> Database:
    """The progress store named by DATABASE_URL (created on first use, not at import)."""
    return Database()


def channel_of(tracker: Tracker) -> Text:
    """The person's channel, as the conversation id says (runner_up/conversation_ids.py): the
    progress store's key then agrees with the tracker's, whatever channel a turn came in on. An id
    none of our channels makes (`rasa shell`, say) keeps Rasa's input channel."""
    conversation = conversation_ids.parse(tracker.sender_id)
    if conversation is not None:
        return conversation.channel
    return tracker.get_latest_input_channel() or "rest"


def is_private(tracker: Tracker) -> bool:
    """Whether only the person reads this conversation: not a Slack channel thread, where export,
    delete and anything that reads back their stored details are refused."""
    conversation = conversation_ids.parse(tracker.sender_id)
    return conversation is None or conversation.private


def refuse_unless_private(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """True (and the person told why) when this conversation is not private."""
    if is_private(tracker):
        return False
    dispatcher.utter_message(response="utter_private_only")
    return True


@contextmanager
def progress(tracker: Tracker) -> Iterator[Tuple[Session, Person]]:
    """One transaction for this person (created on first contact): committed when the block ends.
    Inside the block `person.last_seen_at` is still their previous visit; it is stamped at the end."""
    with database().session() as session:
        person = repository.get_or_create_person(session, channel_of(tracker), tracker.sender_id)
        yield session, person
        repository.touch_person(session, person)


def store_unavailable(dispatcher: CollectingDispatcher, tracker: Tracker,
                      error: StoreUnavailable) -> List[Dict[Text, Any]]:
    """Tells the person (once) that progress is not being saved, and logs why."""
    logger.error("progress store unavailable: %s", error)
    if tracker.get_slot(UNAVAILABLE_SLOT):
        return []
    dispatcher.utter_message(response="utter_progress_unavailable")
    return [SlotSet(UNAVAILABLE_SLOT, True)]


def store_back(tracker: Tracker) -> List[Dict[Text, Any]]:
    """Clears the outage flag once the store answers again."""
    return [SlotSet(UNAVAILABLE_SLOT, False)] if tracker.get_slot(UNAVAILABLE_SLOT) else []


def _matches(variant: Dict[Text, Any], slots: Dict[Text, Any]) -> bool:
    return all(slots.get(c.get("name")) == c.get("value") for c in variant.get("condition") or [])


def say(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, name: Text,
        **values: Any) -> List[Dict[Text, Any]]:
    """Sends response `name` (domain text, filled with `values`), never the variant this person
    read last time; returns the event that remembers which one it was."""
    variants = domain.get("responses", {}).get(name) or []
    slots = {**tracker.current_slot_values(), **values.pop("slots", {})}
    fitting = [i for i, v in enumerate(variants) if v.get("condition") and _matches(v, slots)]
    if not fitting:
        fitting = [i for i, v in enumerate(variants) if not v.get("condition")]
    if not fitting:
        dispatcher.utter_message(response=name, **values)
        return []
    recent: Dict[Text, int] = dict(tracker.get_slot(VARIANTS_SLOT) or {})
    fresh = [i for i in fitting if i != recent.get(name)] or fitting
    index = random.choice(fresh)
    text = variants[index]["text"]
    dispatcher.utter_message(text=text.format(**values) if values else text,
                             buttons=variants[index].get("buttons"))
    recent[name] = index
    return [SlotSet(VARIANTS_SLOT, recent)]
