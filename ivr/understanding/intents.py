"""What a resident asks instead of answering: repeat, opt out, a human, who is calling.

Two kinds of evidence: fuzzy similarity (rapidfuzz) of the whole answer to example phrases,
which tolerates misheard words, and key words that carry an intent on their own ("again",
"operator", "unsubscribe"). The best intent wins only with a margin over the runner-up.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from ivr.understanding.learned import LEARNED_CONFIDENCE, learned_intent
from ivr.understanding.results import INTENTS, Intent, IntentMatch
from ivr.understanding.text import normalize, phrase_pattern

PHRASES: dict[Intent, tuple[str, ...]] = {
    "repeat": (
        "can you repeat that", "could you repeat the question", "repeat please", "say that again",
        "sorry what", "pardon", "pardon me", "what did you say", "i didn't catch that",
        "i didn't hear you", "come again", "one more time", "again please", "excuse me",
        "i can't hear you", "what was the question", "sorry i missed that", "say it again",
        "please repeat", "what", "huh", "sorry", "could you say that again slowly",
    ),
    "opt_out": (
        "stop calling me", "don't call me again", "do not call me", "take me off your list",
        "remove my number", "unsubscribe", "i don't want these calls", "stop calling",
        "leave me alone", "no more calls", "please stop", "never call again",
        "remove me from your list", "put me on the do not call list", "opt out",
        "i don't want to be called", "stop these calls",
    ),
    "human": (
        "i want to talk to a person", "let me speak to someone", "operator", "a real person please",
        "transfer me to a human", "can i talk to a human", "i want to speak with staff",
        "connect me to an agent", "representative", "put me through to someone", "a human please",
        "can i speak to a real person", "i need to talk to somebody",
        "get me a person", "speak to a live person",
    ),
    "who_is_calling": (
        "who is this", "who's calling", "who are you", "where are you calling from",
        "who's this", "what is this about", "what is this call about", "who am i speaking to",
        "who is speaking", "why are you calling me", "what's this about", "is this a robot",
        "who are you with", "what organization is this", "who is calling please",
    ),
}  # fmt: skip
KEYWORDS: dict[Intent, tuple[str, ...]] = {
    "repeat": ("repeat", "pardon", "didn't catch", "didn't hear", "can't hear",
               "come again", "one more time", "once more", "missed that",
               "didn't understand", "speak up", "louder", "breaking up", "bad line", "deaf",
               "hard of hearing"),
    "opt_out": ("unsubscribe", "stop calling", "don't call", "do not call", "remove my",
                "remove me", "off your list", "off the list", "opt out", "opt me out",
                "no more calls", "not interested", "leave me alone", "leave us alone"),
    "human": ("operator", "agent", "a human", "real person", "live person", "actual person",
              "human being", "representative", "supervisor", "someone in charge",
              "transfer me"),
    "who_is_calling": ("who is this", "who's this", "who are you", "who's calling",
                       "who is calling", "calling from", "what is this about",
                       "what's this about", "who am i", "why are you calling",
                       "is this a robot", "are you a robot", "who sent you",
                       "how did you get my number", "is this a scam"),
}  # fmt: skip
# Ways of asking that a fixed phrase list cannot hold: a verb and its object with words
# between ("stop ringing this number", "take this number off your records", "who's ringing").
# Each is a regular expression on the normalised text (ivr.understanding.text.normalize).
_CALL = r"(?:call|calls|calling|called|ring|ringing|rang|phone|phoning|contact|contacting)"
# Whether the caller is a person, asked ("are you a real person?", "am I talking to a human?"):
# who is calling, answered by the robot saying what it is; not a person asked for, though its
# words are a request's ("a real person"). "Is there a real person?" still asks for one.
_ASKS_IF_A_PERSON = (
    r"\b(?:are you|is (?:this|that|it)|am i (?:talking|speaking) (?:to|with)) (?:even )?"
    r"(?:a |an )?(?:real |actual |live )?(?:person|human(?: being)?)\b"
)
_PERSON = (r"(?:someone|somebody|anyone|anybody|person|people|human|staff|agent|operator|"
           r"representative|supervisor|manager|worker|officer|volunteer|official|member|"
           r"colleague|nurse|doctor|whoever|lady|ladies|woman|bloke|guy|smaddy|"
           r"staffer)s?")  # fmt: skip
# where a person is: asked for after a verb of being put through ("put me on with the office");
# not a person on its own ("pick them up at the committee office" asks for nobody)
_DESK = r"(?:committee|office|council|reception|front desk|switchboard|helpline|hotline)"
CUES: dict[Intent, tuple[str, ...]] = {
    "repeat": (
        # "huh, what?", "hang on, what?", "you what?" (British), not "uh huh"
        r"^(?:(?:sorry|eh|huh|what|hello|oh|um|hang on|wait|you) )*(?:what|huh|eh)$",
        r"\bwhat (?:was|is) (?:that|it|the question)\b",
        r"\bwhat's that\b",
        r"\bwhat(?:'d| did)? (?:you|u) (?:just )?(?:say|said|ask|asked)\b",
        r"\bwhat (?:were|was) you (?:just )?(?:asking|saying|after)\b|\bsay what\b",
        r"\bturn (?:yourself|it|the volume|you) up\b",
        r"\bmumbling\b|\bvolume(?:'s| is) (?:very |too |so |really )?low\b",
        r"\b(?:barely|hardly) (?:hear|make)\b",
        r"\bwhat's that you said\b",
        r"\b(?:didn't|couldn't|can't|don't) (?:catch|hear|understand|follow)\b",
        r"\b(?:didn't|couldn't) get (?:that|it|you|what)\b",
        r"\b(?:speak|talk|go|say it|read it)(?: (?:a bit|a little|a touch|much))? "
        r"(?:up|slower|more slowly|clearer|more clearly|louder)\b",
        r"\bmore slow(?:ly)?\b|\btoo (?:fast|quick|quickly)\b",
        r"\b(?:start|go back) (?:over|again|from the (?:start|beginning|top))\b|\bgo back over\b",
        r"\b(?:wha|what) (?:did )?(?:you|yuh|u) (?:just )?say\b",
        r"\b(?:nuh|no|not|never) hear\b",  # "me nuh hear you"
        r"\byou (?:cut|cutting|keep cutting|broke|went) (?:out|up)\b|\byou lost me\b",
        r"\b(?:the )?(?:signal|line|connection|reception)(?:'s| is) (?:really |very |so |pretty )?"
        r"(?:terrible|bad|awful|poor|breaking)\b|\bbad (?:signal|connection|reception)\b",
        r"\b(?:can't|cannot|couldn't) make (?:out|it out|that out|you out)\b",
        r"\bslow down\b",
        r"^(?:(?:a bit|a little|bit|much) )?(?:slower|more slowly)\b",  # "slower, please"
        r"\b(?:very|too|so) quiet\b",
        r"\brun that by me\b",
        r"\b(?:say|tell|read|go over|run through|give)\b.*\bagain\b(?! (?:tomorrow|later|next))",
        # "say that" asks when it is asked for, not in "how many times do I have to say it"
        r"(?:^|\b(?:please|can you|could you|would you|will you|just|sorry|pardon|so)\b) ?"
        r"say (?:it|that)\b|\bsay (?:it|that) (?:once more|one more time|slower|louder|"
        r"slowly|please)\b",
        r"\bonly (?:got|heard|caught) (?:half|part|some|bits|a bit)\b",
    ),
    "opt_out": (
        rf"\b(?:stop|quit|cease|enough|cancel|discontinue)\b.*\b(?:{_CALL}|bothering)\b",
        rf"\b(?:rather|prefer(?: it)? if) you (?:didn't|did not|don't|wouldn't)\b(?: [\w']+){{0,2}}"
        rf" {_CALL}\b",
        r"\bstop it\b(?!')",
        # near the call: "not sure I'm the right person ..., can somebody ring me back?" asks
        # for a person
        rf"\b(?:don't|never|not|needn't|no need)\b(?: [\w']+){{0,4}} "
        rf"{_CALL} (?:me|us|here|again|back|this number)\b",
        rf"\bno point (?:in )?{_CALL}\b|\bmake (?:them|these|it|the calls) stop\b",
        r"\b(?:lose|bin|ditch|scrap|drop|forget) (?:my|our|this) (?:number|details|name)\b",
        r"\b(?:bugger|piss|sod|clear) off\b",
        r"\b(?:not|no longer|don't want to) (?:be )?(?:part of|in|on) (?:this|your) (?:\w+ )?"
        r"(?:survey|list|programme|program|scheme|service)\b",
        r"\b(?:rather not|prefer not to|(?:don't|do not|no longer) (?:want|wish) to|"
        r"not (?:want|wish) to) be "
        r"(?:called|contacted|rung|phoned|bothered)\b",
        r"\b(?:remove|delete|erase)\b.*\b(?:number|me|us|name|details|records|list|system)\b",
        r"\b(?:take|taken|get|got|cross|strike|scratch|sign|opt) (?:me|us|my \w+|this number|"
        r"our \w+) (?:off|out)\b",
        r"\bstop (?:them|these|those)\b",
        r"\b(?:don't|shouldn't|not|no longer|won't)\b (?:\w+ ){0,2}(?:get|receive|want|need)"
        r"(?: any)? (?:these|them|this|calls)\b.*\bany ?more\b",
        r"\btake (?:out|away|off) (?:my|our|this) (?:number|name|details|phone)\b",
        r"\b(?:be|been|get|getting) taken off\b",
        r"\b(?:be|been|get|getting|have me|have us) removed\b",  # "I want to be removed"
        # calls not wanted: "I'd rather not get these robot calls anymore"
        r"\b(?:rather not|(?:don't|do not|no longer) (?:want|need|wish))\b(?: \w+){0,3} "
        r"(?:these|this|your|any|such|more|those)(?: \w+)? calls\b",
        rf"\b(?:don't|not|no|never)\b.*\b{_CALL}\b.*\bany ?more\b",
        r"\boff (?:your|the|this) (?:\w+ )?(?:list|records|system|database)\b",
        rf"\bno more\b.*\b{_CALL}\b",
        r"\bdon't consent\b",
        r"\bhow do i stop\b",
    ),
    "human": (
        # someone named is not someone asked for: "yes, I went to see someone" answers "did you
        # go out?", so a person counts only after a verb that asks to be put through
        # nor is one talked to on an outing: "I went to talk to the lady at the chemist"
        rf"(?<!didn't )(?<!haven't )(?<!not )(?<!went to )(?<!had to )(?<!go to )(?<!been to )"
        rf"\b(?:talk|speak|speaking|connect|transfer|explain|"
        rf"put me through|put (?:a|an|me|us)|get me|give me|have a word|word with|"
        rf"pass me|hand me over|put me on|hook me up)\b.*\b(?:{_PERSON}|{_DESK})\b",
        # a person asked to ring back: "can a staff member call me back?"
        rf"\b{_PERSON}\b.*\b{_CALL} (?:me|us) back\b",
        # "can a person ring me?", "can a lady from the office call me later?"
        rf"\b(?:have|get|can|could|will|would) (?:a |an |the |some |your |one of (?:the|your) )?"
        rf"(?:{_PERSON}|{_DESK}(?: office)?)(?: (?:from|at|in|of) (?:the |your )?(?:\w+ )?\w+)? "
        rf"{_CALL} (?:me|us)\b",
        # "I'd like a staff member to ring me", "a member of staff could give me a call back"
        # (not "will": "the nurse will call me tomorrow" tells, it does not ask)
        rf"\b{_PERSON}\b(?: \w+){{0,4}}? (?:to|could|can|would|should) (?:\w+ ){{0,2}}?"
        rf"(?:{_CALL} (?:me|us)|give (?:me|us) a (?:call|ring|bell|buzz))\b",
        r"\b(?:talk|speak) (?:to|with) (?:her|him)\b|\bis (?:mr|mrs|ms|miss) \w+ there\b",
        # put through anywhere: "connect me with the office", "transfer me to the desk"
        r"\b(?:connect|transfer|put) (?:me|us)(?: through| on)? (?:to|with)\b",
        rf"\b(?:get|put)(?: me)? (?:a |an |the )?{_PERSON}(?: (?:from|at) (?:the |your )?\w+)? "
        r"on the (?:line|phone)\b",
        rf"\bis there (?:a |an |any |some )?(?:real |actual |live )?{_PERSON}\b",
        # "is there someone I can talk to?": the person first, the asking after
        rf"\b{_PERSON}(?: there| here)? (?:i|we) (?:can|could|may)(?: actually| just| maybe)? "
        rf"(?:talk|speak)\b",
        r"\b(?:need|want|have) (?:a|an|to talk to a) (?:human|person|real|operator|agent)\b",
        r"\b(?:real|actual|live) (?:person|human|one|people)\b",
        rf"\b{_PERSON} (?:real|human|live)\b",  # "someone real"
        r"\b(?:not|don't want) (?:to talk to |to speak to )?(?:a|the|this|some) "
        r"(?:robot|machine)\b",
    ),
    "who_is_calling": (
        r"\bwho(?: the (?:hell|heck|devil|blazes|dickens)| exactly| actually| really)?"
        r"(?:'s| is| are)? "
        r"(?:this|that|it|calling|ringing|speaking|there|on the line|dis|dat)\b",
        rf"\bwho\b(?: \w+){{0,2}} {_CALL} (?:me|us|here|this)\b",  # "who dey call me so?"
        r"\bwho\b(?: [\w']+){0,4} (?:was|is|were) (?:calling|ringing|phoning)\b",
        r"\bwho (?:might|may|would|could) (?:you|this|that) be\b",
        r"\bwho(?:'ve| have) (?:i|we) got\b|\bwho(?:'s| is) asking\b|\bwhose behalf\b",
        r"\b(?:identify|introduce) yourself\b|\bis (?:this|it|that) (?:an? )?official\b",
        r"\b(?:name of )?your (?:organisation|organization|company|outfit|agency)\b",
        r"\b(?:y'all|you all|you guys|you lot|you people) (?:from|with)\b",
        r"\breason (?:you're|you are|why you|for (?:this|the|your) call)\b",
        r"\b(?:never|not) heard of you\b",
        r"\bsounds? like a (?:recording|recorded|robot|machine|computer|bot)\b",
        r"\bhow(?:'d| did| do| does| would)? you know\b",
        r"\b(?:what|which) (?:company|organisation|organization|office|department|agency|"
        r"committee|council|charity|service)\b",
        r"\bwhat(?:'s| is| are) (?:this |that |it |all this |you )?"
        r"(?:call |calling |ringing |phoning )?(?:about|for|regarding)\b",
        rf"\bwhy (?:are you|am i|is|do you|you|would|did|does)\b.*\b(?:{_CALL}|getting)\b",
        r"\bwhat do you want\b",
        r"\bwhy (?:do|would|does) (?:you|they) (?:need|want) to know\b",
        r"\bpurpose of (?:this|the|your|it)\b|\bwhat's the purpose\b",
        # where / how / why did (a word often lost)
        r"\byou(?: lot| guys| people)? (?:get|got|have got|obtain|obtained) (?:my|this|our) "
        r"(?:number|details|information|info|data|mobile|phone|contact)\b",
        r"\bwhose (?:number|phone|call|line)\b",
        r"\bwho gave you (?:my|this|our) (?:number|details|name|information)\b",
        # a machine asked after, not refused ("I don't want a machine" asks for a person)
        r"\b(?:are you|is (?:this|that|it)|am i (?:talking|speaking) to) (?:just )?(?:a |an )?"
        r"(?:robot|computer|machine|recording|bot)\b",
        _ASKS_IF_A_PERSON,
        r"\bwho\b.*\byou(?: were| are|'re)\b",  # "who did you say you were?"
        # "on behalf of" asked after, not in "thirty nine and a half" misheard ("now I'm on
        # behalf of the brief")
        r"\b(?:who|whom|which|what)\b.*\bon behalf of\b|\bon behalf of (?:who|whom|which|what)\b",
        r"\bwho(?:'s| is) behind\b|\bis (?:this|it|that) (?:for )?real\b",
        r"\byou(?:'re| are)? (?:the )?(?:government|council|police|authorities)\b",
        r"\bis this (?:really |actually |even |genuinely |truly )?(?:the|a|an) (?:\w+'? )?"
        r"(?:committee|office|"
        r"council|company|centre|center|government|police|hospital|clinic|bank|authorities|"
        r"people|lot|folks)\b",
        r"\bis (?:this|that|it) (?:\w+ ){0,3}(?:calling|ringing|phoning)\b",
        r"\bhow do you have (?:my|our) (?:name|number|address|details)\b",
        r"\bhow (?:do|can) i (?:know|tell|be sure)\b",  # "how do I know this is real?"
        # doubts about the call itself: "is this legit?", "how do I know this isn't a fraud?"
        r"\b(?:scam|scams|scammer|scammers|fraud|fraudulent|fraudster|legit|legitimate|genuine|"
        r"genuinely|hoax|phishing|trick|prank|fishy|dodgy)\b|\ba con\b",
        r"(?:^|\bare )you(?:'re)? (?:actually |really |calling )?(?:from|with) (?:the|a|an)\b",
        r"\bwhat's all this\b",
    ),
}
KEYWORD_SCORE = 0.85
# Words that carry an intent on their own only weakly: "again" asks to repeat, but opt-outs say
# it too ("don't call me again"), and it survives when the rest of an answer is misheard
# ("So, thought will be again." for "don't call me again" was a confident repeat request).
WEAK_KEYWORDS: dict[Intent, tuple[str, ...]] = {"repeat": ("again",)}
WEAK_KEYWORD_SCORE = 0.75
MIN_SCORE = 0.72
# An intent weaker than this is not acted on: the dialogue goes on with the question, and the
# recogniser does not let it replace a temperature the head read.
ACT_CONFIDENCE = 0.6
MIN_MARGIN = 0.08
_KEYWORD_PATTERNS = {
    intent: re.compile(phrase_pattern(words).pattern + "|" + "|".join(CUES[intent]))
    for intent, words in KEYWORDS.items()
}
# Key words again without articles, matched against the answer without them: a misheard or
# half-read answer loses short words first ("is this scam", "put person on the line").
_ARTICLES = re.compile(r"\b(?:a|an|the)\b ?")
# A repeat declined ("no need to repeat, I got it", "don't say it again", "don't read this
# number again": an opt-out half heard) asks for nothing.
_DECLINED = re.compile(
    r"\b(?:no need (?:for you )?to|(?:you )?(?:don't|do not) (?:need|have)(?: you)? to|needn't"
    r"|need not|don't|do not)"
    r" (?:repeat|say (?:it|that) again)(?: (?:it|that|this|yourself|the message))?\b"
    r"|\b(?:don't|do not|never) (?:say|tell|read|go over|run through|give)\b(?: [\w']+){0,4}"
    r" again\b"
)
# the question with what it is set against ("or a computer"): none of it asks for a person
_PERSON_QUESTION = re.compile(_ASKS_IF_A_PERSON + r"(?: (?:or|and) (?:a |an )?\w+)?")
_BARE_PATTERNS = {
    intent: phrase_pattern([_ARTICLES.sub("", normalize(w)).strip() for w in words])
    for intent, words in KEYWORDS.items()
}
_WEAK_PATTERNS = {intent: phrase_pattern(words) for intent, words in WEAK_KEYWORDS.items()}
_CHOICES = [(intent, normalize(p)) for intent in INTENTS for p in PHRASES[intent]]


# "Hold on, let me get the thermometer": not an answer yet, and no request of ours; the robot
# says it will wait and listens on, longer (ivr.dialogue.session). Only where nothing else was
# understood: "hold on, it's thirty six point five" is an answer.
_WAIT = re.compile(
    r"^(?:(?:oh|um|uh|er|erm|ok|okay|yes|yeah|sure|right|sorry|well|just|please)\b\W*)*wait\b"
    r"|\b(?:hold on|hang on|one moment|a moment please|just a (?:moment|sec|second|minute|tick)"
    r"|give me a (?:moment|sec|second|minute|tick)|wait a (?:moment|sec|second|minute|bit)"
    r"|one (?:sec|second|minute)|let me (?:check|see|look|get|find|grab|fetch|take|measure)"
    r"|i'll (?:just )?(?:check|go and get|go and check|measure|have a look"
    r"|(?:get|take|fetch|find) (?:it|the|my|a|one))"
    r"|(?:need|have) to (?:check|get|find|take|measure))\b"
)


def asks_to_wait(text: str) -> bool:
    """Whether ``text`` asks the robot to wait ("hold on", "let me check")."""
    return bool(_WAIT.search(normalize(text)))


def intent_scores(text: str) -> dict[Intent, float]:
    """Each intent's evidence in [0, 1] for ``text``."""
    said = " ".join(_DECLINED.sub(" ", normalize(text)).split())
    scores: dict[Intent, float] = dict.fromkeys(INTENTS, 0.0)
    if not said:
        return scores
    # distinct words: token_set_ratio is 100 whenever either side's words are a subset of the
    # other's, so "no no no" would match "no more calls" in full (an opt-out heard in a no)
    distinct = len(set(said.split()))
    for intent, phrase in _CHOICES:
        similarity = fuzz.ratio(said, phrase)
        if 3 <= phrase.count(" ") + 1 <= distinct:
            # a whole example phrase inside a longer answer ("could you say that one more time")
            similarity = max(similarity, 0.95 * _inside(said, phrase))
        scores[intent] = max(scores[intent], similarity / 100.0)
    bare = _ARTICLES.sub("", said).strip()
    keyed = {
        intent
        for intent, pattern in _KEYWORD_PATTERNS.items()
        if pattern.search(said) or _BARE_PATTERNS[intent].search(bare)
    }
    unasked = _PERSON_QUESTION.sub(" ", said)
    if unasked != said and not _KEYWORD_PATTERNS["human"].search(unasked):
        # the question's words ("a real person") are no request for a person, neither as
        # key words nor as near a request's example phrase; other words may be one
        keyed.discard("human")
        scores["human"] = 0.0
    for intent in keyed:
        scores[intent] = max(scores[intent], KEYWORD_SCORE + 0.1 * scores[intent])
    for intent, pattern in _WEAK_PATTERNS.items():
        # a weak word is no evidence where another intent's own words explain it
        if not keyed - {intent} and pattern.search(said):
            scores[intent] = max(scores[intent], WEAK_KEYWORD_SCORE)
    return scores


def _inside(said: str, phrase: str) -> float:
    """How well ``phrase`` is found whole in the longer ``said`` (0-100). Words in common
    (``token_set_ratio``) are not enough alone: "are you" in a long misheard answer matched
    "who are you" at 0.74; the phrase must also match a run of as many words, or one more,
    in order (the best fuzzy ratio over such runs)."""
    words = said.split()
    size = phrase.count(" ") + 1
    in_order = max(
        fuzz.ratio(" ".join(words[start : start + width]), phrase)
        for width in (size, size + 1)
        for start in range(max(1, len(words) - width + 1))
    )
    return min(fuzz.token_set_ratio(said, phrase), in_order)


def parse_intent(
    text: str, *, allowed: tuple[Intent, ...] = INTENTS, learned: bool = True
) -> IntentMatch | None:
    """The intent of ``text`` among ``allowed``, or None when none stands out. Where no rule
    finds one, the learned word weights may (``learned_request``), unless ``learned`` is off."""
    scores = sorted(((s, i) for i, s in intent_scores(text).items() if i in allowed), reverse=True)
    if not scores:
        return None
    best, intent = scores[0]
    runner_up = scores[1][0] if len(scores) > 1 else 0.0
    if best < MIN_SCORE:
        return learned_request(text, allowed=allowed) if learned else None
    if best - runner_up < MIN_MARGIN:
        return None
    return IntentMatch(intent, round(min(1.0, best) * min(1.0, (best - runner_up) * 4), 3))


def learned_request(text: str, *, allowed: tuple[Intent, ...] = INTENTS) -> IntentMatch | None:
    """The request the learned word weights read in ``text`` (``ivr.understanding.learned``),
    at ``LEARNED_CONFIDENCE``; for words no rule found a request in. "Hold on, let me get the
    thermometer" asks only to wait (its "let me get" is no request), and a repeat declined ("no
    need to repeat") asks for nothing."""
    rest = _DECLINED.sub(" ", normalize(text))
    if asks_to_wait(text) or not rest.strip():
        return None
    read = learned_intent(rest)
    return IntentMatch(read, LEARNED_CONFIDENCE) if read in allowed else None
