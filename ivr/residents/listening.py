"""How a simulated resident hears the robot: when it stops talking, and what it asked.

The robot's side of a Local channel is clean synthesized speech with digital silence between
prompts, so an energy threshold finds its turns reliably and cheaply. What it asked is
recognised the way a person would: by listening (Whisper tiny.en, greedy, on the last seconds
of the turn), with a cache keyed by the audio itself, since the robot repeats its fixed prompts
to every household.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ivr.audio import FRAME_MS, SAMPLE_RATE, rms_dbfs, to_float

SPEECH_DBFS = -40.0
TAIL_S = 6.0  # the question is at the end of a turn; a notice before it need not be heard


@dataclass
class BotTurn:
    pcm: bytes
    speech_ms: int


class TurnDetector:
    """Feed the robot's frames; ``push`` returns a BotTurn when the robot has stopped talking
    (some speech, then ``end_silence_ms`` of silence)."""

    def __init__(self, end_silence_ms: int = 700, min_speech_ms: int = 200) -> None:
        self.end_silence_ms = end_silence_ms
        self.min_speech_ms = min_speech_ms
        self.reset()

    def reset(self) -> None:
        self._frames: list[bytes] = []
        self._speech_ms = 0
        self._silence_ms = 0
        self.speaking_since_ms = 0  # how long the current turn has had speech

    @property
    def in_turn(self) -> bool:
        return self._speech_ms >= self.min_speech_ms

    def push(self, frame: bytes) -> BotTurn | None:
        loud = rms_dbfs(frame) > SPEECH_DBFS
        if loud:
            self._speech_ms += FRAME_MS
            self._silence_ms = 0
        elif self._speech_ms:
            self._silence_ms += FRAME_MS
        if self._speech_ms:
            self._frames.append(frame)
        if self.in_turn and self._silence_ms >= self.end_silence_ms:
            turn = BotTurn(b"".join(self._frames), self._speech_ms)
            self.reset()
            return turn
        if not self.in_turn and self._silence_ms >= self.end_silence_ms:
            self.reset()  # a click, not a turn
        return None


class BotSpeechRecognizer:
    """Whisper tiny.en, greedy, one thread: cheap enough for the simulator's side of 60 calls."""

    def __init__(self, model_dir: Path, threads: int = 1) -> None:
        from faster_whisper import WhisperModel

        self._model = WhisperModel(
            str(model_dir), device="cpu", compute_type="int8", cpu_threads=threads
        )
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sim-asr")
        self._cache: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def _transcribe(self, pcm: bytes) -> str:
        from ivr.audio import resample

        audio = resample(to_float(pcm), SAMPLE_RATE, 16000)
        segments, _ = self._model.transcribe(
            audio,
            language="en",
            beam_size=1,
            condition_on_previous_text=False,
            without_timestamps=True,
            vad_filter=False,
        )
        return " ".join(s.text.strip() for s in segments).strip()

    async def transcribe_tail(self, pcm: bytes) -> str:
        tail = pcm[-int(TAIL_S * SAMPLE_RATE) * 2 :]
        key = hashlib.sha1(_trim(tail)).hexdigest()  # noqa: S324 - a cache key, not security
        with self._lock:
            if key in self._cache:
                self.hits += 1
                self._cache.move_to_end(key)
                return self._cache[key]
        loop = asyncio.get_running_loop()
        text = await loop.run_in_executor(self._executor, self._transcribe, tail)
        with self._lock:
            self.misses += 1
            self._cache[key] = text
            if len(self._cache) > 2000:
                self._cache.popitem(last=False)
        return text


def _trim(pcm: bytes) -> bytes:
    samples = np.frombuffer(pcm, dtype="<i2")
    loud = np.flatnonzero(np.abs(samples) > 64)
    if loud.size == 0:
        return b""
    return samples[loud[0] : loud[-1] + 1].tobytes()


# -- what the robot asked ----------------------------------------------------------------------

_CONFIRM = re.compile(r"\b(is that (right|correct)|did i (get|hear) (that|you) right|correct\?)")
_GOODBYE = re.compile(r"\b(goodbye|good bye|bye now|have a (good|nice) day)\b")


@dataclass(frozen=True)
class Question:
    kind: str  # temperature | went_out | symptoms | heard | confirm | goodbye | who | other
    text: str


def classify(text: str) -> Question:
    """What a person would take the robot's last words to ask."""
    lowered = text.lower()
    if _CONFIRM.search(lowered):
        return Question("confirm", text)
    if "temperature" in lowered:
        return Question("temperature", text)
    if re.search(r"\b(go|went|been|going) out|\bleave (your|the) (home|house)|outside", lowered):
        return Question("went_out", text)
    if re.search(r"cough|fever|symptom|sore throat|unwell", lowered):
        return Question("symptoms", text)
    if re.search(
        r"did you (hear|get|understand)|can you confirm|please confirm|understood", lowered
    ):
        return Question("heard", text)
    if _GOODBYE.search(lowered):
        return Question("goodbye", text)
    return Question("other", text)
