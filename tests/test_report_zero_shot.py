"""The zero-shot emotion baseline of `runner-up report` (issue 17): nearest prototype by cosine."""

import numpy as np
import yaml

from runner_up.nlu.label_model import Example
from runner_up.nlu.report import PROTOTYPES, zero_shot


def _example(*vector: float) -> Example:
    return Example(np.array(vector, dtype=float), "", "")


def test_each_text_takes_the_family_of_its_most_similar_prototype() -> None:
    prototypes = {"sad": [_example(1, 0, 0), _example(0.9, 0.1, 0)], "angry": [_example(0, 1, 0)],
                  "neutral": [None]}
    # Cosine, not distance: a long vector along "angry" is still angry; unreadable text is neutral.
    outside = [_example(5, 0.2, 0), _example(0.1, 40, 0), None, _example(0.2, 0.1, 0)]
    assert zero_shot(outside, prototypes) == ["sad", "angry", "neutral", "sad"]


def test_the_prototypes_are_two_or_three_sentences_for_every_emotion() -> None:
    from runner_up.nlu.classifiers import EmotionClassifier

    written = yaml.safe_load(PROTOTYPES.read_text(encoding="utf-8"))
    assert set(written) == set(EmotionClassifier.LABELS)
    assert all(2 <= len(texts) <= 3 for texts in written.values())
