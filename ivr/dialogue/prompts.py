"""The robot's voice for one script: every prompt rendered before it is needed.

Prompts are cached sentence by sentence and shared by all calls: the same sentence is rendered
once per voice, and so is every read-back of a temperature. A sentence that names the household
itself ("... calling building 12, room 301.") would be new for every household; synthesising
one per call took a core of this machine during a campaign, so such a sentence is *composed*
from pieces rendered once each ("... calling building", "12", "room", "301"). A prompt that was
somehow not rendered ahead is synthesised on demand (and logged: it delays the call).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict
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
PIECE_GAP = bytes(int(0.06 * SAMPLE_RATE) * SAMPLE_WIDTH)  # between pieces of a composed one
COMMA_GAP = bytes(int(0.18 * SAMPLE_RATE) * SAMPLE_WIDTH)  # where the sentence had a comma
# placeholders whose value differs from household to household: sentences with them are composed
PER_HOUSEHOLD = ("building", "unit", "room", "name")
_PER_HOUSEHOLD_PLACEHOLDER = re.compile(r"(\{\s*(?:" + "|".join(PER_HOUSEHOLD) + r")\s*\})")
COMPOSED_KEEP = 5000  # composed sentences remembered (households prepared ahead of their call)
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
        self.composed: OrderedDict[str, list[tuple[str, bytes]]] = OrderedDict()

    def compose(self, sentence: str, pieces: list[tuple[str, bytes]]) -> None:
        """Say ``sentence`` as ``pieces`` (each text, and the gap before it)."""
        self.composed[sentence] = pieces
        self.composed.move_to_end(sentence)
        while len(self.composed) > COMPOSED_KEEP:
            self.composed.popitem(last=False)

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
        spoken = []
        for sentence in sentences(text):
            pieces = self.composed.get(sentence)
            if pieces is None:
                spoken.append(await self._sentence(sentence))
                continue
            joined = b""
            for index, (piece, gap) in enumerate(pieces):
                joined += (gap if index else b"") + await self._sentence(piece)
            spoken.append(joined)
        return SENTENCE_GAP.join(spoken)

    async def _sentence(self, sentence: str) -> bytes:
        pcm = self.cache.cached(sentence)
        if pcm is None:
            self.on_demand += 1
            log.warning("prompt sentence not rendered ahead: %r", sentence[:60])
            loop = asyncio.get_running_loop()
            pcm = await loop.run_in_executor(_render_pool, self.cache.get, sentence)
        return trim_silence(pcm)


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


def household_texts(
    script: Script, values: dict[str, Any], book: PromptBook | None = None
) -> list[str]:
    """What must be rendered before this household is called: its sentences that differ from
    other households'. A sentence naming the household itself is registered with ``book`` as
    composed, and only its pieces are returned (most of them cached already)."""
    texts = []
    for text in _all_texts(script):
        for sentence in sentences(text):
            if not PLACEHOLDER.search(sentence) or "{value}" in sentence:
                continue
            pieces = _pieces(sentence, values)
            if pieces is None:
                texts.append(fill(sentence, values))
                continue
            if book is not None:
                book.compose(fill(sentence, values), pieces)
            texts += [piece for piece, _ in pieces]
    return texts


def _pieces(template: str, values: dict[str, Any]) -> list[tuple[str, bytes]] | None:
    """``template`` cut after each per-household value, filled; None if it has none.

    Each piece is the words leading up to a value and the value ("... for building 12",
    "room 301"): a value is said in its phrase, as one would say it, and the pieces repeat
    across households (93 buildings, a few dozen room numbers) instead of one per household.
    """
    parts = _PER_HOUSEHOLD_PLACEHOLDER.split(template)
    if len(parts) == 1:
        return None
    pieces: list[tuple[str, bytes]] = []
    gap = PIECE_GAP
    for lead, value in zip(parts[0::2], [*parts[1::2], ""], strict=True):
        text = fill(lead + value, values).strip()
        if text.startswith(","):
            gap = COMMA_GAP
        words = text.strip(" ,;:")
        if words and not re.fullmatch(r"[.!?]+", words):
            pieces.append((words, gap))
            gap = PIECE_GAP
    return pieces


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
