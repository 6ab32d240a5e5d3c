"""The tracker stores that erase a conversation when the person asks ("delete my data")."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from runner_up.conversations import ErasingInMemoryTrackerStore, ErasingSQLTrackerStore
from runner_up.settings import ROOT
from tests.store_fixtures import POSTGRES

DOMAIN = Domain.load(str(ROOT / "domain.yml"))


def tracker(sender: str, *events) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(sender, [UserUttered("hello"), BotUttered("Hi"), *events],
                                            slots=DOMAIN.slots)


@pytest.fixture(params=["sql", "postgresql-url", "memory"])
def store(request, tmp_path: Path):
    if request.param == "sql":
        yield ErasingSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "conversations.sqlite3"))
    elif request.param == "postgresql-url":  # as TRACKER_STORE_URL configures it, in a throwaway schema
        with POSTGRES.throwaway_schema() as url:
            store = ErasingSQLTrackerStore(DOMAIN, host=url)
            assert store.engine.url.get_backend_name() == "postgresql" and store.engine.pool._pre_ping
            yield store
            store.engine.dispose()
    else:
        yield ErasingInMemoryTrackerStore(DOMAIN)


def test_a_conversation_asking_to_be_erased_is_erased_and_others_kept(store) -> None:
    async def scenario() -> None:
        await store.save(tracker("a"))
        await store.save(tracker("b"))
        assert len((await store.retrieve("a")).events) == 2
        await store.save(tracker("a", UserUttered("delete my data"), SlotSet("erase_conversation", True)))
        assert await store.retrieve("a") is None
        assert len((await store.retrieve("b")).events) == 2
        await store.save(tracker("a"))  # writing again starts from a blank page
        assert len((await store.retrieve("a")).events) == 2

    asyncio.run(scenario())


def test_the_class_path_the_run_command_names_exists(tmp_path: Path) -> None:
    import yaml

    from runner_up.runner import write_endpoints
    from runner_up.settings import Settings

    settings = Settings(host="127.0.0.1", rasa_port=1, action_port=2, var_dir=tmp_path)
    named = yaml.safe_load(write_endpoints(settings, {}).read_text())["tracker_store"]["type"]
    assert named == f"{ErasingSQLTrackerStore.__module__}.{ErasingSQLTrackerStore.__qualname__}"


def test_a_store_that_stays_down_fails_the_turn_instead_of_falling_back_to_memory(tmp_path: Path) -> None:
    """Rasa wraps every store in FailSafeTrackerStore, which would save to memory and answer as if
    all was well; ours retries for its window, then the error reaches Rasa (the turn fails)."""
    import time

    from rasa.core.tracker_store import FailSafeTrackerStore
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker

    from runner_up.conversations import ConversationStoreDown
    from runner_up.runner import free_port

    store = ErasingSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "conversations.sqlite3"))
    store.engine = create_engine(f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere", pool_pre_ping=True)
    store.sessionmaker = sessionmaker(bind=store.engine)
    store.retry_seconds = 1.0
    wrapped = FailSafeTrackerStore(store)

    async def scenario() -> None:
        start = time.monotonic()
        with pytest.raises(ConversationStoreDown, match="unreachable for 1 s"):
            await wrapped.save(tracker("a"))
        assert 0.5 < time.monotonic() - start < 5, "retried for about its window"
        with pytest.raises(ConversationStoreDown):
            await wrapped.retrieve("a")
        assert wrapped._fallback_tracker_store is None, "nothing went to memory"

    asyncio.run(scenario())


def test_a_short_outage_is_waited_out() -> None:
    from sqlalchemy.exc import OperationalError

    from runner_up.conversations import retried

    calls = []

    async def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))
        return "stored"

    assert asyncio.run(retried(flaky, "save", window=10)) == "stored" and len(calls) == 3
