"""Body temperature from an answer: digits or words, Celsius or Fahrenheit, → °C, one decimal.

The language plug-in rewrites number words into digits; this module reads the shapes people
use ("36.5", "36 8" for "thirty six eight", "3 6 5" digit by digit, "37") and refuses anything
outside the plausible range instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass

from ivr.understanding.languages import Language, detect
from ivr.understanding.languages.en import DECIMAL_MARKERS
from ivr.understanding.results import Temperature, TemperatureUnit

DEFAULT_MIN_C = 34.0
DEFAULT_MAX_C = 42.5
UNIT_CONFLICT = 0.7  # confidence factor when the unit said contradicts the number's range


@dataclass(frozen=True)
class _Reading:
    spoken: float
    shape_confidence: float  # how sure the number's shape is a temperature reading


def to_celsius(value: float, unit: TemperatureUnit) -> float:
    return round((value - 32.0) * 5.0 / 9.0 + 1e-9, 1) if unit == "F" else round(value + 1e-9, 1)


def _is_number(token: str) -> bool:
    return token.replace(".", "", 1).isdigit()


def _readings(tokens: list[str]) -> list[_Reading]:
    """Every number shape in the digit form, in the order said."""
    found: list[_Reading] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if not _is_number(token):
            i += 1
            continue
        if "." in token:
            decimals = len(token.split(".")[1])
            found.append(_Reading(float(token), 1.0 if decimals == 1 else 0.85))
            i += 1
            continue
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        if len(token) == 1 and "." in following and len(following.split(".")[0]) == 1:
            # "3 7.1": the whole degrees read digit by digit ("three seven point one")
            found.append(_Reading(float(token + following), 0.75))
            i += 2
            continue
        # a run of single digits keyed or read one by one: "3 6 5" → 36.5
        run = [token]
        while (
            i + len(run) < len(tokens)
            and len(tokens[i + len(run)]) == 1
            and tokens[i + len(run)].isdigit()
        ):
            run.append(tokens[i + len(run)])
        if len(token) == 1 and len(run) in (3, 4):
            found.append(_Reading(int("".join(run)) / 10.0, 0.75))
            i += len(run)
            continue
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        after_degrees = (
            tokens[i + 2]
            if i + 2 < len(tokens) and following in ("degrees", "degree", "度")
            else ""
        )
        tenth = following if len(following) == 1 and following.isdigit() else after_degrees
        if len(token) in (2, 3) and len(tenth) == 1 and tenth.isdigit():
            # "thirty six eight", "36 degrees 5": the digit after a whole number is its tenth
            found.append(_Reading(float(f"{token}.{tenth}"), 0.8))
            i += 2 if tenth == following else 3
            continue
        if following in DECIMAL_MARKERS:
            # "36 point <unreadable>": the tenth is lost; a whole-degree guess would be wrong
            i += 2
            continue
        if 340 <= int(token) <= 425 or 930 <= int(token) <= 1085:
            found.append(_Reading(int(token) / 10.0, 0.6))  # "365" written for "three six five"
        else:
            found.append(_Reading(float(token), 0.9))
        i += 1
    return found


def _unit_said(tokens: list[str], language: Language) -> TemperatureUnit | None:
    if any(t in language.fahrenheit_words for t in tokens):
        return "F"
    if any(t in language.celsius_words for t in tokens):
        return "C"
    return None


def parse_temperature(
    text: str,
    *,
    language: Language | None = None,
    min_c: float = DEFAULT_MIN_C,
    max_c: float = DEFAULT_MAX_C,
) -> Temperature | None:
    """The temperature said in ``text``, or None when none is there or it is implausible."""
    language = language or detect(text)
    tokens = language.to_digits(text).split()
    unit = _unit_said(tokens, language)
    plausible: list[Temperature] = []
    for reading in _readings(tokens):
        # The unit said goes first; the other one is tried too, because the ranges of °C and °F
        # readings do not overlap and a recogniser writes "Fahrenheit" for "degrees" now and then.
        other: TemperatureUnit = "F" if unit == "C" else "C"
        units: tuple[TemperatureUnit, ...] = (unit, other) if unit else ("C", "F")
        for candidate_unit in units:
            celsius = to_celsius(reading.spoken, candidate_unit)
            if min_c <= celsius <= max_c:
                # a unit inferred from the range is nearly as good as one said; a unit said
                # against the range is a doubt
                agrees = 1.0 if unit == candidate_unit else 0.95 if unit is None else UNIT_CONFLICT
                sure = reading.shape_confidence * agrees
                plausible.append(
                    Temperature(celsius, reading.spoken, candidate_unit, round(sure, 3))
                )
                break
    if not plausible:
        return None
    # people correct themselves ("thirty six five, no, six six"): the last reading counts
    chosen = max(plausible[-2:] if len(plausible) > 1 else plausible, key=lambda t: t.confidence)
    if len({t.celsius for t in plausible}) > 1:
        chosen = Temperature(
            chosen.celsius, chosen.spoken, chosen.unit, round(chosen.confidence * 0.7, 3)
        )
    return chosen
