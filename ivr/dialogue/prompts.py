"""The robot's voice for one script: every prompt rendered before it is needed.

Prompts are cached sentence by sentence, so "Hello, this is the committee, calling building 12,
room 301." is the only sentence rendered per household while the rest of each prompt, and every
read-back of a temperature, is rendered once per voice and shared by all calls. A prompt that
was somehow not rendered ahead is synthesised on demand (and logged: it delays the call).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ivr.audio import SAMPLE_RATE, SAMPLE_WIDTH
from ivr.config import Settings
from ivr.script.model import PLACEHOLDER, Script
from ivr.script.render import fill, spoken_temperature

log = logging.getLogger(__name__)

SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
SENTENCE_GAP = bytes(int(0.3 * SAMPLE_RATE) * SAMPLE_WIDTH)  # between sentences
TEMPERATURE_READ_BACKS = [round(34.0 + i / 10, 1) for i in range(86)]  # 34.0 … 42.5 °C
_render_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tts")


def trim_silence(pcm: bytes, threshold: int = 100, margin_ms: int = 60) -> bytes:
    """Cut a sentence's leading and trailing silence (voices add up to half a second each),
    so the pause between sentences is SENTENCE_GAP and not long enough to sound finished."""
    samples = np.frombuffer(pcm, dtype="<i2")
    loud = np.flatnonzero(np.abs(samples) > threshold)
    if loud.size == 0:
        return pcm
    margin = margin_ms * SAMPLE_RATE // 1000
    begin, end = max(0, int(loud[0]) - margin), min(len(samples), int(loud[-1]) + margin)
    return samples[begin:end].tobytes()


def sentences(text: str) -> list[str]:
    return [s for s in SENTENCE_END.split(text.strip()) if s]


class PromptBook:
    def __init__(self, settings: Settings, voice: str | None = None) -> None:
        from ivr.speech import PromptCache, shared_synthesizer

        self.settings = settings
        synthesizer = shared_synthesizer(voice or settings.tts_voice, settings.tts_length_scale)
        self.cache = PromptCache(settings.prompt_cache_dir, synthesizer)
        self.on_demand = 0  # prompts that were not rendered ahead (each delayed a call)

    # -- rendering ahead ------------------------------------------------------------------------

    def render_texts(self, texts: Iterable[str]) -> int:
        """Render every sentence of ``texts`` not cached yet (blocking; call off the loop)."""
        missing = [s for t in texts for s in sentences(t) if not self.cache.path(s).is_file()]
        self.cache.render_many(missing)
        return len(set(missing))

    async def render_ahead(self, texts: Iterable[str]) -> int:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(_render_pool, self.render_texts, list(texts))

    # -- at call time -----------------------------------------------------------------------------

    async def audio(self, text: str) -> bytes:
        pieces = []
        for sentence in sentences(text):
            pcm = self.cache.cached(sentence)
            if pcm is None:
                self.on_demand += 1
                log.warning("prompt sentence not rendered ahead: %r", sentence[:60])
                loop = asyncio.get_running_loop()
                pcm = await loop.run_in_executor(_render_pool, self.cache.get, sentence)
            pieces.append(trim_silence(pcm))
        return SENTENCE_GAP.join(pieces)


def fixed_texts(script: Script) -> list[str]:
    """Every sentence of the script that is the same for all households, and the read-backs
    of every plausible temperature."""
    texts: list[str] = []
    for text in _all_texts(script):
        texts += [s for s in sentences(text) if not PLACEHOLDER.search(s)]
    confirm_templates = {script.messages.confirm} | {
        s.confirm for s in script.steps.values() if isinstance(s.confirm, str)
    }
    if any(s.expect == "temperature" and s.confirm for s in script.steps.values()):
        for template in confirm_templates:
            for value in TEMPERATURE_READ_BACKS:
                texts += [
                    s
                    for s in sentences(template.replace("{value}", spoken_temperature(value)))
                    if not PLACEHOLDER.search(s)
                ]
    return texts


def household_texts(script: Script, values: dict[str, Any]) -> list[str]:
    """The sentences that differ per household, filled with this household's values."""
    texts = []
    for text in _all_texts(script):
        for sentence in sentences(text):
            if PLACEHOLDER.search(sentence) and "{value}" not in sentence:
                texts.append(fill(sentence, values))
    return texts


def _all_texts(script: Script) -> list[str]:
    texts = [step.text for step in script.steps.values()]
    for step in script.steps.values():
        texts += [t for t in (step.reprompt.no_input, step.reprompt.no_match, step.reprompt.keypad)
                  if t]  # fmt: skip
        if step.ask is not None:
            messages = script.messages
            texts += [f"{messages.no_input} {step.ask}", f"{messages.no_match} {step.ask}"]
    texts += [text for name, text in script.messages.model_dump().items() if name != "confirm"]
    return texts
