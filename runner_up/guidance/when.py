"""Reads when something happened: "today", "3 days ago", "last Friday", "12 March", "2026-11-02"."""

from __future__ import annotations

import datetime
import re
from typing import Optional, Text

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december"]
NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
           "seven": 7, "eight": 8, "nine": 9, "ten": 10, "a couple of": 2, "a few": 3}
UNITS = {"day": 1, "week": 7, "fortnight": 14}
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"


def _month(word: Text) -> int:
    return [m[:3] for m in MONTHS].index(word[:3].lower()) + 1


def _date(year: int, month: int, day: int) -> Optional[datetime.date]:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def _without_year(month: int, day: int, today: datetime.date) -> Optional[datetime.date]:
    """A day and month with no year: the most recent one (interviews are in the past)."""
    this_year = _date(today.year, month, day)
    if this_year is not None and this_year > today + datetime.timedelta(days=1):
        return _date(today.year - 1, month, day)
    return this_year


def parse_when(text: Optional[Text], today: datetime.date) -> Optional[datetime.date]:
    """The date `text` names, or None when it names none. A date may lie in the future: callers
    decide what to do with it (see runner_up.store validation)."""
    if not text:
        return None
    t = " ".join(text.lower().replace(",", " ").split())
    if re.search(r"\b(today|tonight|this (morning|afternoon|evening)|just now|an hour ago|earlier)\b", t):
        return today
    if re.search(r"\b(yesterday|last night)\b", t):
        return today - datetime.timedelta(days=1)
    m = re.search(r"\b(\d+|a couple of|a few|an?|one|two|three|four|five|six|seven|eight|nine|ten)\s+"
                  r"(day|week|fortnight)s?\s+ago\b", t)
    if m:
        count = int(m.group(1)) if m.group(1).isdigit() else NUMBERS[m.group(1)]
        return today - datetime.timedelta(days=count * UNITS[m.group(2)])
    if re.search(r"\blast week\b", t):
        return today - datetime.timedelta(days=7)
    m = re.search(r"\b(last|on|this past)?\s*(" + "|".join(WEEKDAYS) + r")\b", t)
    if m:
        back = (today.weekday() - WEEKDAYS.index(m.group(2))) % 7 or 7
        return today - datetime.timedelta(days=back)
    m = re.search(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", t)
    if m:
        return _date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = re.search(r"\b(\d{1,2})(st|nd|rd|th)?\s+(of\s+)?" + _MONTH + r"(\s+(\d{4}))?", t)
    if m:
        day, month, year = int(m.group(1)), _month(m.group(4)), m.group(6)
        return _date(int(year), month, day) if year else _without_year(month, day, today)
    m = re.search(r"\b" + _MONTH + r"\s+(\d{1,2})(st|nd|rd|th)?(\s+(\d{4}))?\b", t)
    if m:
        month, day, year = _month(m.group(1)), int(m.group(2)), m.group(5)
        return _date(int(year), month, day) if year else _without_year(month, day, today)
    m = re.search(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b", t)
    if m:  # day/month/year, the order most of our users write
        return _date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    return None
