"""Synthesis to 8 kHz and the content-addressed prompt cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.audio import SAMPLE_RATE, rms_dbfs
from ivr.errors import SpeechError
from ivr.speech import EspeakVoice, PromptCache, Synthesizer, load_voice


def test_piper_speaks_at_telephone_rate(bot_voice: Synthesizer) -> None:
    result = bot_voice.synthesize("What is your temperature today? Please answer after the tone.")
    seconds = len(result.pcm) / (2 * SAMPLE_RATE)
    assert 2.0 < seconds < 8.0
    assert rms_dbfs(result.pcm) > -35
    pieces = list(bot_voice.stream("First sentence. Second sentence."))
    assert len(pieces) == 2  # one piece per sentence: the first can play early


def test_espeak_voices_differ() -> None:
    a = Synthesizer(load_voice("espeak:en-us+m3:140:30")).synthesize("hello there").pcm
    b = Synthesizer(load_voice("espeak:en-gb-scotland+f2:180:70")).synthesize("hello there").pcm
    assert a != b and len(a) > 4000 and len(b) > 4000


def test_flite_voices_speak_at_their_rate_and_stretch() -> None:
    slt = load_voice("flite:slt")
    slow = load_voice("flite:slt:1.4")
    kal = load_voice("flite:kal")
    assert (slt.sample_rate, kal.sample_rate) == (16000, 8000)
    assert slt.identity != slow.identity  # the stretch is part of the cache key

    def seconds(voice) -> float:  # type: ignore[no-untyped-def]
        return sum(len(c) for c in voice.chunks("thirty six point eight")) / voice.sample_rate

    assert 1.0 < seconds(slt) < 3.0
    assert seconds(slow) > 1.25 * seconds(slt)
    assert 1.0 < seconds(kal) < 3.0
    with pytest.raises(SpeechError, match="flite voice 'nobody'"):
        load_voice("flite:nobody")  # refused when configured, not at the first call
    for spec in ("flite:slt:slow", "flite:slt:0", "espeak:en-us:fast", "flite:slt:1:2"):
        with pytest.raises(SpeechError, match="voice"):
            load_voice(spec)


def test_prompt_cache_renders_once(tmp_path: Path) -> None:
    class Counting(Synthesizer):
        calls = 0

        def synthesize(self, text: str):  # type: ignore[no-untyped-def]
            Counting.calls += 1
            return super().synthesize(text)

    cache = PromptCache(tmp_path, Counting(EspeakVoice("en-us")))
    paths = cache.render_many(["Did you go out today?", "Any cough?", "Did you go out today?"])
    assert len(paths) == 2 and all(p.is_file() for p in paths.values())
    assert Counting.calls == 2
    assert cache.get("Any cough?") == cache.cached("Any cough?")
    assert Counting.calls == 2  # served from the cache
    other = PromptCache(tmp_path, Counting(EspeakVoice("en-us", speed=120)))
    assert other.key("Any cough?") != cache.key("Any cough?")  # voice settings are in the key


def test_unknown_voice_is_refused() -> None:
    with pytest.raises(SpeechError):
        load_voice("no-such-voice")
