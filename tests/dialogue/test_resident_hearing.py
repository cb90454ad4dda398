"""What a simulated resident takes the robot's words to ask (ivr.residents.listening.classify)."""

from __future__ import annotations

import random

import pytest

from ivr.residents.listening import classify
from ivr.residents.persona import Persona
from ivr.residents.phrasing import Mind


@pytest.mark.parametrize(
    ("heard", "kind"),
    [
        ("Did you go out today? Please say yes or no.", "went_out"),
        # how the simulator's own greedy decode heard one render of that prompt (a CI run's)
        ("Did you go up today?", "went_out"),
        ("Did you get the times for the masks?", "heard"),
        ("Do you have a cough, a fever, or any other symptoms?", "symptoms"),
        ("What is your temperature today?", "temperature"),
        ("Please press 1 for yes, or 2 for no.", "keypad"),
        ("Please key in your temperature, for example 3 6 5, then the hash key.", "keypad"),
        # the first ask offers the keypad but wants it said
        (
            "What is your temperature today? You can say it, or key it in, for example 3 6 5, "
            "then the hash key.",
            "temperature",
        ),
        ("Sorry about that.", "other"),
    ],
)
def test_a_question_is_taken_as_a_person_would(heard: str, kind: str) -> None:
    assert classify(heard).kind == kind


def test_the_keypad_is_used_for_the_fact_just_said() -> None:
    mind = Mind(Persona(temperature=36.4, went_out=True), random.Random(1))
    mind.answer(classify("What is your temperature today?"))
    keyed = mind.answer(classify("Please key in your temperature, then the hash key."))
    assert keyed is not None and keyed.keys == "364#"
    mind.answer(classify("Did you go out today? Please say yes or no."))
    keyed = mind.answer(classify("Please press 1 for yes, or 2 for no."))
    assert keyed is not None and (keyed.keys, keyed.slot) == ("1", "went_out")
    silent = Mind(Persona(silent_at=1), random.Random(1))
    assert silent.answer(classify("What is your temperature today?")) is None
    assert silent.answer(classify("Please key in your temperature, then the hash key.")) is None
