"""Slack message text and Block Kit, as plain functions (no Rasa import: the action server uses
them too).

- `escaped`: `&`, `<` and `>` escaped, as Slack asks, so text a person gave cannot become
  `<!channel>` or a disguised link.
- `with_buttons`: a message with choices as Block Kit: a `section` with the (escaped) mrkdwn text
  and `actions` blocks of `button` elements, each `value` the Rasa payload ("/affirm") and each
  `action_id` unique in the message. Slack allows at most 25 elements in an actions block, 2,000
  characters of `value`, 75 characters of button text and 3,000 of section text: longer titles are
  cut with an ellipsis, more than 25 buttons go into further actions blocks, and a payload too
  long for a value is left out (logged) rather than sent cut.
- the actions blocks' `block_id` names the person the question was for (`choices-<user>-<n>`),
  so a click by someone else in a channel thread answers for them and leaves the buttons in place;
- `chosen`: the same message once a button was clicked: the text, and a context line "You chose:
  ..." in place of the buttons, so it cannot be clicked twice.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, List, Optional, Sequence, Text

logger = logging.getLogger(__name__)

BUTTONS_PER_BLOCK = 25
BUTTON_TEXT_LENGTH = 75
VALUE_LENGTH = 2000
SECTION_TEXT_LENGTH = 3000
BLOCKS_PER_MESSAGE = 50
ACTION_ID_PREFIX = "runner_up_choice_"
BLOCK_ID = re.compile(r"choices-(?:([A-Z0-9]{1,32})-)?[0-9]+")


def escaped(text: Text) -> Text:
    """`text` with the three characters Slack reads as markup escaped (Slack's own rule)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: Text, limit: int) -> Text:
    """`text` in at most `limit` characters, an ellipsis marking a cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def section(text: Text) -> Dict[Text, Any]:
    """The message's text as a mrkdwn section (escaped, within Slack's limit)."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(escaped(text), SECTION_TEXT_LENGTH)}}


def with_buttons(text: Text, buttons: Sequence[Dict[Text, Any]],
                 owner: Optional[Text] = None) -> List[Dict[Text, Any]]:
    """The blocks of a message with `buttons` (Rasa's `{"title": ..., "payload": ...}`) asked of
    the Slack user `owner`."""
    elements = []
    for index, button in enumerate(buttons):
        title, payload = str(button.get("title") or ""), str(button.get("payload") or "")
        if not payload or len(payload) > VALUE_LENGTH:
            logger.warning("button %r left out of a Slack message: its payload is empty or longer "
                           "than %s characters", title, VALUE_LENGTH)
            continue
        elements.append({"type": "button", "action_id": f"{ACTION_ID_PREFIX}{index}",
                         "text": {"type": "plain_text", "text": cut(title or payload, BUTTON_TEXT_LENGTH)},
                         "value": payload})
    blocks = [section(text)]
    for start in range(0, len(elements), BUTTONS_PER_BLOCK):
        number = start // BUTTONS_PER_BLOCK
        blocks.append({"type": "actions", "block_id": f"choices-{owner}-{number}" if owner else f"choices-{number}",
                       "elements": elements[start:start + BUTTONS_PER_BLOCK]})
    if len(blocks) > BLOCKS_PER_MESSAGE:
        logger.warning("a Slack message with %s buttons keeps the first %s", len(elements),
                       (BLOCKS_PER_MESSAGE - 1) * BUTTONS_PER_BLOCK)
    return blocks[:BLOCKS_PER_MESSAGE]


def owner_of(block_id: Any) -> Optional[Text]:
    """The person a clicked actions block was for, if it says (see `with_buttons`)."""
    match = BLOCK_ID.fullmatch(block_id) if isinstance(block_id, str) else None
    return match.group(1) if match else None


def chosen(blocks: Optional[Sequence[Dict[Text, Any]]], choice: Text) -> List[Dict[Text, Any]]:
    """The clicked message's blocks without its buttons, and "You chose: <choice>" under them."""
    kept = [b for b in blocks or [] if isinstance(b, dict) and b.get("type") != "actions"]
    line = {"type": "context",
            "elements": [{"type": "mrkdwn", "text": cut(f"You chose: {escaped(choice)}", SECTION_TEXT_LENGTH)}]}
    return [*kept, line]
