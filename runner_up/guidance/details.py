"""Reads a rejection's details (company, role, interviewer, when) out of what a person wrote, so the
form never asks for what they already said ("a recruiter from Hirewell rang me today").

DIET's entities come first (actions merge them in); these patterns catch the names it has never
seen. They are deliberately narrow: a capitalised name after "from/at/with", or before "turned me
down / said no / rejected me"; a role before "job/role/position"; a person "called Derek". A detail
read wrongly is worse than one asked for, so anything doubtful is left out.
"""

from __future__ import annotations

import datetime
import re
from typing import Dict, Optional, Text

from runner_up.guidance.when import parse_when

_WORD = r"[A-Z][\w&'’-]*(?:\.[A-Za-z]+)*"  # a dot only inside a name ("Booking.com")
_NAME = _WORD + r"(?:\s+(?:" + _WORD + r"|&|of|and))*"
# Words that start a sentence or name a day, never a company or a person.
NOT_NAMES = {
    "i", "im", "i'm", "so", "well", "and", "but", "today", "yesterday", "they", "the", "a", "an",
    "then", "just", "my", "hi", "hey", "ok", "okay", "honestly", "also", "oh", "ugh", "lol", "it",
    "we", "he", "she", "this", "that", "there", "what", "why", "how", "linkedin", "zoom", "teams",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "hr", "ceo",
    "cv", "not", "no", "yes", "yeah", "someone", "somebody", "everyone", "nobody", "thanks",
    "cheers", "sorry", "fine", "great", "welp", "wow", "please", "again", "really", "lol",
}
REJECTED = (r"(?:turned me down|turned down my|said thanks but no thanks|rejected me|said no|told me no|passed on me|ghosted me|went with "
            r"someone|didn'?t want me|did not want me|let me go|dropped me|binned me|declined me)")
# In order of trust: "at/from X", then "X turned me down", then "by/with/for X".
COMPANY_PATTERNS = [
    re.compile(r"\b(?:from|at)\s+(?:the\s+)?(" + _NAME + r")"),
    re.compile(r"(?:^|[.!?]\s+|\b(?:and|but|so|now|then)\s+)(" + _NAME + r")\s+(?:has\s+|have\s+|also\s+|just\s+)?"
               + REJECTED),
    re.compile(r"\b(?:with|by|for)\s+(" + _NAME + r")"),
    # "... AGAIN. Corbel Group. ...", "Quarry Digital this time", "cheers Ardent Systems"
    re.compile(r"(?:[.!?]\s+|\b(?:cheers|thanks)\s+)(" + _NAME + r")(?=\s+this time|[,.!]|$)"),
    re.compile(r"^(" + _NAME + r")\s+this time"),
]
ROLE_PATTERN = re.compile(
    r"\b(?:for|as|the|a|an)\s+((?:[a-z][\w-]*\s+){0,3}[a-z][\w-]*)\s+(?:job|role|position|post|opening)\b",
    re.IGNORECASE)
ROLE_NOT = {"same", "dream", "other", "new", "first", "last", "whole", "this", "that", "only", "one",
            "perfect", "stupid", "damn", "a", "an", "the", "my", "their", "your", "next", "great", "good",
            "nice", "amazing", "brilliant", "awesome", "bad", "easy", "hard", "real", "proper", "crap",
            "shit", "boring", "lovely", "decent"}
_WHEN_WORDS = (r"today|tonight|yesterday|this (?:morning|afternoon|evening|week)|last (?:week|night|"
               r"monday|tuesday|wednesday|thursday|friday)|on (?:monday|tuesday|wednesday|thursday|friday)")
# "i was going for shift manager", "interviewed for junior designer", "my application for QA
# engineer last week": the role ends the sentence, or a time follows it.
ROLE_AFTER = re.compile(r"\b(?:going for|applied for|interviewed for|was up for|application for|applying for)\s+"
                        r"(?:the\s+|a\s+|an\s+)?((?:[a-z][\w-]*\s+){0,2}[a-z][\w-]*)"
                        r"\s*(?:[,.!?]|$|(?=\b(?:" + _WHEN_WORDS + r")\b))", re.IGNORECASE)
# A role said as a fragment of its own: "Beckett Logistics said no. dispatcher role. today."
ROLE_FRAGMENT = re.compile(r"(?:^|[.!?]\s+)((?:[a-z][\w-]*\s+){0,2}[a-z][\w-]*)\s+(?:job|role|position)\s*(?:[,.!?]|$)",
                           re.IGNORECASE)
ABOUT_A_JOB = re.compile(r"\b(reject\w*|turned|said no|interview\w*|applied|application|hired|recruiter)\b",
                         re.IGNORECASE)
ROLE_BREAKS = {"for", "as", "the", "a", "an", "at", "in", "of", "no", "to", "with", "from", "on"}
INTERVIEWER_PATTERN = re.compile(
    r"\b(?:called|named|interviewer(?:\s+was)?|interviewed by|hiring manager(?:\s+was)?|"
    r"manager(?:\s+was)?|recruiter(?:\s+was)?)\s+([A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)"
    r"|\bwith\s+([A-Z][a-z]+)\s+(?:at|from)\s+[A-Z]")
WHEN_PATTERN = re.compile(
    r"\b(today|tonight|this (?:morning|afternoon|evening)|just now|an hour ago|yesterday|last night|"
    r"(?:\d+|a couple of|a few|an?|one|two|three|four|five|six|seven|eight|nine|ten)\s+"
    r"(?:day|week|fortnight)s?\s+ago|last week|(?:last|on|this past)\s+(?:monday|tuesday|wednesday|"
    r"thursday|friday|saturday|sunday))\b", re.IGNORECASE)


def _clean_name(name: Text) -> Optional[Text]:
    words = name.strip(" .,!?'’").split()
    while words and words[0].lower().strip(".,'’") in NOT_NAMES:
        words = words[1:]
    while words and words[-1].lower() in {"of", "and", "&"}:
        words = words[:-1]
    if not words or any(len(w) >= 4 and w.isupper() for w in words):  # shouting, not a name
        return None
    cleaned = " ".join(words).strip(" .,!?")
    return cleaned if 1 < len(cleaned) <= 60 else None


def find_company(text: Text) -> Optional[Text]:
    for pattern in COMPANY_PATTERNS:
        for match in pattern.finditer(text):
            name = _clean_name(match.group(1))
            if name:
                return name
    return None


def find_role(text: Text) -> Optional[Text]:
    after = list(ROLE_AFTER.finditer(text)) if ABOUT_A_JOB.search(text) else []
    for match in list(ROLE_PATTERN.finditer(text)) + after + list(ROLE_FRAGMENT.finditer(text)):
        words = match.group(1).lower().split()
        cut = [i for i, w in enumerate(words) if w in ROLE_BREAKS]
        words = words[cut[-1] + 1:] if cut else words  # "a no for the physio role" is "physio"
        while words and words[0] in ROLE_NOT:
            words = words[1:]
        if words and not set(words) & {"i", "me", "you", "they", "it"}:
            return " ".join(words)
    return None


def find_interviewer(text: Text) -> Optional[Text]:
    match = INTERVIEWER_PATTERN.search(text)
    if match is None:
        return None
    return _clean_name(match.group(1) or match.group(2))


def find_when(text: Text, today: datetime.date) -> Optional[datetime.date]:
    match = WHEN_PATTERN.search(text)
    return parse_when(match.group(1), today) if match else None


def find_details(text: Text, today: datetime.date) -> Dict[Text, Text]:
    """The details `text` names, by slot (`when` as an ISO date); only those it does name."""
    found: Dict[Text, Optional[Text]] = {
        "company": find_company(text), "role": find_role(text),
        "interviewer": find_interviewer(text)}
    day = find_when(text, today)
    found["when"] = day.isoformat() if day else None
    if found["interviewer"] and found["interviewer"] == found["company"]:
        found["company"] = None
    return {slot: value for slot, value in found.items() if value}
