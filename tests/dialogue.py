"""Talking to the running assistant in tests: the domain's texts, and the rejection form answered."""

from __future__ import annotations

import datetime
from typing import Callable, Dict, List, Optional, Tuple

import yaml

from runner_up.settings import ROOT

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())
Say = Callable[[str, str], List[Dict]]


def variants(response: str, emotion: Optional[str] = None) -> set:
    """The texts of a response: its unconditional variants, or those for `emotion`."""
    texts = set()
    for variant in DOMAIN["responses"][response]:
        conditions = variant.get("condition") or []
        values = {c["value"] for c in conditions}
        if (emotion is None and not conditions) or emotion in values:
            texts.add(variant["text"])
    return texts


def texts(replies: List[Dict]) -> List[str]:
    return [r.get("text", "") for r in replies]


def answer_the_form(say: Say, who: str, reply: List[str],
                    company: str = "Acme") -> Tuple[List[str], datetime.date]:
    """Answers (or skips) what the rejection form asks, at most four details; returns the reply
    after the last answer and the day the rejection happened."""
    heard_on = datetime.date.today()
    for _ in range(4):
        last = reply[-1]
        if last in variants("utter_ask_company"):
            reply = texts(say(who, company))
        elif last in variants("utter_ask_role"):
            reply = texts(say(who, "Data Analyst"))
        elif last in variants("utter_ask_interviewer"):
            reply = texts(say(who, "skip"))
        elif last in variants("utter_ask_when"):
            reply = texts(say(who, "yesterday"))
            heard_on -= datetime.timedelta(days=1)
        else:
            break
    return reply, heard_on
