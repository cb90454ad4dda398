"""Answers keyed on the phone: 1 yes / 2 no, a temperature as digits ending with #.

Keyed temperatures carry no decimal point: 3-6-5 # is 36.5 °C, 9-8-6 # is 98.6 °F (37.0 °C),
37 # is 37.0 °C. ``*`` asks to repeat and ``0`` for a person, on every question.
"""

from __future__ import annotations

from ivr.understanding.results import Digits, IntentMatch, Temperature, YesNo
from ivr.understanding.temperature import DEFAULT_MAX_C, DEFAULT_MIN_C, to_celsius

YES_KEY, NO_KEY, REPEAT_KEY, HUMAN_KEY, END_KEY = "1", "2", "*", "0", "#"


def keyed_intent(keys: str) -> IntentMatch | None:
    if keys.startswith(REPEAT_KEY):
        return IntentMatch("repeat", 1.0)
    if keys.rstrip(END_KEY) == HUMAN_KEY:
        return IntentMatch("human", 1.0)
    return None


def keyed_yes_no(keys: str) -> YesNo | None:
    first = keys.rstrip(END_KEY)[:1]
    return YesNo(True, 1.0) if first == YES_KEY else YesNo(False, 1.0) if first == NO_KEY else None


def keyed_temperature(
    keys: str, *, min_c: float = DEFAULT_MIN_C, max_c: float = DEFAULT_MAX_C
) -> Temperature | None:
    """Digits keyed for a temperature; None unless they make a plausible one."""
    digits = keys.rstrip(END_KEY).replace("*", ".")
    if not digits or not digits.replace(".", "", 1).isdigit():
        return None
    if "." in digits:
        spoken_values = [float(digits)]
    elif len(digits) == 2 or (len(digits) == 3 and digits.startswith("10")):
        spoken_values = [float(digits)]  # whole degrees: 37, 99, 101
    else:
        spoken_values = [int(digits) / 10.0]  # 365 → 36.5, 986 → 98.6, 1004 → 100.4
    for spoken in spoken_values:
        for unit in ("C", "F"):
            celsius = to_celsius(spoken, unit)
            if min_c <= celsius <= max_c:
                return Temperature(celsius, spoken, unit, 1.0 if unit == "C" else 0.95)
    return None


def keyed_digits(keys: str) -> Digits | None:
    digits = keys.rstrip(END_KEY)
    return Digits(digits, 1.0) if digits.isdigit() else None
