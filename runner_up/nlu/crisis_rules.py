"""Rules that read a message for explicit risk of suicide or self-harm, and for idioms that are not.

spaCy `Matcher` patterns over lower-cased words and lookup lemmas. They are one half of the crisis
detector (`runner_up.nlu.crisis`): an explicit statement ("I want to kill myself", "kms",
"no reason to live") is flagged whatever the classifier says, unless it is negated ("I'd never hurt
myself"). Death and violence idioms ("this rejection is killing me", "I'd kill for that job") and
negations do not clear a message: they only make the classifier's bar higher.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Text, Tuple

from spacy.matcher import Matcher
from spacy.tokens import Doc

NEGATIONS = ["not", "n't", "nt", "never", "no", "nor", "neither", "dont", "wont", "cant", "wouldnt"]
# "don t", "can t": an apostrophe lost to a keyboard or a copy leaves the "t" on its own.
SPLIT_NEGATIONS = ["don", "doesn", "didn", "can", "won", "wouldn", "couldn", "shouldn", "isn",
                   "aren", "wasn", "weren", "ain", "haven"]
DIE = ["die", "dying", "died", "dead"]
SELF = ["myself", "meself", "mysel", "myslef", "self"]
# Words that make "suicide" about something other than the person's own life.
SUICIDE_IDIOM_BEFORE = ["career", "social", "political", "professional", "commercial", "financial"]
SUICIDE_TOPIC_AFTER = [
    "squad", "prevention", "awareness", "hotline", "helpline", "line", "lines", "rate", "rates",
    "statistics", "door", "doors", "mission", "run", "research", "documentary", "bomber",
]
SUICIDE_WORD = r"^(s+u+[is]*c[icsz]*d+|s+u+i+s+i+d+)[ea]*(l|al|ial)?s?$"  # typos too: sucide, sucicde


def _words(*alternatives: Text) -> Dict[Text, Any]:
    return {"LOWER": {"IN": list(alternatives)}}


def _after_negation(*pattern: Dict[Text, Any]) -> List[List[Dict[Text, Any]]]:
    """`pattern` after "don't", "dont" or "don t"."""
    return [[_words(*NEGATIONS), *pattern], [_words(*SPLIT_NEGATIONS), _words("t"), *pattern]]


# Explicit risk. The names say what each pattern catches.
EXPLICIT: Dict[Text, List[List[Dict[Text, Any]]]] = {
    "kill_myself": [
        [{"LEMMA": {"IN": ["kill", "unalive", "off", "hang", "harm", "end", "drown", "poison"]}},
         _words(*SELF)],
        [{"LEMMA": {"IN": ["kill", "unalive", "off", "hang", "harm", "end"]}}, _words("my"),
         _words("self", "life")],
        [_words("kms", "kmss", "unalive", "unaliving", "sewerslide", "ctb")],
        [_words("sewer"), _words("slide", "sliding")],
    ],
    "suicide": [[{"LOWER": {"REGEX": SUICIDE_WORD}}]],
    "take_my_life": [
        [{"LEMMA": "take"}, _words("my"), _words("own", "life"), {"LOWER": "life", "OP": "?"}],
        [{"LEMMA": "end"}, _words("it", "everything", "things"), _words("all", "now", "tonight")],
        [{"LEMMA": "end"}, _words("everything")],
    ],
    "want_to_die": [
        [_words("want", "wanna", "wish", "hope", "ready", "deserve", "going", "gon", "wait"),
         {"LOWER": {"IN": ["to", "na"]}, "OP": "?"}, _words("die", "dye")],
        [_words("fall"), _words("asleep"), _words("forever")],
        [_words("wish", "hope"), _words("i"), _words("was", "were", "'d", "d", "had", "would"),
         {"LOWER": {"IN": ["be", "just"]}, "OP": "?"}, _words("dead", "died", "die")],
        [_words("better"), _words("off"), _words("dead")],
        [_words("better"), _words("off"), _words("without"), _words("me")],
        [_words("want", "wanna"), {"LOWER": "to", "OP": "?"}, _words("be"), _words("dead")],
    ],
    "not_want_to_live": [
        *_after_negation({"LOWER": {"IN": ["really", "even"]}, "OP": "?"},
                         _words("want", "wanna", "wish"), {"LOWER": "to", "OP": "?"},
                         _words("live", "exist", "wake", "survive")),
        *_after_negation(_words("want", "wanna"), {"LOWER": "to", "OP": "?"}, _words("be"),
                         _words("alive", "around")),
        [_words("reason", "point", "nothing", "purpose"), {"LOWER": {"IN": ["to", "in", "for", "of"]}, "OP": "?"},
         _words("live", "living")],
        [_words("not", "nt", "n't"), _words("worth"), _words("living")],
        [_words("point"), _words("of", "in"), _words("going", "carrying", "keeping", "being"),
         _words("on", "here", "alive", "going")],
        [_words("point"), _words("going", "carrying"), _words("on")],
        [_words("why"), _words("stick", "stay"), _words("around")],
        [_words("failing"), _words("at"), _words("living", "life")],
        [_words("want", "wanna"), {"LOWER": {"IN": ["to", "be"]}, "OP": "*"}, _words("six", "6"),
         _words("feet", "ft"), _words("under")],
        [_words("tired", "sick"), _words("of"), _words("living", "existing")],
        [_words("tired", "sick"), _words("of"), _words("being"), _words("alive")],
    ],
    "self_harm": [
        [_words("self"), {"ORTH": "-", "OP": "?"}, _words("harm", "harming", "harmed", "injury", "injure")],
        [_words("selfharm", "selfharming", "sh'ing")],
        [_words("slit", "slice"), _words("my"), _words("wrist", "wrists", "arms", "thighs")],
    ],
}

# Cues: wording that is often, not always, about self-harm ("I hurt myself at the gym" is not);
# the classifier decides, with a lower bar.
CUES: Dict[Text, List[List[Dict[Text, Any]]]] = {
    "hurt_myself": [
        [{"LEMMA": {"IN": ["cut", "burn", "hurt", "starve", "punish", "scratch"]}}, _words("myself")],
        [_words("cut", "cutting", "cuts", "scars", "scar"), _words("my", "on"),
         _words("wrist", "wrists", "arm", "arms", "thigh", "thighs", "legs")],
        # Burning is, after cutting, the commonest way of self-harm ("burned my forearm with a
        # cigarette"); an accident ("burned my hand on the oven") only lowers the classifier's bar.
        [{"LEMMA": "burn"}, _words("my"),
         _words("wrist", "wrists", "arm", "arms", "forearm", "forearms", "thigh", "thighs", "leg",
                "legs", "skin", "hand", "hands", "stomach")],
        [_words("cigarette", "cigarettes", "lighter"), {"LOWER": "out", "OP": "?"},
         _words("on", "into", "to"), _words("my")],
        [_words("pills", "overdose", "od", "rope", "noose", "bridge", "bridges", "ledge", "tracks")],
        [_words("six", "6"), _words("feet", "ft"), _words("under")],
        [_words("sleep", "asleep"), _words("forever")],
        [_words("attempt", "attempted", "attempts")],
        [_words("wo", "will", "not", "nt", "n't", "never"), _words("be"), _words("around", "here")],
        [_words("engine"), _words("running")],
        [_words("standing", "sitting", "stood", "sat"), _words("on"), _words("the", "a", "this"),
         _words("roof", "ledge", "edge", "bridge", "railing", "tracks")],
        [_words("bleed", "bleeds", "bleeding", "bled"), _words("out")],
        [_words("till", "until"), _words("it", "i"), _words("bleeds", "bled", "bleed")],
        [_words("walk", "walking", "swim", "swimming"), _words("into", "out"), _words("the", "to"),
         _words("sea", "ocean", "river", "lake", "far")],
        [_words("wrote", "written", "writing", "left"), _words("a", "my"), _words("note", "letter")],
        [_words("tried", "try"), _words("once", "before", "twice", "again")],
        [_words("od'd", "oded", "overdosed")],
        [_words("thanks", "thank"), {"LOWER": "you", "OP": "?"}, _words("for"), _words("trying")],
        [_words("tell"), _words("my"), _words("mum", "mom", "mother", "dad", "father", "family", "wife",
         "husband", "kids", "children", "sister", "brother", "partner"),
         {"LOWER": {"IN": ["i", "that", "im", "i'm"]}, "OP": "?"}, {"OP": "?"}, _words("sorry", "love")],
        [_words("swim", "swimming"), _words("out"), _words("far", "until", "till")],
        [_words("cut", "cutting"), _words("across", "down", "deeper", "deep", "vertical")],
        [_words("waste", "taking", "take"), {"LOWER": {"IN": ["of", "up"]}}, _words("space")],
        [_words("never"), _words("wake")],
        [_words("not"), _words("wake"), _words("up"), _words("again", "tomorrow")],
        [_words("jump", "jumping"), _words("off", "from"), _words("a", "the", "my"),
         _words("bridge", "building", "roof", "cliff", "balcony")],
        [_words("all"), _words("my"), _words("pills", "meds", "tablets", "insulin", "medication")],
        # "I've started cutting again": cutting as a habit, not cutting something.
        [_words("started", "start", "starting", "been", "keep", "kept", "stop", "stopped", "quit",
                "began", "relapsed"), _words("cutting", "burning"),
         _words("again", "myself", "and", "but", "so", "since", ",", ".", "!", "?", "i")],
    ],
    # Warning signs that crisis lines teach people to listen for (988, Samaritans): saying
    # goodbye, feeling a burden, the means at hand, and a dark remark said to be meant. Each is
    # common enough in job talk ("I know how I'd do it differently", "not joking, six rounds") to be
    # only a cue, and the commonest such phrases are left out.
    "goodbye": [
        [_words("goodbye"), _words("letter", "letters", "note", "notes", "video")],
        [_words("this"), {"LOWER": {"IN": ["is", "'s"]}}, _words("goodbye")],
        [{"LEMMA": "give"}, _words("away"), _words("my", "all"), {"LOWER": "my", "OP": "?"},
         _words("stuff", "things", "belongings", "possessions")],
    ],
    "burden": [
        [_words("burden"), _words("to", "on", "for"), _words("everyone", "everybody", "my", "them", "people")],
        [_words("if"), _words("i"), _words("vanished", "disappeared")],
        [_words("if"), _words("i"), _words("was", "were", "wasnt"), {"LOWER": {"IN": ["n't", "not"]}, "OP": "?"},
         _words("gone", "around", "here")],
        [_words("when", "once", "after"), _words("i", "im"), {"LOWER": {"IN": ["'m", "am"]}, "OP": "?"},
         _words("gone")],
    ],
    "means_at_hand": [
        [_words("pills", "prescription", "meds", "tablets", "rope", "razor", "blade", "blades", "gun"),
         *[{"LOWER": {"IN": ["are", "is", "'s", "'re", "right", "just", "sitting", "lying", "here"]}, "OP": "?"}] * 3,
         _words("next", "beside"), {"LOWER": "to", "OP": "?"}, _words("me")],
        [_words("nobody", "noone"), _words("finds", "find"), _words("me")],
        [_words("no"), _words("one"), _words("finds", "find"), _words("me")],
    ],
    # A plan and the means, said without the words (988's warning signs): "I know exactly how I'd
    # do it", "I have what I need." Only where the sentence ends there: "how I'd do it differently"
    # and "what I need for the interview" are job talk.
    "plan_and_means": [
        [_words("know"), {"LOWER": {"IN": ["exactly", "just", "already"]}, "OP": "?"}, _words("how"),
         _words("i", "id", "i'd"), {"LOWER": {"IN": ["'d", "would", "d", "will", "'ll"]}, "OP": "?"},
         _words("do"), _words("it"), _words("and", ".", ",", "!", ";", "now")],
        [_words("i"), {"LOWER": {"IN": ["'ve", "have", "ve", "got", "'ve got"]}}, {"LOWER": "got", "OP": "?"},
         _words("what"), _words("i"), _words("need"), _words(".", "!", ",", "and", "now", "ready")],
    ],
    # A plan with a time: "That's when I'm going to do it", "I'll do it tonight".
    "plan_with_time": [
        [_words("when"), _words("i", "im", "i'm"), {"LOWER": {"IN": ["'m", "am", "'ll", "will"]}, "OP": "?"},
         {"LOWER": {"IN": ["going", "gon"]}, "OP": "?"}, {"LOWER": {"IN": ["to", "na"]}, "OP": "?"},
         _words("do"), _words("it")],
        [_words("going", "gon", "gonna"), {"LOWER": {"IN": ["to", "na"]}, "OP": "?"}, _words("jump", "do"),
         {"LOWER": "it", "OP": "?"},
         _words("tonight", "tomorrow", "tmrw", "friday", "saturday", "sunday", "monday", "tuesday",
                "wednesday", "thursday", "weekend", "soon")],
        [_words("do", "doing"), _words("it"),
         _words("tonight", "tomorrow", "tmrw", "friday", "saturday", "sunday", "monday", "tuesday",
                "wednesday", "thursday", "weekend", "soon")],
    ],
}

# Ambiguous: words that are, as often as not, about giving up on a job search or a bad day, and
# sometimes about giving up on life ("can't take it anymore", "what's the point", "i'm done").
# Counsellors ask rather than guess: these are cues too, and a cue gets the direct question
# (tier `ask`, see runner_up.nlu.crisis) unless the classifier is very sure. "what's the point",
# "i'm done" and "i give up" only count where nothing follows or what follows is life itself
# (`OPEN_ENDED`): "what's the point of applying" and "i'm done with the cover letter" are not.
MORE = [[_words("anymore")], [_words("any", "no"), _words("more", "longer")]]
AMBIGUOUS: Dict[Text, List[List[Dict[Text, Any]]]] = {
    "cant_go_on": [
        *[pattern for more in MORE for pattern in _after_negation(
            {"LEMMA": {"IN": ["take", "handle", "bear", "stand", "do"]}},
            _words("it", "this", "that", "life"), *more)],
        *[pattern for more in MORE for pattern in _after_negation(_words("go", "keep"), _words("on", "going"), *more)],
        *_after_negation(_words("go", "carry"), _words("on")),
        [_words("no"), _words("way"), _words("out")],
    ],
    "whats_the_point": [
        [_words("what", "whats"), {"LOWER": {"IN": ["'s", "s", "is"]}, "OP": "?"},
         {"LOWER": "even", "OP": "?"}, _words("the"), _words("point")],
    ],
    "im_done": [
        [_words("i"), _words("'m", "m", "am"), {"LOWER": "just", "OP": "?"}, _words("done", "finished")],
        [_words("im"), {"LOWER": "just", "OP": "?"}, _words("done", "finished")],
        [_words("i"), {"LEMMA": "give"}, _words("up")],
    ],
    "want_to_disappear": [
        [_words("want", "wanna"), {"LOWER": "to", "OP": "?"}, {"LOWER": "just", "OP": "?"},
         _words("disappear", "vanish")],
    ],
}
# What may follow an open-ended phrase for it to count: nothing, punctuation, or these words.
OPEN_ENDED = {"whats_the_point", "im_done"}
LIFE_WORDS = {"anymore", "anything", "everything", "life", "living", "it", "all", "trying",
              "any", "myself", "me", "existing", "being", "this", "going", "on", "even"}

# "not joking", "not a metaphor": a cue (`means_it`) when the message also has a death word that is
# not part of an idiom ("my career's dead and I'd like to join it. Not a metaphor."). Read as two
# matches, not one pattern with a gap: a gap pattern costs time with the square of the message.
MEANT: List[List[Dict[Text, Any]]] = [
    [_words("not", "nt", "n't"), {"LOWER": {"IN": ["a", "even"]}, "OP": "?"},
     _words("joke", "joking", "kidding", "metaphor", "exaggerating")],
]
DEATH_WORDS = {*DIE, "death", "gone", "join"}

# Idioms: death and violence words that are not about a risk to life.
IDIOMS: List[List[Dict[Text, Any]]] = [
    [{"LEMMA": "kill"}, _words("me", "for", "it", "time", "two", "them", "him", "her", "the")],
    [_words("dying", "die", "died"), _words("to", "of", "for", "laughing", "inside")],
    [_words("dead"), {"ORTH": "-", "OP": "?"},
     _words("end", "silence", "tired", "serious", "set", "air", "beat", "wrong", "right", "inside", "on")],
    [_words("bored", "scared", "worried", "sick", "frightened", "stressed", "tickled", "freezing"),
     _words("to"), _words("death")],
    [{"LEMMA": "shoot"}, {"LOWER": "me", "OP": "?"}, _words("down")],
    [{"LEMMA": "shoot"}, _words("me"), _words("a", "an")],
    [{"LEMMA": "shoot"}, _words("myself", "yourself"), _words("in"), _words("the"), _words("foot")],
    [_words("shot"), _words("in"), _words("the"), _words("dark")],
    [_words("drop", "dropped"), {"ORTH": "-", "OP": "?"}, _words("dead")],
    [_words("knock", "knocked"), _words("em", "'em", "them", "him", "her", "'"), {"OP": "?"}, _words("dead")],
    [_words("over"), _words("my"), _words("dead"), _words("body")],
    [_words("hang"), _words("in"), _words("there")],
    [_words("end"), _words("of"), _words("my"), _words("rope", "tether")],
    [_words("murder"), _words("a")],
    [{"LEMMA": "cut"}, _words("myself"), _words("some", "a")],
    [_words(*SUICIDE_IDIOM_BEFORE), {"LOWER": {"REGEX": SUICIDE_WORD}}],
]

# How far back a negation still negates an explicit phrase ("I would never ever hurt myself").
NEGATION_WINDOW = 4
# A negation does not reach over these ("I can't, I want to die").
CLAUSE_BREAKS = {",", ".", ";", ":", "!", "?", "but", "and", "so", "because", "cause", "cuz"}
# Rules whose words do not say whose death: "some people just want to die" is not the writer's.
UNOWNED = {"want_to_die", "not_want_to_live"}
OTHER_PEOPLE = {"he", "she", "they", "people", "someone", "somebody", "everyone", "everybody",
                "nobody", "who", "you", "u", "ya", "we", "them", "him", "her", "one", "anyone"}
FIRST_PERSON = {"i", "im", "i'm", "me", "my", "myself", "ive", "id", "ill"}


@dataclass(frozen=True)
class Finding:
    """What the rules read in a message: explicit risk, and whether idioms or negations were seen."""

    explicit: Tuple[Text, ...] = ()
    cues: Tuple[Text, ...] = ()
    idioms: Tuple[Text, ...] = ()
    negated: Tuple[Text, ...] = ()

    @property
    def guarded(self) -> bool:
        """Idiom or negated wording: the classifier alone must be very sure."""
        return bool(self.idioms or self.negated)


@functools.lru_cache(maxsize=4)
def _matcher(vocab: Any) -> Matcher:
    matcher = Matcher(vocab)
    for name, patterns in {**EXPLICIT, **CUES, **AMBIGUOUS}.items():
        matcher.add(name, patterns)
    matcher.add("idiom", IDIOMS)
    matcher.add("meant", MEANT)
    return matcher


# "can't stop thinking about ending my life": the negation is not on the phrase.
NOT_NEGATING_NEXT = {"stop", "help", "wait", "sure", "lie", "know", "care", "think"}


def _is_negation(doc: Doc, i: int) -> bool:
    word = doc[i].lower_
    return word in NEGATIONS or (word == "t" and i > 0 and doc[i - 1].lower_ in SPLIT_NEGATIONS)


def _clause_before(doc: Doc, start: int) -> Iterator[int]:
    """The tokens before `start`, nearest first, up to the window or a clause break."""
    for i in range(start - 1, max(0, start - NEGATION_WINDOW) - 1, -1):
        if doc[i].lower_ in CLAUSE_BREAKS:
            return
        yield i


def _negated(doc: Doc, start: int) -> bool:
    return any(
        _is_negation(doc, i) and doc[i + 1].lower_ not in NOT_NEGATING_NEXT
        for i in _clause_before(doc, start)
    )


def _someone_else(doc: Doc, start: int) -> bool:
    """ "he didn't want to die", "some people just want to die": the subject is not the writer."""
    for i in _clause_before(doc, start):
        word = doc[i].lower_
        if word in FIRST_PERSON:
            return False
        if word in OTHER_PEOPLE:
            return True
    return False


def _suicide_is_a_topic(doc: Doc, start: int, end: int) -> bool:
    """ "suicide prevention", "his suicide": talk about suicide, not a wish."""
    after = doc[end].lower_ if end < len(doc) else ""
    before = {t.lower_ for t in doc[max(0, start - 3):start]}
    return after in SUICIDE_TOPIC_AFTER or bool(before & {"his", "her", "their"})


def _open_ended(doc: Doc, end: int) -> bool:
    """ "what's the point", "i'm done.", "i'm done with it all": nothing but life follows."""
    following = [t for t in doc[end:end + 3] if not t.is_punct]
    if not following or doc[end].is_punct:
        return True
    if following[0].lower_ in {"with", "of", "in", "on"}:
        following = following[1:]
    return bool(following) and following[0].lower_ in LIFE_WORDS and (
        following[0].lower_ != "this" or len(following) == 1 or following[1].lower_ in LIFE_WORDS)


def read(doc: Doc) -> Finding:
    """Explicit risk, idioms and negations found in a spaCy `Doc` (tokens with lookup lemmas)."""
    explicit: List[Text] = []
    cues: List[Text] = []
    idioms: List[Text] = []
    negated: List[Text] = []
    idiom_tokens = set()
    death_word: Optional[bool] = None  # read once, when a "not joking" is found
    matches = _matcher(doc.vocab)(doc)
    for match_id, start, end in matches:
        if doc.vocab.strings[match_id] == "idiom":
            idioms.append(doc[start:end].text)
            idiom_tokens.update(range(start, end))
    for match_id, start, end in matches:
        name = doc.vocab.strings[match_id]
        span = doc[start:end].text
        if name == "idiom":
            continue
        if name == "meant":
            if death_word is None:
                death_word = any(t.lower_ in DEATH_WORDS for t in doc if t.i not in idiom_tokens)
            if death_word:
                cues.append("means_it")
            continue
        if idiom_tokens & set(range(start, end)):
            continue  # "career suicide", "cut myself some slack"
        if doc[end - 1].lower_ == "dye" and end < len(doc) and doc[end].is_alpha:
            continue  # "want to dye my hair"
        if name == "suicide" and _suicide_is_a_topic(doc, start, end):
            idioms.append(span)
        elif name in UNOWNED and not FIRST_PERSON & {t.lower_ for t in doc[start:end]} \
                and _someone_else(doc, start):
            continue  # the classifier decides, with its ordinary bar
        elif name not in {"not_want_to_live", "cant_go_on"} and _negated(doc, start):
            negated.append(span)
        elif name in OPEN_ENDED and not _open_ended(doc, end):
            continue
        elif name in CUES or name in AMBIGUOUS:
            cues.append(name)
        else:
            explicit.append(name)
    return Finding(
        tuple(dict.fromkeys(explicit)), tuple(dict.fromkeys(cues)), tuple(idioms), tuple(negated)
    )
