"""Whether a message says the person did a step ("sent it this morning", "done!"), as opposed to
naming one ("a feedback request. the one you just listed") or planning one ("i'll send it tonight").

A step is marked done only on such a message: an intent read wrongly must not record a step the
person never took.
"""

from __future__ import annotations

import re
from typing import Optional, Text

DID = re.compile(
    r"\b(done|did it|did that|i did|finished|completed|sent|emailed|messaged|posted|submitted|"
    r"wrote|written|called|rang|reached out|connected|applied|updated|followed|asked|"
    r"got it out|ticked off|taken care of|sorted|handled|managed to|went ahead)\b", re.IGNORECASE)
NOT_YET = re.compile(
    r"\b(not yet|haven'?t|have not|didn'?t|did not|will|i'?ll|going to|gonna|about to|later|"
    r"tomorrow|tonight|should i|can you|could you|how do i|what should|want to|wanna|need to|"
    r"plan to|thinking of|not done|never)\b", re.IGNORECASE)


# "a guy called Derek", "she's called Ines": called as named, not as rang.
NAMED = re.compile(r"\b(guy|woman|man|lady|person|someone|somebody|bloke|chap|girl|one|recruiter|manager|"
                   r"interviewer|he'?s|she'?s|they'?re|was|is|were|are)\s+called\b", re.IGNORECASE)


def says_done(text: Optional[Text]) -> bool:
    """True when `text` says something was done, and nothing in it says "not yet"."""
    said = NAMED.sub(" ", " ".join((text or "").split()))
    return bool(DID.search(said)) and not NOT_YET.search(said)
