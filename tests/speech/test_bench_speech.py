"""`ivr bench speech`'s grouping of clips (its figures come from running it, not from tests)."""

from __future__ import annotations

import pytest

from ivr.cli.bench_speech import _accent


@pytest.mark.parametrize(
    ("voice", "accent"),
    [
        ("espeak:en-us-nyc+m2:150:40", "en-us-nyc"),
        ("espeak:en-gb-x-gbcwmd+Andy:135:50", "en-gb-x-gbcwmd"),
        ("espeak:en-gb:150:40", "en-gb"),
        ("piper:1.15", None),
        ("flite:awb:1.00", None),
        (None, None),
    ],
)
def test_accent_of_a_voice_spec(voice: str | None, accent: str | None) -> None:
    assert _accent(voice) == accent
