"""Speech fixtures: one recognizer per test session, the generated test set, a piper voice."""

from __future__ import annotations

from pathlib import Path

import pytest

from asr.recognizer import Recognizer
from asr.testset import build
from ivr.config import Settings, load_settings
from ivr.speech import PiperSettings, PiperVoice, Synthesizer
from ivr.speech.voices import bundled_piper_model

CI_PER_KIND = 24  # clips per kind of answer and split: enough for a floor, quick to run


@pytest.fixture(scope="session")
def speech_settings() -> Settings:
    return load_settings()


@pytest.fixture(scope="session")
def recognizer(speech_settings: Settings) -> Recognizer:
    return Recognizer.shared(speech_settings)


@pytest.fixture(scope="session")
def testset_manifest(speech_settings: Settings) -> Path:
    return build(speech_settings.cache_dir, per_kind=CI_PER_KIND)


@pytest.fixture(scope="session")
def speaker_manifest(speech_settings: Settings) -> Path:
    """The held-out phrasings spoken by flite's awb, a voice no training or tuning heard."""
    return build(speech_settings.cache_dir, per_kind=CI_PER_KIND, splits=("speaker",))


@pytest.fixture(scope="session")
def bot_voice() -> Synthesizer:
    """The bot's piper voice without its sampling noise: the same audio on every run, so a test
    of what is heard in it passes or fails for good (with the noise, an onset or a reading
    moved now and then)."""
    settings = PiperSettings(noise_scale=0.0, noise_w_scale=0.0)
    return Synthesizer(PiperVoice(bundled_piper_model(), settings))


def spoken(voice: Synthesizer, text: str) -> bytes:
    """``text`` in ``voice`` with a quarter second of silence either side, as a call hears it."""
    return bytes(4000) + voice.synthesize(text).pcm + bytes(4000)
