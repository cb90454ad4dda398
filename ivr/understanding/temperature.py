"""Body temperature from an answer: digits or words, Celsius or Fahrenheit, → °C, one decimal.

The language plug-in rewrites number words into digits; this module reads the shapes people
use ("36.5", "36 8" for "thirty six eight", "3 6 5" digit by digit, "37") and refuses anything
outside the plausible range instead of guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ivr.understanding.languages import Language, detect
from ivr.understanding.languages.en import DECIMAL_MARKERS
from ivr.understanding.results import Temperature, TemperatureUnit

DEFAULT_MIN_C = 34.0
DEFAULT_MAX_C = 42.5
UNIT_CONFLICT = 0.7  # confidence factor when the unit said contradicts the number's range
DEGREE_WORDS = ("degrees", "degree", "度")


@dataclass(frozen=True)
class _Reading:
    spoken: float
    shape_confidence: float  # how sure the number's shape is a temperature reading
    start: int = 0  # the tokens it was read from: [start, end)
    end: int = 0
    bounded: bool = False  # "under 38", "38 or more": a bound said, not a reading


def to_celsius(value: float, unit: TemperatureUnit) -> float:
    return round((value - 32.0) * 5.0 / 9.0 + 1e-9, 1) if unit == "F" else round(value + 1e-9, 1)


def _is_number(token: str) -> bool:
    return token.replace(".", "", 1).isdigit()


def _readings(tokens: list[str], language: Language) -> list[_Reading]:
    """Every number shape in the digit form, in the order said, each marked ``bounded`` when
    the words around it make it a bound or one end of a range ("just under 38", "38 or more",
    "between 37 and 38", "thirty-seven or thirty-eight", "thirty-seven something") rather
    than what the thermometer showed."""
    units = {*DEGREE_WORDS, *language.celsius_words, *language.fahrenheit_words}

    def unit_free(words: list[str]) -> list[str]:  # "38 degrees celsius or more"
        while words and words[0] in units:
            words = words[1:]
        return words

    def bounded(reading: _Reading) -> bool:
        before, after = tokens[: reading.start], unit_free(tokens[reading.end :])
        bound_before = any(_ends_with(before, b) for b in language.bounds_before) and not any(
            _ends_with(before, r) for r in language.readings_before
        )
        return bound_before or any(_starts_with(after, b) for b in language.bounds_after)

    found = [replace(reading, bounded=bounded(reading)) for reading in _shapes(tokens)]
    for n in range(1, len(found)):
        first, second = found[n - 1], found[n]
        between = unit_free(tokens[first.end : second.start])
        near = abs(second.spoken - first.spoken) <= 0.1 * first.spoken  # not "98 and 6"
        if near and tuple(between) in language.range_joiners:
            found[n - 1] = replace(first, bounded=True)
            found[n] = replace(second, bounded=True)
    return found


def _starts_with(tokens: list[str], phrase: tuple[str, ...]) -> bool:
    return tuple(tokens[: len(phrase)]) == phrase


def _ends_with(tokens: list[str], phrase: tuple[str, ...]) -> bool:
    return len(tokens) >= len(phrase) and tuple(tokens[-len(phrase) :]) == phrase


def _shapes(tokens: list[str]) -> list[_Reading]:
    """Every number shape in the digit form, in the order said, with the tokens it spans."""
    found: list[_Reading] = []
    i = 0
    while i < len(tokens):
        shape = _shape_at(tokens, i)
        if shape is None:
            i += 1
            continue
        value, confidence, width = shape
        if value is not None:
            found.append(_Reading(value, confidence, i, i + width))
        i += width
    return found


def _shape_at(tokens: list[str], i: int) -> tuple[float | None, float, int] | None:
    """The number shape starting at ``tokens[i]``: (value or None when it is unreadable, how
    sure its shape is a reading, tokens spanned); None when no number starts there."""
    token = tokens[i]
    if not _is_number(token):
        return None
    if "." in token:
        decimals = len(token.split(".")[1])
        return float(token), 1.0 if decimals == 1 else 0.85, 1
    following = tokens[i + 1] if i + 1 < len(tokens) else ""
    if len(token) == 1 and "." in following and len(following.split(".")[0]) == 1:
        # "3 7.1": the whole degrees read digit by digit ("three seven point one")
        return float(token + following), 0.75, 2
    if following in ("oh", "o", "0") and float(token) == 1 and i + 2 < len(tokens):
        # "one oh four (point two)": a Fahrenheit reading of 100-109 said digit by digit
        rest = tokens[i + 2]
        if _is_number(rest) and len(rest.split(".")[0]) == 1:
            return 100 + float(rest), 0.75, 3
    # a run of single digits keyed or read one by one: "3 6 5" → 36.5
    run = [token]
    while (
        i + len(run) < len(tokens)
        and len(tokens[i + len(run)]) == 1
        and tokens[i + len(run)].isdigit()
    ):
        run.append(tokens[i + len(run)])
    if len(token) == 1 and len(run) in (3, 4):
        return int("".join(run)) / 10.0, 0.75, len(run)
    after_degrees = tokens[i + 2] if i + 2 < len(tokens) and following in DEGREE_WORDS else ""
    tenth = following if len(following) == 1 and following.isdigit() else after_degrees
    if len(token) in (2, 3) and len(tenth) == 1 and tenth.isdigit():
        # "thirty six eight", "36 degrees 5": the digit after a whole number is its tenth
        return float(f"{token}.{tenth}"), 0.8, 2 if tenth == following else 3
    # "36 degrees and 5", "36 and 5" (as "36度5" is said): the tenth, read back to be sure;
    # taken as 36 with "and 5" left over, it was a sure reading of the wrong value
    joined_at = i + 3 if after_degrees == "and" else i + 2 if following == "and" else len(tokens)
    joined = tokens[joined_at] if joined_at < len(tokens) else ""
    if len(token) == 2 and len(joined) == 1 and joined.isdigit():
        return float(f"{token}.{joined}"), 0.7, joined_at - i + 1
    if following in DECIMAL_MARKERS:
        # "36 point <unreadable>": the tenth is lost; a whole-degree guess would be wrong
        return None, 0.0, 2
    if 340 <= int(token) <= 425 or 930 <= int(token) <= 1085:
        return int(token) / 10.0, 0.6, 1  # "365" written for "three six five"
    return float(token), 0.9, 1


# A name with a number in it ("N95 masks", "KN95", "FFP2", "covid-19") says no reading; a
# number with its unit after it ("37c", "98F") does.
_NAMED_NUMBER = re.compile(r"\b[A-Za-z]+-?\d[\w.]*")


def _tokens(text: str, language: Language) -> list[str]:
    return language.to_digits(_NAMED_NUMBER.sub(" ", text)).split()


def _unit_said(tokens: list[str], language: Language) -> TemperatureUnit | None:
    if any(t in language.fahrenheit_words for t in tokens):
        return "F"
    if any(t in language.celsius_words for t in tokens):
        return "C"
    return None


def says_only_bounds(
    text: str,
    *,
    language: Language | None = None,
    min_c: float = DEFAULT_MIN_C,
    max_c: float = DEFAULT_MAX_C,
) -> bool:
    """Whether every plausible temperature in ``text`` is a bound or a range's end ("just
    under 38", "37 or 38", "over 38 for 2 days"): one was said, but not what the thermometer
    showed."""
    readings = _temperatures(text, language, min_c, max_c)
    return bool(readings) and all(reading.bounded for reading, _ in readings)


def _temperatures(
    text: str, language: Language | None, min_c: float, max_c: float
) -> list[tuple[_Reading, Temperature]]:
    """Every number said in ``text`` that is a plausible body temperature, bounds included,
    in the order said, with the temperature it is."""
    language = language or detect(text)
    tokens = _tokens(text, language)
    unit = _unit_said(tokens, language)
    return [
        (reading, temperature)
        for reading in _readings(tokens, language)
        if (temperature := _plausible(reading, unit, min_c, max_c)) is not None
    ]


def _plausible(
    reading: _Reading, unit: TemperatureUnit | None, min_c: float, max_c: float
) -> Temperature | None:
    """``reading`` as a body temperature in the plausible range, or None. The unit said goes
    first; the other one is tried too, because the ranges of °C and °F readings do not
    overlap and a recogniser writes "Fahrenheit" for "degrees" now and then."""
    other: TemperatureUnit = "F" if unit == "C" else "C"
    units: tuple[TemperatureUnit, ...] = (unit, other) if unit else ("C", "F")
    for candidate_unit in units:
        celsius = to_celsius(reading.spoken, candidate_unit)
        if min_c <= celsius <= max_c:
            # a unit inferred from the range is nearly as good as one said; a unit said
            # against the range is a doubt
            agrees = 1.0 if unit == candidate_unit else 0.95 if unit is None else UNIT_CONFLICT
            sure = reading.shape_confidence * agrees
            return Temperature(celsius, reading.spoken, candidate_unit, round(sure, 3))
    return None


def may_go_on(
    text: str,
    *,
    language: Language | None = None,
    min_c: float = DEFAULT_MIN_C,
    max_c: float = DEFAULT_MAX_C,
) -> bool:
    """Whether a temperature answer that just ended may be half said: people read the
    thermometer as they speak and pause ("thirty six ... point five"). True when it ends on
    a whole reading with nothing after it ("thirty six", "it's a hundred and one") or on a
    word that a tenth follows ("thirty six point"); not after a tenth, a half or a unit."""
    language = language or detect(text)
    tokens = _tokens(text, language)
    if not tokens:
        return False
    if tokens[-1] in DECIMAL_MARKERS or tokens[-1] == "and":
        return bool(_readings(tokens[:-1], language))
    readings = [r for r, _ in _temperatures(text, language, min_c, max_c) if not r.bounded]
    if not readings:
        return False
    last = readings[-1]
    return (
        last.end == len(tokens)
        and float(last.spoken).is_integer()
        and "." not in tokens[last.end - 1]
    )


def parse_temperature(
    text: str,
    *,
    language: Language | None = None,
    min_c: float = DEFAULT_MIN_C,
    max_c: float = DEFAULT_MAX_C,
) -> Temperature | None:
    """The temperature said in ``text``, or None when none is there or it is implausible."""
    # a bound is not a reading; if nothing else was said, the question is asked again
    plausible = [
        temperature
        for reading, temperature in _temperatures(text, language, min_c, max_c)
        if not reading.bounded
    ]
    if not plausible:
        return None
    # people correct themselves ("thirty six five, no, six six"): the last reading counts,
    # unless its shape is the less sure of the two (on a tie, the last)
    chosen = max(reversed(plausible[-2:]), key=lambda t: t.confidence)
    if len({t.celsius for t in plausible}) > 1:
        chosen = Temperature(
            chosen.celsius, chosen.spoken, chosen.unit, round(chosen.confidence * 0.7, 3)
        )
    return chosen
