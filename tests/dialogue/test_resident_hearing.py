"""What a simulated resident takes the robot's words to ask (ivr.residents.listening.classify)."""

from __future__ import annotations

import pytest

from ivr.residents.listening import classify


@pytest.mark.parametrize(
    ("heard", "kind"),
    [
        ("Did you go out today? Please say yes or no.", "went_out"),
        # how the simulator's own greedy decode heard one render of that prompt (a CI run's)
        ("Did you go up today?", "went_out"),
        ("Did you get the times for the masks?", "heard"),
        ("Do you have a cough, a fever, or any other symptoms?", "symptoms"),
        ("What is your temperature today?", "temperature"),
        ("Sorry about that.", "other"),
    ],
)
def test_a_question_is_taken_as_a_person_would(heard: str, kind: str) -> None:
    assert classify(heard).kind == kind
