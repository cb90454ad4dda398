"""Accents made of espeak-ng's own, for training voices (``asr.train_ctc --shifted``).

espeak-ng's English voices are a dozen accents; people have hundreds. An accent here is a
consistent set of the substitutions accents make — FACE said as PRICE, the TH of "thirty" as
t or f, rhotic NURSE, h dropped, w as v — applied, each at its own rate, to the phonemes
espeak-ng itself writes for a text (``espeak-ng -x``), and spoken back as ``[[phonemes]]``
by the same voice. A seed's answers are shifted to one of ``ACCENTS`` accents, half of its
espeak-ng answers (``SHIFTED_SHARE``), chosen by the voice and the text, so a seed's data is
the same on every build.
"""

from __future__ import annotations

import random
import re
import subprocess
import zlib
from collections.abc import Callable
from functools import lru_cache

import numpy as np

from ivr.speech.voices import ESPEAK_PREFIX, EspeakVoice, load_voice, program

# (espeak-ng phoneme mnemonics, what an accent may say instead); the patterns keep off the
# insides of diphthongs (the I of aI, the U of aU)
RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"eI", ("aI", "E", "e@")),
    (r"oU", ("O:", "0", "u:")),
    (r"aI(?!@)", ("A:", "OI", "eI")),
    (r"aU", ("A:", "oU", "a")),
    (r"V", ("U", "0", "@")),
    (r"a(?![IU@#:])", ("E", "A:")),
    (r"A:", ("a", "O:")),
    (r"(?<![AO])0", ("A:", "O:")),
    (r"(?<![aOe])I(?![2#@])", ("i:", "E", "@")),
    (r"i:", ("I",)),
    (r"u:", ("U",)),
    (r"(?<![aoA@])U(?!@)", ("u:", "V")),
    (r"3:", ("E", "0r", "@r")),
    (r"(?<![e])E(?!@)", ("eI", "a", "I")),
    (r"T", ("t", "f", "s")),
    (r"D", ("d", "v", "z")),
    (r"(?<![tsdk])h", ("",)),
    (r"w", ("v",)),
    (r"r-", ("r",)),
)
ACCENTS = 400
SHIFTED_SHARE = 0.5

Substitution = tuple[re.Pattern[str], str, float]  # pattern, said instead, how often
Speak = Callable[[str, str], np.ndarray]  # a voice spec and a text to audio


@lru_cache(maxsize=ACCENTS)
def accent(number: int) -> tuple[Substitution, ...]:
    """Accent ``number``: three to seven of the ``RULES``, each with one substitute and a rate
    (built once: every answer of a seed in that accent uses it)."""
    rng = random.Random(f"accent-{number}")
    chosen = rng.sample(RULES, rng.randint(3, 7))
    return tuple((re.compile(p), rng.choice(subs), rng.uniform(0.5, 1.0)) for p, subs in chosen)


def phonemes(voice: str, text: str) -> str:
    """espeak-ng's phoneme mnemonics for ``text`` in ``voice`` (e.g. ``en-gb+m3``)."""
    out = subprocess.run(
        [program("espeak-ng"), "-q", "-x", "-v", voice, text],
        capture_output=True,
        text=True,
        check=True,
    )
    return " ".join(out.stdout.split())


def shifted(voice: str, text: str, number: int, utterance: int) -> str:
    """``text`` as espeak-ng phoneme input (``[[...]]``) in accent ``number``; ``utterance``
    seeds which occurrences are shifted (each rule has its rate)."""
    rng = random.Random(f"{number}/{utterance}")
    said = phonemes(voice, text)
    for pattern, instead, rate in accent(number):

        def maybe(match: re.Match[str], instead: str = instead, rate: float = rate) -> str:
            return instead if rng.random() < rate else match.group(0)

        said = pattern.sub(maybe, said)
    return f"[[{said}]]"


def speaking(speak: Speak) -> Speak:
    """``speak`` (a voice spec and a text to audio) with ``SHIFTED_SHARE`` of espeak-ng's
    texts in one of ``ACCENTS`` accents, chosen by the voice spec and the text."""

    def speak_shifted(voice: str, text: str) -> np.ndarray:
        if voice.startswith(ESPEAK_PREFIX) and text and not text.startswith("[["):
            key = zlib.crc32(f"{voice}/{text}".encode())
            if (key % 1000) / 1000 < SHIFTED_SHARE:
                espeak = load_voice(voice)
                assert isinstance(espeak, EspeakVoice)
                return speak(voice, shifted(espeak.name, text, key % ACCENTS, key))
        return speak(voice, text)

    return speak_shifted
