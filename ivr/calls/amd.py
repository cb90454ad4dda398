"""Answering-machine detection on the call's own audio stream.

The rules are app_amd's (Asterisk): a person answers with a short "Hello?" and waits; a
machine is silent for long, or talks for long, or says many words. What app_amd cannot do is
tell a voice from the line: it calls every 20 ms frame whose mean level is over one fixed
threshold a voice. Whatever the threshold, one kind of person loses (measured through the
embedded Asterisk, docs/decisions.md "Answering machines told by voice, not by level"):

- at 256 (≈ -40 dBFS), a resident far from the phone (voiced audio near -42 dBFS) is
  silence, so a machine (INITIALSILENCE) that gets the voicemail message;
- at 80 (≈ -50 dBFS), a resident in a noisy place (street, fan: noise at -50 dBFS or more)
  is one long greeting, so a machine (LONGGREETING).

Here each frame is voice or not by Silero, which hears a quiet voice and not steady noise;
the rules and their settings (``amd_*``) are app_amd's, and the verdicts have its form
(``HUMAN-800-800``, ``LONGGREETING-1500-1500``), so the call records read as before.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from asr.endpointer import MAX_CALLER_GAIN_DB, NOMINAL_SPEECH_DBFS
from asr.silero import SileroStream
from ivr.audio import FRAME_BYTES, FRAME_MS, rms_dbfs
from ivr.audiosocket import Audio, AudioSocketSession, Dtmf, Hangup

if TYPE_CHECKING:
    from ivr.config import Settings

VOICE_PROBABILITY = 0.5  # Silero at or over this: voice
SILENCE_PROBABILITY = 0.35  # under this: silence; between, a frame keeps the last verdict
# Silero hears talk far in the background too (a television 40 dB under the resident). A
# frame is the resident's voice only at this level or over (5 dB under the recogniser's gate
# for an answer's mean level, asr_min_speech_dbfs: a quiet voice's frames spread around its
# mean) and no more than BACKGROUND_BELOW_DB under the loudest voice so far.
VOICE_MIN_DBFS = -55.0
BACKGROUND_BELOW_DB = 20.0


@dataclass(frozen=True)
class AmdConfig:
    """app_amd's parameters, in milliseconds (``amd_*`` settings)."""

    total_analysis_ms: int = 5000
    initial_silence_ms: int = 2500
    after_greeting_silence_ms: int = 800
    greeting_ms: int = 1500
    min_word_ms: int = 100
    max_word_ms: int = 5000
    between_words_silence_ms: int = 50
    max_words: int = 2

    @classmethod
    def from_settings(cls, settings: Settings) -> AmdConfig:
        return cls(
            total_analysis_ms=settings.amd_total_analysis_time,
            initial_silence_ms=settings.amd_initial_silence,
            after_greeting_silence_ms=settings.amd_after_greeting_silence,
            greeting_ms=settings.amd_greeting,
            min_word_ms=settings.amd_min_word_length,
            max_word_ms=settings.amd_maximum_word_length,
            between_words_silence_ms=settings.amd_between_words_silence,
            max_words=settings.amd_maximum_number_of_words,
        )


@dataclass(frozen=True)
class AmdVerdict:
    status: str  # HUMAN | MACHINE | NOTSURE | HANGUP
    cause: str  # as app_amd words it: "HUMAN-800-800", "INITIALSILENCE-2500-2500", ...
    analysed_ms: int  # audio heard before the verdict
    greeting_dbfs: float | None = None  # level of their voiced audio (RMS); None: no voice


class VoiceFrames:
    """Whether each 20 ms frame of a line is the resident's voice (Silero, with hysteresis; not
    too quiet, not talk far behind them), and the level of those that are.

    Silero hears a quiet line raised, as the endpointer hears a quiet caller: by as much as
    brings the loudest frame so far (voice or not) to ``NOMINAL_SPEECH_DBFS``, at most
    ``MAX_CALLER_GAIN_DB``. Left as it came, a "Hello?" 32 dB down (near -45 dBFS) that began
    in the stream's first frames peaked at 0.42-0.49 and the resident was a machine
    (INITIALSILENCE) in 11 of 12 calls through the embedded Asterisk. The level gate below is
    on the line's own level, so the gain lets no quieter talk through."""

    def __init__(self) -> None:
        self._silero = SileroStream()
        self._voice = False  # Silero's verdict on the last frame
        self._peak_dbfs = -120.0  # the loudest frame so far, voice or not
        self._loudest_dbfs = VOICE_MIN_DBFS  # the loudest voiced frame so far
        self._voiced_power = 0.0
        self.voiced_frames = 0

    def is_voice(self, frame: bytes) -> bool:
        if len(frame) != FRAME_BYTES:
            raise ValueError(f"a frame is {FRAME_BYTES} bytes of 8 kHz slin, got {len(frame)}")
        samples = np.frombuffer(frame, dtype="<i2").astype(np.float32) / 32768.0
        power = float(np.mean(np.square(samples)))
        level = 10.0 * math.log10(max(power, 1e-12))
        self._peak_dbfs = max(self._peak_dbfs, level)
        gain_db = min(MAX_CALLER_GAIN_DB, max(0.0, NOMINAL_SPEECH_DBFS - self._peak_dbfs))
        heard = np.clip(samples * 10.0 ** (gain_db / 20.0), -1.0, 1.0) if gain_db else samples
        for probability in self._silero.feed(heard):
            if probability >= VOICE_PROBABILITY:
                self._voice = True
            elif probability < SILENCE_PROBABILITY:
                self._voice = False
        if not self._voice or level < max(VOICE_MIN_DBFS, self._loudest_dbfs - BACKGROUND_BELOW_DB):
            return False
        self._loudest_dbfs = max(self._loudest_dbfs, level)
        self._voiced_power += power
        self.voiced_frames += 1
        return True

    @property
    def level_dbfs(self) -> float | None:
        """RMS level of the voiced frames so far (None: none yet)."""
        if not self.voiced_frames:
            return None
        return 10.0 * math.log10(max(self._voiced_power / self.voiced_frames, 1e-12))


class MachineDetector:
    """Feed the first frames of an answered call; ``push`` returns the verdict once there is
    one (then the detector is done)."""

    def __init__(self, config: AmdConfig | None = None) -> None:
        self.config = config or AmdConfig()
        self._voice = VoiceFrames()
        self.total_ms = 0
        self._silence_ms = 0  # consecutive
        self._word_ms = 0  # consecutive voice
        self._voice_ms = 0  # all voice so far
        self._words = 0
        self._in_word = False
        self._in_greeting = False
        self.verdict: AmdVerdict | None = None

    def push(self, frame: bytes) -> AmdVerdict | None:
        if self.verdict is not None:
            return self.verdict
        voice = self._voice.is_voice(frame)
        self.total_ms += FRAME_MS
        if self.total_ms >= self.config.total_analysis_ms:
            return self._decide("NOTSURE", f"TOOLONG-{self.total_ms}")
        return self._voice_frame() if voice else self._silent_frame()

    def _silent_frame(self) -> AmdVerdict | None:
        config = self.config
        self._silence_ms += FRAME_MS
        if self._silence_ms >= config.between_words_silence_ms:
            self._in_word = False
            self._word_ms = 0
        if not self._in_greeting and self._silence_ms >= config.initial_silence_ms:
            return self._decide(
                "MACHINE", f"INITIALSILENCE-{self._silence_ms}-{config.initial_silence_ms}"
            )
        if self._in_greeting and self._silence_ms >= config.after_greeting_silence_ms:
            return self._decide(
                "HUMAN", f"HUMAN-{self._silence_ms}-{config.after_greeting_silence_ms}"
            )
        return None

    def _voice_frame(self) -> AmdVerdict | None:
        config = self.config
        self._word_ms += FRAME_MS
        self._voice_ms += FRAME_MS
        self._silence_ms = 0
        if self._word_ms >= config.min_word_ms:
            self._in_greeting = True
            if not self._in_word:
                self._in_word = True
                self._words += 1
        if self._word_ms >= config.max_word_ms:
            return self._decide("MACHINE", f"MAXWORDLENGTH-{self._word_ms}")
        if self._words > config.max_words:
            return self._decide("MACHINE", f"MAXWORDS-{self._words}-{config.max_words}")
        if self._in_greeting and self._voice_ms >= config.greeting_ms:
            return self._decide("MACHINE", f"LONGGREETING-{self._voice_ms}-{config.greeting_ms}")
        return None

    def _decide(self, status: str, cause: str) -> AmdVerdict:
        self.verdict = AmdVerdict(status, cause, self.total_ms, self._voice.level_dbfs)
        return self.verdict


async def detect_machine(session: AudioSocketSession, config: AmdConfig) -> AmdVerdict:
    """Listen to the start of an answered call until the detector decides. A key pressed is
    a person; a hang-up ends it (``HANGUP``, as app_amd); frames that stop coming count as
    time (``NOTSURE``, ``TOOLONG``) so a dead line cannot hold the call."""
    detector = MachineDetector(config)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (config.total_analysis_ms + 1000) / 1000.0
    while (left := deadline - loop.time()) > 0:
        try:
            event = await session.next_event(timeout=left)
        except TimeoutError:
            break
        if isinstance(event, Hangup):
            return AmdVerdict("HANGUP", "", detector.total_ms)
        if isinstance(event, Dtmf):
            return AmdVerdict("HUMAN", f"DTMF-{event.digit}", detector.total_ms)
        if isinstance(event, Audio) and (verdict := detector.push(event.pcm)) is not None:
            return verdict
    return AmdVerdict("NOTSURE", f"TOOLONG-{detector.total_ms}", detector.total_ms)


# After a machine's verdict: when its greeting, and the beep after it, are over.
GREETING_SOUND_ABOVE_FLOOR_DB = 10.0  # a frame this far over the line's floor is sound
GREETING_SOUND_MIN_DBFS = -60.0  # and at least this loud (a line of digital silence)
FLOOR_WINDOW_FRAMES = 5  # the floor: the quietest 100 ms heard so far


class GreetingEnd:
    """Feed a machine's frames after AMD's verdict; ``push`` is True once its greeting (and
    beep) has ended: some sound, then ``end_silence_ms`` without. Sound is a frame well over
    the line's own floor (its quietest 100 ms so far), not over one fixed level: at -40 dBFS
    a line with noise over that was a greeting that never ended (the message went out at the
    15 s cap), and a greeting recorded quieter than it was no greeting at all."""

    def __init__(self, end_silence_ms: int = 1200, min_sound_ms: int = 200) -> None:
        self.end_silence_ms = end_silence_ms
        self.min_sound_ms = min_sound_ms
        self._recent: deque[float] = deque(maxlen=FLOOR_WINDOW_FRAMES)  # frame powers
        self.floor_dbfs = 0.0
        self.sound_ms = 0
        self._silence_ms = 0

    def push(self, frame: bytes) -> bool:
        level = rms_dbfs(frame)
        self._recent.append(10.0 ** (level / 10.0))  # the frame's power
        if len(self._recent) == FLOOR_WINDOW_FRAMES:
            window = 10.0 * math.log10(max(sum(self._recent) / FLOOR_WINDOW_FRAMES, 1e-12))
            self.floor_dbfs = min(self.floor_dbfs, window)
        threshold = max(self.floor_dbfs + GREETING_SOUND_ABOVE_FLOOR_DB, GREETING_SOUND_MIN_DBFS)
        if level > threshold:
            self.sound_ms += FRAME_MS
            self._silence_ms = 0
        else:
            self._silence_ms += FRAME_MS
        return self.sound_ms >= self.min_sound_ms and self._silence_ms >= self.end_silence_ms
