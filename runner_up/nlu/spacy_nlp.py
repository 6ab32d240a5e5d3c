"""The project's spaCy pipeline: English tokenizer and lookup lemmas, no downloaded model.

spaCy's pretrained English packages are not on PyPI, so Runner-Up builds its own small pipeline
from `spacy.blank("en")` and the lemma tables of `spacy-lookups-data`. Semantics come from the
sentence encoder, not from spaCy vectors.
"""

from __future__ import annotations

import functools
from typing import Any, Dict, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP

PIPELINE_NAME = "runner_up_en"


@functools.lru_cache(maxsize=1)
def build_pipeline() -> Any:
    """Builds (once per process) the blank English pipeline with a lookup lemmatizer."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    # Loads the lookup tables from spacy-lookups-data (installed, no download).
    nlp.initialize()
    return nlp


@DefaultV1Recipe.register(
    [
        DefaultV1Recipe.ComponentType.MODEL_LOADER,
        DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER,
    ],
    is_trainable=False,
    model_from="RunnerUpSpacyNLP",
)
class RunnerUpSpacyNLP(SpacyNLP):
    """`SpacyNLP` that provides the project's own pipeline instead of a downloaded package."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Default config: the project's pipeline, lower-cased text."""
        return {"model": PIPELINE_NAME, "case_sensitive": False}

    @staticmethod
    def load_model(spacy_model_name: Text) -> SpacyModel:
        """Builds the pipeline; the name only fingerprints it (with spaCy's version)."""
        import spacy

        if spacy_model_name != PIPELINE_NAME:
            raise ValueError(
                f"RunnerUpSpacyNLP builds '{PIPELINE_NAME}' only, not '{spacy_model_name}'"
            )
        return SpacyModel(
            model=build_pipeline(),
            model_name=f"{PIPELINE_NAME}-spacy{spacy.about.__version__}",
        )

    @staticmethod
    def ensure_proper_language_model(nlp: Any) -> None:
        """The pipeline is built in memory, so spaCy's on-disk check does not apply."""
        if nlp is None or "lemmatizer" not in nlp.pipe_names:
            raise RuntimeError("the project's spaCy pipeline could not be built")
