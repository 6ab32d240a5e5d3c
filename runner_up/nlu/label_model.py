"""A small multinomial logistic-regression model over sentence-encoder and n-gram features.

Pure numpy/scikit-learn, no Rasa: the graph components and the cross-validation report both use it,
so the report measures exactly what `rasa train` builds. Persisted as plain arrays (no pickle).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import List, Sequence, Tuple

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression

# Hashed n-grams need no vocabulary to persist; collisions at these sizes are rare for our data.
_WORDS = HashingVectorizer(
    analyzer="word", ngram_range=(1, 2), n_features=2**15, alternate_sign=False,
    token_pattern=r"(?u)\b\w+\b|[^\w\s]",
)
_CHARS = HashingVectorizer(
    analyzer="char_wb", ngram_range=(2, 5), n_features=2**16, alternate_sign=False
)


@dataclass(frozen=True)
class Example:
    """What the model sees of one message: its encoder embedding, lemmas and lower-cased text."""

    embedding: np.ndarray
    lemmas: str
    text: str


def design_matrix(examples: Sequence[Example], ngram_weight: float) -> sp.csr_matrix:
    """Stacks the L2-normalised embedding with hashed word and character n-grams."""
    dense = np.vstack([_unit(e.embedding) for e in examples])
    words = _WORDS.transform([e.lemmas for e in examples]) * ngram_weight
    chars = _CHARS.transform([e.text for e in examples]) * ngram_weight
    return sp.hstack([sp.csr_matrix(dense), words, chars], format="csr")


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


@dataclass
class LabelModel:
    """Weights of a trained model; `predict` returns each label's probability."""

    labels: List[str]
    weights: np.ndarray  # (n_labels, n_features)
    bias: np.ndarray  # (n_labels,)
    ngram_weight: float

    @classmethod
    def fit(
        cls,
        examples: Sequence[Example],
        targets: Sequence[str],
        c: float = 8.0,
        ngram_weight: float = 1.0,
    ) -> "LabelModel":
        """Trains on labelled examples (every label needs at least one example)."""
        if len(set(targets)) < 2:
            raise ValueError("need examples of at least two labels to train a classifier")
        x = design_matrix(examples, ngram_weight)
        lr = LogisticRegression(C=c, max_iter=1000, class_weight="balanced")
        lr.fit(x, list(targets))
        weights, bias = lr.coef_, lr.intercept_
        if len(lr.classes_) == 2:
            # Two labels: scikit-learn keeps one row, for the second label. A zero row for the
            # first makes the softmax in `predict` exactly the logistic function.
            weights = np.vstack([np.zeros_like(weights), weights])
            bias = np.concatenate([np.zeros_like(bias), bias])
        return cls(
            labels=[str(label) for label in lr.classes_],
            weights=weights.astype(np.float32),
            bias=bias.astype(np.float32),
            ngram_weight=ngram_weight,
        )

    def predict(self, examples: Sequence[Example]) -> np.ndarray:
        """Probabilities, one row per example, columns in `self.labels` order."""
        x = design_matrix(examples, self.ngram_weight)
        logits = np.asarray(x @ self.weights.T) + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def top(self, examples: Sequence[Example]) -> List[str]:
        """The most likely label of each example, predicted in one batch."""
        return [self.labels[i] for i in self.predict(examples).argmax(axis=1)]

    def ranking(self, example: Example) -> List[Tuple[str, float]]:
        """All labels with their probability, most likely first."""
        probs = self.predict([example])[0]
        order = np.argsort(-probs)
        return [(self.labels[i], float(probs[i])) for i in order]

    def save(self, directory: Path) -> None:
        """Writes the model as plain arrays into `directory`."""
        np.savez_compressed(
            directory / "label_model.npz",
            labels=np.array(self.labels),
            weights=self.weights,
            bias=self.bias,
            ngram_weight=np.array(self.ngram_weight),
        )

    @classmethod
    def load(cls, directory: Path) -> "LabelModel":
        """Reads a model written by `save`."""
        with np.load(directory / "label_model.npz", allow_pickle=False) as data:
            return cls(
                labels=[str(label) for label in data["labels"]],
                weights=data["weights"],
                bias=data["bias"],
                ngram_weight=float(data["ngram_weight"]),
            )
