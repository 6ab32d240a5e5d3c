"""The plain readers behind the conversation (issue 18): a rejection's details in what a person
wrote, the strength phrase in a message, and whether a message says a step was done."""

from __future__ import annotations

import datetime

import pytest
from rasa.shared.nlu.training_data.message import Message

from runner_up.guidance.details import find_details
from runner_up.guidance.done import says_done
from runner_up.guidance.strengths import extract_strength
from runner_up.nlu.said_outright import SECOND_CHANCE, THANKS, SaidOutrightClassifier, answer_in, names_template, tells_rejection

TODAY = datetime.date(2026, 12, 7)  # a Monday


@pytest.mark.parametrize("text, expected", [
    ("so a recruiter from Hirewell rang me today to say the ops coordinator job went to someone internal",
     {"company": "Hirewell", "role": "ops coordinator", "when": "2026-12-07"}),
    ("and Globex turned me down this morning too. great week", {"company": "Globex", "when": "2026-12-07"}),
    ("i got told no by Pinecrest Logistics on friday", {"company": "Pinecrest Logistics", "when": "2026-12-04"}),
    ("I interviewed with Sarah at Google last Friday",
     {"company": "Google", "interviewer": "Sarah", "when": "2026-12-04"}),
    ("a guy called Derek", {"interviewer": "Derek"}),
    ("didn't get the nursing job at St Clare's. third no this month", {"company": "St Clare's", "role": "nursing"}),
    ("Initech said no to me for the junior dev role yesterday lol",
     {"company": "Initech", "role": "junior dev", "when": "2026-12-06"}),
    ("they went with someone else for the job at my dream company", {}),
    ("I'm so sad", {}),
    ("no idea who it was honestly, some panel", {}),
    ("Today I just feel numb", {"when": "2026-12-07"}),
])
def test_details_are_read_from_what_the_person_wrote(text, expected) -> None:
    assert find_details(text, TODAY) == expected


@pytest.mark.parametrize("text, expected", [
    ("i just told you one?? keeping things organised under pressure", "keeping things organised under pressure"),
    ("idk. im good at keeping things organised when everything is on fire",
     "keeping things organised when everything is on fire"),
    ("staying calm with frightened patients i guess", "staying calm with frightened patients"),
    ("Public speaking", "Public speaking"),
    ("I am really good at explaining technical stuff to non-technical people",
     "explaining technical stuff to non-technical people"),
    ("my strength is probably attention to detail", "attention to detail"),
    ("um, I guess I am a good listener", "a good listener"),
    ("honestly? writing clear documentation lol", "writing clear documentation"),
    ("people say im great with customers", "great with customers"),
    ("I can build a spreadsheet model in an afternoon", "build a spreadsheet model in an afternoon"),
    ("I told you already. problem solving.", "problem solving"),
    ("being patient", "being patient"),
    ("i'm good at keeping things organised under pressure, for what it's worth",
     "keeping things organised under pressure"),
    ("skip", None),
    ("idk", None),
    ("what do you mean", None),
    ("i just told you one??", None),
])
def test_the_strength_is_the_phrase_not_the_message(text, expected) -> None:
    assert extract_strength(text) == expected


@pytest.mark.parametrize("text, done", [
    ("done! I sent it off this morning", True),
    ("ok sent it!", True),
    ("finished it yesterday", True),
    ("yep, emailed her the thank you note", True),
    ("a feedback request. the one you just listed", False),
    ("ok thats actually good. i'll send it tonight. thanks", False),
    ("not yet, i haven't sent it", False),
    ("how do i send it", False),
    ("the thank you one", False),
])
def test_a_step_is_done_only_when_the_person_says_so(text, done) -> None:
    assert says_done(text) is done


@pytest.mark.parametrize("text, expected", [
    ("got rejeted from Pellham Hotels for the recepionist job yesterday, feel like crap", True),
    ("welp. Zentro said thanks but no thanks lol", True),
    ("THEY SAID NO. AGAIN. Corbel Group. I AM SO DONE WITH THIS", True),
    ("she rejected my pull request again", False),
    ("thanks so much", False),
    ("i really wanted this one", False),
])
def test_a_rejection_said_outright(text, expected) -> None:
    assert tells_rejection(text) is expected


@pytest.mark.parametrize("text, expected", [
    ("the thank you one", "thank_you"), ("a feedback request. the one you said", "feedback_request"),
    ("great. and the linkedin one?", "linkedin"), ("thank you", None), ("thanks so much", None),
    ("the follow up email please", "follow_up"),
])
def test_a_draft_named_outright(text, expected) -> None:
    assert names_template(text) == expected


def test_the_role_is_the_words_before_role_only() -> None:
    assert find_details("I heard from Calloway Health yesterday, it's a no for the physio role.", TODAY) == {
        "company": "Calloway Health", "role": "physio", "when": "2026-12-06"}


@pytest.mark.parametrize("text, role", [
    ("Gransden Foods rejected me yesterday, i was going for shift manager", "shift manager"),
    ("i was going for a walk after", None),
    ("Aldgate Software turned down my application for QA engineer last week", "qa engineer"),
    ("Beckett Logistics said no. dispatcher role. today.", "dispatcher"),
    ("Beckett Logistics said no. great job. today.", None),
])
def test_a_role_after_going_for_only_about_a_job(text, role) -> None:
    assert find_details(text, TODAY).get("role") == role


@pytest.mark.parametrize("text, told", [
    ("oh great, another 'we were very impressed but'. cheers Ardent Systems, really made my day", True),
    ("lovely. 'we regret to inform you' from Halden Bank again", True),
    ("Corvid Labs have decided not to proceed with my application", True),
    ("i was really impressed by the office but the commute is long", False),
])
def test_a_rejection_email_quoted_back_tells_the_rejection(text, told) -> None:
    assert tells_rejection(text) is told


@pytest.mark.parametrize("text, answer", [
    ("wow, a step. groundbreaking. fine, yes", "affirm"),
    ("go on then", "affirm"),
    ("yeah. two in one day", "affirm"),
    ("ok fine", "affirm"),
    ("too tired for that tbh", "deny"),
    ("nah not today", "deny"),
    ("haha nah give me a different one", "another_step"),
    ("yes and no", None),
    ("i said no to the recruiter and yes to the other one, it's complicated", None),
    ("the weather is nice", None),
    ("no way am i going through all of that again, this whole process is just exhausting and pointless", None),
])
def test_a_short_answer_said_outright(text, answer) -> None:
    assert answer_in(text) == answer


@pytest.mark.parametrize("text, asks", [
    ("do you think theyd ever consider me again in the future?", True),
    ("can i reapply there", True),
    ("they called me again for a second interview", False),
])
def test_a_second_chance_asked_outright(text, asks) -> None:
    assert bool(SECOND_CHANCE.search(text)) is asks


@pytest.mark.parametrize("text, thanks", [
    ("thanks, you're alright for a robot", True),
    ("cheers for that", True),
    ("that's a thankless job", False),
])
def test_a_thank_you_said_outright(text, thanks) -> None:
    assert bool(THANKS.search(text)) is thanks


def _read(text, intent, emotion, ranking):
    message = Message(data={"text": text, "intent": {"name": intent, "confidence": 0.3},
                            "emotion": {"name": emotion[0], "confidence": emotion[1]},
                            "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking]})
    SaidOutrightClassifier().process([message])
    return message.get("intent")["name"]


def test_a_clear_feeling_the_fallback_took_is_a_feeling_shared() -> None:
    ranking = [("nlu_fallback", 0.3), ("express_feeling", 0.21), ("goodbye", 0.09)]
    assert _read("i really wanted this one", "nlu_fallback", ("sad", 0.95), ranking) == "express_feeling"
    ranking = [("nlu_fallback", 0.3), ("vent", 0.2), ("express_feeling", 0.14)]
    assert _read("i think i just want to be heard really", "nlu_fallback", ("sad", 0.64), ranking) == "vent"
    # Neutral, or not sure of the feeling, or DIET sure it is out of scope: left as it is.
    assert _read("night", "nlu_fallback", ("neutral", 0.97), ranking) == "nlu_fallback"
    assert _read("hmm whatever", "nlu_fallback", ("sad", 0.4), ranking) == "nlu_fallback"
    assert _read("i hate mondays", "out_of_scope", ("angry", 0.89), ranking) == "out_of_scope"


@pytest.mark.parametrize("text, done", [
    ("a guy called Derek", False),
    ("she's called Ines", False),
    ("i called the recruiter this morning", True),
    ("called them, done", True),
])
def test_called_as_named_is_not_a_step_done(text, done) -> None:
    assert says_done(text) is done
