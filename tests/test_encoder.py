"""The compiled encoder call gives the same features as Rasa's eager one."""

from __future__ import annotations

import numpy as np
import pytest
from rasa.nlu.featurizers.dense_featurizer.lm_featurizer import LanguageModelFeaturizer

from runner_up.nlu.featurize import Featurizer
from runner_up.settings import ROOT


@pytest.fixture(scope="module")
def featurizer() -> Featurizer:
    return Featurizer(ROOT / "config.yml")


def test_compiled_and_eager_features_match(featurizer) -> None:
    encoder = featurizer._encoder
    token_ids = [[101, 2027, 2056, 2053, 102, 0], [101, 7592, 102, 0, 0, 0]]
    mask = np.array([[1, 1, 1, 1, 1, 0], [1, 1, 1, 0, 0, 0]])
    compiled = encoder._compute_batch_sequence_features(mask, token_ids)
    eager = LanguageModelFeaturizer._compute_batch_sequence_features(encoder, mask, token_ids)
    assert compiled.shape == eager.shape == (2, 6, 384)
    assert np.abs(compiled - eager).max() < 1e-4
