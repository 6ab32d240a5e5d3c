"""Runs the front of the project's NLU pipeline (spaCy, tokenizer, encoder) outside `rasa train`.

The report and the benchmarks use it to featurize texts exactly as the trained model does,
with the component settings read from config.yml.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Dict, Iterable, List, Text

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.utils.io import read_yaml_file

from runner_up.nlu.encoder import OfflineLanguageModelFeaturizer
from runner_up.nlu.spacy_nlp import RunnerUpSpacyNLP
from runner_up.nlu.tokenizer import EncoderSafeSpacyTokenizer

COMPONENTS = (RunnerUpSpacyNLP, EncoderSafeSpacyTokenizer, OfflineLanguageModelFeaturizer)


def pipeline_config(config_path: Path, component: type) -> Dict[Text, Any]:
    """The settings config.yml gives `component`, merged over its defaults."""
    config = read_yaml_file(config_path)
    for entry in config.get("pipeline", []):
        if str(entry.get("name", "")).rsplit(".", 1)[-1] == component.__name__:
            settings = {k: v for k, v in entry.items() if k != "name"}
            return {**component.get_default_config(), **settings}
    raise ValueError(f"{config_path} has no {component.__name__} in its pipeline")


class Featurizer:
    """spaCy + tokenizer + sentence encoder, configured as in config.yml."""

    def __init__(self, config_path: Path = Path("config.yml")) -> None:
        self._storage_dir = tempfile.TemporaryDirectory()
        storage = LocalModelStorage(Path(self._storage_dir.name))
        context = ExecutionContext(GraphSchema({}), node_name="featurize")
        spacy_config = pipeline_config(config_path, RunnerUpSpacyNLP)
        self._spacy = RunnerUpSpacyNLP.create(spacy_config, storage, Resource("spacy"), context)
        self._spacy_model = self._spacy.provide()
        self._tokenizer = EncoderSafeSpacyTokenizer.create(
            pipeline_config(config_path, EncoderSafeSpacyTokenizer), storage,
            Resource("tokenizer"), context,
        )
        self._encoder = OfflineLanguageModelFeaturizer.create(
            pipeline_config(config_path, OfflineLanguageModelFeaturizer), storage,
            Resource("encoder"), context,
        )

    def messages(self, texts: Iterable[Text]) -> List[Message]:
        """New messages for `texts`, featurized."""
        return self.process([Message({TEXT: text}) for text in texts])

    def process(self, messages: List[Message]) -> List[Message]:
        """Featurizes messages in place (and returns them), in batches."""
        for start in range(0, len(messages), 64):
            batch = messages[start : start + 64]
            self._spacy.process(batch, self._spacy_model)
            self._tokenizer.process(batch)
            # One encoder call per batch (the component's own `process` makes one per message),
            # in inference mode: over-long texts are truncated as at parse time, not refused.
            with_text = [m for m in batch if m.get(TEXT)]
            if with_text:
                docs = self._encoder._get_docs_for_batch(with_text, TEXT, inference_mode=True)
                for doc, message in zip(docs, with_text):
                    self._encoder._set_lm_features(doc, message, TEXT)
        return messages
