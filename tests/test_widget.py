"""The web chat widget, in a real browser (tests/e2e/widget.cjs), against the real Rasa server.

Needs Debian's chromium (/usr/bin/chromium, which scripts/test.sh installs) and web/node_modules
(scripts/install.sh). Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest
import requests
import yaml
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

from runner_up import conversation_ids
from runner_up.channels import chat_url
from runner_up.channels.session_tokens import new_session
from runner_up.channels.webchat import transcript
from runner_up.guidance.catalogue import load
from runner_up.settings import ROOT

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())
SCRIPT = ROOT / "tests" / "e2e" / "widget.cjs"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
# Check-ins are real: a row in the progress store, delivered by the scheduler's code through
# trigger_intent with the person's channel (tests/send_checkin.py, run by the browser script).
CHECK_INS = [v["text"].format(company="Acme") for v in DOMAIN["responses"]["utter_checkin"]
             if not v.get("condition")]


# What the widget test answers when the bot asks: the rejection's details, then check-ins.
FORM_ANSWERS = {"utter_ask_company": "Acme", "utter_ask_role": "Data Analyst",
                "utter_ask_interviewer": "Priya Raman", "utter_ask_when": "yesterday",
                "utter_ask_checkin_consent": "yes please"}


def texts(*responses: str) -> List[str]:
    return [variant["text"] for name in responses for variant in DOMAIN["responses"][name]]


def drive(servers: Any, scenario: str, **expect: Any) -> Dict[str, Any]:
    """Runs one scenario of the browser script; its observations, or the test fails with its log."""
    assert CHROMIUM.exists(), "Chromium is missing: scripts/test.sh installs Debian's chromium package"
    assert shutil.which("node"), "Node.js is missing: scripts/install.sh needs it for the widget"
    assert (ROOT / "web" / "node_modules" / "playwright-core").is_dir(), "run scripts/install.sh (npm ci in web/)"
    ARTIFACTS.mkdir(exist_ok=True)
    config = {"scenario": scenario, "chatUrl": chat_url(servers.rasa_url), "rasaUrl": servers.rasa_url,
              "artifacts": str(ARTIFACTS), **expect}
    done = subprocess.run(["node", str(SCRIPT), json.dumps(config)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, f"{scenario} failed:\n{done.stderr[-6000:]}\n{done.stdout[-2000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def tracker(servers: Any, session_id: str) -> Dict[str, Any]:
    """The web chat session's conversation, as Rasa keeps it (`web:<session id>`)."""
    return servers.tracker(f"web:{session_id}")


def test_the_transcript_has_what_the_person_saw() -> None:
    events = [
        UserUttered("/greet", timestamp=1), ActionExecuted("action_greet"), BotUttered("Hi!", timestamp=2),
        UserUttered("<b>hi</b>", timestamp=3),
        BotUttered("Pick one", data={"buttons": [{"title": "Yes", "payload": "/affirm"}]}, timestamp=4),
        UserUttered.create_external("check_in"), BotUttered("How are you?", timestamp=5),
        UserUttered("/affirm", timestamp=6),  # a click on "Yes" (to the buttons above): not offered now
        BotUttered("Go on?", data={"buttons": [{"title": "I want to vent", "payload": "/vent"}]}, timestamp=7),
        UserUttered("/vent", timestamp=8), BotUttered("I'm listening.", timestamp=9),
    ]
    assert transcript(events) == [
        {"from": "bot", "text": "Hi!", "timestamp": 2},
        {"from": "user", "text": "<b>hi</b>", "timestamp": 3},
        {"from": "bot", "text": "Pick one", "timestamp": 4,
         "quick_replies": [{"content_type": "text", "title": "Yes", "payload": "/affirm"}]},
        {"from": "bot", "text": "How are you?", "timestamp": 5},
        {"from": "bot", "text": "Go on?", "timestamp": 7,
         "quick_replies": [{"content_type": "text", "title": "I want to vent", "payload": "/vent"}]},
        {"from": "user", "text": "I want to vent", "timestamp": 8},
        {"from": "bot", "text": "I'm listening.", "timestamp": 9},
    ]


@pytest.mark.slow
def test_the_page_and_its_files_are_served_by_rasa(servers) -> None:
    page = chat_url(servers.rasa_url)
    for name, kind in [("", "text/html"), ("widget.js", "javascript"), ("widget.css", "text/css"),
                       ("socket.io.min.js", "javascript")]:
        response = requests.get(page + name, timeout=30)
        assert response.status_code == 200 and kind in response.headers["content-type"], name
    assert requests.get(page.rstrip("/"), timeout=30).url == page, "/chat redirects to /chat/"
    assert requests.get(page + "package.json", timeout=30).status_code == 404
    assert requests.get(f"{servers.rasa_url}/socket.io/?EIO=4&transport=polling", timeout=30).status_code == 200


@pytest.mark.slow
def test_the_history_accepts_only_a_session_id_with_its_token(servers) -> None:
    history = chat_url(servers.rasa_url) + "history/"
    for bad in ["abc", "A" * 32, "0" * 31 + "g", "0" * 33, "..%2F..%2Fdomain.yml"]:
        assert requests.get(history + bad, timeout=30).status_code in (400, 404), bad
    assert requests.get(history + "abc", timeout=30).status_code == 400
    session, token = new_session(os.environ["RUNNER_UP_WEBCHAT_SECRET"])
    assert requests.get(history + session, timeout=30).status_code == 401, "a bare id is not enough"
    answer = requests.get(history + session, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert answer.json() == {"session_id": session, "messages": []}
    other, other_token = new_session(os.environ["RUNNER_UP_WEBCHAT_SECRET"])
    assert requests.get(history + session, headers={"Authorization": f"Bearer {other_token}"},
                        timeout=30).status_code == 403, "another session's token"
    forged = f"{session}.{token.split('.')[1][::-1]}"
    assert requests.get(history + session, headers={"Authorization": f"Bearer {forged}"},
                        timeout=30).status_code == 401


@pytest.mark.slow
def test_a_rejection_to_a_copied_template_survives_a_reload(servers) -> None:
    seen = drive(
        servers, "conversation",
        greetings=texts("utter_greet"),
        rejection="Acme turned me down this morning for the analyst job and I'm absolutely gutted",
        answers={text: answer for response, answer in FORM_ANSWERS.items() for text in texts(response)},
        offers=texts(*(step.offer for step in load().steps)),
        askTemplate="can you draft a thank-you note for the interviewer",
    )
    assert seen["draft"].startswith("```\nDear ") and seen["draft"].endswith("\n```"), seen["draft"]
    assert "Acme" in seen["draft"] and "{" not in seen["draft"]
    assert "\n\n" in seen["draft"], "the template came as one message, its paragraphs inside it"
    for artifact in ("widget.png", "widget-phone.png"):
        assert (ARTIFACTS / artifact).stat().st_size > 10_000, artifact

    # Rasa's side: the page's session id is the sender id, on the socketio channel, and every
    # message carried the browser's time zone; the widget greeted once and only once.
    events = tracker(servers, seen["sessionId"])["events"]
    said = [e for e in events if e["event"] == "user"]
    assert [e["text"] for e in said].count("/greet") == 1
    assert {e["input_channel"] for e in said} == {"socketio"}
    assert {e["metadata"].get("timezone") for e in said} == {seen["timezone"]}
    stored = [{"from": "user" if e["event"] == "user" else "bot", "text": e["text"]}
              for e in events if e["event"] in ("user", "bot") and e.get("text") != "/greet"]
    assert stored == seen["log"]


@pytest.mark.slow
def test_html_typed_by_the_person_is_shown_as_text(servers) -> None:
    seen = drive(servers, "html", html='<img src=x onerror="window.pwned=1"><b>hi</b>')
    texts_stored = [e.get("text") for e in tracker(servers, seen["sessionId"])["events"] if e["event"] == "user"]
    assert '<img src=x onerror="window.pwned=1"><b>hi</b>' in texts_stored


@pytest.mark.slow
def test_check_ins_reach_the_open_page_a_reconnected_one_and_a_later_visit(servers) -> None:
    check_ins = CHECK_INS
    send = [sys.executable, "-m", "tests.send_checkin", servers.database_url, servers.rasa_url, "socketio"]
    seen = drive(servers, "checkIn", sendCheckIn=send, checkIns=check_ins)
    assert any(text in check_ins for text in seen["live"])
    # Each check-in shown once: the reconnected page caught up without repeating what it had.
    assert sum(m["text"] in check_ins for m in seen["reconnected"]) == 2, seen["reconnected"]
    assert seen["later"][:len(seen["reconnected"])] == seen["reconnected"]
    assert sum(m["text"] in check_ins for m in seen["later"]) == 3, seen["later"]


# Quick replies come with the answers that offer choices; "I want to vent" (out of scope) and
# "Let off steam" (the fallback) send /vent, which starts the venting that logs moods.
OUT_OF_SCOPE = ["can you recommend a good pizza place near me?", "what's the weather going to be like tomorrow?",
                "who won the football last night?"]
VENT_TITLES = [b["title"] for name in ("utter_out_of_scope", "utter_default")
               for v in DOMAIN["responses"][name] for b in v.get("buttons", []) if b["payload"] == "/vent"]
FEELINGS = ["honestly I'm so angry about how they treated me in that interview",
            "and I'm worried I'll be stuck applying for months",
            "talking about it helps. I feel a bit more hopeful now"]


@pytest.mark.slow
def test_buttons_are_clicked_and_the_mood_picture_is_drawn(servers) -> None:
    from runner_up.store import repository
    from runner_up.store.db import Database

    seen = drive(servers, "picture", outOfScope=OUT_OF_SCOPE, clickTitles=VENT_TITLES,
                 feelings=FEELINGS, askPicture="how have I been doing?")
    for artifact in ("widget-buttons.png", "widget-button-clicked.png", "widget-chart.png",
                     "widget-chart-phone.png"):
        assert (ARTIFACTS / artifact).stat().st_size > 10_000, artifact

    # The click sent the button's payload (the person saw its title), and Rasa read its intent.
    events = tracker(servers, seen["sessionId"])["events"]
    said = [e for e in events if e["event"] == "user"]
    buttons = {b["title"]: b["payload"] for name in ("utter_out_of_scope", "utter_default")
               for v in DOMAIN["responses"][name] for b in v.get("buttons", [])}
    clicked = next(i for i, e in enumerate(said) if e["text"] == buttons[seen["clicked"]])
    assert said[clicked - 1]["text"] == seen["asked"]
    assert said[clicked]["parse_data"]["intent"]["name"] == buttons[seen["clicked"]].lstrip("/")
    assert seen["answer"], "the bot answered the click"

    # The picture shows what the progress store holds for this person.
    database = Database(servers.database_url)
    try:
        with database.session() as session:
            conversation = f"web:{seen['sessionId']}"
            person = repository.find_person(session, conversation_ids.parse(conversation).channel, conversation)
            assert person is not None, conversation
            moods = repository.mood_entries(session, person)
    finally:
        database.dispose()
    assert len(moods) >= 2, "the venting logged the feelings"
    assert re.match(rf"{len(moods)} mood notes (on|from) ", seen["chart"]["alt"]), seen["chart"]
    assert all(m.confidence > 0 for m in moods), "a click (\"/vent\") is not a mood"
    assert f"most recently {moods[-1].emotion}" in seen["chart"]["alt"]
    bot = [e for e in events if e["event"] == "bot"]
    assert bot[-1]["data"]["custom"]["runner_up_chart"]["alt"] == seen["chart"]["alt"]
