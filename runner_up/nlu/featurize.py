"""Runs the front of the project's NLU pipeline (spaCy, tokenizer, encoder) outside `rasa train`.

The report and the benchmarks use it to featurize texts exactly as the trained model does,
with the component settings read from config.yml.
"""

from __future__ import annotations

import hashlib
import pickle
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Text

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.utils.io import read_yaml_file

from runner_up.nlu.classifiers import example_of
from runner_up.nlu.encoder import OfflineLanguageModelFeaturizer
from runner_up.nlu.label_model import Example
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


def cached_examples(featurizer: Featurizer, texts: Sequence[Text], cache: Optional[Path],
                    config_path: Path = Path("config.yml")) -> List[Optional[Example]]:
    """The classifiers' view of each text (None where nothing is readable), featurized once.

    With `cache`, every text's features are kept in one file per pipeline front (keyed by the
    config's spaCy, tokenizer and encoder settings), so a report after a small data change
    featurizes only the new texts.
    """
    if cache is None:
        return [example_of(m) for m in featurizer.messages(texts)]
    front = repr([pipeline_config(config_path, c) for c in COMPONENTS]).encode()
    path = cache / f"features-{hashlib.sha256(front).hexdigest()[:16]}.pkl"
    known: Dict[Text, Optional[Example]] = {}
    if path.exists():
        with path.open("rb") as handle:
            known = pickle.load(handle)
    missing = list(dict.fromkeys(t for t in texts if t not in known))
    if missing:
        known.update(zip(missing, (example_of(m) for m in featurizer.messages(missing))))
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp")
        with partial.open("wb") as handle:
            pickle.dump(known, handle)
        partial.replace(path)
    return [known[t] for t in texts]
