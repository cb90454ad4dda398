"""Speech out: voices (piper, espeak-ng), 8 kHz synthesis, and the pre-rendered prompt cache.

synthesizer = Synthesizer(load_voice(settings.tts_voice))
cache = PromptCache(settings.prompt_cache_path, synthesizer)
cache.render_many(script_prompts)      # before the first call
pcm = cache.get("What is your temperature today?")   # 8 kHz slin
"""

from __future__ import annotations

from functools import lru_cache

from ivr.speech.prompt_cache import PromptCache
from ivr.speech.synthesizer import Synthesis, Synthesizer
from ivr.speech.voices import (
    BUNDLED_PIPER_VOICE,
    EspeakVoice,
    FliteVoice,
    PiperSettings,
    PiperVoice,
    Voice,
    load_voice,
)


@lru_cache(maxsize=8)
def shared_synthesizer(voice_spec: str, length_scale: float = 1.0) -> Synthesizer:
    """One synthesizer per voice per process: a piper model loads once and serves every call."""
    return Synthesizer(load_voice(voice_spec, length_scale=length_scale))


__all__ = [
    "BUNDLED_PIPER_VOICE",
    "EspeakVoice",
    "FliteVoice",
    "PiperSettings",
    "PiperVoice",
    "PromptCache",
    "Synthesis",
    "Synthesizer",
    "Voice",
    "load_voice",
    "shared_synthesizer",
]
