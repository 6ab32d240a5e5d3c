"""Fills the message templates (domain responses `utter_template_<type>`) with the person's details.

Every variable always gets a value, so a template can be copied and sent as it is.
"""

from __future__ import annotations

import datetime
from typing import Dict, Optional, Text


def role_phrase(role: Optional[Text]) -> Text:
    if not role:
        return "the position"
    role = role.strip()
    lowered = role.lower()
    if lowered.startswith(("the ", "a ", "an ")):
        role = role.split(" ", 1)[1]
    if lowered.endswith(("position", "role", "job", "post")):
        return f"the {role}"
    return f"the {role} position"


def date_phrase(when: Optional[datetime.date]) -> Text:
    if when is None:
        return "recently"
    return f"on {when.strftime('%B')} {when.day}"


def template_values(company: Optional[Text] = None, role: Optional[Text] = None,
                    interviewer: Optional[Text] = None,
                    when: Optional[datetime.date] = None) -> Dict[Text, Text]:
    """The variables of every template: {interviewer}, {company}, {role}, {date}."""
    return {
        "interviewer": (interviewer or "").strip() or "Hiring Team",
        "company": (company or "").strip() or "your organization",
        "role": role_phrase(role),
        "date": date_phrase(when),
    }
