"""A second reader of requests: word weights learned from what people said, for the ways of
asking that no rule of ``intents`` names.

Every set of requests written by someone who had not seen the rules found about one in seven
they missed ("hook me up with an actual staffer", "who've I got on the line?"), set after set:
a list of cues grows one phrasing at a time, and people have more phrasings than a list. A
naive Bayes model over words and word pairs generalises from what it has seen to words in new
orders: learned from all sets but one, it read 453 of the 500 requests of the sets left out (4
wrong, 5 of 340 answers taken for a request), where the rules had read 420 of them before
their cues were written. On a set written after it was built, the rules read 111 of 120
requests, the rules and then the weights 117 (docs/decisions.md).

It is consulted only where the rules found no request, and its reading is weak
(``LEARNED_CONFIDENCE``): acted on when nothing else was understood, never over a clear answer
(``ivr.dialogue.session``). What it learns from: ``data/said.json`` (requests, answers and other
talk in people's own words), the rules' own example phrases and the yes/no parser's phrases;
answers and other talk are a class of their own, so "I rang my daughter, didn't go out" is an
answer and "Mum, it's the committee on the phone" no request.
Learned at first use, in a few milliseconds; nothing is trained or stored at run time.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import cast

from ivr.understanding.results import Intent, IntentMatch
from ivr.understanding.text import normalize

DATA = Path(__file__).with_name("data") / "said.json"
ANSWER = "answer"  # the class of everything that is no request: answers, and other talk
SMOOTHING = 0.5  # added to every count (a word never seen with a class is not impossible)
MIN_POSTERIOR = 0.8  # below this the model has no reading
# How sure a learned reading is: over the line a request is acted on at when nothing else was
# understood (intents.ACT_CONFIDENCE 0.6), under a key word's (0.85) and a clear answer's (0.8).
LEARNED_CONFIDENCE = 0.65
_WORD = re.compile(r"[a-z][a-z']*")


def features(text: str) -> list[str]:
    """The words of ``text`` and its pairs of neighbouring words."""
    words = _WORD.findall(normalize(text))
    return words + [f"{a} {b}" for a, b in pairwise(words)]


class Model:
    """Multinomial naive Bayes over ``features``."""

    def __init__(self, examples: list[tuple[str, str]]) -> None:
        self.counts: dict[str, Counter[str]] = {}
        self.examples: Counter[str] = Counter()
        for text, label in examples:
            self.examples[label] += 1
            self.counts.setdefault(label, Counter()).update(features(text))
        self.vocabulary = {f for counts in self.counts.values() for f in counts}
        self.totals = {label: sum(counts.values()) for label, counts in self.counts.items()}

    def posteriors(self, text: str) -> dict[str, float]:
        known = [f for f in features(text) if f in self.vocabulary]
        n, size = sum(self.examples.values()), len(self.vocabulary)
        logs = {
            label: math.log(self.examples[label] / n)
            + sum(
                math.log((counts[f] + SMOOTHING) / (self.totals[label] + SMOOTHING * size))
                for f in known
            )
            for label, counts in self.counts.items()
        }
        top = max(logs.values())
        total = sum(math.exp(v - top) for v in logs.values())
        return {label: math.exp(v - top) / total for label, v in logs.items()}


def examples() -> list[tuple[str, str]]:
    """What the model learns from: (text, intent or ANSWER)."""
    from ivr.understanding.intents import PHRASES
    from ivr.understanding.yes_no import NO_PHRASES, YES_PHRASES

    said = json.loads(DATA.read_text("utf-8"))
    pairs = [(r["text"], r["label"]) for r in said["requests"]]
    pairs += [(a["text"], ANSWER) for a in (*said["answers"], *said["other"])]
    pairs += [(p, intent) for intent, phrases in PHRASES.items() for p in phrases]
    pairs += [(p, ANSWER) for p in (*YES_PHRASES, *NO_PHRASES)]
    return pairs


@cache
def model() -> Model:
    return Model(examples())


def learned_intent(text: str) -> Intent | None:
    """The request the learned model reads in ``text``, if it is sure enough of one."""
    posteriors = model().posteriors(text)
    best = max(posteriors, key=posteriors.__getitem__)
    if best == ANSWER or posteriors[best] < MIN_POSTERIOR:
        return None
    return cast(Intent, best)


def weak_request(match: IntentMatch | None) -> bool:
    """Whether ``match`` is a request read no surer than the learned weights read one: never
    taken over an understood answer, and a request for a person so read is asked about."""
    return match is not None and match.confidence <= LEARNED_CONFIDENCE
