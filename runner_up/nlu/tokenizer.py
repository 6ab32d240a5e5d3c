"""spaCy tokens, minus the ones the sentence encoder cannot see.

Rasa's `LanguageModelFeaturizer` silently skips a token that its word-piece tokenizer reduces to
nothing (a lone emoji variation selector U+FE0F, a zero-width joiner, a run of combining marks or
control characters). DIET then receives fewer dense feature rows than sparse ones and the whole
parse fails. Dropping those tokens here, before any featurizer, keeps every featurizer's view of
the message the same.

A message with text but nothing the encoder can see (only combining marks, control or zero-width
characters) gets one placeholder token, the encoder's own unknown token, so that every featurizer
still sees one token and DIET one row of each kind (zero tokens with non-empty text fail DIET too).
"""

from __future__ import annotations

import unicodedata
from typing import Any, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.spacy_tokenizer import SpacyTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message

# The encoder's unknown token: what a word piece tokenizer makes of something it cannot read.
NOTHING_READABLE = "[UNK]"

# BERT's basic tokenizer removes these code points before splitting into word pieces.
_REMOVED_CODE_POINTS = {0, 0xFFFD}
_REMOVED_CATEGORIES = {"Mn", "Zs", "Zl", "Zp"}


def encoder_sees(text: Text) -> bool:
    """True when a BERT-style uncased word-piece tokenizer keeps anything of `text`.

    Mirrors `BasicTokenizer`: control, format and other C* characters are removed, white space splits,
    and (uncased models) NFD decomposition strips combining marks (category Mn).
    """
    for char in unicodedata.normalize("NFD", text):
        if char.isspace() or ord(char) in _REMOVED_CODE_POINTS:
            continue
        category = unicodedata.category(char)
        # transformers' BasicTokenizer treats every "C*" category (control, format, private
        # use, unassigned, surrogate) as a control character and removes it.
        if category[0] == "C" or category in _REMOVED_CATEGORIES:
            continue
        return True
    return False


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False
)
class EncoderSafeSpacyTokenizer(SpacyTokenizer):
    """`SpacyTokenizer` that drops tokens the encoder drops and caps very long messages."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Adds `max_tokens`: tokens past it are ignored (a 100 KB post must not stall DIET)."""
        return {**SpacyTokenizer.get_default_config(), "max_tokens": 400}

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        """spaCy's tokens that the encoder can see, at most `max_tokens` of them."""
        tokens = [t for t in super().tokenize(message, attribute) if encoder_sees(t.text)]
        text = message.get(attribute)
        if not tokens and isinstance(text, str) and text:
            return [Token(NOTHING_READABLE, 0, end=len(text), lemma=NOTHING_READABLE)]
        return tokens[: self._config["max_tokens"]]
