"""Text → telephone audio (8 kHz slin) with any voice, whole or streamed sentence by sentence."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from concurrent.futures import Executor
from dataclasses import dataclass

from ivr.audio import SAMPLE_RATE, from_float, resample
from ivr.speech.voices import Voice


@dataclass(frozen=True)
class Synthesis:
    pcm: bytes  # 8 kHz slin
    first_audio_ms: float  # until the first sentence was ready
    total_ms: float

    @property
    def real_time_factor(self) -> float:
        seconds = len(self.pcm) / (2 * SAMPLE_RATE)
        return self.total_ms / 1000.0 / seconds if seconds else 0.0


class Synthesizer:
    def __init__(self, voice: Voice) -> None:
        self.voice = voice

    def stream(self, text: str) -> Iterator[bytes]:
        """8 kHz slin, one piece per sentence: the first can play while the rest renders."""
        for chunk in self.voice.chunks(text):
            yield from_float(resample(chunk, self.voice.sample_rate, SAMPLE_RATE))

    def synthesize(self, text: str) -> Synthesis:
        started = time.perf_counter()
        first: float | None = None
        pieces = []
        for piece in self.stream(text):
            if first is None:
                first = time.perf_counter()
            pieces.append(piece)
        ended = time.perf_counter()
        return Synthesis(
            b"".join(pieces), 1000.0 * ((first or ended) - started), 1000.0 * (ended - started)
        )

    async def synthesize_async(self, text: str, executor: Executor | None = None) -> bytes:
        """Off the event loop: synthesis is CPU work."""
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(executor, self.synthesize, text)
        return result.pcm
