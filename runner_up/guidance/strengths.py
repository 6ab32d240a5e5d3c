"""The strength a person names, as a phrase: "i just told you one?? keeping things organised under
pressure" is "keeping things organised under pressure"; "idk. im good at keeping things organised
when everything is on fire" is "keeping things organised when everything is on fire".

The message is cut into clauses; the clause that names the strength ("good at ...", "my strength
is ...", or else the last clause that is not a complaint, a shrug or a question) is kept, without
its lead-in ("i guess", "i'm good at") or its trailing hedge ("i guess", "lol").
"""

from __future__ import annotations

import re
from typing import List, Optional, Text

# Clauses that are about the conversation, not a strength.
NOT_A_STRENGTH = re.compile(
    r"^(i just told you|i told you|i already said|i said|idk|i don'?t know|dunno|no idea|not sure|"
    r"hmm+|um+|uh+|ok(ay)?|well|yeah|yes|sure|fine|lol|haha|ugh|sigh|honestly|i mean|"
    r"are you (even )?listening|you asked|as i said|like i said|again|skip|pass|nothing|none)\b[^a-z]*$"
    r"|^(what|why|how|who|huh|which)\b|\?$")
CUE = re.compile(
    r"\b(?:i'?m|i am|im|i'?ve always been|always been|i'?d say i'?m|people say i'?m|they say i'?m)\s+"
    r"(?:really |pretty |quite |very |actually |genuinely |kinda |kind of )?"
    r"(?:good|great|decent|strong|skilled|brilliant|excellent|solid) at\s+(.+)"
    r"|\b(?:my (?:biggest |main |real )?strength(?:s)? (?:is|are|would be)|i'?m good at|i can|"
    r"i know how to|i'?m the one who|i'?m known for|i bring)\s+(.+)",
    re.IGNORECASE)
LEAD_INS = re.compile(
    r"^(?:(?:i guess|i suppose|i think|probably|maybe|honestly|tbh|well|so|um+|uh+|like|"
    r"i'?d say|i would say|i mean|ok(?:ay)?|fine|yeah|sure|hmm+|idk|one is|one of them is|"
    r"is|are|people say|they say|everyone says|my friends say|that i'?m|that i am|i'?m|i am|im)\b[\s,]*)+", re.IGNORECASE)
TRAILERS = re.compile(r"(?:[\s,]+(?:i guess|i suppose|i think|lol|haha|tbh|probably|maybe|"
                      r"or something|or whatever|at least|i hope|for what it'?s worth|if that counts|if that helps|"
                      r"apparently|anyway))+$", re.IGNORECASE)
MAX_WORDS = 14


def clauses(text: Text) -> List[Text]:
    parts = re.split(r"(?<=[.!?;])\s+|\s*[\n]+\s*|(?<=\?)|\s+-\s+|\s*…\s*", text)
    return [p.strip() for p in parts if p and p.strip(" .!?;,")]


def tidy(phrase: Text) -> Text:
    phrase = " ".join(phrase.split()).strip(" .!;,:\"'")
    phrase = LEAD_INS.sub("", phrase)
    phrase = TRAILERS.sub("", phrase)
    return phrase.strip(" .!;,:\"'")


def extract_strength(text: Optional[Text]) -> Optional[Text]:
    """The strength phrase in `text`, or None when it names none."""
    parts = clauses(text or "")
    for part in parts:
        match = CUE.search(part)
        if match:
            phrase = tidy(match.group(1) or match.group(2))
            if phrase:
                return " ".join(phrase.split()[:MAX_WORDS])
    for part in reversed(parts):
        phrase = tidy(part)
        if phrase and not NOT_A_STRENGTH.search(phrase.lower()) and not part.rstrip().endswith("?"):
            return " ".join(phrase.split()[:MAX_WORDS])
    return None


def names_strength(text: Optional[Text]) -> bool:
    """Whether `text` names a strength in so many words ("i'm good at ...", "my strength is ...")."""
    return any(CUE.search(part) for part in clauses(text or ""))
