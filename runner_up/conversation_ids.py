"""Conversation ids: whose conversation a Rasa sender id names, on which channel, and whether it is
private.

Every channel builds the sender id with its channel in it, so that Rasa's tracker store and the
progress store (keyed by channel and sender id) never mix two channels' people, and no channel can
name another's conversation:

    web:<session id>                          the web chat: a session the server issued and signed
    rest:<sender>                             REST (tests and tools), as the client named it
    slack:<team>:<user>                       a Slack direct message with the app
    slack:<team>:<user>:<channel>:<thread>    a mention in a Slack channel: one per person and thread

Private conversations are the web chat, REST and Slack DMs; in a channel thread everyone in the
channel reads the replies, so what reads back a person's stored details is refused there.

Plain functions and no Rasa import: the action server and the channels both use them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Text

# The prefix of each channel's ids, and the channel's name in Rasa (and in the progress store's
# `people.channel`, and in `trigger_intent?output_channel=`).
WEB, REST, SLACK = "web", "rest", "slack"
RASA_CHANNEL = {WEB: "socketio", REST: "rest", SLACK: "slack"}
PREFIX_OF_CHANNEL = {channel: prefix for prefix, channel in RASA_CHANNEL.items()}
# The progress store keys a person by at most 255 characters (people.sender_id).
LENGTH = 255
REST_SENDER_LENGTH = LENGTH - len(REST) - 1
# Slack's ids are upper-case letters and digits; a thread is a message timestamp ("1712.000100").
SLACK_ID = re.compile(r"[A-Z0-9]{1,32}")
SLACK_TS = re.compile(r"[0-9]{1,20}(\.[0-9]{1,12})?")
WEB_SESSION = re.compile(r"[0-9a-f]{32}")


class NotAConversationId(ValueError):
    """The parts given cannot make a conversation id (a Slack id that is not one, say)."""


@dataclass(frozen=True)
class Conversation:
    """What a conversation id says."""

    prefix: Text  # web, rest or slack
    private: bool
    slack_user: Optional[Text] = None  # the person, for a Slack conversation (a DM is opened to them)

    @property
    def channel(self) -> Text:
        """The channel's name in Rasa and in the progress store."""
        return RASA_CHANNEL[self.prefix]


def web(session_id: Text) -> Text:
    """The web chat conversation of a server-issued session id (32 lowercase hex digits)."""
    if not WEB_SESSION.fullmatch(session_id):
        raise NotAConversationId("a web chat session id is 32 lowercase hex digits")
    return f"{WEB}:{session_id}"


def rest(sender: Text) -> Text:
    """The REST conversation of the sender a client named."""
    if not sender or len(sender) > REST_SENDER_LENGTH:
        raise NotAConversationId(f"a REST sender is 1 to {REST_SENDER_LENGTH} characters")
    return f"{REST}:{sender}"


def slack(team: Text, user: Text, channel: Optional[Text] = None,
          thread: Optional[Text] = None) -> Text:
    """A Slack person's DM conversation, or (with `channel` and `thread`) their conversation in one
    channel thread."""
    if not (SLACK_ID.fullmatch(team or "") and SLACK_ID.fullmatch(user or "")):
        raise NotAConversationId("a Slack team or user id is upper-case letters and digits")
    if channel is None and thread is None:
        return f"{SLACK}:{team}:{user}"
    if not (SLACK_ID.fullmatch(channel or "") and SLACK_TS.fullmatch(thread or "")):
        raise NotAConversationId("a Slack thread is a channel id and a message timestamp")
    return f"{SLACK}:{team}:{user}:{channel}:{thread}"


def parse(conversation_id: Text) -> Optional[Conversation]:
    """What `conversation_id` names; None when it is not one our channels make (an id from before
    conversations were keyed by channel, or from another Rasa channel such as `rasa shell`)."""
    prefix, _, rest_of_id = conversation_id.partition(":")
    if prefix == WEB and WEB_SESSION.fullmatch(rest_of_id):
        return Conversation(WEB, private=True)
    if prefix == REST and rest_of_id and len(conversation_id) <= LENGTH:
        return Conversation(REST, private=True)
    if prefix == SLACK:
        parts = rest_of_id.split(":")
        if len(parts) == 2 and all(SLACK_ID.fullmatch(p) for p in parts):
            return Conversation(SLACK, private=True, slack_user=parts[1])
        if (len(parts) == 4 and all(SLACK_ID.fullmatch(p) for p in parts[:3])
                and SLACK_TS.fullmatch(parts[3])):
            return Conversation(SLACK, private=False, slack_user=parts[1])
    return None
