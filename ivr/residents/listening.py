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
WINDOW_S = 8.0  # shorter windows make tiny.en repeat itself
TAIL_S = 6.0  # the question is at the end of a turn; a long notice before it need not be heard
PIECE_GAP = bytes(int(0.3 * SAMPLE_RATE) * 2)


@dataclass
class BotTurn:
    pcm: bytes
    speech_ms: int


class TurnDetector:
    """Feed the robot's frames; ``push`` returns a BotTurn when the robot has stopped talking
    (some speech, then ``end_silence_ms`` of silence)."""

    def __init__(self, end_silence_ms: int = 900, min_speech_ms: int = 200) -> None:
        self.end_silence_ms = end_silence_ms
        self.min_speech_ms = min_speech_ms
        self.reset()

    def reset(self) -> None:
        self._frames: list[bytes] = []
        self._speech_ms = 0
        self._silence_ms = 0
        self.speaking_since_ms = 0  # how long the current turn has had speech

    @property
    def speech_ms(self) -> int:
        """Speech heard so far in the current turn."""
        return self._speech_ms

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

    def flush(self) -> BotTurn | None:
        """The turn in progress, if there is one, as it stands (the line has ended)."""
        turn = BotTurn(b"".join(self._frames), self._speech_ms) if self.in_turn else None
        self.reset()
        return turn


class BotSpeechRecognizer:
    """Whisper tiny.en, greedy, one thread: cheap enough for the simulator's side of 60 calls."""

    def __init__(self, model_dir: Path, threads: int = 1) -> None:
        from faster_whisper import WhisperModel

        self._model = WhisperModel(
            str(model_dir), device="cpu", compute_type="int8", cpu_threads=threads
        )
        from faster_whisper.tokenizer import Tokenizer

        self._tokenizer = Tokenizer(self._model.hf_tokenizer, self._model.model.is_multilingual,
                                    task="transcribe", language="en")  # fmt: skip
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sim-asr")
        self._cache: OrderedDict[str, str] = OrderedDict()
        self._inflight: dict[str, asyncio.Future[str]] = {}
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def _transcribe(self, pcm: bytes) -> str:
        """Greedy decoding on a window just longer than the piece (Whisper's fixed 30 s window
        costs several times more and the simulator must answer as fast as a person)."""
        import ctranslate2

        from ivr.audio import resample

        audio = resample(to_float(pcm), SAMPLE_RATE, 16000)
        window_s = min(30.0, max(WINDOW_S, len(audio) / 16000 + 1.0))
        padded = np.zeros(int(window_s * 16000), dtype=np.float32)
        padded[: len(audio)] = audio[: len(padded)]
        features = self._model.feature_extractor(padded)[:, : int(window_s * 100)]
        encoded = self._model.model.encode(
            ctranslate2.StorageView.from_array(np.ascontiguousarray(features[None])), to_cpu=True
        )
        tokenizer = self._tokenizer
        result = self._model.model.generate(
            encoded, [[*tokenizer.sot_sequence, tokenizer.no_timestamps]],
            beam_size=1, max_length=96, suppress_blank=True,
        )[0]  # fmt: skip
        return tokenizer.decode(result.sequences_ids[0]).strip()

    async def transcribe_turn(self, pcm: bytes) -> str:
        """What the robot said at the end of its turn (its question), sentence by sentence.

        The turn is cut at its pauses and only its last few seconds (the question) are listened
        to; what was heard is remembered by the audio, so a question the robot asks every
        household costs nothing after the first call.
        """
        pieces = _last_pieces(pcm, TAIL_S)
        # one decode of the pieces joined (a decode costs the same for 1 s or 8 s of speech);
        # trimmed pieces make the same question the same bytes, whatever frame it began in
        return await self._piece_text(PIECE_GAP.join(pieces))

    async def _piece_text(self, piece: bytes) -> str:
        key = hashlib.sha1(piece).hexdigest()  # noqa: S324 - a cache key, not security
        with self._lock:
            text = self._cache.get(key)
            if text is not None:
                self.hits += 1
                self._cache.move_to_end(key)
                return text
        # many calls hear the same sentence at once: recognise it once for all of them
        pending = self._inflight.get(key)
        if pending is None:
            loop = asyncio.get_running_loop()
            pending = asyncio.ensure_future(
                loop.run_in_executor(self._executor, self._transcribe, piece)
            )
            self._inflight[key] = pending
            pending.add_done_callback(lambda _f: self._inflight.pop(key, None))
        text = await asyncio.shield(pending)
        with self._lock:
            if key not in self._cache:
                self.misses += 1
                self._cache[key] = text
                if len(self._cache) > 5000:
                    self._cache.popitem(last=False)
        return text


def _last_pieces(pcm: bytes, seconds: float, gap_ms: int = 250) -> list[bytes]:
    """The turn's last pieces of speech (cut at pauses of ``gap_ms``), up to ``seconds`` in
    all; each trimmed to its first and last loud sample, so the same sentence gives the same
    bytes whatever frame it started in."""
    samples = np.frombuffer(pcm, dtype="<i2")
    frame = SAMPLE_RATE * FRAME_MS // 1000
    loud = [
        bool(np.abs(samples[i : i + frame]).max(initial=0) > 300)
        for i in range(0, len(samples), frame)
    ]
    pieces: list[tuple[int, int]] = []
    start = None
    quiet = 0
    for index, is_loud in enumerate(loud):
        if is_loud:
            if start is None:
                start = index
            quiet = 0
        elif start is not None:
            quiet += 1
            if quiet * FRAME_MS >= gap_ms:
                pieces.append((start, index - quiet + 1))
                start, quiet = None, 0
    if start is not None:
        pieces.append((start, len(loud)))
    chosen: list[bytes] = []
    total = 0.0
    for begin, end in reversed(pieces):
        chunk = _trim(samples[begin * frame : end * frame].tobytes())
        if not chunk:
            continue
        chosen.insert(0, chunk)
        total += len(chunk) / (2 * SAMPLE_RATE)
        if total >= seconds:
            break
    return chosen


def _trim(pcm: bytes) -> bytes:
    samples = np.frombuffer(pcm, dtype="<i2")
    loud = np.flatnonzero(np.abs(samples) > 64)
    if loud.size == 0:
        return b""
    return samples[loud[0] : loud[-1] + 1].tobytes()


# -- what the robot asked ----------------------------------------------------------------------

_CONFIRM = re.compile(r"\b(is that (right|correct)|did i (get|hear) (that|you) right|correct\?)")
# the robot's last try: "Please press 1 for yes, or 2 for no." / "Please key in your ..."
_KEYPAD = re.compile(r"\bpress (1|one)\b|\bkey (it )?in\b|\bkeypad\b|\bhash key\b")
_GOODBYE = re.compile(r"\b(goodbye|good bye|bye now|have a (good|nice) day)\b")


@dataclass(frozen=True)
class Question:
    kind: str  # temperature | went_out | symptoms | heard | confirm | keypad | goodbye | other,
    # or opt_out_confirm | human_confirm | handover
    text: str


def classify(text: str) -> Question:
    """What a person would take the robot's last words to ask."""
    lowered = text.lower()
    if re.search(r"not (to )?call you|stop calling|never (to )?call", lowered):
        return Question("opt_out_confirm", text)
    if re.search(r"like to speak to (a member of )?staff|like to speak to a person", lowered):
        return Question("human_confirm", text)
    if re.search(r"connect(ing)? you|member of staff will|staff are busy", lowered):
        return Question("handover", text)
    if _CONFIRM.search(lowered):
        return Question("confirm", text)
    if _KEYPAD.search(lowered) and not re.search(r"\bsay\b", lowered):
        return Question("keypad", text)  # "you can say it, or key it in" asks to speak
    if "temperature" in lowered:
        return Question("temperature", text)
    # "did you go ...?" alone will do: the simulator's greedy decode of some renders of the
    # prompt writes "Did you go up today?", which a person on the line would still understand
    if re.search(
        r"\b(go|went|been|going) out|\bleave (your|the) (home|house)|outside|\bdid you go\b",
        lowered,
    ):
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
