"""Accents made of espeak-ng's own phonemes, for the heads' training (``asr.accents``)."""

from __future__ import annotations

import zlib

import numpy as np

from asr import accents
from asr.testset import _speak


def test_an_accent_is_the_same_on_every_build_and_accents_differ() -> None:
    def rules(number: int) -> list[tuple[str, str, float]]:
        return [(p.pattern, said, rate) for p, said, rate in accents.accent(number)]

    assert rules(7) == rules(7)
    assert len({tuple(rules(n)) for n in range(accents.ACCENTS)}) == accents.ACCENTS
    for number in range(50):
        chosen = rules(number)
        assert 3 <= len(chosen) <= 7
        assert all(0.5 <= rate <= 1.0 for _, _, rate in chosen)


def test_a_shifted_text_is_espeak_ngs_phonemes_with_the_accents_substitutions() -> None:
    plain = accents.phonemes("en-gb", "thirty eight")
    assert plain.startswith("T") and "eIt" in plain  # the TH of thirty, the FACE of eight
    # an accent that says TH as t, at its rate: "thirty" as "tirty" in some utterances
    th_as_t = next(
        n
        for n in range(accents.ACCENTS)
        if any(p.pattern == "T" and said == "t" for p, said, _ in accents.accent(n))
    )
    said = [accents.shifted("en-gb", "thirty eight", th_as_t, utterance=u) for u in range(20)]
    assert all(s.startswith(("[[t", "[[T")) and s.endswith("]]") for s in said)
    assert any(s.startswith("[[t") for s in said)
    # the same text, accent and utterance: the same phonemes
    assert accents.shifted("en-gb", "thirty eight", th_as_t, utterance=3) == said[3]


def test_half_the_espeak_answers_are_shifted_and_no_other_voice() -> None:
    heard: list[str] = []

    def speak(voice: str, text: str) -> np.ndarray:
        heard.append(text)
        return np.zeros(1, dtype=np.float32)

    speak_shifted = accents.speaking(speak)
    texts = [f"thirty six point {d}" for d in ("one", "two", "three", "four", "five")]
    voices = [f"espeak:en-us+m{n}:150:40" for n in range(1, 7)] + ["piper:1.0", "flite:kal:1.0"]
    shifted = {}
    for voice in voices:
        for text in texts:
            speak_shifted(voice, text)
            shifted[voice, text] = heard[-1].startswith("[[")
    assert not any(on for (voice, _), on in shifted.items() if not voice.startswith("espeak"))
    espeak = [on for (voice, _), on in shifted.items() if voice.startswith("espeak")]
    assert 0.25 < sum(espeak) / len(espeak) < 0.75
    # which answers: by the voice and the text, so a seed's data is the same on every build
    for (voice, text), on in shifted.items():
        key = zlib.crc32(f"{voice}/{text}".encode())
        assert on == (voice.startswith("espeak") and (key % 1000) / 1000 < accents.SHIFTED_SHARE)


def test_espeak_ng_speaks_a_shifted_text() -> None:
    audio = _speak("espeak:en-gb+m3:160:50", accents.shifted("en-gb", "thirty seven", 3, 1))
    # about a second of speech, not the brackets spelt out nor silence
    assert 0.4 < len(audio) / 8000 < 2.0 and float(np.max(np.abs(audio))) > 0.1
