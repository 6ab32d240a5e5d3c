"""Two things a person can say outright that DIET, trained mostly on long everyday text, often
misreads: a rejection ("got rejeted from Pellham Hotels for the recepionist job yesterday" was read
as out of scope, "welp. Zentro said thanks but no thanks lol" as a thank-you), and a draft picked
by name after the list ("the thank you one" read as a thank-you), and a step said done in a few
words ("ok sent it!" read as a fallback); a short answer said with a yes or a no in it ("wow, a
step. groundbreaking. fine, yes", "too tired for that tbh", "nah give me a different one");
"would they ever consider me again?"; a short thank-you with a remark after it ("thanks, you're
alright for a robot"); a plain feeling the fallback took ("i really wanted this one"). And a question about what the assistant is ("am I talking to a human?")
read as a request for a person (issue 18): it is `bot_challenge`.

When the message says it in so many words and DIET's intent is one of the catch-alls (out of
scope, fallback, a thank-you, a bare yes, a detail, a feeling), the intent becomes
`tell_what_happened` or `request_template` (with its `template_type`). Anything else is left as
it is, and the crisis detector, after this component, still overrides every intent.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from runner_up.guidance.details import find_company
from runner_up.guidance.done import says_done

# Catch-all intents a plain statement of a rejection can be misread as.
MISREAD_REJECTION = {"out_of_scope", "nlu_fallback", "thank", "affirm", "inform", "express_feeling", "greet"}
MISREAD_TEMPLATE = {"out_of_scope", "nlu_fallback", "thank", "affirm", "inform", "report_step_done",
                    "another_step"}
REJECTION = re.compile(
    r"\b(turned (me )?down|rejected|rejection|rejeted|said no|told me no|(a|the|another|"
    r"(second|third|fourth|fifth|sixth|seventh|tenth)) no\b|passed on me|went with (someone|another)|"
    r"gone with (someone|another)|going with (someone|another)|mov(e|ing) forward with other|"
    r"didn'?t get (the|that|it|this)|did not get (the|that|it)|not (been )?selected|unsuccessful|"
    r"thanks but no thanks|lost out on|ghosted me|picked someone|chose someone|filled (the|it) internally|"
    # the stock lines of a rejection email, quoted back: "another 'we were very impressed but'"
    r"(were|was) (very |really |so )?impressed,? but|regret to inform|decided not to (proceed|progress)|"
    r"(not|won'?t be) (moving|taking (you|me|it)) forward|other candidates)",
    re.IGNORECASE)
JOB = re.compile(r"\b(job|role|position|interview\w*|application|applied|offer|recruiter|hr|"
                 r"hiring|panel|shortlist|final round|company)\b", re.IGNORECASE)
TEMPLATES = {
    "thank_you": r"thank[\s-]*(you|u)",
    "feedback_request": r"feedback",
    "keep_cv": r"(cv|resume) on file|keep (my )?(cv|resume)",
    "stay_in_running": r"stay(ing)?[\s-]+in[\s-]+the[\s-]+running",
    "linkedin": r"linked\s*in",
    "follow_up": r"follow[\s-]*up",
}
NAMED = r"(?:(?:the|a)\s+(?:{t})\b|\b(?:{t})\s+(?:one|note|email|letter|message|request|draft)\b)"
MAX_TEMPLATE_WORDS = 10
# "ok sent it!" (read as a fallback) says a step was done.
MISREAD_DONE = {"out_of_scope", "nlu_fallback", "affirm", "inform", "thank"}
MAX_DONE_WORDS = 8

# "am I talking to a human?", "is this a real person": asking what the assistant is, not for a person.
ASKS_WHAT_IT_IS = re.compile(
    r"^\W*(am i|are you|is (this|it|that)|r u)\b[^?]{0,40}\b(human|person|bot|robot|ai|real)\b[^?]{0,20}\??\W*$",
    re.IGNORECASE)
REQUEST = re.compile(r"\b(can|could|may|let|put|want|wanna|like|need|connect|get|pass|speak to someone)\b",
                     re.IGNORECASE)


def asks_what_it_is(text: Text) -> bool:
    """Whether `text` asks whether the assistant is a person, without asking for one."""
    return bool(ASKS_WHAT_IT_IS.search(text)) and not REQUEST.search(text)


# Short answers with a yes or a no in them, read as out of scope or a fallback. Only over those two
# (a "yes" DIET read as anything else stays what DIET read), only in a few words, and only when
# the message does not also say the other.
MISREAD_ANSWER = {"out_of_scope", "nlu_fallback"}
MAX_ANSWER_WORDS = 8
YES = re.compile(r"(^|[.,!?]\s*)(yes|yeah|yep|yup|sure|ok(ay)?|fine|go on|alright|why not)\b"
                 r"|\b(yes|yeah|yep|sure|go on|ok(ay)?|fine)( then| please| go on)?[\s.!]*$", re.IGNORECASE)
NO = re.compile(r"\b(no|nah|nope|not now|not today|not really|maybe later|another time|"
                r"(too|so) (tired|knackered|wiped|drained|exhausted)|can'?t face|no energy)\b", re.IGNORECASE)
ANOTHER = re.compile(r"\b(a |an )?(different|other|another) (one|step|thing|idea)\b|\bsomething else\b",
                     re.IGNORECASE)
THANKS = re.compile(r"^\W*(thanks|thank you|thank u|thx|ty|cheers|ta)\b", re.IGNORECASE)
SECOND_CHANCE = re.compile(r"\b(consider|hire|look at|call|think of) me again\b|\breapply\b|"
                           r"\bapply (there |to them )?again\b|\bsecond chance\b", re.IGNORECASE)


# A feeling said plainly ("i really wanted this one") is what this assistant is for: when DIET is
# unsure of every intent (the fallback) and the emotion classifier reads a clear feeling, the
# message is a feeling shared (or venting, if DIET put venting first of the two).
FELT = 0.6
FEELING_INTENTS = ("vent", "express_feeling")


def feeling_in(message: Message) -> Optional[Text]:
    """`vent` or `express_feeling` for a message the fallback took that carries a clear feeling."""
    emotion = message.get("emotion") or {}
    if emotion.get("name") in (None, "neutral") or float(emotion.get("confidence") or 0) < FELT:
        return None
    ranked = [r.get(INTENT_NAME_KEY) for r in message.get("intent_ranking") or []]
    return min(FEELING_INTENTS, key=lambda i: ranked.index(i) if i in ranked else len(ranked))


def answer_in(text: Text) -> Optional[Text]:
    """The answer a short message says outright ("affirm", "deny", "another_step"), if one."""
    if len(text.split()) > MAX_ANSWER_WORDS:
        return None
    if ANOTHER.search(text):
        return "another_step"
    yes, no = bool(YES.search(text)), bool(NO.search(text))
    if yes != no:
        return "affirm" if yes else "deny"
    return None


def tells_rejection(text: Text) -> bool:
    """Whether `text` says, in so many words, that they were turned down for a job."""
    return bool(REJECTION.search(text)) and bool(JOB.search(text) or find_company(text))


def names_template(text: Text) -> Optional[Text]:
    """The draft a short message picks by name ("the thank you one"), if exactly one."""
    if len(text.split()) > MAX_TEMPLATE_WORDS:
        return None
    named = [name for name, t in TEMPLATES.items()
             if re.search(NAMED.format(t=t), text, re.IGNORECASE)]
    return named[0] if len(named) == 1 else None


def _set_intent(message: Message, intent: Text) -> None:
    confidence = float((message.get(INTENT) or {}).get(PREDICTED_CONFIDENCE_KEY) or 0.0)
    ranking = [r for r in message.get("intent_ranking") or [] if r.get(INTENT_NAME_KEY) != intent]
    top = {INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: max(confidence, 0.9)}
    message.set(INTENT, top, add_to_output=True)
    message.set("intent_ranking", [top] + ranking, add_to_output=True)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SaidOutrightClassifier(GraphComponent):
    """A rejection or a draft named outright, over DIET's catch-all intents."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "SaidOutrightClassifier":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            template = names_template(text) if intent in MISREAD_TEMPLATE else None
            if template:
                _set_intent(message, "request_template")
                entities = [e for e in message.get(ENTITIES) or [] if e.get("entity") != "template_type"]
                entities.append({"entity": "template_type", "value": template, "start": 0,
                                 "end": len(text), "extractor": type(self).__name__})
                message.set(ENTITIES, entities, add_to_output=True)
            elif intent in MISREAD_REJECTION and tells_rejection(text):
                _set_intent(message, "tell_what_happened")
            elif intent in MISREAD_DONE and len(text.split()) <= MAX_DONE_WORDS and says_done(text):
                _set_intent(message, "report_step_done")
            elif intent in MISREAD_ANSWER and SECOND_CHANCE.search(text):
                _set_intent(message, "ask_second_chance")
            elif intent in MISREAD_ANSWER and (answer := answer_in(text)):
                _set_intent(message, answer)
            elif intent in MISREAD_ANSWER and len(text.split()) <= MAX_ANSWER_WORDS and THANKS.search(text):
                _set_intent(message, "thank")
            elif intent == "nlu_fallback" and (feeling := feeling_in(message)):
                _set_intent(message, feeling)
            elif intent == "talk_to_human" and asks_what_it_is(text):
                _set_intent(message, "bot_challenge")
        return messages
