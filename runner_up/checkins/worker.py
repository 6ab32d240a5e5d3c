"""The check-in scheduler: claims due check-ins from the progress store and delivers each through
Rasa's HTTP API, `POST /conversations/{sender}/trigger_intent?output_channel={channel}`, so that the
message reaches the person's own channel (Slack DM, the web widget) and their conversation.

Several workers may run against PostgreSQL (claims use `FOR UPDATE SKIP LOCKED`); SQLite takes one.
A worker's clock can be fixed (`now=`) so that tests and the operator CLI never wait for days.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Dict, List, Optional, Text
from urllib.parse import quote

import requests

from runner_up.checkins.timing import Timing
from runner_up.store import StoreUnavailable
from runner_up.store import checkins as queue
from runner_up.store.checkins import Claimed
from runner_up.store.db import Database

logger = logging.getLogger(__name__)

CHECKIN_INTENT = "EXTERNAL_checkin"
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Outcome:
    """How one call to Rasa went: `delivered` only says Rasa answered 200; the row's stamp decides."""

    answered: bool
    error: Optional[Text] = None
    server_failed: bool = False  # Rasa answered with an error (a failing channel, say)


class RasaDelivery:
    """Calls Rasa's trigger_intent for a claimed check-in (one HTTP session per thread)."""

    def __init__(self, rasa_url: Text, token: Optional[Text] = None, timeout: float = 15.0) -> None:
        self.rasa_url = rasa_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._local = threading.local()

    @classmethod
    def from_env(cls) -> "RasaDelivery":
        """RASA_URL (default the local server of `runner-up run`) and RASA_TOKEN (its --auth-token)."""
        from runner_up.settings import Settings

        return cls(os.environ.get("RASA_URL") or Settings.from_env().rasa_url,
                   os.environ.get("RASA_TOKEN") or None)

    def _session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
            # In a header, not the query string, which ends up in access logs.
            if self.token:
                self._local.session.headers["Authorization"] = f"Bearer {self.token}"
        return self._local.session

    def __call__(self, checkin: Claimed) -> Outcome:
        url = f"{self.rasa_url}/conversations/{quote(checkin.sender_id, safe='')}/trigger_intent"
        params = {"output_channel": checkin.channel}
        body = {"name": CHECKIN_INTENT, "entities": {"checkin_id": str(checkin.id)}}
        try:
            response = self._session().post(url, params=params, json=body, timeout=self.timeout)
        except requests.RequestException as error:
            return Outcome(False, f"Rasa could not be reached: {type(error).__name__}: {error}")
        if response.status_code == 200:
            return Outcome(True)
        return Outcome(False, f"Rasa answered {response.status_code}: {response.text[:200]}",
                       server_failed=True)


@dataclass
class Tally:
    """What one pass delivered, for logs, the CLI and the benchmark."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    recovered: Dict[str, int] = field(default_factory=dict)

    def add(self, status: Text) -> None:
        if status == "sent":
            self.sent += 1
        elif status == "pending":
            self.retrying += 1
        elif status == "failed":
            self.failed += 1


class Worker:
    """One scheduler worker: claim a batch, deliver it concurrently, record each outcome."""

    def __init__(self, database: Database, deliver: Callable[[Claimed], Outcome],
                 timing: Optional[Timing] = None, clock: Clock = system_clock,
                 name: Optional[Text] = None, batch: int = 100, threads: int = 8) -> None:
        self.database = database
        self.deliver = deliver
        self.timing = timing or Timing.from_env()
        self.clock = clock
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.batch = batch
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="checkin")

    def run_once(self) -> Tally:
        """Delivers everything due now (batch after batch), then returns what happened."""
        tally = Tally()
        with self.database.session() as session:
            tally.recovered = queue.recover_abandoned(session, self.clock())
        while True:
            with self.database.session() as session:
                claimed = queue.claim_due(session, self.name, self.clock(), self.timing, self.batch)
            if not claimed:
                return tally
            self._deliver_all(claimed, tally)

    def send_now(self, checkin_id: int) -> Optional[Text]:
        """Delivers one pending check-in at once (operator); its new status, None if not pending."""
        with self.database.session() as session:
            claimed = queue.claim_one(session, checkin_id, self.name, self.clock())
        if claimed is None:
            return None
        return self._deliver_all([claimed], Tally())[0]

    def _deliver_all(self, claimed: List[Claimed], tally: Tally) -> List[Text]:
        outcomes = list(self.pool.map(self.deliver, claimed))
        with self.database.session() as session:
            done = queue.finish_all(session, {checkin.id: (outcome.error, outcome.server_failed)
                                              for checkin, outcome in zip(claimed, outcomes)},
                                    self.clock())
        statuses = []
        for checkin, outcome in zip(claimed, outcomes):
            status = done[checkin.id]
            statuses.append(status)
            tally.add(status)
            if status == "failed":
                logger.error("check-in %s failed after %s attempts: %s", checkin.id,
                             checkin.attempts, outcome.error)
            elif status == "pending":
                logger.warning("check-in %s not delivered (attempt %s), will retry: %s",
                               checkin.id, checkin.attempts, outcome.error)
        return statuses

    def run_forever(self, poll: float = 5.0, stop: Optional[threading.Event] = None) -> None:
        """Passes every `poll` seconds until `stop` is set; a store outage is logged and waited out."""
        stop = stop or threading.Event()
        logger.info("check-in worker %s polling every %.1f s", self.name, poll)
        while not stop.is_set():
            try:
                tally = self.run_once()
                if tally.sent or tally.retrying or tally.failed or any(tally.recovered.values()):
                    logger.info("check-ins: %s sent, %s to retry, %s failed, recovered %s",
                                tally.sent, tally.retrying, tally.failed, tally.recovered)
            except StoreUnavailable as error:
                logger.error("progress store unavailable, retrying: %s", error)
            stop.wait(poll)

    def close(self) -> None:
        self.pool.shutdown(wait=True)


def fixed_clock(at: datetime) -> Clock:
    """A clock that starts at `at` and runs at the normal pace from there."""
    offset = at - system_clock()
    return lambda: system_clock() + offset

