"""Answers in people's own words to the shipped scripts' yes/no questions, understood as the
dialogue takes them (the scripts' own phrases, a request in the same words, the 0.5 line).

The set (data/own_words.json) was written by someone who had not seen the phrase lists; it
has been read since, so the floors guard the lists against regressions, nothing more.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ivr.dialogue.session import ACCEPT_CONFIDENCE, CLEAR_ANSWER
from ivr.dialogue.text import understand_typed
from ivr.script import load_script
from ivr.understanding import Asked

ROOT = Path(__file__).resolve().parents[2]
SET = json.loads((Path(__file__).parent / "data" / "own_words.json").read_text("utf-8"))
# right of 70 (25 yes, 25 no, 20 neither) with the scripts' phrases, and wrong at most
FLOORS = {"went_out": (62, 4), "symptoms": (66, 2), "heard": (64, 4)}


def taken(text: str, question: str, asked: Asked) -> str:
    """yes, no or neither, as the dialogue acts on ``text``."""
    heard = understand_typed(text, "yes_no", asked)
    request = heard.intent.intent if heard.intent is not None else None
    if request == "repeat" and (heard.value is None or heard.confidence < CLEAR_ANSWER):
        return "no" if question == "heard" else "neither"  # the notice's repeat reads it again
    if heard.value is None or heard.confidence < ACCEPT_CONFIDENCE:
        return "neither"
    return "yes" if heard.value else "no"


@pytest.mark.parametrize("question", sorted(FLOORS))
def test_answers_in_own_words_with_the_scripts_phrases(question: str) -> None:
    script = load_script(ROOT / "scripts" / SET["questions"][question])
    asked = script.step(question).asked
    answers = SET["answers"][question]
    got = [(a, taken(a["text"], question, asked)) for a in answers]
    right = sum(g == a["label"] for a, g in got)
    wrong = [(a["text"], a["label"], g) for a, g in got if g not in ("neither", a["label"])]
    floor, most_wrong = FLOORS[question]
    assert right >= floor, [(a["text"], a["label"], g) for a, g in got if g != a["label"]]
    assert len(wrong) <= most_wrong, wrong
    # and the question's phrases are what makes the difference
    plain = sum(taken(a["text"], question, Asked()) == a["label"] for a in answers)
    assert plain < right
