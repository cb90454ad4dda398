"""One of a script's options: by its words (fuzzy) or by its place ("the second one", "two")."""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz

from ivr.understanding.languages.en import English
from ivr.understanding.results import ChoiceMatch
from ivr.understanding.text import normalize

ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
            "last": -1, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5}  # fmt: skip
MIN_SIMILARITY = 70.0
_english = English()


def _by_position(said: str, count: int) -> int | None:
    words = _english.to_digits(said).split()
    for word in words:
        if word in ORDINALS:
            index = ORDINALS[word]
            return count - 1 if index == -1 else index - 1 if index <= count else None
    numbers = [int(w) for w in words if w.isdigit()]
    if len(numbers) == 1 and 1 <= numbers[0] <= count and len(words) <= 3:
        return numbers[0] - 1  # "two", "number two", "option two"
    return None


def _similarity(said: str, option: str) -> float:
    # a distinctive word of the option said on its own ("tuesday") names it
    words = set(said.split())
    named = any(len(w) >= 4 and w in words for w in normalize(option).split())
    return max(fuzz.token_set_ratio(said, normalize(option)), 90.0 if named else 0.0)


def parse_choice(text: str, options: Sequence[str]) -> ChoiceMatch | None:
    """The option ``text`` names, or None when it names none or two equally."""
    said = normalize(text)
    if not said or not options:
        return None
    scored = sorted(
        ((_similarity(said, option), i) for i, option in enumerate(options)), reverse=True
    )
    best, index = scored[0]
    runner_up = scored[1][0] if len(scored) > 1 else 0.0
    if best >= MIN_SIMILARITY and best - runner_up >= 10:
        return ChoiceMatch(
            options[index], index, round(best / 100.0 * min(1.0, (best - runner_up) / 30), 3)
        )
    position = _by_position(said, len(options))
    if position is not None:
        return ChoiceMatch(options[position], position, 0.85)
    return None
