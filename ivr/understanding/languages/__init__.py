"""Language plug-ins: each turns spoken numbers of its language into digits.

A language is an object with a ``code``, a ``to_digits(text)`` that rewrites number words into
ASCII digits (a decimal marker becomes ``.``; a number read digit by digit after the decimal
marker becomes its decimals), the words that name a temperature unit and those that make a
number a bound ("under 38") rather than a reading. Everything downstream
(temperature grammar, plausibility, DTMF) works on that digit form and knows no language.
"""

from __future__ import annotations

from typing import Protocol

from ivr.understanding.languages.en import English
from ivr.understanding.languages.zh import Chinese


class Language(Protocol):
    code: str
    fahrenheit_words: tuple[str, ...]
    celsius_words: tuple[str, ...]
    # words that make a number a bound rather than a reading, as tokens of the digit form:
    # right before it ("under 38"), right after it and its unit ("38 or more"), and the words
    # between the two ends of a range ("37 to 38", "37 or 38")
    bounds_before: tuple[tuple[str, ...], ...]
    # words that end with a bound's words and still say a reading ("it's come up to 37.8")
    readings_before: tuple[tuple[str, ...], ...]
    bounds_after: tuple[tuple[str, ...], ...]
    range_joiners: tuple[tuple[str, ...], ...]

    def to_digits(self, text: str) -> str: ...


LANGUAGES: dict[str, Language] = {"en": English(), "zh": Chinese()}


def language_for(code: str) -> Language:
    try:
        return LANGUAGES[code.split("-")[0].lower()]
    except KeyError:
        raise ValueError(
            f"no number parser for language {code!r}; have {sorted(LANGUAGES)}"
        ) from None


def detect(text: str) -> Language:
    """The language of ``text`` as far as numbers go: Chinese when it has Han characters."""
    if any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return LANGUAGES["zh"]
    return LANGUAGES["en"]
