"""Every parse through the real Rasa server carries emotion and stage (DESIGN.md contract),
and no input, however odd, breaks a parse."""

from __future__ import annotations

from typing import Dict

import pytest

from runner_up.nlu.labels import EMOTIONS, STAGES

LONG_POST = " ".join(
    f"Day {i}: I went over the interview again, the panel asked about stakeholder management "
    f"and I froze, then I rambled about spreadsheets and they looked bored."
    for i in range(60)
)  # about 1,500 words: far over the encoder's 512 word pieces

ODD_INPUTS = {
    "empty": "",
    "whitespace": " \t\n  ",
    "100 KB": ("they turned me down and I feel awful " * 2800)[:100_000],
    "emoji with variation selector": "love it ❤️",
    "emoji only": "😭😭😭",
    "zero-width joiner family": "👩‍👩‍👧‍👦 my family is proud anyway",
    "flags and skin tones": "🇬🇧 👍🏽 ok",
    "zero-width spaces": "I\u200bam\u200bfine \u200b\u200b\u200b",
    "combining marks only": "\u0301\u0302\u0303 \u0308\u0308",
    "zalgo": "g\u0301\u0302u\u0303t\u0308t\u0309e\u030ad",
    "control characters": "\x00\x01\x02\x03\x1b[31m\x7f",
    "control characters and words": "rejected\x00 again\x07",
    "byte order mark and replacement char": "\ufeff\ufffd\ufffd",
    "private use": "\ue000\uf8ff",
    "html": "<script>alert('x')</script><b>rejected</b> &amp; sad",
    "sql": "'; DROP TABLE people; --",
    "german": "Ich habe die Stelle nicht bekommen und bin traurig.",
    "arabic right-to-left": "لم أحصل على الوظيفة",
    "chinese": "我没有得到这份工作",
    "right-to-left override": "\u202egnihtemos\u202c",
    "long post over 512 word pieces": LONG_POST,
    "numbers and punctuation": "?!?!... 12345 ---",
}


def assert_ranked(parse: Dict, key: str, labels: tuple) -> None:
    top, ranking = parse[key], parse[f"{key}_ranking"]
    assert top["name"] in labels
    assert 0.0 <= top["confidence"] <= 1.0
    assert [r["name"] for r in ranking] and sorted(r["name"] for r in ranking) == sorted(labels)
    confidences = [r["confidence"] for r in ranking]
    assert confidences == sorted(confidences, reverse=True)
    assert ranking[0] == top
    assert sum(confidences) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(ODD_INPUTS))
def test_odd_input_gets_a_valid_parse(servers, name: str) -> None:
    parse = servers.parse(ODD_INPUTS[name])
    assert "intent" in parse and "entities" in parse
    assert_ranked(parse, "emotion", EMOTIONS)
    assert_ranked(parse, "stage", STAGES)


@pytest.mark.slow
@pytest.mark.parametrize("text", ["", "   ", "\x00\x01", "\u0301\u0302", "\u200b\u200d\ufe0f"])
def test_nothing_said_is_neutral_and_unknown(servers, text: str) -> None:
    parse = servers.parse(text)
    assert parse["emotion"] == {"name": "neutral", "confidence": 1.0}
    assert parse["stage"] == {"name": "unknown", "confidence": 1.0}


@pytest.mark.slow
@pytest.mark.parametrize(
    "text, emotion, stage",
    [
        ("they rang this morning, I didn't get the job. I'm gutted", "sad", "just_rejected"),
        ("still no word from them two weeks after the final interview, I can't sleep", "anxious", "waiting"),
        ("I GOT THE OFFER!!! start in March", "hopeful", "landed"),
        ("they ghosted me after three rounds, that's so disrespectful", "angry", None),
        ("hi", "neutral", "unknown"),
    ],
)
def test_clear_messages_are_read_right(servers, text: str, emotion: str, stage) -> None:
    parse = servers.parse(text)
    assert parse["emotion"]["name"] == emotion, parse["emotion_ranking"][:3]
    if stage:
        assert parse["stage"]["name"] == stage, parse["stage_ranking"][:3]


@pytest.mark.slow
def test_server_still_answers_after_odd_inputs(servers) -> None:
    for text in ODD_INPUTS.values():
        servers.parse(text)
    assert servers.parse("hello")["intent"]["name"] == "greet"



MALFORMED = [b"{not json", b"\xff\xfe\x00invalid utf-8", b'{"text": 12345}', b"[]"]


def post_raw(servers, body: bytes):
    import requests

    return requests.post(f"{servers.rasa_url}/model/parse", data=body,
                         headers={"Content-Type": "application/json"}, timeout=60)


@pytest.mark.slow
@pytest.mark.parametrize("body", MALFORMED)
def test_malformed_parse_requests_get_a_client_error(servers, body: bytes) -> None:
    assert 400 <= post_raw(servers, body).status_code < 500


@pytest.mark.slow
def test_malformed_parse_requests_do_not_take_the_server_down(servers) -> None:
    for body in MALFORMED:
        post_raw(servers, body)
    assert servers.parse("hello")["intent"]["name"] == "greet"
