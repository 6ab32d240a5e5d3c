"""Custom actions: a fresh tracker, dispatcher and SQLite progress store per test; the events
returned and the responses sent are both checked, and so is what the store holds."""

from __future__ import annotations

import datetime
from typing import Any, Dict, List, Optional

from zoneinfo import ZoneInfo

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher
from sqlalchemy import select

from actions import common
from actions.checkins import (
    ActionAcceptCheckin,
    ActionAskCheckin,
    ActionCheckinAfterCrisis,
    ActionDeclineCheckin,
    ActionDeliverCheckin,
    ActionRescheduleCheckin,
    ActionStopCheckins,
)
from actions.crisis import ActionFlagCrisis
from actions.feelings import ActionReflectFeeling, felt_emotion
from actions.progress import ActionGreet, ActionProgressSummary, ActionRecordStrength
from actions.rejection import ActionRecordRejection, ValidateRejectionForm
from actions.steps import (
    ActionAcceptStep,
    ActionAnotherStep,
    ActionDeclineStep,
    ActionOfferStep,
    ActionSecondChance,
    ActionSendTemplate,
    ActionStepDone,
)
from runner_up.guidance.catalogue import load
from runner_up.settings import ROOT
from runner_up.store import repository
from runner_up.store.db import Database
from runner_up.store.models import Checkin, CrisisFlag, MoodEntry, Person, Rejection

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())
CATALOGUE = load()


@pytest.fixture
def store(tmp_path, monkeypatch) -> Database:
    """A fresh, migrated SQLite store that the actions use."""
    url = f"sqlite:///{tmp_path / 'progress.sqlite3'}"
    database = Database(url)
    database.upgrade()
    monkeypatch.setenv("DATABASE_URL", url)
    common.database.cache_clear()
    yield database
    common.database().dispose()
    common.database.cache_clear()
    database.dispose()


@pytest.fixture
def store_down(tmp_path, monkeypatch) -> None:
    """DATABASE_URL points at a port where nothing listens."""
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nothing")
    common.database.cache_clear()
    yield
    common.database.cache_clear()


def tracker(parse: Optional[Dict[str, Any]] = None, slots: Optional[Dict[str, Any]] = None,
            sender: str = "someone", events: Optional[List[Dict]] = None) -> Tracker:
    return Tracker(sender, dict(slots or {}), parse or {}, events or [], False, None, {}, "action_listen")


def run(action, parse=None, slots=None, sender="someone", events=None):
    dispatcher = CollectingDispatcher()
    result = action.run(dispatcher, tracker(parse, slots, sender, events), DOMAIN)
    return result, dispatcher.messages


def texts(messages) -> List[str]:
    return [m.get("text") or m.get("response") for m in messages]


def variants(name: str) -> List[str]:
    return [v["text"] for v in DOMAIN["responses"][name]]


def person(database: Database, sender: str = "someone") -> Person:
    with database.session() as session:
        return repository.get_or_create_person(session, "rest", sender)


def test_registered_actions_and_domain_actions_are_the_same_set() -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    assert set(executor.actions) == set(DOMAIN["actions"])


@pytest.mark.parametrize("parse, expected", [
    ({"emotion": {"name": "sad", "confidence": 0.9}}, "sad"),
    ({"emotion": {"name": "angry", "confidence": 0.41}}, "angry"),
    ({"emotion": {"name": "angry", "confidence": 0.2}}, "neutral"),
    ({"emotion": {"name": "bored", "confidence": 0.9}}, "neutral"),
    ({}, "neutral"),
])
def test_felt_emotion(parse: dict, expected: str) -> None:
    assert felt_emotion(parse) == expected


def test_reflect_feeling_answers_for_that_emotion_and_logs_the_mood(store: Database) -> None:
    parse = {"emotion": {"name": "anxious", "confidence": 0.8}, "stage": {"name": "waiting", "confidence": 0.7}}
    events, messages = run(ActionReflectFeeling(), parse)
    anxious = [v["text"] for v in DOMAIN["responses"]["utter_reflect_feeling"]
               if v.get("condition", [{}])[0].get("value") == "anxious"]
    assert texts(messages)[0] in anxious
    assert SlotSet("emotion", "anxious") in events and SlotSet("stage", "waiting") in events
    with store.session() as session:
        mood = session.scalars(select(MoodEntry)).one()
        assert (mood.emotion, mood.stage, mood.confidence) == ("anxious", "waiting", 0.8)


def test_the_same_sentence_is_not_read_twice_in_a_row(store: Database) -> None:
    parse = {"emotion": {"name": "sad", "confidence": 0.9}}
    slots: Dict[str, Any] = {}
    said = []
    for _ in range(6):
        events, messages = run(ActionReflectFeeling(), parse, slots)
        said.append(texts(messages)[0])
        slots.update({e["name"]: e["value"] for e in events if e["event"] == "slot"})
    assert all(a != b for a, b in zip(said, said[1:]))


def test_offer_then_accept_a_step_with_its_template(store: Database) -> None:
    slots = {"company": "Acme", "role": "Data Analyst", "interviewer": "Priya Raman",
             "when": "2026-11-20", "has_rejection": True}
    parse = {"emotion": {"name": "neutral", "confidence": 0.9}, "stage": {"name": "just_rejected", "confidence": 0.9}}
    events, messages = run(ActionOfferStep(), parse, slots)
    offered = next(e["value"] for e in events if e.get("name") == "current_step")
    step = CATALOGUE[offered]
    assert texts(messages)[0] in variants(step.offer)
    assert step.template is not None, "a neutral, fresh rejection with details gets a practical step"

    events, messages = run(ActionAcceptStep(), parse, {**slots, "current_step": offered})
    assert texts(messages)[0] in variants(step.guide)
    letter = texts(messages)[1]
    assert "Priya Raman" in letter and "Acme" in letter and "{" not in letter
    with store.session() as session:
        assert repository.step_statuses(session, person(store)) == {offered: "accepted"}


def test_a_step_asking_for_a_strength_opens_its_form(store: Database) -> None:
    events, _ = run(ActionAcceptStep(), {}, {"current_step": "focus_on_your_strengths"})
    assert FollowupAction("strength_form") in events


def test_another_step_is_a_different_one(store: Database) -> None:
    parse = {"emotion": {"name": "sad", "confidence": 0.9}, "stage": {"name": "just_rejected", "confidence": 0.9}}
    events, _ = run(ActionOfferStep(), parse)
    first = next(e["value"] for e in events if e.get("name") == "current_step")
    events, _ = run(ActionAnotherStep(), parse, {"current_step": first})
    second = next(e["value"] for e in events if e.get("name") == "current_step")
    assert second != first


def test_would_they_consider_me_again_gets_an_answer_then_the_step_that_helps(store: Database) -> None:
    parse = {"emotion": {"name": "anxious", "confidence": 0.9}, "stage": {"name": "unknown", "confidence": 0.9}}
    slots = {"company": "Acme", "has_rejection": True}
    events, messages = run(ActionSecondChance(), parse, slots)
    assert texts(messages)[0] in variants("utter_second_chance")
    assert SlotSet("current_step", "stay_in_the_running") in events
    assert texts(messages)[1] in variants(CATALOGUE["stay_in_the_running"].offer)
    # Once that step is taken, the next way back in: the CV on file.
    with store.session() as session:
        repository.set_step_status(session, person(store), "stay_in_the_running", "done")
    events, _ = run(ActionSecondChance(), parse, slots)
    assert SlotSet("current_step", "keep_your_cv_on_file") in events


def test_declined_and_done_are_remembered_and_summarised(store: Database) -> None:
    run(ActionDeclineStep(), {}, {"current_step": "be_grateful"})
    events, messages = run(ActionStepDone(), {"text": "done, I did that one last night"},
                           {"current_step": "dont_take_it_personally"})
    assert SlotSet("current_step", None) in events
    assert "Don't take it personally" in texts(messages)[0]
    with store.session() as session:
        assert repository.step_statuses(session, person(store)) == {
            "be_grateful": "declined", "dont_take_it_personally": "done"}
    _, messages = run(ActionProgressSummary())
    assert messages[0]["response"] == "utter_progress_summary"
    assert "Don't take it personally" in messages[0]["done"]


def test_a_strength_is_kept_and_reflected_back(store: Database) -> None:
    _, messages = run(ActionRecordStrength(), {"text": "I stay calm with upset customers",
                                               "intent": {"name": "share_strength"}})
    assert "I stay calm with upset customers" in texts(messages)[0]
    _, messages = run(ActionProgressSummary())
    assert "I stay calm with upset customers" in messages[0]["strengths"]


def test_each_template_is_sent_filled(store: Database) -> None:
    for template in ("thank_you", "feedback_request", "keep_cv", "stay_in_running", "linkedin", "follow_up"):
        events, messages = run(ActionSendTemplate(), {}, {"template_type": template, "company": "Acme"})
        assert messages[0]["response"] == "utter_template_intro"
        assert "Acme" in texts(messages)[1] or template == "linkedin"
        assert "{" not in texts(messages)[1] and "Best regards," in texts(messages)[1]
        assert SlotSet("template_type", None) in events


def test_the_form_never_insists_and_refuses_absurd_input(store: Database) -> None:
    form = ValidateRejectionForm()
    dispatcher = CollectingDispatcher()
    skip = tracker({"text": "skip", "intent": {"name": "deny"}})
    assert form.validate_company("skip", dispatcher, skip, DOMAIN) == {"company": "skipped"}
    huge = "A" * 10_000
    answer = tracker({"text": huge, "intent": {"name": "inform"}})
    assert form.validate_company(huge, dispatcher, answer, DOMAIN) == {"company": None}
    assert dispatcher.messages[-1]["response"] == "utter_name_too_long"
    assert form.validate_when("3 March 2031", dispatcher, answer, DOMAIN) == {"when": None}
    assert dispatcher.messages[-1]["response"] == "utter_when_in_future"
    assert form.validate_when("3 days ago", dispatcher, answer, DOMAIN) == {
        "when": (datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=3)).isoformat()}


@pytest.mark.parametrize("said, intent, entity, kept", [
    ("Vorvorix", "nlu_fallback", None, "Vorvorix"),  # unknown to the NLU: still the answer
    ("Zephyr Labs", "tell_what_happened", "Labs", "Zephyr Labs"),  # the entity had only part of it
    ("it was Acme", "inform", "Acme", "Acme"),  # filler around the entity
    ("Northwind Traders.", "inform", "Northwind", "Northwind Traders"),
    ("no idea", "nlu_fallback", None, "skipped"),
    ("why do you even need to know that", "out_of_scope", None, "skipped"),  # not an answer
])
def test_a_name_given_to_the_form_is_kept_as_typed(said, intent, entity, kept) -> None:
    form = ValidateRejectionForm()
    answer = tracker({"text": said, "intent": {"name": intent}}, {"requested_slot": "company"})
    assert form.validate_company(entity or said, CollectingDispatcher(), answer, DOMAIN) == {"company": kept}


def test_the_rejection_is_recorded_without_skipped_details(store: Database) -> None:
    events, messages = run(ActionRecordRejection(), {}, {
        "company": "Acme", "role": "skipped", "interviewer": None, "when": "2026-11-18"})
    assert SlotSet("has_rejection", True) in events
    with store.session() as session:
        rejection = session.scalars(select(Rejection)).one()
        assert (rejection.company, rejection.role, rejection.happened_on) == (
            "Acme", None, datetime.date(2026, 11, 18))


def test_first_contact_says_what_is_kept_and_how_to_delete_it(store: Database) -> None:
    _, messages = run(ActionGreet())
    assert messages[0]["response"] == "utter_greet"
    intro = DOMAIN["responses"]["utter_greet"][0]["text"]
    assert "delete my data" in intro and "what happened?" in intro


def test_coming_back_days_later_is_greeted_with_what_was_said(store: Database) -> None:
    with store.session() as session:
        someone = repository.get_or_create_person(session, "rest", "back-again")
        repository.record_rejection(session, someone, company="Acme")
        someone.last_seen_at = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=3)
    events, messages = run(ActionGreet(), sender="back-again")
    assert messages == [{**messages[0], "response": "utter_welcome_back", "company": "Acme"}]
    assert SlotSet("has_rejection", True) in events
    _, messages = run(ActionGreet(), sender="back-again")
    assert texts(messages)[0] in variants("utter_greet_again")  # seen a moment ago


def test_a_configured_country_is_used_for_crisis_resources(store: Database, monkeypatch) -> None:
    monkeypatch.setenv("RUNNER_UP_DEFAULT_COUNTRY", "ie")
    events, _ = run(ActionGreet())
    assert SlotSet("country", "IE") in events


def test_the_crisis_flag_keeps_a_time_and_nothing_said(store: Database) -> None:
    run(ActionFlagCrisis(), {"text": "something private"})
    with store.session() as session:
        flag = session.scalars(select(CrisisFlag)).one()
        assert flag.flagged_at is not None
        assert {c.name for c in CrisisFlag.__table__.columns} == {"id", "person_id", "flagged_at"}


def test_store_down_an_honest_message_once_and_the_conversation_goes_on(store_down: None) -> None:
    parse = {"emotion": {"name": "sad", "confidence": 0.9}, "stage": {"name": "just_rejected", "confidence": 0.9}}
    events, messages = run(ActionReflectFeeling(), parse)
    assert messages[-1]["response"] == "utter_progress_unavailable"
    assert SlotSet("progress_unavailable", True) in events
    events, messages = run(ActionOfferStep(), parse, {"progress_unavailable": True})
    assert [m for m in messages if m.get("response") == "utter_progress_unavailable"] == []
    offered = next(e["value"] for e in events if e.get("name") == "current_step")
    assert texts(messages)[-1] in variants(CATALOGUE[offered].offer)
    events, _ = run(ActionStepDone(), {**parse, "text": "done it"},
                    {"current_step": offered, "progress_unavailable": True})
    assert SlotSet("step_statuses", {offered: "done"}) in events
    _, messages = run(ActionProgressSummary(), parse, {"progress_unavailable": True})
    assert messages == []  # nothing to summarise from, and the outage was already said


def test_nothing_stored_before_an_outage_is_lost(store: Database, monkeypatch) -> None:
    run(ActionStepDone(), {"text": "finished it"}, {"current_step": "be_grateful"})
    url = str(store.engine.url)
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nothing")
    common.database.cache_clear()
    _, messages = run(ActionStepDone(), {"text": "did that"}, {"current_step": "look_after_yourself"})
    assert messages[-1]["response"] == "utter_progress_unavailable"
    monkeypatch.setenv("DATABASE_URL", url)
    common.database.cache_clear()
    with store.session() as session:
        assert repository.step_statuses(session, person(store)) == {"be_grateful": "done"}


def test_a_heavy_feeling_is_reflected_before_a_step_is_offered(store: Database) -> None:
    parse = {"emotion": {"name": "ashamed", "confidence": 0.9}, "intent": {"name": "ask_next_step"}}
    events, messages = run(ActionOfferStep(), parse)
    ashamed = [v["text"] for v in DOMAIN["responses"]["utter_reflect_feeling"]
               if v.get("condition", [{}])[0].get("value") == "ashamed"]
    assert texts(messages)[0] in ashamed
    step = CATALOGUE[next(e["value"] for e in events if e.get("name") == "current_step")]
    assert texts(messages)[1] in variants(step.offer)


def test_feedback_help_walks_through_the_feedback_step(store: Database) -> None:
    from actions.progress import ActionFeedbackHelp

    events, messages = run(ActionFeedbackHelp(), {}, {"company": "Acme", "interviewer": "Sam"})
    assert SlotSet("current_step", "ask_for_feedback") in events
    assert texts(messages)[0] in variants("utter_step_ask_for_feedback_guide")
    assert "Dear Sam" in texts(messages)[1] and "Acme" in texts(messages)[1]
    with store.session() as session:
        assert repository.step_statuses(session, person(store)) == {"ask_for_feedback": "accepted"}


# --- check-ins ----------------------------------------------------------------------------------

def user_event(timezone_name: Optional[str]) -> Dict[str, Any]:
    return {"event": "user", "text": "hi", "metadata": {"timezone": timezone_name} if timezone_name else {}}


def pending_checkins(database: Database) -> List[Checkin]:
    with database.session() as session:
        return list(session.scalars(select(Checkin).where(Checkin.status == "pending")))


def told_about_acme(database: Database, sender: str = "someone") -> None:
    with database.session() as session:
        someone = repository.get_or_create_person(session, "rest", sender)
        repository.record_rejection(session, someone, company="Acme")


def test_consent_is_asked_once_then_a_yes_schedules_in_the_browsers_zone(store: Database) -> None:
    told_about_acme(store)
    events, messages = run(ActionAskCheckin(), events=[user_event("Asia/Tokyo")])
    assert texts(messages)[0] in variants("utter_ask_checkin_consent")
    assert SlotSet("checkin_asked", True) in events and not pending_checkins(store)

    events, messages = run(ActionAcceptCheckin(), events=[user_event("Asia/Tokyo")])
    assert SlotSet("checkin_asked", False) in events
    (checkin,) = pending_checkins(store)
    with store.session() as session:
        someone = session.get(Person, checkin.person_id)
        assert (someone.checkin_consent, someone.time_zone) == (True, "Asia/Tokyo")
    local = checkin.due_at.astimezone(ZoneInfo("Asia/Tokyo"))
    assert 9 <= local.hour < 21, "never in the quiet hours"
    assert 2.9 <= (checkin.due_at - datetime.datetime.now(datetime.timezone.utc)).total_seconds() / 86400 <= 3.6
    assert "{" not in texts(messages)[0] and texts(messages)[0].startswith(("I'll check in", "Good, I'll"))

    told_about_acme(store)  # a second rejection: consent known, no question, one more check-in
    events, messages = run(ActionAskCheckin())
    assert SlotSet("checkin_asked", False) in events and len(pending_checkins(store)) == 2


def test_a_no_is_remembered_and_not_asked_again(store: Database) -> None:
    told_about_acme(store)
    run(ActionDeclineCheckin())
    events, messages = run(ActionAskCheckin())
    assert messages == [] and SlotSet("checkin_asked", False) in events and not pending_checkins(store)


def test_stop_checking_in_cancels_what_is_pending(store: Database) -> None:
    told_about_acme(store)
    run(ActionAcceptCheckin())
    assert len(pending_checkins(store)) == 1
    events, messages = run(ActionStopCheckins())
    assert texts(messages)[0] in variants("utter_checkins_stopped")
    assert not pending_checkins(store)


def test_move_a_checkin_to_the_day_asked_for(store: Database) -> None:
    told_about_acme(store)
    run(ActionAcceptCheckin())
    events, messages = run(ActionRescheduleCheckin(), {"text": "can you check in on friday instead"})
    (checkin,) = pending_checkins(store)
    assert checkin.due_at.strftime("%A") == "Friday" and checkin.due_at.hour == 10
    from runner_up.checkins.timing import Timing, describe

    when = describe(checkin.due_at, "UTC", Timing(), datetime.datetime.now(datetime.timezone.utc))
    assert texts(messages)[0] in [v.format(when=when) for v in variants("utter_checkin_moved")]


def test_moving_without_anything_to_move_says_so(store: Database) -> None:
    events, messages = run(ActionRescheduleCheckin(), {"text": "check in on monday"})
    assert texts(messages) == variants("utter_checkin_nothing_to_move")


def test_a_checkin_is_spoken_once_with_the_company_and_the_open_step(store: Database) -> None:
    from runner_up.checkins.timing import Timing
    from runner_up.store import checkins as queue

    told_about_acme(store)
    run(ActionAcceptCheckin())
    with store.session() as session:
        someone = repository.get_or_create_person(session, "rest", "someone")
        repository.set_step_status(session, someone, "ask_for_feedback", "accepted")
        (claimed,) = queue.claim_due(session, "w", datetime.datetime.now(datetime.timezone.utc)
                                     + datetime.timedelta(days=5), Timing(quiet_start=0, quiet_end=0, idle=datetime.timedelta(0)))
    trigger = {"intent": {"name": "EXTERNAL_checkin"},
               "entities": [{"entity": "checkin_id", "value": str(claimed.id)}]}
    events, messages = run(ActionDeliverCheckin(), trigger)
    said = texts(messages)
    assert said[0] in [v.format(company="Acme") for v in variants("utter_checkin")[1:]]
    assert CATALOGUE["ask_for_feedback"].title[1:] in said[1]
    assert run(ActionDeliverCheckin(), trigger)[1] == [], "a second delivery says nothing"
    assert run(ActionDeliverCheckin(), trigger, sender="someone else")[1] == []
    assert run(ActionDeliverCheckin(), {"entities": [{"entity": "checkin_id", "value": "x"}]})[1] == []


def test_a_yes_after_a_crisis_schedules_a_checkin_tomorrow_without_an_interview(store: Database) -> None:
    events, messages = run(ActionCheckinAfterCrisis(), events=[user_event("Europe/Dublin")])
    (checkin,) = pending_checkins(store)
    with store.session() as session:
        someone = session.get(Person, checkin.person_id)
        assert (someone.checkin_consent, checkin.rejection_id) == (True, None)
    local = checkin.due_at.astimezone(ZoneInfo("Europe/Dublin"))
    today = datetime.datetime.now(ZoneInfo("Europe/Dublin")).date()
    assert local.date() == today + datetime.timedelta(days=1) and 9 <= local.hour < 21
    from runner_up.checkins.timing import Timing, describe

    when = describe(checkin.due_at, "Europe/Dublin", Timing(), datetime.datetime.now(datetime.timezone.utc))
    assert texts(messages)[0] in [v.format(when=when) for v in variants("utter_checkin_scheduled")]


def test_a_yes_after_a_crisis_brings_the_pending_checkin_forward_not_a_second_one(store: Database) -> None:
    told_about_acme(store)
    run(ActionAcceptCheckin())
    (before,) = pending_checkins(store)
    run(ActionCheckinAfterCrisis())
    (after,) = pending_checkins(store)
    assert after.id == before.id and after.due_at < before.due_at
    run(ActionCheckinAfterCrisis())  # asked again: tomorrow still, not later
    (again,) = pending_checkins(store)
    assert again.due_at == after.due_at


def test_a_checkin_after_a_crisis_asks_about_the_person_first(store: Database) -> None:
    from runner_up.checkins.timing import Timing
    from runner_up.store import checkins as queue

    run(ActionCheckinAfterCrisis())
    with store.session() as session:
        (claimed,) = queue.claim_due(session, "w", datetime.datetime.now(datetime.timezone.utc)
                                     + datetime.timedelta(days=2), Timing(quiet_start=0, quiet_end=0, idle=datetime.timedelta(0)))
    trigger = {"intent": {"name": "EXTERNAL_checkin"},
               "entities": [{"entity": "checkin_id", "value": str(claimed.id)}]}
    (gentle,) = [v["text"] for v in DOMAIN["responses"]["utter_checkin_without_company"]
                 if v.get("condition") == [{"type": "slot", "name": "had_crisis", "value": True}]]
    assert texts(run(ActionDeliverCheckin(), trigger, slots={"had_crisis": True})[1]) == [gentle]
    assert "thinking of you" in gentle


def test_a_yes_after_a_crisis_with_the_store_down_says_so(store_down: None) -> None:
    events, messages = run(ActionCheckinAfterCrisis())
    assert texts(messages) == ["utter_progress_unavailable"]


# --- privacy ------------------------------------------------------------------------------------

def test_export_gives_every_stored_row_and_the_conversation(store: Database) -> None:
    import json

    from actions.privacy import ActionExportData
    from tests.store_fixtures import populate

    with store.session() as session:
        populate(session, repository.get_or_create_person(session, "rest", "someone"),
                 datetime.datetime(2026, 11, 20, 9, tzinfo=datetime.timezone.utc))
    events = [{"event": "user", "text": "/greet"}, {"event": "bot", "text": "Hi", "timestamp": 1.0},
              {"event": "user", "text": "export my data", "timestamp": 2.0}]
    _, messages = run(ActionExportData(), events=events)
    assert texts(messages)[0] == "utter_export_intro"
    body = texts(messages)[1]
    assert body.startswith("```\n") and body.endswith("\n```")
    data = json.loads(body[4:-4])
    progress = data["progress"]
    for table in ("rejections", "mood_entries", "steps", "strengths", "skill_gaps", "checkins",
                  "crisis_flags"):
        assert len(progress[table]) == 1, table
    assert progress["rejections"][0]["company"] == "Acme"
    assert progress["person"]["sender_id"] == "someone"
    assert data["conversation"] == [{"from": "Runner-Up", "text": "Hi", "at": 1.0},
                                    {"from": "you", "text": "export my data", "at": 2.0}]


def test_delete_erases_every_row_of_the_person_and_asks_to_erase_the_conversation(store: Database) -> None:
    from sqlalchemy import func

    from actions.privacy import ActionDeleteData
    from runner_up.store.models import Base
    from tests.store_fixtures import populate

    now = datetime.datetime(2026, 11, 20, 9, tzinfo=datetime.timezone.utc)
    with store.session() as session:
        populate(session, repository.get_or_create_person(session, "rest", "someone"), now)
        populate(session, repository.get_or_create_person(session, "rest", "someone else"), now)
    events, messages = run(ActionDeleteData())
    assert events == [SlotSet("erase_conversation", True)]
    assert texts(messages) == ["utter_data_deleted"]
    with store.session() as session:
        for table in Base.metadata.sorted_tables:  # every table: one person's rows are left
            rows = session.scalar(select(func.count()).select_from(table))
            assert rows == 1, table.name
        assert session.scalars(select(Person.sender_id)).all() == ["someone else"]


def test_delete_with_the_store_down_erases_nothing_and_says_so(store_down) -> None:
    from actions.privacy import ActionDeleteData

    events, messages = run(ActionDeleteData())
    assert events == [] and texts(messages) == ["utter_delete_failed"]


@pytest.mark.parametrize("text, slot, entity, expected", [
    ("some guy called Piers", "interviewer", None, "Piers"),
    ("devops engineer, for all the good it did", "role", "engineer", "devops engineer"),
    # the whole message, as the form's from_text mapping gives it
    ("devops engineer, for all the good it did", "role", "devops engineer, for all the good it did",
     "devops engineer"),
    ("Priya Raman", "interviewer", "Priya", "Priya Raman"),
    ("it was Acme", "company", "Acme", "Acme"),
])
def test_the_answer_to_the_forms_question_is_the_detail_not_the_message(text, slot, entity, expected) -> None:
    from actions.rejection import answered_name

    asked = tracker({"text": text}, {"requested_slot": slot})
    assert answered_name(entity, asked, slot) == expected


@pytest.mark.parametrize("text, intent, skip", [
    ("devops engineer, for all the good it did", "deny", False),
    ("no idea", "deny", True),
    ("nope", "deny", True),
    ("skip", "inform", True),
    ("Acme", "inform", False),
])
def test_a_no_read_by_diet_skips_only_an_answer_that_says_no(text, intent, skip) -> None:
    from actions.rejection import is_skip

    assert is_skip(text, intent) is skip
