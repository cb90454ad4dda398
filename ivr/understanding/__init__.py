"""Understanding a resident's answer: text (or keyed digits) → a small typed result.

    understand("temperature", "ninety eight point six fahrenheit")  → Temperature(37.0, ...)
    understand("yes_no", "no I stayed home")                         → YesNo(False, ...)
    understand("intent", "who is this?")                             → IntentMatch("who_is_calling")
    understand("choice", "the second one", options=["Monday", "Tuesday"])
    understand_keys("temperature", "365#")                           → Temperature(36.5, ...)

One module per concept; ``languages`` holds the per-language number parsers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ivr.understanding.choice import parse_choice
from ivr.understanding.dtmf import (
    keyed_digits,
    keyed_intent,
    keyed_temperature,
    keyed_yes_no,
)
from ivr.understanding.intents import parse_intent
from ivr.understanding.languages import Language, language_for
from ivr.understanding.results import (
    INTENTS,
    ChoiceMatch,
    Digits,
    FreeText,
    Intent,
    IntentMatch,
    Temperature,
    Understood,
    YesNo,
)
from ivr.understanding.temperature import DEFAULT_MAX_C, DEFAULT_MIN_C, parse_temperature
from ivr.understanding.yes_no import parse_yes_no

Expect = Literal["temperature", "yes_no", "intent", "choice", "free", "digits"]
EXPECTS: tuple[Expect, ...] = ("temperature", "yes_no", "intent", "choice", "free", "digits")


@dataclass(frozen=True)
class Asked:
    """What a question itself says about its answers: a choice's ``options``, and the phrases
    that mean yes (``affirm``) or no (``deny``) to this question and not to every one."""

    options: tuple[str, ...] = ()
    affirm: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()


def parse_digits(text: str, *, language: Language | None = None) -> Digits | None:
    """Digits said one by one or as numbers ("one two three", "123")."""
    form = (language or language_for("en")).to_digits(text)
    digits = "".join(re.findall(r"\d", form))
    return Digits(digits, 0.9) if digits else None


def understand(
    expect: Expect,
    text: str,
    *,
    options: Sequence[str] = (),
    language: str | None = None,
    min_c: float = DEFAULT_MIN_C,
    max_c: float = DEFAULT_MAX_C,
    affirm: Sequence[str] = (),
    deny: Sequence[str] = (),
    learned: bool = True,
) -> Understood | None:
    """What ``text`` answers to a question expecting ``expect``; None when not understood.
    ``learned``: a request no rule finds may be read by the learned word weights."""
    lang = language_for(language) if language else None
    if expect == "temperature":
        return parse_temperature(text, language=lang, min_c=min_c, max_c=max_c)
    if expect == "yes_no":
        return parse_yes_no(text, affirm=affirm, deny=deny)
    if expect == "intent":
        return parse_intent(text, learned=learned)
    if expect == "choice":
        return parse_choice(text, options)
    if expect == "digits":
        return parse_digits(text, language=lang)
    if expect == "free":
        stripped = text.strip()
        return FreeText(stripped, 1.0) if stripped else None
    raise ValueError(f"unknown expect {expect!r}; use one of {', '.join(EXPECTS)}")


def understand_keys(
    expect: Expect, keys: str, *, min_c: float = DEFAULT_MIN_C, max_c: float = DEFAULT_MAX_C
) -> Understood | None:
    """What DTMF ``keys`` answer; ``*`` (repeat) and ``0`` (a person) work on every question."""
    intent = keyed_intent(keys)
    if intent is not None:
        return intent
    if expect == "temperature":
        return keyed_temperature(keys, min_c=min_c, max_c=max_c)
    if expect == "yes_no":
        return keyed_yes_no(keys)
    if expect in ("digits", "free"):
        return keyed_digits(keys)
    return None


__all__ = [
    "EXPECTS",
    "INTENTS",
    "Asked",
    "ChoiceMatch",
    "Digits",
    "Expect",
    "FreeText",
    "Intent",
    "IntentMatch",
    "Temperature",
    "Understood",
    "YesNo",
    "parse_choice",
    "parse_digits",
    "parse_intent",
    "parse_temperature",
    "parse_yes_no",
    "understand",
    "understand_keys",
]
