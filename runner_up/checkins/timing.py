"""When a check-in is due: days after the news, never in the person's quiet hours, in their time zone.

Plain functions on aware datetimes (UTC in, UTC out); the person's local time only decides the hour.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Mapping, Optional, Text
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SMALL_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                 "seven": 7, "a couple of": 2, "a couple": 2, "a few": 3, "few": 3}
# The hour a check-in lands on when a day is chosen, if that is not in the quiet hours.
PREFERRED_HOUR = 10


@dataclass(frozen=True)
class Timing:
    """How check-ins are timed (RUNNER_UP_CHECKIN_DAYS, RUNNER_UP_QUIET_HOURS, RUNNER_UP_TIMEZONE,
    RUNNER_UP_CHECKIN_IDLE_MINUTES)."""

    days: int = 3
    quiet_start: int = 21  # local hour the quiet hours begin
    quiet_end: int = 9  # local hour they end
    default_zone: Text = "UTC"
    idle: timedelta = timedelta(minutes=15)  # no check-in while a conversation is live

    @classmethod
    def from_env(cls, env: Optional[Mapping[Text, Text]] = None) -> "Timing":
        env = os.environ if env is None else env
        quiet = env.get("RUNNER_UP_QUIET_HOURS", "21-9")
        match = re.fullmatch(r"\s*(\d{1,2})\s*-\s*(\d{1,2})\s*", quiet)
        if not match or not all(0 <= int(h) <= 23 for h in match.groups()):
            raise ValueError(f"RUNNER_UP_QUIET_HOURS must look like 21-9 (local hours), not {quiet!r}")
        days = int(env.get("RUNNER_UP_CHECKIN_DAYS", "3"))
        if not 1 <= days <= 60:
            raise ValueError(f"RUNNER_UP_CHECKIN_DAYS must be between 1 and 60, not {days}")
        default_zone = env.get("RUNNER_UP_TIMEZONE", "UTC")
        if zone(default_zone) is None:
            raise ValueError(f"RUNNER_UP_TIMEZONE is not a known time zone: {default_zone!r}")
        return cls(days=days, quiet_start=int(match.group(1)), quiet_end=int(match.group(2)),
                   default_zone=default_zone,
                   idle=timedelta(minutes=float(env.get("RUNNER_UP_CHECKIN_IDLE_MINUTES", "15"))))

    def zone_of(self, name: Optional[Text]) -> ZoneInfo:
        """The person's zone, or the default when they have none (or an unknown one)."""
        return zone(name) or ZoneInfo(self.default_zone)

    def is_quiet(self, hour: int) -> bool:
        if self.quiet_start == self.quiet_end:
            return False
        if self.quiet_start < self.quiet_end:
            return self.quiet_start <= hour < self.quiet_end
        return hour >= self.quiet_start or hour < self.quiet_end

    def outside_quiet_hours(self, when: datetime, zone_name: Optional[Text]) -> datetime:
        """`when`, or the end of the quiet hours it falls in (the person's local time)."""
        local = when.astimezone(self.zone_of(zone_name))
        if not self.is_quiet(local.hour):
            return when
        end_day = local.date() if local.hour < self.quiet_end else local.date() + timedelta(days=1)
        end = datetime.combine(end_day, time(self.quiet_end), tzinfo=local.tzinfo)
        return end.astimezone(timezone.utc)

    def first_due(self, now: datetime, zone_name: Optional[Text]) -> datetime:
        """`days` after now (the person was around at this hour), moved out of the quiet hours."""
        return self.outside_quiet_hours(now + timedelta(days=self.days), zone_name)

    def due_on(self, day: date, zone_name: Optional[Text]) -> datetime:
        """The preferred hour of `day` in the person's zone (or when their quiet hours end)."""
        local_zone = self.zone_of(zone_name)
        hour = PREFERRED_HOUR if not self.is_quiet(PREFERRED_HOUR) else self.quiet_end
        local = datetime.combine(day, time(hour), tzinfo=local_zone)
        return self.outside_quiet_hours(local.astimezone(timezone.utc), zone_name)


def zone(name: Optional[Text]) -> Optional[ZoneInfo]:
    """The IANA zone called `name`, or None when there is no such zone."""
    if not name or not isinstance(name, str) or len(name) > 64:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def parse_day(text: Text, today: date) -> Optional[date]:
    """The future day a message asks for ("tomorrow", "on Friday", "in 2 days", "next week"), or None.

    A weekday means the next one after today; "next week" means a week from today."""
    text = (text or "").lower()
    if re.search(r"\b(day after tomorrow)\b", text):
        return today + timedelta(days=2)
    if re.search(r"\btomorrow\b", text):
        return today + timedelta(days=1)
    for index, name in enumerate(WEEKDAYS):
        if re.search(rf"\b{name[:3]}(?:{name[3:]})?\b", text):
            ahead = (index - today.weekday()) % 7 or 7
            return today + timedelta(days=ahead)
    numbers = "|".join(sorted(map(re.escape, SMALL_NUMBERS), key=len, reverse=True))
    match = re.search(rf"\b(\d{{1,2}}|{numbers})\s+(day|week)s?\b", text)
    if match:
        count = int(match.group(1)) if match.group(1).isdigit() else SMALL_NUMBERS[match.group(1)]
        days = count * (7 if match.group(2) == "week" else 1)
        return today + timedelta(days=days) if 1 <= days <= 60 else None
    if re.search(r"\bnext week\b", text):
        return today + timedelta(days=7)
    if re.search(r"\b(weekend)\b", text):
        return today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    return None


def describe(due: datetime, zone_name: Optional[Text], timing: Timing, now: datetime) -> Text:
    """"tomorrow morning", "on Tuesday afternoon", "on 3 December": when the person reads it."""
    local = due.astimezone(timing.zone_of(zone_name))
    today = now.astimezone(local.tzinfo).date()
    part = "morning" if local.hour < 12 else "afternoon" if local.hour < 18 else "evening"
    ahead = (local.date() - today).days
    if ahead <= 0:
        return f"this {part}"
    if ahead == 1:
        return f"tomorrow {part}"
    if ahead < 7:
        return f"on {local.strftime('%A')} {part}"
    return f"on {local.day} {local.strftime('%B')}"
