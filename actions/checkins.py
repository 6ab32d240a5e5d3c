"""Check-in actions: ask before checking in, schedule, move or stop check-ins, and speak one when
the scheduler delivers it (`EXTERNAL_checkin`, through Rasa's trigger_intent).

The timing is `runner_up.checkins.timing`; the queue is `runner_up.store.checkins`.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import database, is_private, progress, say, store_back, store_unavailable
from actions.picture import send_picture
from runner_up import picture
from runner_up.checkins.timing import Timing, describe, parse_day, zone
from runner_up.guidance.catalogue import load
from runner_up.store import StoreUnavailable, repository
from runner_up.store import checkins as queue
from runner_up.store.models import Checkin, Person, utcnow

logger = logging.getLogger(__name__)

ASKED_SLOT = "checkin_asked"


def browser_zone(tracker: Tracker) -> Optional[Text]:
    """The time zone the person's client sent with their latest message (the web widget does)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            metadata = event.get("metadata") or {}
            name = metadata.get("timezone") if isinstance(metadata, dict) else None
            return name if zone(name) else None
    return None


def remember_zone(tracker: Tracker, person: Person) -> None:
    name = browser_zone(tracker)
    if name:
        person.time_zone = name


def settle(tracker: Tracker, timing: Timing, now: datetime.datetime,
           consent: Optional[bool] = None) -> Tuple[Optional[bool], Optional[datetime.datetime], Optional[Text]]:
    """Keeps the browser's zone, records `consent` if given, and, if the person consents, schedules
    the check-in for their latest rejection. Returns (consent, due time or None, their zone)."""
    with progress(tracker) as (session, person):
        remember_zone(tracker, person)
        if consent is not None:
            repository.set_checkin_consent(session, person, consent)
        rejection = repository.latest_rejection(session, person) if person.checkin_consent else None
        due = None if rejection is None else queue.schedule(
            session, person, rejection, timing.first_due(now, person.time_zone)).due_at
        return person.checkin_consent, due, person.time_zone


class ActionAskCheckin(Action):
    """After a rejection is recorded: asks whether we may check in (once); if the person already
    said yes, schedules it; if they said no, says nothing."""

    def name(self) -> Text:
        return "action_ask_checkin"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> List[Dict[Text, Any]]:
        timing, now = Timing.from_env(), utcnow()
        try:
            consent, due, zone_name = settle(tracker, timing, now)
        except StoreUnavailable as error:  # without the store there is nothing to schedule with
            return store_unavailable(dispatcher, tracker, error) + [SlotSet(ASKED_SLOT, False)]
        if consent is None:
            return (store_back(tracker) + [SlotSet(ASKED_SLOT, True)]
                    + say(dispatcher, tracker, domain, "utter_ask_checkin_consent"))
        events = store_back(tracker) + [SlotSet(ASKED_SLOT, False)]
        if due is not None:  # the variant said is remembered too (say's event)
            events += say(dispatcher, tracker, domain, "utter_checkin_scheduled",
                          when=describe(due, zone_name, timing, now))
        return events


class ActionAcceptCheckin(Action):
    """A yes to check-ins: consent recorded, the check-in scheduled and its day said."""

    def name(self) -> Text:
        return "action_accept_checkin"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> List[Dict[Text, Any]]:
        timing, now = Timing.from_env(), utcnow()
        try:
            _, due, zone_name = settle(tracker, timing, now, consent=True)
        except StoreUnavailable as error:
            return store_unavailable(dispatcher, tracker, error) + [SlotSet(ASKED_SLOT, False)]
        events = [SlotSet(ASKED_SLOT, False)] + store_back(tracker)
        if due is None:
            return events + say(dispatcher, tracker, domain, "utter_checkin_nothing_to_move")
        return events + say(dispatcher, tracker, domain, "utter_checkin_scheduled",
                            when=describe(due, zone_name, timing, now))


class ActionDeclineCheckin(Action):
    """A no to check-ins: consent withdrawn (pending ones cancelled), and not asked again."""

    response = "utter_checkin_declined"

    def name(self) -> Text:
        return "action_decline_checkin"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> List[Dict[Text, Any]]:
        answered = [SlotSet(ASKED_SLOT, False)]
        try:
            with progress(tracker) as (session, person):
                cancelled = repository.set_checkin_consent(session, person, False)
        except StoreUnavailable as error:
            return store_unavailable(dispatcher, tracker, error) + answered
        logger.info("check-ins declined or stopped, %s pending cancelled", cancelled)
        return answered + store_back(tracker) + say(dispatcher, tracker, domain, self.response)


class ActionStopCheckins(ActionDeclineCheckin):
    """"Stop checking in", from any point: the same as a no, said as a stop."""

    response = "utter_checkins_stopped"

    def name(self) -> Text:
        return "action_stop_checkins"


class ActionRescheduleCheckin(Action):
    """"Check in on Friday", "later", "check in on me": moves the next check-in to the day asked for
    (a day later when none is named), or schedules one for the latest rejection."""

    needs_rejection = True  # with no interview on record there is nothing to check in about
    response = "utter_checkin_moved"

    def name(self) -> Text:
        return "action_reschedule_checkin"

    def due(self, tracker: Tracker, timing: Timing, now: datetime.datetime, person: Person,
            upcoming: List[Checkin]) -> datetime.datetime:
        """The day asked for; else a day after the pending check-in ("later"); else the usual few
        days ("check in on me")."""
        local_today = now.astimezone(timing.zone_of(person.time_zone)).date()
        day = parse_day(tracker.latest_message.get("text") or "", local_today)
        if day is not None:
            return timing.due_on(day, person.time_zone)
        if upcoming:
            return timing.outside_quiet_hours(upcoming[0].due_at + datetime.timedelta(days=1),
                                              person.time_zone)
        return timing.first_due(now, person.time_zone)

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> List[Dict[Text, Any]]:
        timing, now = Timing.from_env(), utcnow()
        try:
            with progress(tracker) as (session, person):
                remember_zone(tracker, person)
                due = self.due(tracker, timing, now, person, queue.pending(session, person))
                repository.set_checkin_consent(session, person, True)
                moved = queue.move_next(session, person, due)
                if moved is None:
                    rejection = repository.latest_rejection(session, person)
                    if rejection is not None or not self.needs_rejection:
                        moved = queue.schedule(session, person, rejection, due)
                zone_name = person.time_zone
        except StoreUnavailable as error:
            return store_unavailable(dispatcher, tracker, error)
        if moved is None:
            return store_back(tracker) + say(dispatcher, tracker, domain, "utter_checkin_nothing_to_move")
        return store_back(tracker) + say(dispatcher, tracker, domain, self.response,
                                         when=describe(due, zone_name, timing, now))


class ActionCheckinAfterCrisis(ActionRescheduleCheckin):
    """A yes to "shall I check in with you in a little while?", asked once the person said they are
    safe: a check-in tomorrow (sooner if one is already due before then), also with no interview on
    record."""

    needs_rejection = False
    response = "utter_checkin_scheduled"

    def name(self) -> Text:
        return "action_checkin_after_crisis"

    def due(self, tracker: Tracker, timing: Timing, now: datetime.datetime, person: Person,
            upcoming: List[Checkin]) -> datetime.datetime:
        tomorrow = now.astimezone(timing.zone_of(person.time_zone)).date() + datetime.timedelta(days=1)
        return min([timing.due_on(tomorrow, person.time_zone)] + [c.due_at for c in upcoming[:1]])


class ActionDeliverCheckin(Action):
    """Speaks a check-in the scheduler is delivering: only once per check-in (the stamp in the store
    refuses a second delivery), asking how they are and naming a step they had taken on."""

    def name(self) -> Text:
        return "action_deliver_checkin"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: DomainDict) -> List[Dict[Text, Any]]:
        checkin_id = next((e.get("value") for e in tracker.latest_message.get("entities") or []
                           if e.get("entity") == "checkin_id"), None)
        try:
            checkin_id = int(checkin_id)
        except (TypeError, ValueError):
            logger.warning("check-in trigger without a valid checkin_id: %r", checkin_id)
            return []
        catalogue = load()
        try:
            with database().session() as session:
                checkin = queue.mark_delivered(session, checkin_id, tracker.sender_id)
                if checkin is None:
                    logger.info("check-in %s already delivered or not claimed: nothing said", checkin_id)
                    return []
                company = checkin.rejection.company if checkin.rejection else None
                open_steps = [s for s, status in repository.step_statuses(session, checkin.person).items()
                              if status == "accepted" and catalogue.get(s)]
                # The picture of how they have been, once there is a mood to draw (never in a
                # channel thread, where others read along, nor during a crisis).
                chart = (picture.for_person(session, checkin.person, catalogue)
                         if is_private(tracker) and not tracker.get_slot("in_crisis")
                         and repository.mood_count(session, checkin.person) else None)
        except StoreUnavailable as error:
            logger.error("check-in %s not delivered, the store is unavailable: %s", checkin_id, error)
            return []  # the scheduler sees no stamp and retries later
        events = (say(dispatcher, tracker, domain, "utter_checkin", company=company) if company
                  else say(dispatcher, tracker, domain, "utter_checkin_without_company"))
        if chart:
            send_picture(dispatcher, domain, "utter_mood_picture_checkin", chart)
        if open_steps and not tracker.get_slot("in_crisis"):
            title = catalogue[open_steps[0]].title
            events += say(dispatcher, tracker, domain, "utter_checkin_open_step",
                          step=title[:1].lower() + title[1:])
        return events
