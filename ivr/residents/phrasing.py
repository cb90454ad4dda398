"""What a simulated resident answers, and in which words.

Residents say the same facts in different ways (the robot must understand them all), but the
facts themselves come only from the persona, so what the robot stores can be checked.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any

from ivr.residents.listening import Question
from ivr.residents.persona import Persona
from ivr.script.render import number_words


def c_to_f(celsius: float) -> float:
    return round(celsius * 9 / 5 + 32, 1)


def say_temperature(celsius: float, style: str, rng: random.Random) -> str:
    whole, tenth = divmod(round(celsius * 10), 10)
    if style == "digits":
        return rng.choice(["It's {v}.", "{v} degrees.", "My temperature is {v}."]).format(
            v=f"{whole}.{tenth}"
        )
    if style == "fahrenheit":
        f = c_to_f(celsius)
        f_whole, f_tenth = divmod(round(f * 10), 10)
        words = number_words(f_whole) + ("" if f_tenth == 0 else f" point {number_words(f_tenth)}")
        return rng.choice(["{w} fahrenheit.", "It's {w} degrees fahrenheit."]).format(w=words)
    if style == "half" and tenth == 5:
        return f"{number_words(whole)} and a half."
    if style == "short" and tenth:
        return f"{number_words(whole)} {number_words(tenth)}."
    words = number_words(whole) + ("" if tenth == 0 else f" point {number_words(tenth)}")
    return rng.choice(["{w}.", "It's {w}.", "{w} degrees.", "I measured {w} this morning."]).format(
        w=words
    )


YES = ("Yes.", "Yes, that's right.", "Yeah.", "Correct.", "Yes I did.")
NO = ("No.", "No, that's wrong.", "Nope.")
HEARD = ("Yes, I heard it, thank you.", "Yes, got it.", "Okay, thank you.")
WENT_OUT_YES = ("Yes, I went to the supermarket.", "Yes, I did.", "Yes, I went out.")
WENT_OUT_NO = ("No, I stayed at home.", "No, I didn't.", "No.")
SYMPTOMS_NO = ("No, I feel fine.", "No symptoms.", "No.")
SYMPTOMS_YES = {"cough": "Yes, I have a cough.", "fever": "Yes, I have a fever."}
REPEAT = ("Sorry, could you repeat that?", "Pardon? Can you say that again?")
OPT_OUT = ("Please don't call me again.", "Stop calling me, take me off your list.")
HUMAN = ("Can I talk to a real person?", "I want to speak to someone at the office.")


YES_NO_SLOTS = ("went_out", "symptoms", "heard")


@dataclass
class Answer:
    text: str = ""
    keys: str = ""
    hang_up: bool = False
    value: Any = None  # the fact conveyed, for the truth log
    slot: str = ""

    def log(self, turn: int, question: Question) -> dict[str, Any]:
        return {
            "turn": turn,
            "question": question.kind,
            "text": self.text,
            "keys": self.keys,
            "slot": self.slot,
            "value": self.value,
            "hang_up": self.hang_up,
        }


class Mind:
    """A resident's side of the conversation: counts questions, remembers what it said."""

    def __init__(self, persona: Persona, rng: random.Random) -> None:
        self.persona = persona
        self.rng = rng
        self.questions = 0
        self.repeated = False
        self.misspoke = False
        self.last_value: float | bool | None = None
        self.last_slot = ""

    def answer(self, question: Question) -> Answer | None:
        p = self.persona
        if question.kind in ("goodbye", "other", "handover"):
            return None
        if question.kind == "confirm":
            return self._confirm(question)
        if question.kind == "keypad":
            return self._keypad(question)
        if question.kind == "opt_out_confirm":
            # only someone who asked to be left alone says yes to it
            wanted = (
                self.persona.opt_out_at is not None and self.questions >= self.persona.opt_out_at
            )
            return self._yes_no("opt_out_confirm", wanted, YES[:4], NO)
        if question.kind == "human_confirm":
            wanted = self.persona.human_at is not None and self.questions >= self.persona.human_at
            return self._yes_no("human_confirm", wanted, YES[:4], NO)
        self.questions += 1
        q = self.questions
        if p.silent_at is not None and q >= p.silent_at:
            return None
        if p.hangup_at == q:
            return Answer(hang_up=True, slot="hangup")
        if p.opt_out_at == q:
            return Answer(self.rng.choice(OPT_OUT), keys="9" if p.dtmf_only else "", slot="opt_out")
        if p.human_at == q:
            return Answer(self.rng.choice(HUMAN), keys="0" if p.dtmf_only else "", slot="human")
        if p.repeat_first and not self.repeated and question.kind != "heard":
            self.repeated = True
            self.questions -= 1  # the same question comes again
            return Answer(self.rng.choice(REPEAT), slot="repeat")
        if question.kind == "temperature":
            return self._temperature()
        if question.kind == "went_out":
            return self._yes_no("went_out", p.went_out, WENT_OUT_YES, WENT_OUT_NO)
        if question.kind == "symptoms":
            has = bool(p.symptoms)
            yes_text = SYMPTOMS_YES.get(p.symptoms[0], "Yes.") if has else ""
            return self._yes_no("symptoms", has, (yes_text,) if has else YES, SYMPTOMS_NO)
        if question.kind == "heard":
            return self._yes_no("heard", True, HEARD, NO)
        return None

    def _keypad(self, question: Question) -> Answer | None:
        """The robot did not understand and asks for the keypad: key in the same fact (the
        temperature, or the yes or no just said; a question not heard gets no keys either)."""
        p = self.persona
        if p.silent_at is not None and self.questions >= p.silent_at:
            return None  # someone who stopped answering does not start pressing keys
        if "temperature" in question.text.lower():
            value = p.temperature
            self.last_value, self.last_slot = value, "temperature"
            return Answer(keys=f"{round(value * 10):d}#", value=value, slot="temperature")
        if isinstance(self.last_value, bool) and self.last_slot in YES_NO_SLOTS:
            truth = self.last_value
            return Answer(keys="1" if truth else "2", value=truth, slot=self.last_slot)
        return None

    def _temperature(self) -> Answer:
        p = self.persona
        value = p.temperature
        if p.misspeak_c is not None and not self.misspoke:
            self.misspoke = True
            value = p.misspeak_c
        self.last_value, self.last_slot = value, "temperature"
        if p.dtmf_only:
            keys = f"{round(value * 10):d}#"
            return Answer(keys=keys, value=value, slot="temperature")
        return Answer(
            say_temperature(value, p.temperature_style, self.rng), value=value, slot="temperature"
        )

    def _yes_no(self, slot: str, truth: bool, yes: tuple[str, ...], no: tuple[str, ...]) -> Answer:
        self.last_value, self.last_slot = truth, slot
        if self.persona.dtmf_only:
            return Answer(keys="1" if truth else "2", value=truth, slot=slot)
        if slot in self.persona.says:
            return Answer(self.persona.says[slot], value=truth, slot=slot)  # type: ignore[index]
        return Answer(self.rng.choice(yes if truth else no), value=truth, slot=slot)

    def _confirm(self, question: Question) -> Answer:
        """The robot reads back what it understood: agree only if it is the truth."""
        heard = _read_back_value(question.text)
        truth: Any
        if self.last_slot == "temperature":
            truth = self.persona.temperature
            right = heard is not None and abs(float(heard) - truth) < 0.05
        else:
            right = True  # yes/no read-backs are not used by the shipped scripts
            truth = self.last_value
        if self.persona.dtmf_only:
            return Answer(keys="1" if right else "2", value=right, slot="confirm")
        return Answer(self.rng.choice(YES[:4] if right else NO), value=right, slot="confirm")


def _read_back_value(text: str) -> float | None:
    """The temperature the robot read back ("I heard thirty seven point two degrees...")."""
    from ivr.understanding import parse_temperature

    lowered = text.lower()
    # the read-back runs from "heard" to the unit or the question; a decimal point is not an end
    match = re.search(
        r"heard (.*?)(?:degrees|celsius|fahrenheit|is that|[.,?!](?:\s|$)|$)", lowered
    )
    fragment = match.group(1) if match else lowered
    unit = " fahrenheit" if "fahrenheit" in lowered else ""
    result = parse_temperature(fragment + unit)
    return None if result is None else result.value
