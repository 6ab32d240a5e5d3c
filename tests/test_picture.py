"""The mood and progress picture (runner_up/picture.py): its data from the store, its one-line text,
the SVG (well-formed, accessible, self-contained, escaped) and the PNG (a real, decodable image);
where the actions send it; the web chat's and Slack's drawing of it (Slack against the fake)."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from typing import Any, Dict

import pytest
import yaml
from rasa.shared.core.events import BotUttered

from actions.checkins import ActionDeliverCheckin
from actions.progress import ActionProgressSummary
from runner_up import picture
from runner_up.channels.slack import SlackBot
from runner_up.channels.webchat import WebChatOutput, chart_image, transcript
from runner_up.nlu.labels import EMOTIONS
from runner_up.settings import ROOT
from runner_up.store import repository
from runner_up.store.db import Database
from tests.fake_slack import FakeSlack
from tests.test_actions import run, store, tracker  # noqa: F401 (the store fixture)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}"
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())
T0 = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)
HOSTILE = 'Acme & <script>alert("x")</script> <a href="https://evil.example">'


def sample(**changes: Any) -> Dict[str, Any]:
    moods = [(T0 + timedelta(hours=h), e) for h, e in
             [(0, "sad"), (1, "angry"), (26, "anxious"), (50, "neutral"), (74, "hopeful")]]
    steps = [("Thank the interviewer", "done", T0 + timedelta(hours=27)),
             ("Ask for feedback", "accepted", T0 + timedelta(hours=75))]
    return {**picture.chart(moods, steps, time_zone="Europe/London"), **changes}


def test_every_emotion_label_has_a_score_and_hopeless_is_the_lowest() -> None:
    scores = picture.mood_scores()
    assert set(scores) == set(EMOTIONS)
    assert min(scores, key=scores.get) == "hopeless" and max(scores, key=scores.get) == "hopeful"
    assert scores["neutral"] == 0.0 and all(-1 <= s <= 1 for s in scores.values())


def test_the_chart_is_json_data_in_the_agreed_shape() -> None:
    data = sample()
    assert json.loads(json.dumps(data)) == data
    assert set(data) == {"title", "alt", "moods", "steps"}
    assert [m["emotion"] for m in data["moods"]] == ["sad", "angry", "anxious", "neutral", "hopeful"]
    assert data["moods"][0] == {"at": "2026-12-03T09:00:00+00:00", "emotion": "sad", "score": -0.6}
    assert data["steps"][1] == {"title": "Ask for feedback", "status": "accepted",
                                "at": "2026-12-06T12:00:00+00:00"}
    assert data["alt"] == ("5 mood notes from 3 Dec to 6 Dec: first sad, most recently hopeful, "
                           "lighter lately. Steps done: Thank the interviewer. In progress: Ask for feedback.")


def test_times_are_in_the_persons_zone() -> None:
    data = picture.chart([(T0, "sad")], [], time_zone="Pacific/Auckland")
    assert data["moods"][0]["at"] == "2026-12-03T22:00:00+13:00"
    assert picture.chart([(T0, "sad")], [], time_zone="Not/AZone")["moods"][0]["at"].endswith("+00:00")


@pytest.mark.parametrize("moods, steps, total, expected", [
    ([], [], None, "No mood notes yet. No steps taken on yet."),
    ([(T0, "sad")], [], None, "1 mood note on 3 Dec: sad. No steps taken on yet."),
    ([(T0, "hopeful"), (T0 + timedelta(hours=2), "hopeless")], [], 40,
     "The latest 2 of 40 mood notes on 3 Dec: first hopeful, most recently hopeless, heavier lately. "
     "No steps taken on yet."),
    ([(T0, "sad"), (T0 + timedelta(days=400), "angry")], [], None,
     "2 mood notes from 3 Dec 2026 to 7 Jan 2028: first sad, most recently angry, about the same over time. "
     "No steps taken on yet."),
])
def test_the_text_says_what_the_picture_shows(moods, steps, total, expected) -> None:
    assert picture.chart(moods, steps, total_moods=total)["alt"] == expected


def svg_tree(data: Dict[str, Any]) -> ET.Element:
    return ET.fromstring(picture.render_svg(data))  # raises if it is not well-formed XML


def test_the_svg_is_accessible_and_self_contained() -> None:
    data = sample()
    root = svg_tree(data)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.find(f"{SVG}title").text == data["title"]
    assert root.find(f"{SVG}desc").text == data["alt"]
    assert root.get("aria-labelledby") == "chart-title chart-desc"
    tags = {element.tag.replace(SVG, "") for element in root.iter()}
    assert tags <= {"svg", "title", "desc", "rect", "line", "polyline", "circle", "text"}, tags
    for element in root.iter():
        for name, value in element.attrib.items():
            assert "href" not in name and not name.startswith("on"), name
            assert "url(" not in value and "://" not in value or name == "xmlns", (name, value)
    assert len(root.findall(f"{SVG}circle")) >= 5 + 2, "a point per mood and a mark per step"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Thank the interviewer" in texts and "in progress, 6 Dec" in texts


def test_person_given_text_is_escaped_in_the_svg() -> None:
    data = sample(title=HOSTILE, alt=HOSTILE)
    data["steps"][0]["title"] = HOSTILE
    source = picture.render_svg(data)
    root = ET.fromstring(source)
    assert "<script" not in source and "<a " not in source
    assert root.find(f"{SVG}desc").text == HOSTILE
    assert not [e for e in root.iter() if e.tag in (f"{SVG}script", f"{SVG}a")]


def test_an_empty_history_says_nothing_yet() -> None:
    data = picture.chart([], [])
    texts = [t.text for t in svg_tree(data).iter(f"{SVG}text")]
    assert "Nothing noted yet" in texts and "better" not in texts, "no axis over an empty panel"
    assert picture.render_png(data).startswith(PNG_SIGNATURE)


def decoded(png: bytes) -> Any:
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    image.load()  # decodes every pixel: a truncated or corrupt file raises
    return image


def test_the_png_is_a_real_image_of_the_chart() -> None:
    png = picture.render_png(sample())
    assert png.startswith(PNG_SIGNATURE)
    image = decoded(png)
    assert image.format == "PNG" and image.size[0] == picture.WIDTH * picture.DPI // 100 and image.size[1] > 400
    colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert len(colours) > 50, "drawn, not a blank page"
    near = lambda rgb, target: sum(abs(a - b) for a, b in zip(rgb, target)) < 30  # noqa: E731
    assert any(near(rgb, (0x2e, 0x7d, 0x32)) for _, rgb in colours), "the hopeful point's green"


def test_more_moods_than_drawn_and_long_titles_still_fit() -> None:
    moods = [(T0 + timedelta(hours=i), EMOTIONS[i % len(EMOTIONS)]) for i in range(picture.MAX_MOODS)]
    steps = [("A very long step title that goes on and on and on beyond any width", "done", T0)] * 12
    data = picture.chart(moods, steps, total_moods=100)
    assert data["alt"].startswith("The latest 30 of 100 mood notes")
    root = svg_tree(data)
    assert len(root.findall(f"{SVG}circle")) >= 30
    assert "and 4 earlier" in [t.text for t in root.iter(f"{SVG}text")]
    assert all(len(t.text) <= 60 for t in root.iter(f"{SVG}text")), "titles are cut to fit"
    decoded(picture.render_png(data))


@pytest.mark.parametrize("broken, message", [
    ("not a chart", "a chart is an object"),
    ({"title": "t", "alt": "a", "moods": {}, "steps": []}, '"moods" must be a list'),
    ({"title": "t", "alt": "a", "moods": [{"at": "yesterday", "emotion": "sad", "score": 0}], "steps": []},
     "moods[0].at must be an ISO-8601 time"),
    ({"title": "t", "alt": "a", "moods": [{"at": "2026-12-03T09:00:00", "emotion": "sad", "score": 7}],
      "steps": []}, "moods[0].score must be a number from -1 to 1"),
    ({"title": 3, "alt": "a", "moods": [], "steps": []}, '"title" must be text'),
])
def test_what_is_not_a_chart_is_refused_with_a_reason(broken, message) -> None:
    for render in (picture.render_svg, picture.render_png):
        with pytest.raises(picture.ChartError, match=message.replace("[", r"\[").replace("]", r"\]")):
            render(broken)


# --- the actions ---------------------------------------------------------------------------------

def moods_for(database: Database, sender: str, emotions, channel: str = "rest") -> None:
    with database.session() as session:
        person = repository.get_or_create_person(session, channel, sender)
        for i, emotion in enumerate(emotions):
            repository.record_mood(session, person, emotion, "just_rejected", 0.8,
                                   now=T0 + timedelta(hours=i))


def chart_messages(messages):
    return [m for m in messages if (m.get("custom") or {}).get(picture.CHART_KEY)]


def test_how_have_i_been_doing_sends_the_summary_then_the_picture(store: Database) -> None:  # noqa: F811
    moods_for(store, "someone", ["sad", "anxious", "hopeful"])
    with store.session() as session:
        person = repository.get_or_create_person(session, "rest", "someone")
        repository.set_step_status(session, person, "ask_for_feedback", "done", now=T0 + timedelta(hours=4))
    _, messages = run(ActionProgressSummary())
    assert messages[0]["response"] == "utter_progress_summary"
    (message,) = chart_messages(messages)
    chart = message["custom"][picture.CHART_KEY]
    assert [m["emotion"] for m in chart["moods"]] == ["sad", "anxious", "hopeful"]
    assert chart["steps"] == [{"title": "Ask for feedback", "status": "done", "at": "2026-12-03T13:00:00+00:00"}]
    assert message["text"] == DOMAIN["responses"]["utter_mood_picture"][0]["text"].format(description=chart["alt"])
    picture.render_svg(chart), picture.render_png(chart)


def test_only_moods_are_a_picture_without_a_summary(store: Database) -> None:  # noqa: F811
    moods_for(store, "someone", ["sad"])
    _, messages = run(ActionProgressSummary())
    assert len(messages) == 1 and chart_messages(messages)


def test_steps_without_moods_say_there_is_no_picture_yet(store: Database) -> None:  # noqa: F811
    with store.session() as session:
        person = repository.get_or_create_person(session, "rest", "someone")
        repository.set_step_status(session, person, "ask_for_feedback", "accepted")
    _, messages = run(ActionProgressSummary())
    assert [m.get("response") for m in messages] == ["utter_progress_summary", "utter_mood_picture_none"]
    _, messages = run(ActionProgressSummary(), sender="nobody yet")
    assert [m.get("response") for m in messages] == ["utter_progress_empty"]


def test_no_picture_in_a_slack_channel_thread(store: Database) -> None:  # noqa: F811
    thread = "slack:T0RUNNERUP:U0ALICE:C0GENERAL:1700000000.000100"
    moods_for(store, thread, ["sad"], channel="slack")
    _, messages = run(ActionProgressSummary(), sender=thread)
    assert [m.get("response") for m in messages] == ["utter_private_only"]


def test_a_click_is_not_a_mood_but_a_feeling_is(store: Database) -> None:  # noqa: F811
    from actions.venting import ActionVent

    run(ActionVent(), {"text": "/vent", "intent": {"name": "vent", "confidence": 1.0}})
    run(ActionVent(), {"text": "/vent", "intent": {"name": "vent"}, "emotion": {"name": "neutral", "confidence": 0.0}})
    with store.session() as session:
        assert repository.mood_count(session, repository.get_or_create_person(session, "rest", "someone")) == 0
    run(ActionVent(), {"text": "so angry", "emotion": {"name": "angry", "confidence": 0.9}}, {"venting": True})
    with store.session() as session:
        (mood,) = repository.mood_entries(session, repository.get_or_create_person(session, "rest", "someone"))
        assert (mood.emotion, mood.confidence) == ("angry", 0.9)


def test_the_picture_uses_the_browsers_time_zone(store: Database) -> None:  # noqa: F811
    moods_for(store, "someone", ["sad"])
    browser = [{"event": "user", "text": "how have I been doing?", "metadata": {"timezone": "Pacific/Auckland"}}]
    _, messages = run(ActionProgressSummary(), events=browser)
    (message,) = chart_messages(messages)
    assert message["custom"][picture.CHART_KEY]["moods"][0]["at"] == "2026-12-03T22:00:00+13:00"


def test_the_checkin_shows_the_picture_once_there_is_a_mood(store: Database) -> None:  # noqa: F811
    from runner_up.checkins.timing import Timing
    from runner_up.store import checkins as queue

    def deliver(sender: str):
        with store.session() as session:
            person = repository.get_or_create_person(session, "rest", sender)
            rejection = repository.record_rejection(session, person, company="Acme")
            queue.schedule(session, person, rejection, datetime.now(timezone.utc))
        with store.session() as session:
            (claimed,) = queue.claim_due(session, "w", datetime.now(timezone.utc) + timedelta(days=5),
                                         Timing(quiet_start=0, quiet_end=0, idle=timedelta(0)))
        trigger = {"intent": {"name": "EXTERNAL_checkin"},
                   "entities": [{"entity": "checkin_id", "value": str(claimed.id)}]}
        return run(ActionDeliverCheckin(), trigger, sender=sender)[1]

    assert chart_messages(deliver("no moods yet")) == []
    moods_for(store, "felt something", ["sad", "hopeful"])
    messages = deliver("felt something")
    (message,) = chart_messages(messages)
    assert messages.index(message) == 1, "after the check-in's greeting"
    assert message["text"].startswith("Here's a picture of how things have gone since we first talked")


# --- the channels --------------------------------------------------------------------------------

def test_the_web_chat_sends_the_picture_as_an_svg_image_live_and_in_the_history() -> None:
    data = sample()
    sent = []

    class Socket:
        async def emit(self, event, message, room=None, **_):
            sent.append((event, message, room))

    message = {"text": "Here's how you've been ...", "custom": {picture.CHART_KEY: data}}
    asyncio.run(WebChatOutput(Socket(), "bot_uttered").send_response("web:abc", dict(message)))
    ((event, out, room),) = sent
    assert (event, room) == ("bot_uttered", "web:abc") and out["text"] == message["text"]
    assert out["chart"]["alt"] == data["alt"]
    src = out["chart"]["src"]
    assert src.startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(src.split(",", 1)[1]).decode() == picture.render_svg(data)
    history = transcript([BotUttered(message["text"], data={"custom": message["custom"]}, timestamp=1)])
    assert history == [{"from": "bot", "text": message["text"], "timestamp": 1, "chart": out["chart"]}]
    # A broken chart: the text alone (logged), never Rasa's emit of unknown keys.
    sent.clear()
    asyncio.run(WebChatOutput(Socket(), "bot_uttered").send_response(
        "web:abc", {"text": "t", "custom": {picture.CHART_KEY: {"title": 1}}}))
    assert sent == [("bot_uttered", {"text": "t"}, "web:abc")]
    assert chart_image({"other": 1}) is None


@pytest.fixture
def slack() -> FakeSlack:
    fake = FakeSlack().start()
    yield fake
    fake.stop()


def say_in_slack(fake: FakeSlack, message: Dict[str, Any], channel="D0ALICE", thread=None) -> None:
    async def send() -> None:
        bot = SlackBot(fake.token, channel, thread, base_url=fake.api_url)
        await bot.send_response("slack:T0RUNNERUP:U0ALICE", message)

    asyncio.run(send())


def test_slack_gets_the_picture_as_an_uploaded_png(slack: FakeSlack) -> None:
    data = sample()
    say_in_slack(slack, {"text": "Here's how you've been", "custom": {picture.CHART_KEY: data}},
                 thread="1700000000.000100")
    assert [c.args["text"] for c in slack.posts("D0ALICE")] == ["Here's how you've been"]
    (upload,) = slack.files.completed("D0ALICE")
    assert upload.data.startswith(PNG_SIGNATURE) and decoded(upload.data).size[0] == picture.WIDTH * 2
    assert (upload.alt_txt, upload.title, upload.thread_ts) == (data["alt"], data["title"], "1700000000.000100")
    assert upload.filename.endswith(".png") and upload.length == len(upload.data)
    assert [c.method for c in slack.calls] == ["chat.postMessage", "files.getUploadURLExternal", "upload",
                                               "files.completeUploadExternal"]


def test_slack_other_custom_json_is_posted_as_rasa_does(slack: FakeSlack) -> None:
    say_in_slack(slack, {"custom": {"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]}})
    (post,) = slack.posts("D0ALICE")
    assert "blocks" in post.args and not slack.files.uploads


def test_slack_an_upload_refused_is_logged_and_the_text_stays(slack: FakeSlack, caplog) -> None:
    slack.files.answer = lambda method, args: {"ok": False, "error": "missing_scope"}
    say_in_slack(slack, {"text": "Here's how you've been", "custom": {picture.CHART_KEY: sample()}})
    assert [c.args["text"] for c in slack.posts("D0ALICE")] == ["Here's how you've been"]
    assert "missing_scope" in caplog.text and "files:write" in caplog.text


@pytest.mark.slow
def test_slack_dm_asking_how_they_have_been_gets_the_png(servers, fake_slack: FakeSlack) -> None:
    """Through the real Rasa and action servers: a person with moods on record asks in their DM;
    the fake Slack receives the text and a real PNG of the chart in that DM."""
    import uuid

    from runner_up import conversation_ids
    from tests.fake_slack import TEAM, deliver, direct_message, dm_channel

    user = "U" + uuid.uuid4().hex[:10].upper()
    database = Database(servers.database_url)
    try:
        moods_for(database, conversation_ids.slack(TEAM, user), ["sad", "angry", "hopeful"], channel="slack")
    finally:
        database.dispose()
    answer = deliver(f"{servers.rasa_url}/webhooks/slack/webhook", direct_message(user, "how have I been doing?"))
    assert answer.status_code == 200
    upload = fake_slack.files.wait_for_upload(dm_channel(user), timeout=120)
    assert upload.data.startswith(PNG_SIGNATURE) and decoded(upload.data).format == "PNG"
    assert upload.alt_txt.startswith("3 mood notes on 3 Dec: first sad, most recently hopeful")
    assert upload.thread_ts is None, "a DM, not a thread"
    texts = [c.args["text"] for c in fake_slack.posts(dm_channel(user))]
    assert any(upload.alt_txt in text for text in texts), texts
