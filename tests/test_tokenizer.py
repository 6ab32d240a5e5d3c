"""The tokenizer drops exactly the tokens the sentence encoder's tokenizer would drop."""

from __future__ import annotations

import random

import pytest
from transformers import BertTokenizer

from runner_up.nlu.encoder import encoder_dir
from runner_up.nlu.featurize import Featurizer
from runner_up.nlu.tokenizer import encoder_sees
from runner_up.settings import ROOT


@pytest.fixture(scope="module")
def bert_tokenizer() -> BertTokenizer:
    return BertTokenizer.from_pretrained(str(encoder_dir()))


def sample_code_points() -> list:
    rng = random.Random(7)
    points = set(range(0, 0x250)) | set(range(0x300, 0x370)) | set(range(0x2000, 0x2070))
    points |= set(range(0xFE00, 0xFE10)) | {0xFEFF, 0xFFFD, 0xE000, 0xF8FF, 0x1F3FB, 0xE0001}
    points |= {rng.randrange(0x20, 0x2FFFF) for _ in range(4000)}
    return sorted(p for p in points if not 0xD800 <= p <= 0xDFFF)


def test_encoder_sees_agrees_with_the_real_word_piece_tokenizer(bert_tokenizer) -> None:
    disagreements = []
    for point in sample_code_points():
        for text in (chr(point), chr(point) * 3, "\u0301" + chr(point)):
            kept = bool(bert_tokenizer.encode(text, add_special_tokens=False))
            if kept != encoder_sees(text):
                disagreements.append((hex(point), text))
    assert not disagreements, disagreements[:10]


@pytest.fixture(scope="module")
def featurizer() -> Featurizer:
    return Featurizer(ROOT / "config.yml")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("love it ❤️", ["love", "it", "❤"]),
        ("ok \u200d\u200d done", ["ok", "done"]),
        ("fine \u0301\u0302", ["fine"]),
        ("\x00\x01", ["[UNK]"]),
        ("\u0301\u0302 \u200d", ["[UNK]"]),
        ("", []),
    ],
)
def test_tokens_reaching_the_featurizers(featurizer, text, expected) -> None:
    message = featurizer.messages([text])[0]
    tokens = [t.text for t in message.get("text_tokens") or []]
    assert tokens == expected
    sequence, _ = message.get_dense_features("text")
    if expected:
        # one encoder feature row per token: what DIET needs to line dense and sparse up
        assert sequence.features.shape[0] == len(expected)


def test_very_long_messages_are_capped(featurizer) -> None:
    message = featurizer.messages(["word " * 5000])[0]
    assert len(message.get("text_tokens")) == 400


def test_encoder_is_loaded_from_the_installed_package() -> None:
    path = encoder_dir()
    assert (path / "model.safetensors").stat().st_size > 80_000_000
    assert (path / "vocab.txt").is_file()
