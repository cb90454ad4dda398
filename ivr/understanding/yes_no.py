"""Yes or no, said the many ways people say it.

Phrases are matched whole-word on the normalised text, longest first, so "not at all" is one
"no" and never an "at all". A question may add its own phrases: to "did you go out?" the answer
"I stayed home" is a no, while to "did you stay home?" it is a yes.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from ivr.understanding.results import YesNo
from ivr.understanding.text import normalize, phrase_pattern

YES_PHRASES = (
    "yes", "yeah", "yea", "yep", "yup", "ya", "yah", "yes please", "sure", "of course", "correct",
    "that's right", "that's correct", "right", "absolutely", "definitely", "certainly",
    "affirmative", "indeed", "exactly", "true", "uh huh", "mm hmm", "mhm", "i did", "i have",
    "i do", "i'm sure", "i was", "i will", "yes i did", "i confirm", "confirm", "confirmed",
    "go ahead", "please do", "sounds good", "you bet", "i think so", "i believe so", "that's it",
    "okay", "ok", "alright", "all right", "fine with me", "it is", "it's right", "aye",
    "i went out", "i went", "went out", "a little", "a bit", "i have a cough", "i have a fever",
    "i've got a cough", "i do have", "i need it", "i want it", "i'll take it", "please",
    "no problem", "no worries", "go on", "go on then", "righto", "right oh", "will do",
    "i'm afraid so", "positive", "we did", "we have", "we went out", "i was out", "been out",
    "popped out", "nipped out", "went shopping", "i've got a fever", "i've got a temperature",
    # to "did you hear ...?"
    "got it", "understood", "noted", "heard it", "i heard", "heard you", "heard that",
    "heard everything", "heard it all",
    # to "do you have ... symptoms?"
    "unwell", "i'm sick", "feeling sick", "i'm ill", "feeling ill", "feeling poorly",
    "under the weather",
)  # fmt: skip
NO_PHRASES = (
    "no", "nope", "nah", "naw", "not at all", "no i didn't", "i didn't", "i haven't", "i don't",
    "i'm not", "i wasn't", "i won't", "never", "none", "nothing", "nowt", "negative", "not really",
    "i don't think so", "no way", "not today", "no thanks", "no thank you", "not yet", "wrong",
    "incorrect", "that's wrong", "that's not right", "not correct", "i didn't go",
    "i stayed home", "stayed home", "stayed at home", "stayed in", "i was home", "i was at home",
    "at home all day", "home all day", "didn't go out", "didn't go anywhere", "went nowhere",
    "haven't been out", "haven't left", "didn't leave", "no cough", "no fever", "no symptoms",
    "no cough or fever", "neither", "nor", "i feel fine", "i'm fine", "feeling fine",
    "i'm healthy", "i'm well", "i feel good", "i'm ok", "i'm okay", "all good", "i don't need",
    "i don't want", "cancel", "nothing like that", "not that i know of", "not me",
    "of course not", "certainly not", "definitely not", "absolutely not", "surely not",
    "i've not", "we didn't", "we haven't", "we don't", "stayed put", "stayed indoors",
    "not even once",
    "stayed inside", "kept inside", "been indoors", "been in all day", "in all day", "nowhere",
    "not once", "not a bit", "i'm afraid not", "didnae", "nae", "uh uh", "mm mm", "not since",
    "i'm grand", "didn't hear", "did not hear", "haven't heard", "have not heard", "not heard",
    "never heard", "didn't catch", "missed it", "missed that", "afraid not", "not a step",
    "haven't set foot", "didn't set foot", "not set foot", "never set foot", "not a sniffle",
    "not a sneeze", "not a single", "perfectly healthy", "feeling healthy", "healthy as a horse",
    "fit as a fiddle", "right as rain", "fit and well", "fighting fit",
    # a no said with relief, or as far as one has seen
    "thankfully not", "luckily not", "fortunately not", "gladly not", "not that i've noticed",
    "not that i noticed", "not that i can tell", "not as far as i know", "haven't noticed",
    "not noticed", "not so much as", "haven't had either", "had neither", "haven't had any",
    "not a thing",
)  # fmt: skip
UNSURE_PHRASES = (
    "not sure",
    "i'm not sure",
    "don't know",
    "i don't know",
    "maybe",
    "not certain",
    "i can't remember",
    "i don't remember",
    "perhaps",
    "i guess",
    "no idea",
    # not known because not looked at: "I haven't checked my temperature" is no "no" to
    # "any fever?" (it was read as one, from its "I haven't")
    "haven't checked", "have not checked", "didn't check", "did not check", "not checked",
    "haven't measured", "didn't measure", "not measured", "hard to say", "hard to tell",
    "can't tell", "couldn't tell", "can't say", "couldn't say",
)  # fmt: skip
# Phrases read as a whole that say neither: "yes, no need to repeat" holds no "no"; "I'm not
# well" is no answer to "did you go out?" and, unless that question says so in its own phrases
# (scripts' ``means_yes``), none to "any symptoms?"; its "I'm not" is no "no" to either.
# "nothing too bad" plays down what was just said ("a bit of a cough, nothing too bad");
# "right" before a place or a time is no "right!" ("my phone cut out right in the middle").
NEUTRAL_PHRASES = ("no need", "no hurry", "no rush", "not well", "i'm not well",
                   "not feeling well", "not feeling too well", "not fine", "i'm not fine",
                   "right now", "nothing too bad",
                   "nothing serious", "nothing major", "right in", "right at", "right there",
                   "right here", "right away", "right after", "right before", "right through",
                   "right next", "right outside", "right up")  # fmt: skip
# Phrases that only say so when the recogniser wrote a homophone for the whole answer.
YES_HOMOPHONES = ("yes sir", "yess", "yas", "yeh", "yah", "jep", "yet")
NO_HOMOPHONES = ("know", "now", "noh", "noo", "nor", "snow")
# A word in front that turns the phrase into its opposite or into doubt ("not sure").
_DOUBT_WORDS = r"not|not even|don't know if|unsure|maybe|nobody|no one"
_DOUBT = re.compile(rf"\b(?:{_DOUBT_WORDS})\s*$")
# A question's phrase may be a symptom or a place ("a dry cough", "to the chemist"): one
# negated by a verb up to three words before it ("I don't have a dry cough"), or by a "no"
# right before ("no dry cough"), says nothing, and the generic phrases read the words
# instead. "just", "only", "but" start another thought: "not really, just a cough" is a yes.
# Whatever doubts a generic phrase doubts a question's phrase too.
_NEGATED = re.compile(
    r"(?:\b(?:not|never|don't|doesn't|didn't|haven't|hasn't|hadn't|without|nor|isn't|aren't|"
    r"wasn't|weren't|won't)(?:\s+(?!just\b|only\b|but\b|except\b)[\w']+){0,3}"
    rf"|\bno(?:\s+[\w']+)?|\b(?:{_DOUBT_WORDS}))\s*$"
)
_WEAKER = frozenset(normalize(p) for p in {
                     "okay", "ok", "alright", "all right", "please", "right", "i'm fine",
                     "i feel fine", "i'm ok", "i'm okay", "i'm well", "all good", "it is",
                     "true", "neither", "nor", "i feel good", "feeling fine", "i'm healthy",
                     "a little", "a bit", "fine with me", "i'm grand", "go on",
                     "positive", "no problem", "no worries", "got it", "understood", "noted",
                     "heard it", "i heard", "heard you", "heard that", "heard everything",
                     "heard it all", "unwell", "i'm sick", "feeling sick", "i'm ill",
                     "feeling ill", "feeling poorly", "under the weather", "perfectly healthy",
                     "feeling healthy", "healthy as a horse", "fit as a fiddle", "right as rain",
                     "fit and well", "fighting fit"})  # fmt: skip
# "It is" answers only as the end of a clause ("yes it is", "it is, thanks"): "it's not clear"
# and "it's cold" say no yes (Whisper's "It's not clear, it's not clear" for a "not really"
# had been a sure yes: "it is" was also not weighed as weak, the weak set being unnormalised).
_CLOSING_ONLY = frozenset({"it's"})
_CLOSES = re.compile(r"\s*(?:$|(?:yes|yeah|yep|no|nope|thanks|thank you|it's)\b)")
# A yes carried only by "I did" / "I have" ... is one lost "n't" away from a no: on the telephone
# test set "I didn't go anywhere" came out as "I did go anywhere" with full confidence.
_NEGATABLE = frozenset({"i did", "i have", "i do", "i was", "i will", "i went", "went out",
                        "i went out", "we did", "we have", "i was out", "been out"})  # fmt: skip


# A phrase the question gives meaning says more than a generic one.
QUESTION_WEIGHT = 1.5
# A question's phrase that starts with the going ("went to the shop", "popped out") says
# nothing of the speaker when someone else is its subject: "my daughter went to the shop".
_GOING = frozenset({"went", "popped", "nipped", "go"})
_SOMEONE_ELSE = re.compile(
    r"\b(?:he|she|they|my|our|his|her|their|the)(?:\s+[\w']+)?(?:\s+(?:just|only|also))?\s*$"
)
# A word that only strengthens how well one is ("I feel totally fine", "I'm not really
# well"): the phrase is read without it. Not "perfectly" nor "absolutely": "perfectly well"
# is a phrase of its own, and "feeling well" alone is none (it is misheard "not feeling").
_INTENSIFIED = re.compile(
    r"\b(i'm|i am|im|feel|feeling)(\s+not)?\s+(?:totally|completely|really|very|quite|pretty|"
    r"so|just)\s+(fine|well|good|ok|okay|healthy|grand)\b",
    re.IGNORECASE,
)
# The subject people drop at the start of a clause ("Went to the market this morning.",
# "Popped round to my mum's"): the speaker's own going, as "I went to" says it. Only before
# a place or an errand: "went nowhere" stays the no it is.
_SUBJECT_DROPPED = re.compile(
    r"(^|[.,;:!?]\s+)((?:went|popped|nipped)\s+(?:to|for|down|round|up|over|into|out|across|"
    r"along|by|shopping)\b)",
    re.IGNORECASE,
)


def _accepted(
    said: str,
    pattern: re.Pattern[str],
    taken: list[tuple[int, int]],
    doubt: re.Pattern[str] | None = None,
    clauses: tuple[int, ...] = (0,),
) -> list[str]:
    """Phrases of ``pattern`` in ``said`` not overlapping ``taken`` (which grows) nor doubted
    (by ``doubt`` just before them in their clause, ``clauses`` being where each begins; by
    default a "not" right before, in any clause); one of ``_CLOSING_ONLY`` only where it ends
    a clause."""
    accepted = []
    for match in pattern.finditer(said):
        if any(start < match.end() and match.start() < end for start, end in taken):
            continue
        clause = max(c for c in clauses if c <= match.start()) if doubt else 0
        before = said[clause : match.start()]
        if (doubt or _DOUBT).search(before):
            continue
        if doubt and match.group(0).split(" ", 1)[0] in _GOING and _SOMEONE_ELSE.search(before):
            continue
        if match.group(0) in _CLOSING_ONLY and not _CLOSES.match(said, match.end()):
            continue
        taken.append(match.span())
        accepted.append(match.group(0))
    return accepted


def _weight(phrase: str) -> float:
    # a specific phrase ("no cough") says more than a bare "yes" said before it
    return 0.6 if phrase in _WEAKER or phrase in _NEGATABLE else 1.2 if " " in phrase else 1.0


def parse_yes_no(
    text: str, *, affirm: Iterable[str] = (), deny: Iterable[str] = ()
) -> YesNo | None:
    """Yes or no from ``text``; ``affirm`` / ``deny`` add the phrases a question gives meaning."""
    text = _INTENSIFIED.sub(r"\1\2 \3", _SUBJECT_DROPPED.sub(r"\1I \2", text))
    said = _once(normalize(text))
    if not said:
        return None
    clauses = _clause_starts(text) if said == normalize(text) else (0,)
    if said in YES_HOMOPHONES:
        return YesNo(True, 0.6)
    if said in NO_HOMOPHONES:
        return YesNo(False, 0.6)
    taken: list[tuple[int, int]] = []
    # The question's own phrases are read first (longest first, whichever side), so neither
    # a doubt, a neutral nor a generic phrase counts their words: to "any symptoms?" "I'm not
    # well" is a yes, though it says neither to "did you go out?"; to "did you hear?" "no
    # idea" is a no, though elsewhere it is doubt ("I was distracted, I have no idea where to
    # go" had been a yes, of "I was" and "I have").
    yes = no = 0.0
    affirm, deny = tuple(affirm), tuple(deny)
    if affirm or deny:
        pattern, denied = _question_phrases(affirm, deny)
        # a question's phrase is negated in its own clause only: "no dry cough" says no
        # cough, but in "No, just to the chemist" (Whisper's "No" for an "Um") or "No, no,
        # it's clear" the "no" is an answer of its own, and the two disagree
        for phrase in _accepted(said, pattern, taken, _NEGATED, clauses):
            if phrase in denied:
                no += QUESTION_WEIGHT
            else:
                yes += QUESTION_WEIGHT
    doubt = _accepted(said, _UNSURE, taken)
    asked_yes, asked_no = yes > 0, no > 0
    _accepted(said, _NEUTRAL, taken)
    weak: set[str] = set()
    for phrase in _accepted(said, _GENERIC, taken):
        weight = _weight(phrase)
        if weight < 1.0:
            if phrase in weak:
                continue  # a weak word said over ("right and right") is no surer for it
            weak.add(phrase)
        if phrase in _NO_SET:
            no += weight
        else:
            yes += weight
    if yes == no:
        return None
    winner, total = max(yes, no), yes + no + 0.8 * len(doubt)
    confidence = min(1.0, winner) * (abs(yes - no) / total)
    return YesNo(yes > no, round(confidence, 3), asked_yes if yes > no else asked_no)


@functools.lru_cache(maxsize=64)
def _question_phrases(
    affirm: tuple[str, ...], deny: tuple[str, ...]
) -> tuple[re.Pattern[str], frozenset[str]]:
    """A question's phrases as one pattern (longest first, either side), and its no side.
    Built once per question: a recognition parses a dozen readings against the same one."""
    return phrase_pattern(affirm + deny), frozenset(normalize(p) for p in deny)


def _clause_starts(text: str) -> tuple[int, ...]:
    """Where each clause of ``text`` (split at , ; : . ! ?) begins in its normalised form."""
    starts, at = [], 0
    for piece in re.split(r"[,;:.!?]+(?=\s|$)", text):
        words = normalize(piece)
        if words:
            starts.append(at)
            at += len(words) + 1
    return tuple(starts) or (0,)


def _once(said: str) -> str:
    """An answer said twice over, as Whisper often writes one ("Repeat, please. Repeat,
    please."), counted once: twice a weak "please" is no sure yes."""
    words = said.split()
    half = len(words) // 2
    if half >= 2 and len(words) == 2 * half and words[:half] == words[half:]:
        return " ".join(words[:half])
    return said


def says_neither(text: str, *, affirm: Iterable[str] = (), deny: Iterable[str] = ()) -> bool:
    """Whether ``text`` deliberately answers neither yes nor no: it holds a phrase of doubt or
    one that says neither ("I'm not sure", "I'm not well" to most questions) and no answer."""
    said = normalize(text)
    held = _UNSURE.search(said) or _NEUTRAL.search(said)
    return bool(held) and parse_yes_no(text, affirm=affirm, deny=deny) is None


_NO_SET = frozenset(normalize(p) for p in NO_PHRASES)
_GENERIC = phrase_pattern(YES_PHRASES + NO_PHRASES)
_UNSURE = phrase_pattern(UNSURE_PHRASES)
_NEUTRAL = phrase_pattern(NEUTRAL_PHRASES)
