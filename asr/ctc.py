"""Small CTC heads on top of Whisper's encoder: temperatures, and yes/no and requests.

Whisper's decoder, on telephone-band synthetic voices, hears the number it expects more than
the number said: its language prior ("35", "38", "40") outweighs the acoustics, and forced
scoring of every value loses to free decoding (docs/decisions.md). A head reads the same
encoder output the recogniser already computed, with a closed vocabulary plus one token for
any other word, and no language model at all: what decides is the audio. The temperature
head is read under a grammar of every plausible way of saying a temperature
(``TemperatureGrammar``); the answers head's free readings vote beside Whisper's hypotheses
(its best path for yes/no, its n-best from ``beam`` for requests).

They are trained (``python -m asr.train_ctc``) on answers spoken by voices and phrasings that
the test set's held-out split does not use, through the same telephone line, and shipped as
``.npz`` weights (about 1 MB each) beside this module. Inference is numpy: three 1-D
convolutions and a projection over a few hundred frames, a few milliseconds next to the
60 ms encode it shares.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

import numpy as np

from ivr.understanding.languages.en import DIGIT_WORDS, number_words

BLANK = "<b>"
OTHER = "<w>"  # any word outside the vocabulary ("my", "temperature", "is" ...)
WORDS = (
    "zero oh one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty "
    "ninety hundred and a half point degrees celsius fahrenheit"
).split()
VOCAB = (BLANK, OTHER, *WORDS)
INDEX = {word: i for i, word in enumerate(VOCAB)}


@lru_cache(maxsize=4)
def _index(vocab: tuple[str, ...]) -> dict[str, int]:
    return INDEX if vocab is VOCAB else {word: i for i, word in enumerate(vocab)}


ALIASES = {"degree": "degrees", "centigrade": "celsius"}

# The Whisper model whose encoder new heads read (``python -m asr.train_ctc --encoder``):
# the bundled multilingual ``base``, whose frames carry more of what was said than tiny.en's
# (docs/decisions.md, "Heads on base's encoder"); tiny.en still writes the transcript. A
# head's file names its encoder; one without a name learned tiny.en's.
HEAD_ENCODER = "base"

WEIGHTS = Path(__file__).with_name("temperature_ctc.npz")
# Each kind of answer is read by heads on two encoders, whose readings are averaged (a
# temperature's) or vote each with its part (a yes/no's, a request's): tiny.en's and base's
# hear apart, so they err apart (docs/decisions.md, "Heads on base's encoder").
# Temperatures: two heads on tiny.en's encoder trained apart from scratch (docs/decisions.md,
# "A second temperature head"), and one on base's; all three since fine-tuned on accents made
# of espeak-ng's phonemes (``asr.accents``; docs/decisions.md, "Shifted accents, again").
TEMPERATURE_WEIGHTS = (
    WEIGHTS,
    Path(__file__).with_name("temperature_ctc_2.npz"),
    Path(__file__).with_name("temperature_base_ctc.npz"),
)
# yes/no: a head of our own phrasings' words on tiny.en's encoder, and base's head of those
# and people's own words (the one that also reads requests)
ANSWER_WEIGHTS = (
    Path(__file__).with_name("answers_ctc.npz"),
    Path(__file__).with_name("requests_base_ctc.npz"),
)
# requests: heads of the answers' words and ~1,000 more, of what people said in their own
# words (asr.train_ctc --said; docs/decisions.md, "A head that learned people's own words")
REQUEST_WEIGHTS = (
    Path(__file__).with_name("requests_ctc.npz"),
    Path(__file__).with_name("requests_base_ctc.npz"),
)


def encoder_of(data: np.lib.npyio.NpzFile) -> str:
    """The encoder a head's ``.npz`` (opened) names; one without a name learned tiny.en's."""
    return str(data["encoder"]) if "encoder" in data.files else "tiny.en"


def words_of(text: str) -> list[str]:
    return text.lower().replace("-", " ").replace(",", " ").replace(".", " ").split()


def target(text: str, vocab: tuple[str, ...] = VOCAB) -> list[int]:
    """The label sequence of a transcript: vocabulary words, ``OTHER`` for any other word."""
    index = _index(vocab)
    return [index.get(ALIASES.get(w, w), index[OTHER]) for w in words_of(text)]


def _gelu(x: np.ndarray) -> np.ndarray:
    # x * x * x, not x**3: numpy's float32 power is ~200x slower
    return 0.5 * x * (1.0 + np.tanh(0.7978845608 * (x + 0.044715 * (x * x * x))))


def _conv(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """'same' 1-D convolution: x [T, C_in], w [K, C_in, C_out], as one matrix product."""
    k, c_in, c_out = w.shape
    pad = k // 2
    padded = np.pad(x, ((pad, k - 1 - pad), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, k, axis=0)  # [T, C_in, K]
    columns = np.ascontiguousarray(windows.transpose(0, 2, 1)).reshape(x.shape[0], k * c_in)
    return columns @ w.reshape(k * c_in, c_out) + b


def forward(params: dict[str, np.ndarray], frames: np.ndarray) -> np.ndarray:
    """Log-probabilities [T, len(VOCAB)] for encoder frames [T, D]."""
    x = (frames - params["mean"]) / params["std"]
    h = _gelu(_conv(x, params["w1"], params["b1"]))
    h = h + _gelu(_conv(h, params["w2"], params["b2"]))
    h = h + _gelu(_conv(h, params["w3"], params["b3"]))
    logits = h @ params["wo"] + params["bo"]
    logits -= logits.max(axis=1, keepdims=True)
    return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))


@dataclass(frozen=True)
class Reading:
    words: tuple[str, ...]  # vocabulary words in order, OTHER left out
    log_prob: float  # of the best path

    @property
    def text(self) -> str:
        return " ".join(self.words)


def greedy(log_probs: np.ndarray, vocab: tuple[str, ...] = VOCAB) -> Reading:
    best = log_probs.argmax(axis=1)
    words: list[str] = []
    previous = -1
    for index in best:
        if index != previous and index != 0 and vocab[index] != OTHER:
            words.append(vocab[index])
        previous = int(index)
    return Reading(tuple(words), float(log_probs.max(axis=1).sum()))


def _logaddexp(a: float, b: float) -> float:
    if a < b:
        a, b = b, a
    return a if b == -math.inf else a + math.log1p(math.exp(b - a))


def beam(
    log_probs: np.ndarray, vocab: tuple[str, ...] = VOCAB, width: int = 8, prune: float = -7.0
) -> list[Reading]:
    """The ``width`` most probable label sequences (CTC prefix beam search, no language
    model), most probable first; each ``log_prob`` sums every path of its sequence. Labels
    under ``prune`` (log) in a frame are not tried there. ``OTHER`` is kept apart while
    searching (it separates words) and left out of the readings, as in ``greedy``."""
    # prefix -> (log p of its paths ending in a blank, ... ending in its last label)
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (0.0, -math.inf)}
    for row in log_probs:
        tried = [(int(c), float(row[c])) for c in np.flatnonzero(row > prune)]
        grown: dict[tuple[int, ...], list[float]] = {}
        for prefix, (blank_end, label_end) in beams.items():
            total = _logaddexp(blank_end, label_end)
            last = prefix[-1] if prefix else -1
            for label, p in tried:
                if label == 0:
                    entry = grown.setdefault(prefix, [-math.inf, -math.inf])
                    entry[0] = _logaddexp(entry[0], total + p)
                    continue
                entry = grown.setdefault((*prefix, label), [-math.inf, -math.inf])
                if label == last:  # a new label only after a blank; else the same one goes on
                    entry[1] = _logaddexp(entry[1], blank_end + p)
                    same = grown.setdefault(prefix, [-math.inf, -math.inf])
                    same[1] = _logaddexp(same[1], label_end + p)
                else:
                    entry[1] = _logaddexp(entry[1], total + p)
        ranked = sorted(grown.items(), key=lambda kv: -_logaddexp(*kv[1]))[:width]
        beams = {prefix: (ends[0], ends[1]) for prefix, ends in ranked}
    readings = [
        Reading(tuple(vocab[i] for i in prefix if vocab[i] != OTHER), _logaddexp(*ends))
        for prefix, ends in beams.items()
    ]
    return sorted(readings, key=lambda r: -r.log_prob)


class CtcHead:
    """A trained head (its weights and vocabulary), loaded once per process."""

    _lock = threading.Lock()
    _loaded: ClassVar[dict[Path, CtcHead]] = {}

    def __init__(
        self,
        params: dict[str, np.ndarray],
        vocab: tuple[str, ...] = VOCAB,
        encoder: str = "tiny.en",
    ) -> None:
        self.params = params
        self.vocab = vocab
        self.encoder = encoder  # the Whisper model whose encoder frames it reads

    @classmethod
    def load(cls, path: Path = WEIGHTS) -> CtcHead:
        with cls._lock:
            if path not in cls._loaded:
                with np.load(path) as data:
                    named = {"vocab", "encoder"}
                    params = {k: data[k].astype(np.float32) for k in data.files if k not in named}
                    vocab = tuple(str(w) for w in data["vocab"]) if "vocab" in data else VOCAB
                    encoder = encoder_of(data)
                cls._loaded[path] = cls(params, vocab, encoder)
            return cls._loaded[path]

    @property
    def dim(self) -> int:
        return int(self.params["mean"].shape[0])

    def log_probs(self, frames: np.ndarray) -> np.ndarray:
        return forward(self.params, frames.astype(np.float32))


# -- reading a temperature with the grammar ------------------------------------------------------

OUT_OF_GRAMMAR = math.log(1e-4)
SURE_DIGITS = 3.0  # see confidence_of
FILLER = ("<b>", "<w>", "degrees", "celsius", "fahrenheit")  # may surround the number
# Before the reading, number words too, at this cost (natural log) a frame: a reading said
# again ("thirty eight, sorry, thirty nine point four"), or a carrier word heard as a number
# ("the old one says a hundred point four"). The reading is the last number said. Measured
# on the dev sets (docs/decisions.md): -3 took 3 more, -1.5 7 more and 26 right readings
# surer, 0 (free) lost some too.
NUMBER_BEFORE = -1.5


def _integer_forms(n: int) -> list[str]:
    forms = [number_words(n)]
    if n >= 100:
        forms += [forms[0].replace("one hundred", "a hundred", 1),
                  forms[0].replace("one hundred", "hundred", 1)]  # fmt: skip
    if 101 <= n <= 109:
        forms.append(f"one oh {DIGIT_WORDS[n - 100]}")  # "one oh four"
    return forms


def temperature_forms(min_c: float, max_c: float) -> dict[str, float]:
    """Every way of saying a plausible temperature (Celsius and Fahrenheit, tenths, "and a
    half", "thirty six eight"), mapped to its value in °C by the project's own parser."""
    from ivr.understanding import understand

    texts: list[str] = []
    for whole in range(math.floor(min_c), math.ceil(max_c) + 1):
        for spoken in _integer_forms(whole):
            texts += [spoken, f"{spoken} and a half", f"{spoken} point oh"]
            texts += [f"{spoken} point {d}" for d in DIGIT_WORDS]
            texts += [f"{spoken} {d}" for d in DIGIT_WORDS[1:]]
            texts += [f"{spoken} and {d}" for d in DIGIT_WORDS[1:]]  # as "36度5" is said
            texts.append(f"{spoken} degrees and a half")
        # read digit by digit off a thermometer's display: "three seven point two", "three
        # six five" (the parser takes these, a little less surely; "three seven" alone is
        # no reading, and the parser drops it below)
        digits = " ".join(DIGIT_WORDS[int(d)] for d in str(whole))
        texts += [f"{digits} and a half", f"{digits} point oh"]
        texts += [f"{digits} point {d}" for d in DIGIT_WORDS]
        texts += [f"{digits} {d}" for d in DIGIT_WORDS]
    low_f, high_f = (math.floor(min_c * 9 / 5 + 32), math.ceil(max_c * 9 / 5 + 32))
    for whole in range(low_f, high_f + 1):
        for spoken in _integer_forms(whole):
            texts += [spoken, f"{spoken} and a half", f"{spoken} point oh"]
            texts += [f"{spoken} point {d}" for d in DIGIT_WORDS]
    forms = {}
    for text in texts:
        parsed = understand("temperature", text, min_c=min_c, max_c=max_c)
        if parsed is not None:
            forms[text] = round(float(parsed.value), 1)
    return forms


class TemperatureGrammar:
    """Scores every plausible temperature form against the head's output at once (a CTC
    forward pass per form, vectorised): filler before and after, the number's words between;
    before, other numbers too (``NUMBER_BEFORE``)."""

    def __init__(self, forms: dict[str, float]) -> None:
        self.texts = list(forms)
        self.values = np.array([forms[t] for t in self.texts])
        filler = len(VOCAB)  # an extra column: log-sum of the filler tokens
        before = filler + 1  # and another: filler, or other words at NUMBER_BEFORE
        blank = INDEX[BLANK]
        sequences = [[INDEX[w] for w in text.split()] for text in self.texts]
        width = 2 * max(len(s) for s in sequences) + 1  # P, l1, b, l2, ..., ln, Q
        self.tokens = np.full((len(sequences), width), filler, dtype=np.int64)
        self.skip = np.zeros((len(sequences), width), dtype=bool)  # may come from j - 2
        self.valid = np.zeros((len(sequences), width), dtype=bool)
        self.final = np.zeros(len(sequences), dtype=np.int64)  # the Q state
        for row, labels in enumerate(sequences):
            states = [before]
            for i, label in enumerate(labels):
                if i:
                    states.append(blank)
                    self.skip[row, len(states)] = labels[i - 1] != label
                states.append(label)
            states.append(filler)
            self.tokens[row, : len(states)] = states
            self.valid[row, : len(states)] = True
            self.final[row] = len(states) - 1
        self.filler_ids = np.array([INDEX[w] for w in FILLER])
        self.word_ids = np.array([i for i in range(len(VOCAB)) if i not in self.filler_ids])
        self.valid_f = self.valid.astype(np.float64)  # unused states (padding) stay at zero
        self.skip_f = self.skip.astype(np.float64)

    def score(self, log_probs: np.ndarray) -> np.ndarray:
        """log p(frames | form) for every form (filler-only paths excluded)."""
        filler = np.logaddexp.reduce(log_probs[:, self.filler_ids], axis=1)
        words = np.logaddexp.reduce(log_probs[:, self.word_ids], axis=1) + NUMBER_BEFORE
        extended = np.concatenate(
            [log_probs, filler[:, None], np.logaddexp(filler, words)[:, None]], axis=1
        )
        # The forward pass in probabilities, rescaled every few frames (the scale kept in
        # log): several times quicker than in log space; what underflows is negligible.
        rows = np.arange(len(self.texts))
        step_max = extended.max(axis=1)
        probs = np.exp(extended - step_max[:, None])
        alpha = probs[0][self.tokens] * self.valid_f
        alpha[:, 2:] = 0.0
        log_scale = float(step_max[0])
        carry = np.empty_like(alpha)
        for t in range(1, log_probs.shape[0]):
            carry[:] = alpha
            carry[:, 1:] += alpha[:, :-1]
            np.multiply(alpha[:, :-2], self.skip_f[:, 2:], out=alpha[:, :-2])
            carry[:, 2:] += alpha[:, :-2]
            np.multiply(carry, probs[t][self.tokens], out=alpha)
            log_scale += float(step_max[t])
            if t % 8 == 0 or t == log_probs.shape[0] - 1:
                peak = float(alpha.max())
                if peak <= 0.0:
                    return np.full(len(self.texts), -np.inf)
                alpha /= peak
                log_scale += math.log(peak)
        with np.errstate(divide="ignore"):
            return np.log(alpha[rows, self.final] + alpha[rows, self.final - 1]) + log_scale

    def read(self, log_probs: np.ndarray) -> GrammarReading:
        """Each value's share (its forms summed; "no number at all", a filler-only path,
        competes with them) and the most probable form of each value."""
        scores = self.score(log_probs)
        nothing = float(np.logaddexp.reduce(log_probs[:, self.filler_ids], axis=1).sum())
        # Words that make no temperature ("six" alone, "thirty thirty"): the head's own best
        # path, handicapped by OUT_OF_GRAMMAR, competes too, or the grammar would force a value.
        other = float(log_probs.max(axis=1).sum()) + OUT_OF_GRAMMAR
        nothing = float(np.logaddexp(nothing, other))
        top = max(float(scores.max()), nothing)
        weights = np.exp(scores - top)
        total = float(weights.sum()) + math.exp(nothing - top)
        shares: dict[float, float] = {}
        best: dict[float, tuple[float, str]] = {}
        values = self.values.tolist()
        for value, weight, text in zip(values, weights.tolist(), self.texts, strict=True):
            shares[value] = shares.get(value, 0.0) + weight / total
            if weight > best.get(value, (-1.0, ""))[0]:
                best[value] = (weight, text)
        return GrammarReading(
            shares, math.exp(nothing - top) / total, {v: text for v, (_, text) in best.items()}
        )


def confidence_of(share: float) -> float:
    """The dialogue's confidence for a value the grammar gives ``share``.

    Shares are sharp: on voices left out of training a right value had 1 - share below 1e-4
    in most answers, a wrong one mostly above 1e-2. So a value is taken without a read-back
    (confidence 0.8 or more) only from ``1 - share <= 10**-SURE_DIGITS``; from a share of
    ``asr_min_confidence`` up to there, the confidence rises with the digits, and below it is
    the share itself (not understood)."""
    low = 0.45
    if share < low:
        return share
    digits = -math.log10(max(1.0 - share, 1e-12))
    floor = -math.log10(1.0 - low)
    if digits < SURE_DIGITS:
        return low + (0.8 - low) * (digits - floor) / (SURE_DIGITS - floor)
    return min(1.0, 0.8 + 0.2 * (digits - SURE_DIGITS) / 2.0)


@dataclass(frozen=True)
class GrammarReading:
    shares: dict[float, float]  # value (°C) -> probability
    no_number: float  # probability that no temperature was said
    forms: dict[float, str]  # value -> its most probable spoken form

    @classmethod
    def mean(cls, readings: Sequence[GrammarReading]) -> GrammarReading:
        """The readings of several views of one answer, their shares averaged; each value's
        form is the first view's that has it."""
        count = len(readings)
        shares: dict[float, float] = {}
        forms: dict[float, str] = {}
        for reading in readings:
            for value, share in reading.shares.items():
                shares[value] = shares.get(value, 0.0) + share / count
            for value, text in reading.forms.items():
                forms.setdefault(value, text)
        return cls(shares, sum(r.no_number for r in readings) / count, forms)

    @property
    def value(self) -> float | None:
        """The most probable value, None if "no number" is more probable than any value."""
        if not self.shares:
            return None
        value = max(self.shares, key=lambda v: self.shares[v])
        return value if self.shares[value] > self.no_number else None
