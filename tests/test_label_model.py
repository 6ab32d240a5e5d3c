"""The logistic-regression model behind the emotion and stage classifiers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from runner_up.nlu.label_model import Example, LabelModel


def examples(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    data, labels = [], []
    for i in range(n):
        label = ["sad", "angry", "hopeful"][i % 3]
        centre = {"sad": 0, "angry": 1, "hopeful": 2}[label]
        embedding = rng.normal(0, 0.3, 8)
        embedding[centre] += 3
        word = {"sad": "gutted", "angry": "unfair", "hopeful": "ready"}[label]
        data.append(Example(embedding=embedding, lemmas=f"i be {word}", text=f"i am {word}"))
        labels.append(label)
    return data, labels


def test_learns_separable_labels() -> None:
    train, labels = examples(60)
    model = LabelModel.fit(train, labels)
    test, truth = examples(30, seed=1)
    probs = model.predict(test)
    assert probs.shape == (30, 3)
    assert np.allclose(probs.sum(axis=1), 1.0)
    predicted = [model.labels[i] for i in probs.argmax(axis=1)]
    assert predicted == truth


def test_top_is_the_most_likely_label_of_each_example() -> None:
    train, labels = examples(60)
    model = LabelModel.fit(train, labels)
    test, _ = examples(9, seed=2)
    probs = model.predict(test)
    assert model.top(test) == [model.labels[i] for i in probs.argmax(axis=1)]


def test_ranking_is_sorted_and_complete() -> None:
    train, labels = examples(30)
    ranking = LabelModel.fit(train, labels).ranking(train[0])
    assert sorted(name for name, _ in ranking) == ["angry", "hopeful", "sad"]
    assert [c for _, c in ranking] == sorted((c for _, c in ranking), reverse=True)


def test_save_and_load_give_the_same_predictions(tmp_path: Path) -> None:
    train, labels = examples(30)
    model = LabelModel.fit(train, labels)
    model.save(tmp_path)
    loaded = LabelModel.load(tmp_path)
    assert loaded.labels == model.labels
    assert np.allclose(loaded.predict(train), model.predict(train))


def test_one_label_is_not_enough() -> None:
    train, _ = examples(6)
    with pytest.raises(ValueError, match="at least two labels"):
        LabelModel.fit(train, ["sad"] * 6)


def test_zero_embedding_does_not_divide_by_zero() -> None:
    train, labels = examples(30)
    model = LabelModel.fit(train, labels)
    probs = model.predict([Example(np.zeros(8), "", "")])
    assert np.isfinite(probs).all()


def test_two_labels_give_the_logistic_probabilities() -> None:
    train, labels = examples(60)
    binary = ["sad" if label == "sad" else "other" for label in labels]
    model = LabelModel.fit(train, binary)
    test, truth = examples(30, seed=1)
    probs = model.predict(test)
    assert probs.shape == (30, 2)
    assert np.allclose(probs.sum(axis=1), 1.0)
    assert [model.labels[i] for i in probs.argmax(axis=1)] == [
        "sad" if label == "sad" else "other" for label in truth]
    assert 0.0 < probs.min() and probs.max() < 1.0
