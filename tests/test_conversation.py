"""Whole conversations through the REST channel, with the action server and the progress store."""

from __future__ import annotations

import datetime
import uuid

import pytest
from sqlalchemy import select

from runner_up.guidance.catalogue import load
from runner_up.store import repository
from runner_up.store.db import Database
from runner_up.store.models import Checkin, MoodEntry, Rejection
from tests.dialogue import answer_the_form, texts, variants


def sender() -> str:
    return f"test-{uuid.uuid4()}"


@pytest.mark.slow
def test_a_rejection_from_first_contact_to_a_step_done(servers) -> None:
    who = sender()
    greeting = texts(servers.say(who, "hello"))
    assert greeting == list(variants("utter_greet"))

    reply = texts(servers.say(who, "Acme turned me down this morning for the analyst job and I'm absolutely gutted"))
    assert reply[0] in variants("utter_reflect_feeling", "sad"), "the feeling comes first"
    questions = {"utter_ask_company", "utter_ask_role", "utter_ask_interviewer", "utter_ask_when"}
    asked = [name for name in questions if reply[-1] in variants(name)]
    assert asked, f"the form asks for a detail: {reply}"

    reply, heard_on = answer_the_form(servers.say, who, reply)  # "this morning", or "yesterday"
    assert reply[-1] in variants("utter_ask_checkin_consent"), f"then, may I check in? {reply}"
    reply = texts(servers.say(who, "yes please"))
    assert any(t.startswith(("I'll check in", "Good, I'll write")) for t in reply), reply
    offers = {t for step in load().steps for t in variants(step.offer)}
    assert reply[-1] in offers, f"after the details, one step is offered: {reply}"

    accepted = texts(servers.say(who, "yes"))
    guides = {t for step in load().steps for t in variants(step.guide)}
    assert accepted[0] in guides
    done = texts(servers.say(who, "done! I sent it off this morning"))
    assert any("done" in t for t in done), (accepted, done)
    summary = texts(servers.say(who, "what have I done so far?"))
    assert summary[0].startswith("Here's where you are") and "Rejections you told me about: 1" in summary[0]

    database = Database(servers.database_url)
    with database.session() as session:
        person = repository.get_or_create_person(session, "rest", f"rest:{who}")
        rejection = session.scalars(select(Rejection).where(Rejection.person == person)).one()
        assert rejection.company == "Acme" and rejection.interviewer is None
        assert rejection.happened_on == heard_on
        assert "done" in repository.step_statuses(session, person).values()
        moods = session.scalars(select(MoodEntry).where(MoodEntry.person == person)).all()
        assert moods and moods[0].emotion == "sad"
        assert person.checkin_consent is True
        (checkin,) = session.scalars(select(Checkin).where(Checkin.person == person)).all()
        assert checkin.status == "pending" and checkin.rejection == rejection
    database.dispose()


@pytest.mark.slow
def test_after_a_crisis_a_yes_to_checking_in_schedules_one(servers) -> None:
    who = sender()
    care = texts(servers.say(who, "i don't want to be alive anymore"))
    assert care[-1] in variants("utter_crisis_ask_safe"), care
    safe = texts(servers.say(who, "yes I'm safe"))
    assert safe and safe[-1] in variants("utter_crisis_glad_safe"), safe
    reply = texts(servers.say(who, "yes please"))
    assert any(t.startswith(("I'll check in", "Good, I'll write")) for t in reply), reply

    database = Database(servers.database_url)
    with database.session() as session:
        person = repository.get_or_create_person(session, "rest", f"rest:{who}")
        (checkin,) = session.scalars(select(Checkin).where(Checkin.person == person)).all()
        assert person.checkin_consent is True and checkin.status == "pending"
        assert checkin.rejection is None, "no interview was told: the check-in is about them"
        hours = (checkin.due_at - datetime.datetime.now(datetime.timezone.utc)).total_seconds() / 3600
        assert 0 < hours <= 48, "tomorrow, not in a few days"
    database.dispose()


@pytest.mark.slow
def test_each_conversation_keeps_its_own_emotion(servers) -> None:
    angry, hopeful = sender(), sender()
    a = texts(servers.say(angry, "they ghosted me after 3 interviews, I'm furious, so unfair"))
    h = texts(servers.say(hopeful, "I got the offer!! so happy, I start in June"))
    assert a[0] in variants("utter_reflect_feeling", "angry")
    assert not set(h) & variants("utter_reflect_feeling", "angry")


@pytest.mark.slow
def test_coming_back_days_later_is_greeted_with_what_was_said(servers) -> None:
    who = sender()
    database = Database(servers.database_url)
    with database.session() as session:
        person = repository.get_or_create_person(session, "rest", f"rest:{who}")
        repository.record_rejection(session, person, company="Globex")
        person.last_seen_at = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=4)
    database.dispose()
    said = texts(servers.say(who, "hi"))
    assert any("Globex" in t for t in said), said


@pytest.mark.slow
def test_export_then_delete_my_data_leaves_nothing_behind(servers) -> None:
    import json
    import sqlite3

    from sqlalchemy import func

    from runner_up.store.models import Base

    who, other = sender(), sender()
    for person in (who, other):
        servers.say(person, "hello")
        reply = texts(servers.say(person, "Acme turned me down this morning for the analyst job and I'm absolutely gutted"))
        answer_the_form(servers.say, person, reply)
        servers.say(person, "yes please")  # check-ins: a pending row too

    exported = texts(servers.say(who, "export my data"))
    data = json.loads(exported[-1].strip("`\n"))
    assert data["progress"]["rejections"][0]["company"] == "Acme"
    assert data["progress"]["checkins"][0]["status"] == "pending"
    assert any("turned me down" in m["text"] for m in data["conversation"] if m["from"] == "you")

    database = Database(servers.database_url)
    with database.session() as session:
        gone = repository.find_person(session, "rest", f"rest:{who}").id
    assert texts(servers.say(who, "delete my data")) == list(variants("utter_ask_delete_confirm"))
    assert texts(servers.say(who, "yes")) == list(variants("utter_data_deleted"))

    with database.session() as session:
        assert repository.find_person(session, "rest", f"rest:{who}") is None
        assert repository.find_person(session, "rest", f"rest:{other}") is not None
        for table in Base.metadata.sorted_tables:  # every table: nothing of theirs is left
            key = table.c.id if table.name == "people" else table.c.get("person_id")
            assert key is not None, f"{table.name} is not tied to a person: check what it keeps"
            assert session.scalar(select(func.count()).select_from(table).where(key == gone)) == 0, table.name
    database.dispose()
    conversations = sqlite3.connect(servers.tracker_db)
    assert conversations.execute("select count(*) from events where sender_id = ?", (f"rest:{who}",)).fetchone() == (0,)
    assert conversations.execute("select count(*) from events where sender_id = ?", (f"rest:{other}",)).fetchone()[0] > 10
    conversations.close()
    assert texts(servers.say(who, "hello")) == list(variants("utter_greet")), "a blank page"
