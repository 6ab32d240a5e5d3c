"""Gives a person a check-in and delivers it now, through the scheduler's own code (claim, Rasa's
trigger_intent with their channel, the action's stamp). The browser test calls it from Node:

    python -m tests.send_checkin DATABASE_URL RASA_URL CHANNEL SENDER_ID [COMPANY]

SENDER_ID is the conversation id (`web:<session>`, `slack:<team>:<user>`); Rasa's API token is
RASA_TOKEN from the environment, sent as the scheduler sends it. Prints the check-in's final status
and exits 0 only when it was sent.
"""

from __future__ import annotations

import os
import sys
from typing import Optional, Sequence

from runner_up.checkins.worker import RasaDelivery, Worker
from runner_up.store import checkins as queue
from runner_up.store import repository
from runner_up.store.db import Database
from runner_up.store.models import utcnow


def send_checkin(database_url: str, rasa_url: str, channel: str, sender_id: str,
                 company: str = "Acme") -> str:
    database = Database(database_url)
    try:
        with database.session() as session:
            person = repository.get_or_create_person(session, channel, sender_id)
            rejection = repository.record_rejection(session, person, company=company)
            checkin_id = queue.schedule(session, person, rejection, utcnow()).id
        worker = Worker(database, RasaDelivery(rasa_url, os.environ.get("RASA_TOKEN")), threads=1)
        try:
            return worker.send_now(checkin_id) or "not pending"
        finally:
            worker.close()
    finally:
        database.dispose()


def main(argv: Optional[Sequence[str]] = None) -> int:
    status = send_checkin(*(argv if argv is not None else sys.argv[1:]))
    print(status)
    return 0 if status == "sent" else 1


if __name__ == "__main__":
    sys.exit(main())
