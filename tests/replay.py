"""Replays scripted conversations (tests/conversations/*.yml) through the running assistant and
checks what a person would notice: a crisis protocol for an ordinary rejection, a dead end on a
request we cover, a detail asked for again, a step marked done that was never taken, a whole
message kept as a "strength".

A conversation file:

    name: ...                  # what it is about
    voice: ...                 # how the person writes
    ordinary: true             # an ordinary rejection: the crisis protocol must never start
    turns:
      - user: "..."            # what the person types
        gives: [company, when] # details this message gave: never asked for from here on
        no_step: true          # the reply must not offer a step (venting)
        did_step: true         # the person says they did a step (a "done" may follow)
        strength: "..."        # the phrase this message names as a strength
        out_of_scope: true     # the message is beyond what we cover (a dead end is allowed)
    expect:
      rejections: [{company: Acme}, ...]   # the rejections stored, in order (and any detail named)
      strengths: ["..."]                   # the strengths stored (lower case compared)

Each conversation is one REST sender; the progress store is read once at the end.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Set

import yaml
from sqlalchemy import select

from runner_up.guidance.catalogue import load
from runner_up.store import repository
from runner_up.store.db import Database
from runner_up.store.models import Rejection
from tests.dialogue import DOMAIN, variants

CONVERSATIONS = Path(__file__).parent / "conversations"
DETAILS = ("company", "role", "interviewer", "when")
DEAD_ENDS = ("outside what I can help with", "not sure I followed")
Say = Callable[[str, str], List[Dict]]


def texts_of(response: str) -> Set[str]:
    return {v["text"] for v in DOMAIN["responses"].get(response, [])}


def _start(text: str) -> str:
    """A response's text up to its first variable: enough to recognise it once filled in."""
    return text.split("{")[0].strip()


CRISIS = {_start(t) for name in ("utter_crisis_care", "utter_crisis_resources", "utter_crisis_urgent")
          for t in texts_of(name) if _start(t)}
ASKS = {slot: variants(f"utter_ask_{slot}") for slot in DETAILS}
FALLBACKS = texts_of("utter_default") | texts_of("utter_out_of_scope")
OFFERS = {t for step in load().steps for t in variants(step.offer)}
DONE = {_start(t) for t in texts_of("utter_step_done")}
NO = re.compile(r"^\s*(no|nope|nah|no thanks|no thank you|not really)[\s.!]*$", re.IGNORECASE)


def conversation_files(sealed: bool = False) -> List[Path]:
    folder = CONVERSATIONS / "sealed" if sealed else CONVERSATIONS
    return sorted(folder.glob("*.yml"))


@dataclass
class Turn:
    user: str
    bot: List[str]
    notes: Dict[str, Any]
    buttons: List[str] = field(default_factory=list)


@dataclass
class Replay:
    path: Path
    script: Dict[str, Any]
    turns: List[Turn] = field(default_factory=list)
    stored: Dict[str, Any] = field(default_factory=dict)
    problems: List[str] = field(default_factory=list)

    def transcript(self) -> str:
        lines = [f"# {self.script.get('name')}  ({self.script.get('voice')})", ""]
        for number, turn in enumerate(self.turns, 1):
            lines.append(f"[{number}] person: {turn.user}")
            lines += [f"    bot: {line}" for text in turn.bot for line in text.splitlines() or [""]]
            if turn.buttons:
                lines.append("    buttons: " + " | ".join(turn.buttons))
            lines.append("")
        lines.append(f"stored: {self.stored}")
        lines.append("problems: " + ("none" if not self.problems else ""))
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines) + "\n"


def crisis_in(texts: List[str]) -> bool:
    return any(text.startswith(start) for text in texts for start in CRISIS)


def check_turns(replay: Replay) -> None:
    """The per-turn checks, in order, over what the bot said. The fallback (its choices) counts
    as not understood on any message that is not marked out of scope."""
    given: Set[str] = set()
    asked: Dict[str, int] = {}
    ordinary = replay.script.get("ordinary", False)
    for number, turn in enumerate(replay.turns, 1):
        where = f"turn {number} ({turn.user[:40]!r})"
        if ordinary and crisis_in(turn.bot):
            replay.problems.append(f"{where}: crisis protocol for an ordinary rejection")
        given |= set(turn.notes.get("gives") or [])  # asked in the reply to the very message = twice
        if not turn.notes.get("out_of_scope"):
            for text in turn.bot:
                if any(phrase in text for phrase in DEAD_ENDS):
                    replay.problems.append(f"{where}: a dead end on an in-scope message: {text[:60]!r}")
                elif text in FALLBACKS:  # the choices are better than a dead end, still not understood
                    replay.problems.append(f"{where}: the fallback on an in-scope message")
        for slot, questions in ASKS.items():
            if any(text in questions for text in turn.bot):
                if slot in given:
                    replay.problems.append(f"{where}: asked for the {slot} it was already given")
                elif slot in asked:
                    replay.problems.append(f"{where}: asked for the {slot} a second time "
                                           f"(first at turn {asked[slot]})")
                asked.setdefault(slot, number)
        if turn.notes.get("no_step") and any(text in OFFERS for text in turn.bot):
            replay.problems.append(f"{where}: a step offered while the person is venting")
        if NO.match(turn.user) and [t.strip(" .!") for t in turn.bot] in (["Okay"], ["Alright"], []):
            replay.problems.append(f"{where}: {turn.bot or 'silence'} as the whole answer to a no")
        if not turn.notes.get("did_step") and any(
                text.startswith(start) for text in turn.bot for start in DONE):
            replay.problems.append(f"{where}: a step marked done that the person did not say they did")


def read_store(database_url: str, sender: str) -> Dict[str, Any]:
    database = Database(database_url)
    try:
        with database.session() as session:
            person = repository.find_person(session, "rest", f"rest:{sender}")
            if person is None:
                return {"rejections": [], "strengths": [], "done": []}
            rejections = session.scalars(select(Rejection).where(Rejection.person == person)
                                         .order_by(Rejection.id)).all()
            statuses = repository.step_statuses(session, person)
            return {"rejections": [{"company": r.company, "role": r.role, "interviewer": r.interviewer,
                                    "when": r.happened_on.isoformat() if r.happened_on else None}
                                   for r in rejections],
                    "strengths": repository.strengths(session, person),
                    "done": sorted(s for s, status in statuses.items() if status == "done"),
                    "consent": person.checkin_consent}
    finally:
        database.dispose()


def check_store(replay: Replay) -> None:
    expect = replay.script.get("expect") or {}
    stored = replay.stored
    if "rejections" in expect:
        # The company of each, and any other detail the script names (role, interviewer, when).
        wanted = [{k: str(v).lower() for k, v in r.items()} for r in expect["rejections"]]
        named = wanted + [{"company": ""}] * (len(stored["rejections"]) - len(wanted))
        got = [{k: str(r.get(k)).lower() for k in w} for r, w in zip(stored["rejections"], named)]
        if wanted != got:
            replay.problems.append(f"rejections stored {got}, expected {wanted}")
    if "strengths" in expect:
        wanted = sorted(s.lower() for s in expect["strengths"])
        got = sorted(s.lower() for s in stored["strengths"])
        if wanted != got:
            replay.problems.append(f"strengths stored {got}, expected {wanted}")
    # Naming a strength does the strengths step ("focus on your strengths" asks for one).
    taken = sum(1 for turn in replay.turns if turn.notes.get("did_step") or turn.notes.get("strength"))
    if len(stored["done"]) > taken:
        replay.problems.append(f"{len(stored['done'])} steps stored as done ({stored['done']}), "
                               f"the person said they did {taken}")
    if "consent" in expect and stored.get("consent") != expect["consent"]:
        replay.problems.append(f"check-in consent stored {stored.get('consent')}, expected {expect['consent']}")


def replay(path: Path, say: Say, database_url: str, out: Optional[Path] = None) -> Replay:
    """Plays one conversation (a fresh sender), checks it, and writes its transcript to `out`."""
    script = yaml.safe_load(path.read_text(encoding="utf-8"))
    result = Replay(path, script)
    sender = f"replay-{path.stem}-{uuid.uuid4().hex[:8]}"
    for turn in script["turns"]:
        replies = say(sender, turn["user"])
        notes = {k: v for k, v in turn.items() if k != "user"}
        result.turns.append(Turn(turn["user"], [r["text"] for r in replies if r.get("text")], notes,
                                 [b.get("title", "") for r in replies for b in r.get("buttons") or []]))
    result.stored = read_store(database_url, sender)
    check_turns(result)
    check_store(result)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{path.stem}.txt").write_text(result.transcript(), encoding="utf-8")
    return result
