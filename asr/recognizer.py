"""Recognition of one answer: Whisper on CPU, biased to what the question expects.

How one answer is recognised:
1. Silero VAD gates the clip: too little speech, or speech quieter than any answer
   (``asr_min_speech_dbfs``: distant voices, a television) → empty result (no "Thank you."
   invented from line noise), and the audio is trimmed to the speech with a margin. The gate
   is low (-50 dBFS): Whisper and the heads hear a quiet caller nearly as well as a loud one
   (docs/decisions.md, "A quiet caller is still a caller").
2. The encoder runs once, on a window just longer than the answer (at least ``asr_window_s``;
   Whisper's fixed 30 s window would cost 4-7× more for a two-second answer).
3. The decoder runs twice on that encoding: once with a prompt in the style of
   the expected answer, once with none. Each beam search returns its n best hypotheses.
   A temperature is read instead by small CTC heads under a grammar of every plausible way
   to say one (``asr.ctc``): two on the same encoder output, one on the multilingual
   ``base``'s encoder, run on this thread while the decoder works in the pool; their grammar
   readings are averaged. The decoder then runs once, without a prompt, for the transcript,
   the noise guard and requests ("repeat that"). Yes/no and requests are read by a head on
   the same encoder output; by base's head too only when unsure (step 5), each head's
   reading voting with an equal share. Two encoders hear differently enough that together
   they miss fewer voices than either (docs/decisions.md, "Heads on base's encoder"). While
   recognitions wait for a worker, base's heads are not read at all (the turn first).
4. Every hypothesis is parsed for the expected answer; parsed values vote with the
   hypothesis' probability. The value with most weight wins; its share is the confidence.
   A yes/no that no hypothesis gives is asked of canonical answers scored by the decoder
   (``asr.canonical``), at a confidence that always gets it confirmed.
   A temperature below ``asr_min_confidence`` counts as not understood: a wrong value stored
   is worse than asking again (on the dev split 1 in 7 of them was right). Yes/no and intent
   confidences are scaled differently and their weak answers were mostly right: kept.
5. An answer not sure enough to be taken without a read-back is read again by the heads from
   the audio resampled a little up and down (``head_views``: pitch, formants and tempo, as
   the heads' training varied its voices), and by the heads of base's encoder as said and
   in both views (one batch an encoder); every view votes, so a voice the heads hear badly
   as it is may be heard at another scale or by the other encoder.
"""

from __future__ import annotations

import asyncio
import math
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from asr.canonical import YES_NO_ANSWERS, choose_canonical
from asr.ctc import (
    ANSWER_WEIGHTS,
    REQUEST_WEIGHTS,
    TEMPERATURE_WEIGHTS,
    CtcHead,
    GrammarReading,
    TemperatureGrammar,
    beam,
    confidence_of,
    greedy,
    temperature_forms,
)
from asr.model import load_model, resolve_model
from asr.prompts import prompts_for
from asr.silero import CHUNK_8K, CHUNK_MS, speech_probabilities
from ivr.audio import SAMPLE_RATE, resample, to_float
from ivr.errors import SpeechError
from ivr.understanding import Asked, Expect, IntentMatch, Understood, YesNo, understand
from ivr.understanding.intents import learned_request
from ivr.understanding.languages import language_for
from ivr.understanding.languages.en import DECIMAL_MARKERS, is_number_word
from ivr.understanding.learned import model as learned_model
from ivr.understanding.learned import weak_request
from ivr.understanding.temperature import says_only_bounds
from ivr.understanding.text import normalize
from ivr.understanding.yes_no import says_neither

if TYPE_CHECKING:
    from ivr.config import Settings

WHISPER_RATE = 16000
SPEECH_MARGIN_S = 0.3  # audio kept around the detected speech
# With Whisper's no-speech probability above the threshold, a plain transcript this unlikely is
# taken for noise; real answers on the dev split scored above it even with a high no-speech.
NOISE_LOG_PROB = -1.2
MIN_CONFIDENCE_APPLIES = frozenset({"temperature"})  # numbers: where a wrong value is stored
# Where Whisper half believes there is no speech (the old noise guard's zone, which also held
# 8 % of the real answers), an answer is kept but read back: background talk (a television)
# gave "No, no, no, no." there with full confidence.
DOUBTFUL_NO_SPEECH = 0.6
DOUBTFUL_LOG_PROB = -0.7
DOUBTFUL_MAX_CONFIDENCE = 0.6
# The canonical yes/no scoring is trusted only where Whisper heard at most this many words;
# on longer ones its choice is a guess, reported below the dialogue's acceptance line.
CANONICAL_MAX_WORDS = 2
CANONICAL_LONG_MAX_CONFIDENCE = 0.45
# The answers head's vote, against a Whisper reading decided by the question's own phrases.
QUESTION_HEAD_SHARE = 0.5
# A yes/no only the answers head read, where Whisper was this sure (mean log probability per
# token) of words that answer nothing, is held below the dialogue's 0.5.
CLEAR_WORDS_LOG_PROB = -0.5
HEAD_ALONE_MAX_CONFIDENCE = 0.45
# A prompted hypothesis that copies a sentence of its prompt of at least this many words, with
# no plain hypothesis nor the head behind its meaning, is the prompt's echo, not the answer.
ECHO_MIN_WORDS = 3
# The same word three times running ("No, no, no, no.") is Whisper looping on background talk
# more often than an answer: read back, never taken as said.
REPEATED_WORD_RUN = 3
# Yes/no answers and requests weaker than this are read again by the heads of base's encoder
# and at other voice scales (temperatures: those not understood). On the dev sets (dev3h +
# dev4h) views for every answer below 0.8, the read-back line, gained the same but ran for
# 46 % and 83 % of them.
VIEWS_BELOW = {"yes_no": 0.7, "intent": 0.5}
# Answers read by the heads of every encoder at once; others by those of the transcript
# model's encoder first, the rest only when unsure (``VIEWS_BELOW``). base's encoder costs
# twice tiny.en's: on every answer it took 50 calls at once past 1.5 s a turn. Temperatures,
# the figure stored, are worth it: on the held-out renders a second look only at unsure ones
# read 225 of 240 (awb 56 of 60), every one 228 (58).
EVERY_ENCODER_FIRST = frozenset({"temperature"})
# With a number word, these make a transcript one that says a number ("point five").
NUMBER_PARTS = DECIMAL_MARKERS | {"hundred", "half"}
# Said by Whisper from silence or noise; not an answer to any of our questions on its own.
NOISE_HALLUCINATIONS = frozenset(
    {"thank you", "thanks for watching", "you", "bye", "thank you for watching", "so", "okay"}
)


@dataclass(frozen=True)
class Hypothesis:
    text: str
    log_prob: float  # length-normalised log probability of the beam
    prompted: bool


@dataclass(frozen=True)
class Recognition:
    text: str  # the chosen transcript ("" when no speech)
    expect: str
    understood: Understood | None  # the parsed answer, None when not understood
    confidence: float  # in [0, 1]; 0 when nothing was understood
    hypotheses: tuple[Hypothesis, ...] = ()
    intent: IntentMatch | None = None  # a repeat/opt-out/... request, whatever was expected
    speech_ms: float = 0.0  # voiced audio found by the gate
    no_speech_prob: float = 0.0
    asr_ms: float = 0.0  # wall time of this recognition, queueing included
    speech_dbfs: float = -120.0  # level of the voiced audio (RMS, dB full scale)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def value(self) -> Any:
        return None if self.understood is None else self.understood.value


@dataclass(frozen=True)
class HeadReading:
    """One reading of the answers head, what it says, and its share of the head's vote."""

    text: str
    understood: Understood | None
    share: float


@dataclass(frozen=True)
class ViewRead:
    """What the heads read in one view of an answer: the temperature grammar's reading, or
    the answers head's readings (none when no head reads this kind of answer)."""

    grammar: GrammarReading | None = None
    heard: tuple[HeadReading, ...] = ()


@dataclass(frozen=True)
class RecognizerConfig:
    beam_size: int = 5
    window_s: float = 10.0
    no_speech_threshold: float = 0.9
    min_speech_ms: int = 120
    min_speech_dbfs: float = -50.0
    min_confidence: float = 0.45
    language: str = "en"
    temperature_min_c: float = 34.0
    temperature_max_c: float = 42.5
    vote_temperature: float = 0.5  # softens hypothesis probabilities before they vote
    temperature_reader: bool = True  # temperatures read by the CTC heads
    answer_reader: bool = True  # yes/no and requests: the answers head's reading votes too
    # its vote, relative to all of Whisper's hypotheses; a little over 1, so that when all of
    # them say one thing and the head another, the head decides (it read "nah" where Whisper
    # wrote "Yeah."); such an answer's confidence stays near 0.75 and it is read back
    answer_reader_share: float = 1.05
    answer_beam: int = 8  # readings of the answers head that vote on a request (1: best path)
    # an answer the heads and Whisper are not sure of is read again by the heads from the
    # audio resampled by these factors; every view votes (docs/decisions.md)
    head_views: tuple[float, ...] = (0.92, 1.08)
    view_window_s: float = 6.0  # the encoder window of those views


class Recognizer:
    """One Whisper model shared by every call, run by a bounded pool of worker threads."""

    _shared: ClassVar[dict[tuple[Any, ...], Recognizer]] = {}
    _shared_lock = threading.Lock()

    def __init__(
        self,
        model: Any,
        config: RecognizerConfig,
        workers: int,
        model_name: str = "",
        load_encoder: Callable[[str], Any] | None = None,
    ) -> None:
        """``model`` (``model_name``) writes the transcript; ``load_encoder`` loads the model
        whose encoder the heads read, when it is another (the heads name it)."""
        from faster_whisper.tokenizer import Tokenizer

        self.model = model
        self.config = config
        self.workers = workers
        multilingual = model.model.is_multilingual
        self.tokenizer = Tokenizer(
            model.hf_tokenizer,
            multilingual,
            task="transcribe",
            language=config.language if multilingual else None,
        )
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="asr")
        self._suppress = self._suppressed_tokens()
        self._grammar: TemperatureGrammar | None = None
        # temperatures: heads trained apart, each read under the grammar, readings averaged
        self._readers: tuple[CtcHead, ...] = ()
        if config.temperature_reader:
            self._readers = tuple(CtcHead.load(path) for path in TEMPERATURE_WEIGHTS)
            self._grammar = TemperatureGrammar(
                temperature_forms(config.temperature_min_c, config.temperature_max_c)
            )
        # yes/no: the answers heads; requests: heads that learned people's own words too
        self._answers: dict[str, tuple[CtcHead, ...]] = {}
        if config.answer_reader:
            self._answers = {
                expect: tuple(CtcHead.load(path) for path in paths)
                for expect, paths in (("yes_no", ANSWER_WEIGHTS), ("intent", REQUEST_WEIGHTS))
            }
        # the encoders the heads read, by name: the transcript model's own (None), and any
        # other loaded beside it, whose frames are computed while the transcript is decoded
        self._encoders = self._head_encoders(model_name, load_encoder)
        learned_model()  # the request weights are learned here (~20 ms), not in a first turn
        # cost accounting: recognitions run, and speculative ones dropped before they ran
        self._stats_lock = threading.Lock()
        self._ran = 0
        self._cancelled = 0
        self._abandoned = 0
        self._viewed = 0
        self._waiting = 0  # recognitions submitted to the pool that no worker has yet
        self._without_others = 0

    def _head_encoders(
        self, model_name: str, load_encoder: Callable[[str], Any] | None
    ) -> dict[str, Any | None]:
        """Each encoder a head reads, by name, and its model: None for ``self.model``'s."""
        heads = [*self._readers, *(h for heads in self._answers.values() for h in heads)]
        encoders: dict[str, Any | None] = {}
        for name in sorted({head.encoder for head in heads}):
            if name != model_name and load_encoder is None:
                raise SpeechError(f"a CTC head reads {name}'s encoder, and it is not loaded")
            encoders[name] = None if name == model_name else load_encoder(name)  # type: ignore[misc]
        return encoders

    @property
    def stats(self) -> dict[str, int]:
        with self._stats_lock:
            return {
                "ran": self._ran,
                "cancelled_before_running": self._cancelled,
                "abandoned_after_encoding": self._abandoned,
                "read_again_in_views": self._viewed,
                "read_without_other_encoders": self._without_others,
            }

    @classmethod
    def from_settings(cls, settings: Settings) -> Recognizer:
        folder = resolve_model(settings.asr_model, settings.cache_dir)
        model = load_model(folder, settings.asr_workers, settings.asr_cpu_threads)
        config = RecognizerConfig(
            beam_size=settings.asr_beam_size,
            window_s=settings.asr_window_s,
            no_speech_threshold=settings.asr_no_speech_threshold,
            min_speech_ms=settings.asr_min_speech_ms,
            min_speech_dbfs=settings.asr_min_speech_dbfs,
            min_confidence=settings.asr_min_confidence,
            language=settings.asr_language,
            temperature_min_c=settings.temperature_min_c,
            temperature_max_c=settings.temperature_max_c,
            temperature_reader=settings.asr_temperature_reader,
            answer_reader=settings.asr_answer_reader,
            head_views=tuple(settings.asr_head_views),
        )

        def load_encoder(name: str) -> Any:
            folder = resolve_model(name, settings.cache_dir)
            return load_model(folder, settings.asr_workers, settings.asr_cpu_threads)

        return cls(model, config, settings.asr_workers, settings.asr_model, load_encoder)

    @classmethod
    def shared(cls, settings: Settings) -> Recognizer:
        """The process' recognizer for these settings: the model loads once."""
        key = (
            settings.asr_model, settings.asr_workers, settings.asr_cpu_threads,
            settings.asr_beam_size, settings.asr_window_s, settings.asr_language,
            settings.asr_no_speech_threshold, settings.asr_min_speech_ms,
            settings.asr_min_speech_dbfs, settings.asr_min_confidence,
            settings.temperature_min_c, settings.temperature_max_c,
            settings.asr_temperature_reader, settings.asr_answer_reader,
            tuple(settings.asr_head_views),
        )  # fmt: skip
        with cls._shared_lock:
            if key not in cls._shared:
                cls._shared[key] = cls.from_settings(settings)
            return cls._shared[key]

    async def recognize(
        self, pcm: bytes, expect: Expect = "free", asked: Asked | None = None
    ) -> Recognition:
        """Recognise 8 kHz slin ``pcm`` in the worker pool, without blocking the event loop;
        ``asked``: what the question says of its answers (a choice's options, its own yes and
        no phrases)."""
        loop = asyncio.get_running_loop()
        queued = time.perf_counter()
        abandoned = threading.Event()
        with self._stats_lock:
            self._waiting += 1
        job = self._executor.submit(self._run_queued, pcm, expect, asked, abandoned)
        try:
            result = await asyncio.wrap_future(job, loop=loop)
        except asyncio.CancelledError:
            # A speculative recognition whose speaker went on: dropped from the queue, or, if
            # a worker has it, stopped at its next stage (a decode costs more than the encode).
            abandoned.set()
            if job.cancelled():
                with self._stats_lock:
                    self._cancelled += 1
                    self._waiting -= 1
            raise
        waited_ms = 1000.0 * (time.perf_counter() - queued)
        return _with_asr_ms(result, waited_ms)

    def _run_queued(
        self, pcm: bytes, expect: Expect, asked: Asked | None, abandoned: threading.Event
    ) -> Recognition:
        """A worker's run of a recognition that waited in the pool's queue."""
        with self._stats_lock:
            self._waiting -= 1
        return self.recognize_sync(pcm, expect, asked, abandoned=abandoned)

    def _busy(self) -> bool:
        """Whether recognitions are waiting for a worker: then the heads of other encoders
        (base's costs twice tiny.en's) are not read, and the answer waits less."""
        with self._stats_lock:
            return self._waiting > 0

    def recognize_sync(
        self,
        pcm: bytes,
        expect: Expect = "free",
        asked: Asked | None = None,
        *,
        abandoned: threading.Event | None = None,
    ) -> Recognition:
        """Recognise ``pcm`` on this thread. If ``abandoned`` is set meanwhile, the work stops
        at the next stage and the result (empty) is not meant to be used."""
        started = time.perf_counter()
        asked = asked or Asked()
        with self._stats_lock:
            self._ran += 1
        audio, speech_ms, speech_dbfs = self.speech(pcm)
        if audio is None:
            return replace(_nothing(expect, speech_ms, started), speech_dbfs=speech_dbfs)
        by_reader = expect == "temperature" and bool(self._readers)
        # The head reads temperatures better than prompted decodes (docs/decisions.md): with
        # it, one plain decode is left, for the transcript, the noise guard and intents.
        prompts = () if by_reader else prompts_for(expect, asked.options)
        # with recognitions waiting for a worker, the heads of other encoders are not read
        busy = self._busy()
        every_encoder = expect in EVERY_ENCODER_FIRST and not busy
        decoded = self._decode(audio, prompts, abandoned, every_encoder)
        if decoded is None:
            return self._abandon(expect, speech_ms, started)
        hypotheses, no_speech_prob, frames = decoded
        best_plain = max(
            (h for h in hypotheses if not h.prompted), key=lambda h: h.log_prob, default=None
        )
        if best_plain is None or self._is_noise(best_plain, no_speech_prob):
            nothing = _nothing(expect, speech_ms, started, hypotheses, no_speech_prob)
            return replace(nothing, speech_dbfs=speech_dbfs)
        extra: dict[str, Any] = {}
        read = [self._read_view(frames, expect, asked)]
        chosen_text, understood, confidence = self._decide(read, hypotheses, expect, asked, extra)
        doubtful = (
            no_speech_prob > DOUBTFUL_NO_SPEECH and best_plain.log_prob < DOUBTFUL_LOG_PROB
        ) or _noise_phrase(best_plain)

        plain_text = best_plain.text

        def doubted(text: str) -> bool:  # such an answer is read back, whatever it says
            return doubtful or _repeats_a_word(text or plain_text)

        weakest = min(confidence, DOUBTFUL_MAX_CONFIDENCE) if doubted(chosen_text) else confidence
        if self._wants_views(expect, understood, weakest):
            # Too unsure to be taken: the heads of every encoder read the answer, and again
            # at other voice scales, and every view votes (docs/decisions.md).
            busy = self._busy()
            views = self._view_frames(audio, frames, abandoned, others=not busy)
            if views is None:
                return self._abandon(expect, speech_ms, started)
            read = [self._read_view(view, expect, asked) for view in views]
            extra["head_views"] = len(read)
            with self._stats_lock:
                self._viewed += 1
            chosen_text, understood, confidence = self._decide(
                read, hypotheses, expect, asked, extra
            )
            frames = views[0]
        if (
            busy
            and set(frames) != set(self._encoders)
            and (expect in EVERY_ENCODER_FIRST or "head_views" in extra)
        ):
            extra["busy_without"] = sorted(set(self._encoders) - set(frames))
            with self._stats_lock:
                self._without_others += 1
        neither = expect == "yes_no" and says_neither(
            plain_text, affirm=asked.affirm, deny=asked.deny
        )
        if neither and understood is not None:
            # Whisper's words answer neither ("I'm not sure", "I'm not well"): what the head or
            # a less probable hypothesis made of them is no answer to store.
            extra["said_neither"] = {"value": understood.value, "confidence": confidence}
            understood, confidence = None, 0.0
        if by_reader and understood is not None and self._says_only_bounds(plain_text):
            # "just under thirty-eight", "thirty-seven or thirty-eight": Whisper heard a bound
            # or a range, not a reading; the head's grammar made a value of its number.
            extra["said_a_bound"] = {"value": understood.value, "confidence": confidence}
            understood, confidence = None, 0.0
        if (
            expect == "yes_no"
            and understood is not None
            and best_plain.log_prob >= CLEAR_WORDS_LOG_PROB
            and not any(self._understand(expect, h.text, asked) for h in hypotheses)
        ):
            # Whisper was sure of words that answer nothing ("Can my son collect them for
            # me?"); the head, which knows only answer words, read a yes or a no into them
            # ("can my son correct me"). A guess, reported as one: the question is asked again.
            confidence = min(confidence, HEAD_ALONE_MAX_CONFIDENCE)
            extra["head_alone_against_clear_words"] = True
        if understood is None and expect == "yes_no" and not neither:
            understood = self._canonical_yes_no(audio)
            if understood is not None:
                confidence = understood.confidence
                extra["canonical"] = True
                if not _short(plain_text):
                    # a guess, reported as one: the dialogue asks again below 0.5
                    confidence = min(confidence, CANONICAL_LONG_MAX_CONFIDENCE)
        if doubted(chosen_text):
            confidence = min(confidence, DOUBTFUL_MAX_CONFIDENCE)
            extra["doubtful_speech"] = True
        if (
            by_reader
            and confidence < self.config.min_confidence
            and not doubted(chosen_text)
            and (agreed := self._agreed(understood, extra["reader"], best_plain.text))
        ):
            # The heads' best number, too unsure alone (or less probable than no number at
            # all), is the one Whisper's own words say: two readers agree, so it is read back
            # rather than asked again (dev: 5 of 1,656 spoken temperatures right this way,
            # none wrong; docs/decisions.md).
            extra["whisper_agrees"] = {"value": agreed.value, "confidence": confidence}
            understood, confidence = agreed, self.config.min_confidence
        if expect in MIN_CONFIDENCE_APPLIES and confidence < self.config.min_confidence:
            if understood is not None:
                extra["not_confident"] = {"value": understood.value, "confidence": confidence}
            understood, confidence = None, 0.0

        def learned() -> IntentMatch | None:
            # where no hypothesis holds a request the rules know, the learned word weights read
            # Whisper's plain words (after the vote: inside it, their weak readings of misheard
            # hypotheses thinned out the votes for a request said plainly)
            return None if doubted(plain_text) else learned_request(plain_text)

        if expect == "intent" and understood is None and (read := learned()) is not None:
            understood, confidence, chosen_text = read, read.confidence, plain_text
            extra["learned_request"] = True
        intent = None
        if expect != "intent":
            _, intent_match, _ = self._choose(hypotheses, "intent", Asked())
            intent = intent_match if isinstance(intent_match, IntentMatch) else learned()
        if (
            by_reader
            and intent is not None
            and not weak_request(intent)
            and extra["reader"].get("whisper_heard_no_number")
        ):
            # "Sorry, can you repeat that?" with no number in Whisper's words: a request, not a
            # temperature the head made of "sorry" ("forty"). A request too weak to be taken
            # over an answer (from words misheard: "What do you kill?"; or read by the learned
            # word weights alone) does not count.
            if understood is not None:
                extra["reader"]["request_not_number"] = understood.value
            understood, confidence, chosen_text = None, 0.0, ""
        return Recognition(
            text=chosen_text or best_plain.text,
            expect=expect,
            understood=understood,
            confidence=confidence,
            hypotheses=tuple(hypotheses),
            intent=intent,
            speech_ms=speech_ms,
            no_speech_prob=no_speech_prob,
            asr_ms=1000.0 * (time.perf_counter() - started),
            speech_dbfs=speech_dbfs,
            extra=extra,
        )

    def _abandon(self, expect: str, speech_ms: float, started: float) -> Recognition:
        """The empty result of a recognition abandoned between its stages."""
        with self._stats_lock:
            self._abandoned += 1
        return _nothing(expect, speech_ms, started)

    def _wants_views(
        self, expect: Expect, understood: Understood | None, confidence: float
    ) -> bool:
        """Whether an answer is unsure enough to be read again by the heads of the other
        encoders and at other voice scales: a temperature not understood, a yes/no or request
        weaker than ``VIEWS_BELOW``."""
        others = any(model is not None for model in self._encoders.values())
        if not (self.config.head_views or others) or not self._heads_read(expect):
            return False
        below = self.config.min_confidence if expect == "temperature" else VIEWS_BELOW[expect]
        return understood is None or confidence < below

    def _heads_read(self, expect: Expect) -> bool:
        """Whether a trained head reads answers of this kind."""
        if expect == "temperature":
            return bool(self._readers)
        return bool(self._answers.get(expect))

    def _read_view(self, frames: dict[str, np.ndarray], expect: Expect, asked: Asked) -> ViewRead:
        """What the heads read in one view of the answer (each encoder's frames of it)."""
        if expect == "temperature" and self._readers:
            # each head under the grammar, then their value shares averaged: heads trained
            # apart (or on other encoders) align their CTC spikes apart, so their frames
            # cannot be averaged
            grammar = self._grammar
            assert grammar is not None
            readings = [
                grammar.read(h.log_probs(frames[h.encoder]))
                for h in self._readers
                if h.encoder in frames
            ]
            return ViewRead(grammar=GrammarReading.mean(readings))
        if self._heads_read(expect):
            # every head's readings, each head with an equal part of the heads' vote
            heads = [h for h in self._answers[expect] if h.encoder in frames]
            return ViewRead(
                heard=tuple(
                    replace(reading, share=reading.share / len(heads))
                    for head in heads
                    for reading in self._read_answer(head, frames[head.encoder], expect, asked)
                )
            )
        return ViewRead()

    def _decide(
        self,
        read: Sequence[ViewRead],
        hypotheses: list[Hypothesis],
        expect: Expect,
        asked: Asked,
        extra: dict[str, Any],
    ) -> tuple[str, Understood | None, float]:
        """The answer Whisper's hypotheses and what the heads ``read`` in each view of the
        answer (as said and rescaled) give together; every view has an equal vote."""
        extra.pop("answer_reader_disagrees", None)
        grammars = [view.grammar for view in read if view.grammar is not None]
        if grammars:
            return self._read_temperature(GrammarReading.mean(grammars), hypotheses, extra)
        heard = [
            replace(reading, share=reading.share / len(read))
            for view in read
            for reading in view.heard
        ]
        if heard:
            extra["answer_reader"] = heard[0].text
        chosen_text, understood, confidence = self._choose(hypotheses, expect, asked, also=heard)
        if heard and understood is not None and all(h.understood is None for h in heard):
            # Whisper found an answer the head heard nothing of: read it back.
            confidence = min(confidence, DOUBTFUL_MAX_CONFIDENCE)
            extra["answer_reader_disagrees"] = True
        return chosen_text, understood, confidence

    def _view_frames(
        self,
        audio: np.ndarray,
        first: dict[str, np.ndarray],
        abandoned: threading.Event | None,
        others: bool = True,
    ) -> list[dict[str, np.ndarray]] | None:
        """Every encoder's frames of the answer as said (``first``: those already at hand,
        the rest encoded now) and resampled by each of ``head_views`` (pitch, formants and
        tempo scaled together, as the heads' training scaled its voices), one batch an
        encoder; without ``others`` only the encoders of ``first``. None if abandoned first."""
        if abandoned is not None and abandoned.is_set():
            return None
        scaled = [
            resample(audio, round(WHISPER_RATE * f), WHISPER_RATE) for f in self.config.head_views
        ]
        longest = max(len(clip) for clip in [audio, *scaled]) / WHISPER_RATE
        window_s = max(self.config.view_window_s, longest + 1.0)
        views: list[dict[str, np.ndarray]] = [dict(first), *({} for _ in scaled)]
        for name, model in self._encoders.items():
            if not others and name not in first:
                continue
            todo = [i for i in range(len(views)) if name not in views[i]]
            if not todo:
                continue
            clips = [audio if i == 0 else scaled[i - 1] for i in todo]
            encoded = np.asarray(self._encode_batch(clips, window_s, model))
            for row, (i, clip) in enumerate(zip(todo, clips, strict=True)):
                views[i][name] = _frames_over(encoded[row : row + 1], clip)
        return views

    def speech(self, pcm: bytes) -> tuple[np.ndarray | None, float, float]:
        """The answer's audio at 16 kHz, trimmed to the speech with a margin (None when the
        gate finds too little or too quiet speech), the voiced ms and their level in dBFS."""
        samples = to_float(pcm)
        probabilities = speech_probabilities(samples)
        voiced = probabilities >= 0.5
        speech_ms = float(voiced.sum() * CHUNK_MS)
        if speech_ms < self.config.min_speech_ms:
            return None, speech_ms, -120.0
        speech_dbfs = _level_dbfs(samples, voiced)
        if speech_dbfs < self.config.min_speech_dbfs:
            return None, speech_ms, speech_dbfs
        first, last = np.flatnonzero(voiced)[[0, -1]]
        chunk = len(samples) / max(len(probabilities), 1)
        margin = int(SPEECH_MARGIN_S * SAMPLE_RATE)
        begin = max(0, int(first * chunk) - margin)
        end = min(len(samples), int((last + 1) * chunk) + margin)
        return resample(samples[begin:end], SAMPLE_RATE, WHISPER_RATE), speech_ms, speech_dbfs

    def encoder_frames(self, audio: np.ndarray) -> np.ndarray:
        """The transcript model's encoder output over ``audio`` (16 kHz) as the recogniser
        computes it, one row per 20 ms of audio (the padding's frames dropped)."""
        return _frames_over(self._encode_answer(audio), audio)

    def head_frames(
        self, audio: np.ndarray, encoded: Any = None, others: bool = True
    ) -> dict[str, np.ndarray]:
        """The frames each encoder the heads read gives over ``audio``, by its name: for the
        transcript model's own, ``encoded`` (its output over the audio) if at hand; every
        other (unless not ``others``) encodes the same window."""
        frames = {}
        for name, model in self._encoders.items():
            if model is None:
                own = self._encode_answer(audio) if encoded is None else encoded
                frames[name] = _frames_over(own, audio)
            elif others:
                window_s = self._answer_window_s(audio)
                frames[name] = _frames_over(self._encode_batch([audio], window_s, model), audio)
        return frames

    # -- decoding ------------------------------------------------------------------------------

    def _decode(
        self,
        audio: np.ndarray,
        prompt_texts: Sequence[str],
        abandoned: threading.Event | None,
        every_encoder: bool = False,
    ) -> tuple[list[Hypothesis], float, dict[str, np.ndarray]] | None:
        """n-best hypotheses, the no-speech probability and the encoder frames over the audio
        the heads read first (by encoder); None if abandoned after encoding."""
        encoded = self._encode_answer(audio)
        if abandoned is not None and abandoned.is_set():
            return None
        tok = self.tokenizer
        plain = [*tok.sot_sequence, tok.no_timestamps]
        prompts = [plain]
        for text in prompt_texts:
            prompts.append([tok.sot_prev, *tok.encode(" " + text)[-200:], *plain])
        # One generate per prompt: CTranslate2 batches need <|startoftranscript|> aligned.
        # Submitted together (asynchronous), they run side by side on the model's workers:
        # with one call on the line its answer is recognised in about half the time.
        pending = [
            self.model.model.generate(
                encoded,
                [tokens],
                asynchronous=True,
                beam_size=self.config.beam_size,
                num_hypotheses=self.config.beam_size,
                return_scores=True,
                return_no_speech_prob=True,
                max_length=64,  # an answer is a few words; a runaway repetition is cut short
                suppress_blank=True,
                suppress_tokens=self._suppress,
            )[0]
            for tokens in prompts
        ]
        # the heads on this encoder read at once, those on others (encoded on this thread
        # while the decodes run on the model's workers) a temperature at once, another
        # answer only when it is too unsure to be taken (``_view_frames``)
        frames = self.head_frames(audio, encoded, others=every_encoder)
        if not frames:  # no head reads a user's own model's encoder: the others' now
            frames = self.head_frames(audio, encoded)
        results = [job.result() for job in pending]
        hypotheses = []
        for index, result in enumerate(results):
            for ids, score in zip(result.sequences_ids, result.scores, strict=True):
                text = tok.decode(ids).strip()
                if text:
                    hypotheses.append(Hypothesis(text, float(score), prompted=index > 0))
        return hypotheses, float(results[0].no_speech_prob), frames

    def _encode_answer(self, audio: np.ndarray) -> Any:
        """The encoder output for an answer: a window just longer than it (``window_s``)."""
        return self._encode(audio, self._answer_window_s(audio))

    def _answer_window_s(self, audio: np.ndarray) -> float:
        """The encoder window of an answer: at least ``window_s``, a second longer than it."""
        return max(self.config.window_s, len(audio) / WHISPER_RATE + 1.0)

    def _encode(self, audio: np.ndarray, window_s: float) -> Any:
        """The encoder output (a CTranslate2 StorageView on the CPU) for a window of audio."""
        return self._encode_batch([audio], window_s)

    def _encode_batch(self, clips: Sequence[np.ndarray], window_s: float, model: Any = None) -> Any:
        """``model``'s encoder output (the transcript model's by default) for windows of the
        same length over each of ``clips``, one batch: two 10 s windows cost ~1.6 times one,
        not twice."""
        import ctranslate2

        model = model or self.model
        extractor = model.feature_extractor
        window_s = min(30.0, window_s)
        features = np.stack([window_features(extractor, clip, window_s) for clip in clips])
        return model.model.encode(
            ctranslate2.StorageView.from_array(np.ascontiguousarray(features)), to_cpu=True
        )

    def _read_temperature(
        self, reading: GrammarReading, hypotheses: list[Hypothesis], extra: dict[str, Any]
    ) -> tuple[str, Understood | None, float]:
        """The temperature the CTC head read (``reading``: every plausible way of saying one
        scored under the grammar, ``asr.ctc``): the most probable value and its share."""
        extra["reader"] = {"no_number": round(reading.no_number, 3)}
        value = reading.value
        if value is None:
            if reading.shares:  # for Whisper's words to confirm (``_agreed``)
                best = max(reading.shares, key=lambda v: reading.shares[v])
                extra["reader"]["best_form"] = reading.forms[best]
            return "", None, 0.0
        text = reading.forms[value]
        parsed = self._form_value(text)
        if parsed is None:  # cannot happen: every form was parsed when the grammar was built
            return "", None, 0.0
        confidence = min(confidence_of(reading.shares[value]), parsed.confidence)
        if not any(_says_a_number(h.text) for h in hypotheses if not h.prompted):
            # Whisper heard no number at all: talk in the room ("... until six ...") can give
            # the head one. Kept, but read back (DOUBTFUL_MAX_CONFIDENCE).
            confidence = min(confidence, DOUBTFUL_MAX_CONFIDENCE)
            extra["reader"]["whisper_heard_no_number"] = True
        return text, parsed, round(confidence, 3)

    def _form_value(self, form: str) -> Understood | None:
        """The temperature of one of the grammar's (English) forms."""
        return understand(
            "temperature", form, min_c=self.config.temperature_min_c,
            max_c=self.config.temperature_max_c,
        )  # fmt: skip

    def _agreed(
        self, understood: Understood | None, reader: dict[str, Any], text: str
    ) -> Understood | None:
        """The heads' best temperature (``understood``, or the best number the grammar put
        below "no number", ``reader["best_form"]``) if Whisper's words ``text`` say it too."""
        if understood is None and "best_form" in reader:
            understood = self._form_value(reader["best_form"])
        said = self._understand("temperature", text, Asked())
        if understood is None or said is None:
            return None
        return understood if abs(float(said.value) - float(understood.value)) < 0.05 else None

    def _says_only_bounds(self, text: str) -> bool:
        language = language_for(self.config.language) if self.config.language else None
        return says_only_bounds(
            text, language=language, min_c=self.config.temperature_min_c,
            max_c=self.config.temperature_max_c,
        )  # fmt: skip

    def _canonical_yes_no(self, audio: np.ndarray) -> YesNo | None:
        """Yes or no from forced scoring of canonical answers (``asr.canonical``), if clear."""
        choice = choose_canonical(
            self.model.model,
            self.tokenizer,
            lambda clip, window_s: np.asarray(self._encode(clip, window_s)),
            audio,
            YES_NO_ANSWERS,
            WHISPER_RATE,
        )
        return None if choice is None else YesNo(bool(choice.value), choice.confidence)

    def _suppressed_tokens(self) -> list[int]:
        from faster_whisper.tokenizer import Tokenizer

        tok: Tokenizer = self.tokenizer
        return sorted({-1, *tok.non_speech_tokens, tok.transcribe, tok.translate, tok.sot,
                       tok.sot_prev, tok.sot_lm})  # fmt: skip

    def _is_noise(self, best: Hypothesis, no_speech_prob: float) -> bool:
        if no_speech_prob > self.config.no_speech_threshold and best.log_prob < NOISE_LOG_PROB:
            return True
        return _noise_phrase(best) and no_speech_prob > DOUBTFUL_NO_SPEECH

    # -- choosing --------------------------------------------------------------------------------

    def _understand(self, expect: Expect, text: str, asked: Asked) -> Understood | None:
        if expect == "yes_no":
            text = _without_answers_to_questions(text)
        return understand(
            expect,
            text,
            options=asked.options,
            affirm=asked.affirm,
            deny=asked.deny,
            language=self.config.language,
            min_c=self.config.temperature_min_c,
            max_c=self.config.temperature_max_c,
            learned=False,  # every hypothesis by the rules; the learned weights after the vote
        )

    def _read_answer(
        self, head: CtcHead, frames: np.ndarray, expect: Expect, asked: Asked
    ) -> list[HeadReading]:
        """An answers head's readings, each with what it says and its share of the head's
        vote. For requests, its most probable readings (CTC beam), shared by probability:
        where the best is a fragment ("oh you get my number this"), a near one often says it
        whole, and a wrong request rarely comes up, so even a small share is evidence
        (docs/decisions.md)."""
        log_probs = head.log_probs(frames)
        if expect != "intent" or self.config.answer_beam <= 1:
            # yes/no: its best path alone. Near readings of a yes are often a no ("yeah" /
            # "nah"), and sharing out the head's vote let Whisper win flat disagreements the
            # head had decided (dev sets: 5 and 2 answers worse).
            best = greedy(log_probs, head.vocab)
            return [HeadReading(best.text, self._understand(expect, best.text, asked), 1.0)]
        readings = beam(log_probs, head.vocab, self.config.answer_beam)
        top = readings[0].log_prob
        weights = [math.exp(r.log_prob - top) for r in readings]
        total = sum(weights)
        return [
            HeadReading(r.text, self._understand(expect, r.text, asked), w / total)
            for r, w in zip(readings, weights, strict=True)
        ]

    def _choose(
        self,
        hypotheses: list[Hypothesis],
        expect: Expect,
        asked: Asked,
        also: Sequence[HeadReading] = (),
    ) -> tuple[str, Understood | None, float]:
        """The transcript and value with most probability among hypotheses that parse;
        ``also``, the answers head's readings, vote with ``answer_reader_share`` of the
        hypotheses' whole weight, shared out by their probability (what of it falls on
        readings that say nothing is the head's vote for nothing)."""
        if not hypotheses:
            return "", None, 0.0
        top = max(h.log_prob for h in hypotheses)
        weights = [math.exp((h.log_prob - top) / self.config.vote_temperature) for h in hypotheses]
        total = sum(weights)
        votes: dict[Any, float] = {}
        example: dict[Any, tuple[float, str, Understood]] = {}
        readings: list[tuple[float, str, Understood]] = []
        parsed_all = [self._understand(expect, h.text, asked) for h in hypotheses]
        supported = {
            p.value for h, p in zip(hypotheses, parsed_all, strict=True) if p and not h.prompted
        } | {h.understood.value for h in also if h.understood is not None}
        echoes = _prompt_sentences(expect, asked)
        for hypothesis, weight, parsed in zip(hypotheses, weights, parsed_all, strict=True):
            if parsed is None:
                continue
            if (
                hypothesis.prompted
                and parsed.value not in supported
                and _echoes(hypothesis.text, echoes)
            ):
                # the prompt's own sentence, which nothing else heard: the decoder went on
                # with its prompt ("I want to talk to a real person." for a misheard opt-out)
                continue
            vote = weight * parsed.confidence
            readings.append((vote, hypothesis.text, parsed))
            votes[parsed.value] = votes.get(parsed.value, 0.0) + vote
            if parsed.value not in example or vote > example[parsed.value][0]:
                example[parsed.value] = (vote, hypothesis.text, parsed)
        head_weight = 0.0
        if any(h.understood is not None for h in also):
            head_weight = self.config.answer_reader_share * total
            if any(isinstance(r[2], YesNo) and r[2].asked for r in readings):
                # Whisper heard the question's own words ("I have a headache" to "any
                # symptoms?"), which the head was never taught: it spells them as words it
                # knows ("I haven't"), so its vote counts less against them.
                head_weight *= QUESTION_HEAD_SHARE
            total += head_weight
        for head in also:
            if head.understood is None:
                continue
            heard, parsed, weight = head.text, head.understood, head_weight * head.share
            # The head writes only words it knows, so it often hears part of what Whisper
            # heard whole ("again" of "Don't call again."): then Whisper's longer reading is
            # what the head confirms, and gets the head's vote.
            fuller = [r for r in readings if _contains_words(r[1], heard)]
            if fuller:
                _, heard, parsed = max(fuller, key=lambda e: e[0])
            votes[parsed.value] = votes.get(parsed.value, 0.0) + weight * parsed.confidence
            if parsed.value not in example:
                example[parsed.value] = (weight, heard, parsed)
        if not votes:
            return "", None, 0.0
        value = max(votes, key=lambda v: votes[v])
        _, text, parsed = example[value]
        share = votes[value] / total
        confidence = round(min(1.0, parsed.confidence * (0.5 + 0.5 * share)), 3)
        return text, parsed, confidence


def window_features(extractor: Any, audio: np.ndarray, window_s: float) -> np.ndarray:
    """Whisper's log-mel features of ``audio`` zero-padded to ``window_s``, computed cheaply.

    The same numbers as the extractor gives for the padded window, but the spectrum is only
    computed over the audio and a little silence after it: every frame of the padding is the
    floor value (the log of the clip level, or 8 below the loudest bin, whichever is higher).
    For a 2 s answer in a 10 s window: 0.6 ms instead of 5.7 ms (quiet machine), identical
    to 1e-7.
    """
    hop = extractor.hop_length
    frames = int(window_s * 100)
    total = int(window_s * WHISPER_RATE)
    audio = audio[:total]
    # enough trailing zeros that every computed frame sees what it sees in the full window
    computed = min(total, len(audio) + 4 * extractor.n_fft)
    padded = np.zeros(computed, dtype=np.float32)
    padded[: len(audio)] = audio
    part = extractor(padded)
    if computed == total:
        return part[:, :frames]
    keep = computed // hop - 2  # the last frames see the end of the shorter array: dropped
    features = np.empty((part.shape[0], frames), dtype=part.dtype)
    features[:, :keep] = part[:, :keep]
    # normalised value of a silent frame: (max(-10, top - 8) + 4) / 4, top = 4 * max - 4
    features[:, keep:] = max(-1.5, float(part.max()) - 2.0)
    return features


def _sentence_words(text: str) -> list[tuple[str, ...]]:
    """The words of each sentence of ``text``, normalised."""
    return [tuple(words) for part in re.split(r"[.?!]", text) if (words := normalize(part).split())]


@lru_cache(maxsize=64)
def _sentences_of(prompts: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    return tuple(sentence for prompt in prompts for sentence in _sentence_words(prompt))


def _prompt_sentences(expect: Expect, asked: Asked) -> tuple[tuple[str, ...], ...]:
    """The sentences of the request prompts, as words: those of ``ECHO_MIN_WORDS`` or more,
    whole requests a decoder can copy. Not the other prompts': the yes/no prompt's "I stayed
    home" is what people say (on answers in their own words the rule dropped as many right
    answers as wrong ones), and a choice's options are what its prompt is there to make heard.
    """
    if expect != "intent":
        return ()
    sentences = _sentences_of(tuple(prompts_for(expect, asked.options)))
    return tuple(s for s in sentences if len(s) >= ECHO_MIN_WORDS)


def _echoes(text: str, sentences: Sequence[tuple[str, ...]]) -> bool:
    """Whether a sentence of ``text`` is one of the prompt's ``sentences``, holds one, or is
    a run of one's words ("Can you repeat that?" of "Sorry, can you repeat that?")."""

    def within(short: Sequence[str], long: Sequence[str]) -> bool:
        return any(
            tuple(long[i : i + len(short)]) == tuple(short)
            for i in range(len(long) - len(short) + 1)
        )

    said = _sentence_words(text)
    return any(within(s, p) or within(p, s) for s in said for p in sentences)


_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")
BARE_ANSWERS = frozenset({"yes", "yeah", "yep", "no", "nope", "sure", "okay", "ok", "yes yes",
                          "no no", "yeah yeah"})  # fmt: skip
QUESTION_MIN_WORDS = 3


def _without_answers_to_questions(text: str) -> str:
    """``text`` without a bare "Yes." or "No." right after a question of the resident's
    ("Can my son collect them for me? Yes."): Whisper writes one there, as if it were the
    one asked, and more so after a prompt that is a question and its answer. A question of
    one or two words ("Me? No.", "Symptoms? No.") is the robot's question said back before
    the answer, which counts."""

    def asked_back(sentence: str) -> bool:
        return sentence.endswith("?") and len(normalize(sentence).split()) >= QUESTION_MIN_WORDS

    sentences = _SENTENCE_END.split(text.strip())
    return " ".join(
        sentence
        for i, sentence in enumerate(sentences)
        if not (i and asked_back(sentences[i - 1]) and normalize(sentence) in BARE_ANSWERS)
    )


def _contains_words(text: str, part: str) -> bool:
    """Whether ``part``'s words occur in ``text`` in the same order (others between)."""
    words = iter(normalize(text).split())
    wanted = normalize(part).split()
    return bool(wanted) and all(word in words for word in wanted)


def _frames_over(encoded: Any, audio: np.ndarray) -> np.ndarray:
    """The rows of an encoder output (20 ms each) that cover ``audio`` (16 kHz)."""
    return np.asarray(encoded)[0, : -(-len(audio) // (WHISPER_RATE // 50))]


def _nothing(
    expect: str,
    speech_ms: float,
    started: float,
    hypotheses: Sequence[Hypothesis] = (),
    no_speech_prob: float = 1.0,
) -> Recognition:
    return Recognition(
        text="",
        expect=expect,
        understood=None,
        confidence=0.0,
        hypotheses=tuple(hypotheses),
        speech_ms=speech_ms,
        no_speech_prob=no_speech_prob,
        asr_ms=1000.0 * (time.perf_counter() - started),
    )


def _with_asr_ms(result: Recognition, asr_ms: float) -> Recognition:
    return replace(result, asr_ms=asr_ms)


def _noise_phrase(best: Hypothesis) -> bool:
    """A transcript Whisper writes for noise ("Thank you.", "You."), not said with confidence."""
    normalised = best.text.lower().strip(" .!?,")
    return normalised in NOISE_HALLUCINATIONS and best.log_prob < -0.5


def _short(text: str) -> bool:
    """Whether Whisper heard no more words than a short yes or no that it may have misheard
    ("Good call." for "Of course."): the canonical yes/no scoring is sure enough for those.
    On longer words it is a guess: on 630 answers in people's own words it was right on 17
    of 27 yes or no answers of three words or more, and made a yes or no of 32 that said
    neither ("Hold on, I'll get my husband."); on the generated test sets it ran 4 times,
    the 3 right ones on two words."""
    return len(normalize(text).split()) <= CANONICAL_MAX_WORDS


def _repeats_a_word(text: str) -> bool:
    """The same word, or the same few words, three times running ("No, no, no", "I'm going
    to say that I'm going to say that I'm going to say that")."""
    words = re.findall(r"[\w']+", text.lower())
    for size in range(1, 6):
        span = size * REPEATED_WORD_RUN
        for start in range(len(words) - span + 1):
            first = words[start : start + size]
            if all(words[start + k * size : start + (k + 1) * size] == first
                   for k in range(1, REPEATED_WORD_RUN)):  # fmt: skip
                return True
    return False


def _says_a_number(text: str) -> bool:
    """Digits or an English number word ("point" and "hundred" included) in a transcript."""
    words = re.findall(r"\d|[a-z]+", text.lower())
    return any(w.isdigit() or is_number_word(w) or w in NUMBER_PARTS for w in words)


def _level_dbfs(samples: np.ndarray, voiced: np.ndarray) -> float:
    """RMS level of the chunks Silero found voiced, in dB full scale."""
    mask = np.repeat(voiced, CHUNK_8K)[: len(samples)]
    power = float(np.mean(np.square(samples[: len(mask)][mask]))) if mask.any() else 0.0
    return 10.0 * math.log10(max(power, 1e-12))
