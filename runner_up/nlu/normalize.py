"""Text as the crisis rules should read it, whatever the keyboard, the phone or a copy did to it.

"ｋｉｌｌ ｍｙｓｅｌｆ" (full-width letters), "kill\u200bmyself" (a zero-width space) and
"i want to\n\ndie" (a paragraph break) all say what the rules look for, but as spaCy tokens they
match no pattern. `normalize` makes them plain text:

- NFKC: compatibility forms (full-width and styled letters, ligatures) become ordinary letters;
- the zero-width and word-joining spaces (U+200B, U+2060, U+FEFF) become a space: they sit where
  a space was, or was meant to be; every other format character (category Cf: soft hyphens,
  joiners, direction marks) is removed, so "sui\u00adcide" reads "suicide";
- runs of white space, line breaks included, become one space; the ends are trimmed.

Only the crisis detector reads the normalised text: the message itself, its entities' offsets and
what the other components see are left as the person typed them.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Text

# Zero-width characters that separate words (or were typed in place of a space).
ZERO_WIDTH_SPACES = {"\u200b", "\u2060", "\ufeff", "\u180e"}
_WHITE_SPACE = re.compile(r"\s+")


def _without_format_characters(text: Text) -> Text:
    return "".join(
        " " if char in ZERO_WIDTH_SPACES else char
        for char in text
        if char in ZERO_WIDTH_SPACES or unicodedata.category(char) != "Cf"
    )


def normalize(text: Text) -> Text:
    """`text` in NFKC, without format characters, with single spaces (see the module)."""
    # Format characters first: NFKC leaves them, and they must not split a run of spaces.
    plain = unicodedata.normalize("NFKC", _without_format_characters(text or ""))
    return _WHITE_SPACE.sub(" ", plain).strip()
