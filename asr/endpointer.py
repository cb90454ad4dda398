"""Streaming endpointing for one call: 20 ms frames in, speech events out.

Cheap on every frame, careful where it matters:
- every frame: energy against a tracked noise floor, and webrtcvad (≈1.5 µs): in silence,
  that is all that runs;
- Silero (≈90 µs per 32 ms chunk) runs only while something may be speech: from the moment
  webrtcvad and energy agree until the end of the utterance. It decides the start (a click or
  a bump on the line does not reach Silero's threshold for long enough) and the end. A
  candidate that opens right after one Silero rejected continues Silero's stream instead of
  restarting it: on a busy line, quiet speech needs the run-up.
- A quiet caller: the levels of their understood answers (``heard_caller``) raise what
  Silero hears of their next ones, for this call.

Events, in order: ``SpeechStarted`` (barge-in), ``Pause`` (the speaker went quiet: recognition
may start speculatively), ``SpeechResumed`` (the pause was not the end), ``Utterance`` (end of
the answer, with its audio) or ``NoInput`` (nothing said in time).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from asr.silero import SileroStream
from ivr.audio import FRAME_BYTES, FRAME_MS, SAMPLE_RATE, SILENCE_FRAME, frames

if TYPE_CHECKING:
    from ivr.config import Settings

PRE_ROLL_MS = 200  # audio kept from before the start was confirmed, so no first syllable is cut
NOISE_FLOOR_DB = -70.0
ABOVE_FLOOR_DB = 9.0  # energy this far above the noise floor may be speech
# A quiet caller (a weak handset, far from the microphone): once their answers are known to be
# quieter than QUIET_CALLER_DBFS (voiced audio, RMS), Silero hears the call raised towards
# NOMINAL_SPEECH_DBFS, by at most MAX_CALLER_GAIN_DB. Silero's verdict depends on the level
# (under 0.5 on much quiet speech over noise); the line's SNR does not change with the gain.
QUIET_CALLER_DBFS = -36.0
NOMINAL_SPEECH_DBFS = -30.0
MAX_CALLER_GAIN_DB = 15.0
CALLER_LEVELS_KEPT = 5


@dataclass(frozen=True)
class EndpointerConfig:
    trailing_silence_ms: int = 300
    no_input_timeout_ms: int = 6000
    max_utterance_ms: int = 12000
    speech_start_ms: int = 40
    speculative_ms: int = 120
    silero_threshold: float = 0.5
    incomplete_silence_ms: int = 1500  # an answer that may be half said: silence before it ends
    webrtc_mode: int = 2

    @classmethod
    def from_settings(cls, settings: Settings) -> EndpointerConfig:
        return cls(
            trailing_silence_ms=settings.vad_trailing_silence_ms,
            no_input_timeout_ms=settings.vad_no_input_timeout_ms,
            max_utterance_ms=settings.vad_max_utterance_ms,
            speech_start_ms=settings.vad_speech_start_ms,
            speculative_ms=min(settings.vad_speculative_ms, settings.vad_trailing_silence_ms),
            silero_threshold=settings.vad_silero_threshold,
            incomplete_silence_ms=max(
                settings.vad_incomplete_silence_ms, settings.vad_trailing_silence_ms
            ),
        )


@dataclass(frozen=True)
class SpeechStarted:
    at_ms: int  # stream time of the speech onset (estimated), ms since the endpointer started
    detected_ms: int  # stream time when it was confirmed


@dataclass(frozen=True)
class Pause:
    at_ms: int  # when the silence began
    audio: bytes  # the utterance so far: recognise it now, use it if speech does not resume


@dataclass(frozen=True)
class SpeechResumed:
    at_ms: int


@dataclass(frozen=True)
class Utterance:
    audio: bytes  # 8 kHz slin, from just before the onset to the end of speech
    speech_start_ms: int
    speech_end_ms: int  # stream time the speech ended (the silence began)
    detected_ms: int  # stream time the end was declared (after the trailing silence)
    reason: str  # "silence" | "max_length"
    same_as_pause: bool  # audio is what the last Pause carried: a speculative result is valid


@dataclass(frozen=True)
class NoInput:
    at_ms: int


EndpointEvent = SpeechStarted | Pause | SpeechResumed | Utterance | NoInput


class Endpointer:
    """One call's endpointing. ``push`` each 20 ms frame; it returns the events it caused."""

    def __init__(self, config: EndpointerConfig | None = None) -> None:
        import webrtcvad

        self.config = config or EndpointerConfig()
        self._vad = webrtcvad.Vad(self.config.webrtc_mode)
        self._silero = SileroStream()
        self._caller_levels: deque[float] = deque(maxlen=CALLER_LEVELS_KEPT)
        self.caller_gain_db = 0.0  # what Silero's input is raised by; kept across answers
        self.reset()

    @classmethod
    def from_settings(cls, settings: Settings) -> Endpointer:
        return cls(EndpointerConfig.from_settings(settings))

    def reset(self, no_input_ms: int | None = None) -> None:
        """Listen for a new answer (the stream clock keeps running from zero again); nothing
        said for ``no_input_ms`` (default: the configured timeout) is no input."""
        self.now_ms = 0
        self._no_input_ms = self.config.no_input_timeout_ms if no_input_ms is None else no_input_ms
        self.state = "waiting"  # waiting → candidate → speaking → (pausing ↔ speaking) → done
        self._floor_db = NOISE_FLOOR_DB
        self._pre_roll: deque[bytes] = deque(maxlen=PRE_ROLL_MS // FRAME_MS)
        self._audio: list[bytes] = []
        self._voiced_ms = 0
        self._candidate_ms = 0
        self._start_ms = 0
        self._silence_ms = 0
        self._pause_audio: bytes | None = None
        self._trailing_ms = self.config.trailing_silence_ms  # longer while held
        self._last_probability = 0.0
        self._silero.reset()
        self._silero_heard_ms = -PRE_ROLL_MS - FRAME_MS  # stream time of the last frame it heard
        self.silero_chunks = 0  # how many times Silero ran (cost accounting)

    def heard_caller(self, speech_dbfs: float) -> None:
        """The level of an answer the caller was understood to give (voiced audio, RMS dBFS):
        the caller's level is the median of the last few, and Silero hears a quiet caller
        raised from then on (``QUIET_CALLER_DBFS``)."""
        if not -100.0 < speech_dbfs < 0.0:
            return
        self._caller_levels.append(speech_dbfs)
        level = float(np.median(self._caller_levels))
        quiet = level < QUIET_CALLER_DBFS
        self.caller_gain_db = min(MAX_CALLER_GAIN_DB, NOMINAL_SPEECH_DBFS - level) if quiet else 0.0

    def hold(self) -> bool:
        """The utterance that just ended may be half said ("thirty six ..."): take it back and
        listen on as if it had not ended, until speech resumes (the utterance goes on) or the
        silence reaches ``incomplete_silence_ms`` (it ends again, the same as before). False
        when there is nothing to hold: it did not end in silence after a pause."""
        if self.state != "done" or self._pause_audio is None:
            return False
        if self._silence_ms >= self.config.incomplete_silence_ms:
            return False
        self.state = "pausing"
        self._trailing_ms = self.config.incomplete_silence_ms
        return True

    # -- the frame path ---------------------------------------------------------------------------

    def push(self, frame: bytes) -> list[EndpointEvent]:
        if len(frame) != FRAME_BYTES:
            raise ValueError(f"a frame is {FRAME_BYTES} bytes of 8 kHz slin, got {len(frame)}")
        self.now_ms += FRAME_MS
        if self.state == "done":
            return []
        samples = np.frombuffer(frame, dtype="<i2")
        energy = float(np.dot(samples, samples.astype(np.float32))) / len(samples)
        level_db = 10.0 * math.log10(energy / 1073741824.0) if energy > 0 else -120.0
        if self.state == "waiting":
            return self._waiting(frame, samples, level_db)
        return self._listening(frame, samples)

    def _waiting(self, frame: bytes, samples: np.ndarray, level_db: float) -> list[EndpointEvent]:
        maybe_speech = level_db > self._floor_db + ABOVE_FLOOR_DB and self._vad.is_speech(
            frame, SAMPLE_RATE
        )
        self._pre_roll.append(frame)
        if not maybe_speech:
            # the floor follows quiet frames quickly and loud ones slowly (speech is not noise)
            rate = 0.05 if level_db < self._floor_db else 0.01
            self._floor_db += rate * (level_db - self._floor_db)
            if self.now_ms >= self._no_input_ms:
                self.state = "done"
                return [NoInput(self.now_ms)]
            return []
        # Something loud and voiced: let Silero judge, primed with the pre-roll.
        self.state = "candidate"
        self._candidate_ms = self.now_ms - FRAME_MS
        self._audio = list(self._pre_roll)
        self._voiced_ms = 0
        unheard = (self.now_ms - self._silero_heard_ms) // FRAME_MS
        if unheard <= len(self._pre_roll):
            # Silero judged a candidate a moment ago (a noisy line, a quiet voice wavering
            # around its threshold): go on from where it stopped, as if it had never stopped.
            # Starting it afresh from the pre-roll on every candidate kept a quiet answer over
            # a busy line from ever reaching the threshold, or cut its first words.
            return self._feed_silero(b"".join(list(self._pre_roll)[-unheard:]))
        self._silero.reset()
        return self._feed_silero(b"".join(self._pre_roll))

    def _listening(self, frame: bytes, samples: np.ndarray) -> list[EndpointEvent]:
        self._audio.append(frame)
        return self._feed_silero(frame)

    def _feed_silero(self, pcm: bytes) -> list[EndpointEvent]:
        self._silero_heard_ms = self.now_ms
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
        if self.caller_gain_db:
            samples = np.clip(samples * 10.0 ** (self.caller_gain_db / 20.0), -1.0, 1.0)
        for probability in self._silero.feed(samples):
            self._last_probability = probability
            self.silero_chunks += 1
        # Each 20 ms frame is judged by the latest Silero verdict (chunks are 32 ms).
        return self._advance(self._last_probability)

    def _advance(self, probability: float) -> list[EndpointEvent]:
        config = self.config
        speech = probability >= config.silero_threshold
        silence = probability < config.silero_threshold - 0.15  # hysteresis
        if self.state == "candidate":
            self._voiced_ms = self._voiced_ms + FRAME_MS if speech else 0
            if self._voiced_ms >= config.speech_start_ms:
                self.state = "speaking"
                self._start_ms = self.now_ms - self._voiced_ms
                self._silence_ms = 0
                return [SpeechStarted(self._start_ms, self.now_ms)]
            if silence and self.now_ms - self._candidate_ms > 200:
                self._back_to_waiting()  # a click, a bump: not speech
            return []
        events: list[EndpointEvent] = []
        if silence:
            self._silence_ms += FRAME_MS
        elif speech:
            if self.state == "pausing":
                events.append(SpeechResumed(self.now_ms))
                self.state = "speaking"
                self._pause_audio = None
                self._trailing_ms = config.trailing_silence_ms
            self._silence_ms = 0
        speech_end_ms = self.now_ms - self._silence_ms
        if self.state == "speaking" and self._silence_ms >= config.speculative_ms:
            self.state = "pausing"
            self._pause_audio = self._utterance_audio()
            events.append(Pause(speech_end_ms, self._pause_audio))
        if self.state == "pausing" and self._silence_ms >= self._trailing_ms:
            events.append(self._finish(speech_end_ms, "silence"))
        elif self.now_ms - self._start_ms >= config.max_utterance_ms:
            events.append(self._finish(speech_end_ms, "max_length"))
        return events

    def _utterance_audio(self) -> bytes:
        # Keep the silence that followed the speech short: it is no use to the recogniser.
        keep = len(self._audio) - max(0, self._silence_ms - 100) // FRAME_MS
        return b"".join(self._audio[:keep])

    def _finish(self, speech_end_ms: int, reason: str) -> Utterance:
        self.state = "done"
        # Ended in the silence that followed the last Pause: nothing was said since, so the
        # utterance is exactly the audio that Pause carried and its speculative result holds.
        same = reason == "silence" and self._pause_audio is not None
        audio = self._pause_audio if same and self._pause_audio else self._utterance_audio()
        return Utterance(audio, self._start_ms, speech_end_ms, self.now_ms, reason, same)

    def _back_to_waiting(self) -> None:
        self.state = "waiting"
        self._audio = []
        self._voiced_ms = 0


def cut(pcm: bytes, endpointer: Endpointer) -> bytes:
    """The answer in a recorded clip as a call's endpointer cuts it: the first utterance's
    audio (from just before its onset to just after its end), b"" when speech never started.
    The clip is followed by the trailing silence a call would have."""
    endpointer.reset()
    tail = [SILENCE_FRAME] * (endpointer.config.trailing_silence_ms // FRAME_MS + 5)
    for frame in frames(pcm) + tail:
        for event in endpointer.push(frame):
            if isinstance(event, Utterance):
                return event.audio
            if isinstance(event, NoInput):
                return b""
    return b""
