"""Hand-off to a person ("can I talk to a real person?"), as the deployment configures it:

- `RUNNER_UP_HANDOFF_SLACK_CHANNEL` (with `SLACK_BOT_TOKEN`): the person is asked first; with a yes,
  one message goes to that Slack channel (the Web API at `SLACK_API_URL`) saying that someone asked
  for a person, on which channel, and how to reach them (a Slack person's mention; otherwise the
  conversation id), and never anything they wrote;
- else `RUNNER_UP_HANDOFF_URL`: the person gets that link, and nothing is sent anywhere;
- else the person is told honestly that no person is connected, and where real people are (the
  helplines, careers advisers).

In each case the person is told what happens next, a failed post included.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Dict, List, Mapping, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from slack_sdk.web.async_client import AsyncWebClient

from runner_up import conversation_ids
from runner_up.slack_blocks import escaped

logger = logging.getLogger(__name__)

ASKED_SLOT = "handoff_asked"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
POST_TIMEOUT_SECONDS = 10


def note_for_the_team(conversation_id: Text, channel: Text) -> Text:
    """What the team's channel reads: who asked and where, without a word the person wrote."""
    conversation = conversation_ids.parse(conversation_id)
    if conversation is not None and conversation.prefix == conversation_ids.SLACK:
        parts = conversation_id.split(":")  # slack:<team>:<user>[:<channel>:<thread>]
        where = "in a direct message with the app" if conversation.private else (
            f"in a thread in <#{parts[3]}>")
        return (f"Someone talking to Runner-Up asked for a person: <@{conversation.slack_user}> "
                f"({where}). Please message them in Slack. Nothing they wrote is included.")
    name = {"socketio": "the web chat", "rest": "the REST API"}.get(channel, escaped(channel))
    return (f"Someone talking to Runner-Up in {name} asked for a person. Their conversation is "
            f"`{escaped(conversation_id)}`: the assistant knows no other way to reach them. "
            f"Nothing they wrote is included.")


async def post_to_team(env: Mapping[Text, Text], text: Text) -> bool:
    """Posts `text` to the hand-off channel; False (and logged) when Slack does not take it."""
    url = env.get("SLACK_API_URL") or DEFAULT_SLACK_API_URL
    client = AsyncWebClient(env["SLACK_BOT_TOKEN"], base_url=url if url.endswith("/") else url + "/",
                            timeout=POST_TIMEOUT_SECONDS)
    try:
        answer = await client.chat_postMessage(channel=env["RUNNER_UP_HANDOFF_SLACK_CHANNEL"],
                                               text=text)
        return bool(answer.get("ok"))
    except Exception:  # SlackApiError (ok: false), a timeout, Slack unreachable
        logger.exception("the hand-off could not be posted to the team's Slack channel")
        return False


def slack_configured(env: Mapping[Text, Text]) -> bool:
    return bool(env.get("RUNNER_UP_HANDOFF_SLACK_CHANNEL") and env.get("SLACK_BOT_TOKEN"))


class ActionHandOff(Action):
    """Asked for a person: asks consent (Slack channel configured), gives the link, or says that no
    person is connected; answered, passes it on (yes) or carries on (no)."""

    def __init__(self, env: Optional[Mapping[Text, Text]] = None) -> None:
        self.env = env

    def name(self) -> Text:
        return "action_hand_off"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        env = os.environ if self.env is None else self.env
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        done = [SlotSet(ASKED_SLOT, False)]
        if tracker.get_slot(ASKED_SLOT) and intent in ("affirm", "deny"):
            if intent == "deny":
                dispatcher.utter_message(response="utter_handoff_declined")
                return done
            if not slack_configured(env):  # the configuration changed since the question
                return done + self.without_a_channel(dispatcher, env)
            channel = tracker.get_latest_input_channel() or ""
            conversation = conversation_ids.parse(tracker.sender_id)
            if conversation is not None:
                channel = conversation.channel
            if await post_to_team(env, note_for_the_team(tracker.sender_id, channel)):
                slack_person = conversation is not None and conversation.prefix == conversation_ids.SLACK
                dispatcher.utter_message(response="utter_handoff_sent" if slack_person
                                         else "utter_handoff_sent_here")
            else:
                dispatcher.utter_message(response="utter_handoff_failed")
            return done
        if slack_configured(env):
            dispatcher.utter_message(response="utter_ask_handoff_consent")
            return [SlotSet(ASKED_SLOT, True)]
        return done + self.without_a_channel(dispatcher, env)

    @staticmethod
    def without_a_channel(dispatcher: CollectingDispatcher,
                          env: Mapping[Text, Text]) -> List[Dict[Text, Any]]:
        if env.get("RUNNER_UP_HANDOFF_URL"):
            dispatcher.utter_message(response="utter_handoff_link", url=env["RUNNER_UP_HANDOFF_URL"])
        else:
            dispatcher.utter_message(response="utter_handoff_none")
            dispatcher.utter_message(response="utter_crisis_resources")
        return []
