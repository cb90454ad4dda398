"""What understanding an answer yields: one small typed dataclass per kind of answer.

Every result carries a ``confidence`` in [0, 1]; a parser returns ``None`` when it did not
understand, never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Intent = Literal["repeat", "opt_out", "human", "who_is_calling"]
INTENTS: tuple[Intent, ...] = ("repeat", "opt_out", "human", "who_is_calling")
TemperatureUnit = Literal["C", "F"]


@dataclass(frozen=True)
class Temperature:
    """A body temperature, always reported in °C with one decimal."""

    celsius: float
    spoken: float  # the number as said, in ``unit``
    unit: TemperatureUnit
    confidence: float

    @property
    def value(self) -> float:
        return self.celsius


@dataclass(frozen=True)
class YesNo:
    answer: bool
    confidence: float
    asked: bool = False  # decided by the question's own phrases (a script's means_yes / no)

    @property
    def value(self) -> bool:
        return self.answer


@dataclass(frozen=True)
class IntentMatch:
    intent: Intent
    confidence: float

    @property
    def value(self) -> str:
        return self.intent


@dataclass(frozen=True)
class ChoiceMatch:
    option: str
    index: int
    confidence: float

    @property
    def value(self) -> str:
        return self.option


@dataclass(frozen=True)
class Digits:
    digits: str
    confidence: float

    @property
    def value(self) -> str:
        return self.digits


@dataclass(frozen=True)
class FreeText:
    text: str
    confidence: float

    @property
    def value(self) -> str:
        return self.text


Understood = Temperature | YesNo | IntentMatch | ChoiceMatch | Digits | FreeText
