"""The mood and progress picture in a conversation: its line of text and the chart, one message.

The chart itself (data, SVG, PNG) is runner_up/picture.py; the channels draw it (the web chat as an
SVG image, Slack as an uploaded PNG) and every other client gets the text, which says the same.
"""

from __future__ import annotations

import random
from typing import Any, Dict, Text

from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from runner_up.picture import CHART_KEY


def send_picture(dispatcher: CollectingDispatcher, domain: DomainDict, response: Text,
                 chart: Dict[Text, Any]) -> None:
    """Sends `chart` with the text of `response` (a domain response taking `{description}`, filled
    with the chart's alt text), as `utter_message(text=..., json_message={"runner_up_chart": chart})`."""
    variants = [v for v in domain.get("responses", {}).get(response) or [] if not v.get("condition")]
    if not variants:
        raise KeyError(f"the domain has no response {response!r} for the mood picture")
    text = random.choice(variants)["text"].format(description=chart["alt"])
    dispatcher.utter_message(text=text, json_message={CHART_KEY: chart})
