"""A labelled set of telephone answers, built reproducibly from code (nothing is committed).

The same kinds of answers — temperatures in many phrasings (Celsius and Fahrenheit), yes/no
variants, intent requests, and silence, noise or talk in the room with no answer (a
television at -40 to -20 dBFS) that must yield nothing — are spoken by many voices (the piper
voice and espeak-ng English voices with variants, speeds and pitches), then put through a
telephone line: 300-3400 Hz band, G.711 mu-law by sox, background noise at a few
signal-to-noise ratios.

Two splits that share neither voices nor phrasings: ``dev`` (tune on it) and ``heldout``
(report on it); a third, ``speaker``, built on its own, has the held-out phrasings spoken by a
voice of another engine (flite's awb), to see how the recogniser meets a new kind of voice.
With ``said`` (a JSON file of answers people wrote, ``read_said``) those answers replace the
generated phrasings, each spoken by two of the split's voices: phrasings nobody tuned on.
The audio lands in ``<cache_dir>/speech-testset/<version>/``, with a
``manifest.jsonl``; a second build with the same parameters reuses it.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from ivr.audio import SAMPLE_RATE, from_float, resample, write_wav
from ivr.errors import SpeechError
from ivr.speech.voices import (
    PiperSettings,
    PiperVoice,
    Voice,
    bundled_piper_model,
    load_voice,
)
from ivr.understanding.languages.en import DIGIT_WORDS, number_words
from ivr.understanding.results import INTENTS

VERSION = "ts6"  # ts6 = ts5 with sox dither off: two builds of a set give the same audio
Split = Literal["dev", "heldout", "speaker"]
# "speaker": the held-out phrasings and noises, spoken by flite's awb (a recorded Scottish
# speaker), a voice of another engine that no training or tuning ever heard.
SPEAKER_VOICES = ("flite:awb:0.85", "flite:awb:1", "flite:awb:1.15")


def _phrasing(split: Split) -> Literal["dev", "heldout"]:
    return "dev" if split == "dev" else "heldout"


# -- voices ----------------------------------------------------------------------------------

ESPEAK_BASES: dict[Split, tuple[str, ...]] = {
    "dev": ("en-us", "en-gb", "en-gb-x-rp", "en-029"),
    "heldout": ("en-us-nyc", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-gbcwmd"),
}
ESPEAK_VARIANTS: dict[Split, tuple[str, ...]] = {
    "dev": ("m1", "m3", "m5", "m7", "f1", "f3", "f5", "Alex", "Annie", "david", "linda",
            "max", "rob", "steph", "grandpa"),
    "heldout": ("m2", "m4", "m6", "f2", "f4", "Andy", "ed", "john", "Michael", "paul", "robert",
                "zac", "anika", "Lee", "quincy"),
}  # fmt: skip
PIPER_LENGTH_SCALES: dict[Split, tuple[float, ...]] = {"dev": (1.0, 0.9), "heldout": (1.15, 0.85)}
NOISES: dict[Split, tuple[tuple[str, float | None], ...]] = {
    # (kind, SNR in dB; None = clean line)
    "dev": (("none", None), ("pink", 20.0), ("babble", 15.0), ("white", 12.0), ("hum", 15.0)),
    "heldout": (("none", None), ("pink", 15.0), ("babble", 12.0), ("white", 18.0), ("brown", 10.0)),
}

TALK_LEVELS_DBFS = (-40.0, -30.0, -20.0)

# -- phrasings ---------------------------------------------------------------------------------


def say_decimal(value: float) -> str:
    """36.0 → "thirty six" (the test set's phrasing; the robot's own read-back says "point
    zero", ``ivr.script.render.say_decimal``)."""
    whole, tenth = divmod(round(value * 10), 10)
    return number_words(whole) + (f" point {DIGIT_WORDS[tenth]}" if tenth else "")


@dataclass(frozen=True)
class Phrase:
    text: str
    expect: str
    label: Any  # °C for temperature, bool for yes_no, intent name, None for nothing
    question: str | None = None  # the step asked, where its own phrases matter (yes/no)


def _temperatures(rng: random.Random, split: Split, count: int) -> list[Phrase]:
    def celsius() -> float:
        return round(rng.choice([rng.uniform(35.8, 37.4), rng.uniform(37.5, 39.8)]), 1)

    def c_text(template: str) -> Callable[[], Phrase]:
        def make() -> Phrase:
            c = celsius()
            return Phrase(template.format(say_decimal(c)), "temperature", c)

        return make

    def c_half(template: str) -> Callable[[], Phrase]:
        def make() -> Phrase:
            whole = rng.choice([36, 37, 38, 39])
            return Phrase(template.format(number_words(whole)), "temperature", whole + 0.5)

        return make

    def c_tenth(template: str) -> Callable[[], Phrase]:
        def make() -> Phrase:
            c = celsius()
            whole, tenth = divmod(round(c * 10), 10)
            tenth = tenth or 1
            spoken = f"{number_words(whole)} {DIGIT_WORDS[tenth]}"
            return Phrase(template.format(spoken), "temperature", whole + tenth / 10)

        return make

    def f_text(template: str) -> Callable[[], Phrase]:
        def make() -> Phrase:
            f = round(rng.uniform(97.0, 103.0), 1)
            return Phrase(
                template.format(say_decimal(f)), "temperature", round((f - 32) * 5 / 9, 1)
            )

        return make

    makers = {
        "dev": [c_text("{}"), c_text("{} degrees"), c_text("my temperature is {}"),
                c_text("it's {} degrees celsius"), c_half("{} and a half"), c_tenth("{}"),
                f_text("{} fahrenheit"), f_text("{} degrees fahrenheit"), c_text("today it's {}")],
        "heldout": [c_text("about {}"), c_text("I measured {} this morning"), c_text("{}, I think"),
                    c_text("it is {} degrees"), c_half("{} and a half degrees"),
                    c_tenth("{} degrees"), f_text("my temperature was {} degrees fahrenheit"),
                    f_text("it's {} fahrenheit"), c_text("{} celsius")],
    }[_phrasing(split)]  # fmt: skip
    return [rng.choice(makers)() for _ in range(count)]


YES_NO: dict[Split, tuple[tuple[str, bool], ...]] = {
    "dev": (("yes", True), ("yeah", True), ("yep", True), ("sure", True), ("correct", True),
            ("that's right", True), ("yes I did", True), ("I did", True), ("yes please", True),
            ("no", False), ("nope", False), ("no I didn't", False), ("not at all", False),
            ("I stayed home", False), ("no cough", False), ("no, I stayed at home", False),
            ("nah", False)),
    "heldout": (("yes, I went out", True), ("of course", True), ("absolutely", True),
                ("yeah, that's correct", True), ("yup", True), ("definitely", True),
                ("yes, I did go out", True), ("no, not today", False),
                ("I didn't go anywhere", False), ("no fever and no cough", False),
                ("no, I haven't", False), ("nope, I was home all day", False),
                ("no I did not", False), ("not really", False)),
}  # fmt: skip
INTENT_PHRASES: dict[Split, tuple[tuple[str, str], ...]] = {
    "dev": (("can you repeat that", "repeat"), ("say that again please", "repeat"),
            ("sorry, what did you say", "repeat"), ("pardon", "repeat"),
            ("stop calling me", "opt_out"), ("take me off your list", "opt_out"),
            ("don't call me again", "opt_out"), ("I want to talk to a person", "human"),
            ("let me speak to someone", "human"), ("operator", "human"),
            ("who is this", "who_is_calling"), ("where are you calling from", "who_is_calling"),
            ("who are you", "who_is_calling")),
    "heldout": (("could you repeat the question", "repeat"), ("I didn't catch that", "repeat"),
                ("one more time please", "repeat"), ("please remove my number", "opt_out"),
                ("I don't want these calls anymore", "opt_out"), ("unsubscribe me", "opt_out"),
                ("can I talk to a real person", "human"), ("put me through to a human", "human"),
                ("I need to speak with the staff", "human"), ("who's calling", "who_is_calling"),
                ("who am I speaking to", "who_is_calling"),
                ("what is this call about", "who_is_calling")),
}  # fmt: skip


def phrases(split: Split, seed: int, per_kind: int) -> list[Phrase]:
    rng = random.Random(f"{seed}-{split}")
    out = _temperatures(rng, split, per_kind)
    answers, requests = YES_NO[_phrasing(split)], INTENT_PHRASES[_phrasing(split)]
    out += [Phrase(t, "yes_no", v) for t, v in (rng.choice(answers) for _ in range(per_kind))]
    out += [Phrase(t, "intent", v) for t, v in (rng.choice(requests) for _ in range(per_kind))]
    quiet = max(4, per_kind // 6)
    out += [Phrase("", rng.choice(["temperature", "yes_no", "intent"]), None) for _ in range(quiet)]
    return out


# -- the telephone line ------------------------------------------------------------------------


def telephone_line(pcm: bytes) -> bytes:
    """8 kHz slin → 300-3400 Hz, G.711 mu-law and back (sox), as a phone call carries it."""
    sox = shutil.which("sox")
    if sox is None:
        raise SpeechError("sox is not installed (Debian package sox)")
    raw = ["-t", "raw", "-r", str(SAMPLE_RATE), "-c", "1"]
    encoded = subprocess.run(
        [sox, "-D", *raw, "-e", "signed", "-b", "16", "-", *raw, "-e", "mu-law", "-b", "8", "-",
         "sinc", "300-3400"],  # -D: no dither, so a rebuilt test set is the same audio
        input=pcm, capture_output=True, check=True,
    ).stdout  # fmt: skip
    return subprocess.run(
        [sox, "-D", *raw, "-e", "mu-law", "-b", "8", "-", *raw, "-e", "signed", "-b", "16", "-"],
        input=encoded, capture_output=True, check=True,
    ).stdout  # fmt: skip


def noise(kind: str, length: int, rng: np.random.Generator, babble: list[np.ndarray]) -> np.ndarray:
    """Unit-RMS background noise of ``kind`` at 8 kHz."""
    if kind == "white":
        out = rng.standard_normal(length)
    elif kind in ("pink", "brown"):
        spectrum = np.fft.rfft(rng.standard_normal(length))
        freqs = np.maximum(np.fft.rfftfreq(length, 1 / SAMPLE_RATE), 20.0)
        spectrum /= freqs ** (0.5 if kind == "pink" else 1.0)
        out = np.fft.irfft(spectrum, length)
    elif kind == "hum":
        t = np.arange(length) / SAMPLE_RATE
        out = sum(np.sin(2 * np.pi * 50 * h * t + rng.uniform(0, 6)) / h for h in (1, 3, 5, 7))
        out = out + 0.3 * rng.standard_normal(length)
    elif kind == "babble":
        out = np.zeros(length)
        for _ in range(4):
            voice = babble[rng.integers(len(babble))]
            start = rng.integers(max(1, length - len(voice)))
            piece = voice[: length - start]
            out[start : start + len(piece)] += piece
        out += 0.05 * rng.standard_normal(length)
    else:
        raise ValueError(f"unknown noise {kind!r}")
    rms = float(np.sqrt(np.mean(out**2))) or 1.0
    return (out / rms).astype(np.float32)


# -- building ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clip:
    file: str  # relative to the manifest's folder
    split: str
    expect: str
    text: str
    label: Any
    voice: str
    noise: str
    snr_db: float | None
    onset_ms: int  # where speech starts in the clip
    speech_ms: int  # how long the speech lasts
    level_dbfs: float | None = None  # "talk" clips: level of the background talk (RMS)
    question: str | None = None  # a step of the shipped scripts (answers of a ``said`` file)


def voice_specs(
    rng: random.Random,
    piper_scales: tuple[float, ...],
    bases: tuple[str, ...],
    variants: tuple[str, ...],
    speeds: tuple[int, int] = (130, 185),
    pitches: tuple[int, int] = (30, 70),
) -> list[str]:
    """The piper voice at each length scale, and every espeak-ng base with every variant at a
    random speed (words per minute) and pitch: "espeak:en-us+m3:150:40"."""
    specs = [f"piper:{scale}" for scale in piper_scales]
    for base in bases:
        for variant in variants:
            specs.append(f"espeak:{base}+{variant}:{rng.randint(*speeds)}:{rng.randint(*pitches)}")
    return specs


def espeak_parts(spec: str | None) -> tuple[str, str] | None:
    """The espeak-ng base (the accent) and variant of a voice spec: "espeak:en-us-nyc+m2:150:40"
    -> ("en-us-nyc", "m2"), the variant "" if it has none; None for any other voice."""
    if not spec or not spec.startswith("espeak:"):
        return None
    base, _, variant = spec.split(":")[1].partition("+")
    return base, variant


def _voices(split: Split, seed: int) -> list[str]:
    if split == "speaker":
        return list(SPEAKER_VOICES)
    rng = random.Random(f"voices-{seed}-{split}")
    return voice_specs(rng, PIPER_LENGTH_SCALES[split], ESPEAK_BASES[split], ESPEAK_VARIANTS[split])


_piper_voices: dict[float, PiperVoice] = {}


def _voice(spec: str) -> Voice:
    if spec.startswith("piper:"):
        scale = float(spec.split(":")[1])
        if scale not in _piper_voices:
            _piper_voices[scale] = PiperVoice(
                bundled_piper_model(), PiperSettings(length_scale=scale)
            )
        return _piper_voices[scale]
    return load_voice(spec)  # "espeak:NAME:SPEED:PITCH", "flite:NAME:STRETCH"


def _speak(spec: str, text: str) -> np.ndarray:
    voice = _voice(spec)
    audio = resample(np.concatenate(list(voice.chunks(text))), voice.sample_rate, SAMPLE_RATE)
    # Trim the synthesizer's own leading and trailing silence: onset_ms must be the true onset.
    loud = np.flatnonzero(np.abs(audio) > 0.02 * (np.max(np.abs(audio)) or 1.0))
    return audio[loud[0] : loud[-1] + 1] if loud.size else audio


def _render(clip: Clip, folder: Path, seed: int, babble: list[np.ndarray]) -> int:
    """Write the clip's audio; returns the speech's length in ms."""
    rng = np.random.default_rng(zlib.crc32(f"{seed}/{clip.file}".encode()))
    onset = clip.onset_ms * SAMPLE_RATE // 1000
    tail = int(rng.uniform(0.6, 1.0) * SAMPLE_RATE)
    if clip.text:
        speech = _speak(clip.voice, clip.text)
        speech *= 10 ** (rng.uniform(-16, -4) / 20) / (np.max(np.abs(speech)) or 1.0)
    else:
        speech = np.zeros(int(rng.uniform(1.0, 2.5) * SAMPLE_RATE), dtype=np.float32)
    signal = np.concatenate([np.zeros(onset), speech, np.zeros(tail)]).astype(np.float32)
    if clip.noise == "talk":  # a television or people in the room; nobody answers
        level = clip.level_dbfs if clip.level_dbfs is not None else -30.0
        signal += noise("babble", len(signal), rng, babble) * 10 ** (level / 20)
    elif clip.noise != "none":
        reference = (
            float(np.sqrt(np.mean(speech[np.abs(speech) > 1e-4] ** 2))) if clip.text else 0.01
        )
        snr = clip.snr_db if clip.snr_db is not None else 20.0
        signal += noise(clip.noise, len(signal), rng, babble) * reference / 10 ** (snr / 20)
    write_wav(folder / clip.file, telephone_line(from_float(signal)))
    return int(1000 * len(speech) / SAMPLE_RATE) if clip.text else 0


SAID_VOICES = 2  # voices that speak each answer of a ``said`` file


def read_said(path: Path) -> list[Phrase]:
    """The answers of a ``said`` file: a JSON list of ``{"text", "expect", "label"}`` objects,
    ``expect`` one of temperature (``label`` in °C), yes_no (true or false) or intent
    (repeat, opt_out, human, who_is_calling); a yes/no answer may name the ``question`` (a
    step of the shipped scripts, such as ``went_out``) whose own phrases it is read with.
    Raises ValueError naming the entry and field of the first problem."""
    try:
        entries = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: cannot be read: {error}") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: line {error.lineno}: not JSON: {error.msg}") from None
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{path}: a JSON list of answers is expected")
    phrases = []
    for n, entry in enumerate(entries, 1):
        where = f"{path}: entry {n}"
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: an object with text, expect and label is expected")
        text, expect, label = entry.get("text"), entry.get("expect"), entry.get("label")
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{where}: field 'text': the words said are missing")
        if expect == "temperature":
            if isinstance(label, bool) or not isinstance(label, int | float):
                raise ValueError(f"{where}: field 'label': a temperature in °C is expected")
            if not 30.0 <= label <= 45.0:  # 98.6 is a Fahrenheit reading's °C, 37.0
                raise ValueError(f"{where}: field 'label': {label} is no body temperature in °C")
        elif expect == "yes_no":
            if not isinstance(label, bool):
                raise ValueError(f"{where}: field 'label': true or false is expected")
        elif expect == "intent":
            if label not in INTENTS:
                raise ValueError(f"{where}: field 'label': one of {', '.join(INTENTS)}")
        else:
            raise ValueError(f"{where}: field 'expect': temperature, yes_no or intent")
        question = entry.get("question")
        if question is not None and not isinstance(question, str):
            raise ValueError(f"{where}: field 'question': a step name is expected")
        phrases.append(Phrase(text.strip(), expect, label, question))
    return phrases


def build(
    cache_dir: Path,
    *,
    per_kind: int = 40,
    seed: int = 7,
    splits: tuple[Split, ...] = ("dev", "heldout"),
    said: Path | None = None,
) -> Path:
    """Build (or reuse) the test set; returns the manifest path. With ``said``, its answers
    (``read_said``) are spoken instead of the generated phrasings."""
    name = f"{VERSION}-s{seed}-n{per_kind}"
    if splits != ("dev", "heldout"):
        name += "-" + "-".join(splits)
    said_phrases = read_said(said) if said is not None else None
    if said is not None:
        name += f"-said{zlib.crc32(Path(said).read_bytes()):08x}"
    folder = Path(cache_dir) / "speech-testset" / name
    manifest = folder / "manifest.jsonl"
    if manifest.is_file():
        return manifest
    folder.mkdir(parents=True, exist_ok=True)
    clips: list[Clip] = []
    for split in splits:
        rng = random.Random(f"clips-{seed}-{split}")
        voices = _voices(split, seed)
        spoken = phrases(split, seed, per_kind)
        if said_phrases is not None:
            spoken = [phrase for phrase in said_phrases for _ in range(SAID_VOICES)]
        for n, phrase in enumerate(spoken):
            kind, snr = rng.choice(NOISES[_phrasing(split)])
            if not phrase.text and kind == "none":
                kind, snr = rng.choice(
                    [("none", None), ("pink", 10.0), ("babble", 10.0), ("white", 10.0)]
                )
            voice = rng.choice(voices) if phrase.text else ""
            if said_phrases is not None and n % SAID_VOICES:  # the answer's next voice
                voice = rng.choice([v for v in voices if v != clips[-1].voice] or voices)
            clips.append(
                Clip(
                    file=f"{split}/{phrase.expect}-{n:04d}.wav", split=split, expect=phrase.expect,
                    text=phrase.text, label=phrase.label, voice=voice, noise=kind, snr_db=snr,
                    onset_ms=rng.randrange(300, 900, 20), speech_ms=0, question=phrase.question,
                )
            )  # fmt: skip
        # Background talk and no answer, at levels a phone picks up from a room: drawn from its
        # own generator so the clips above stay those of earlier versions.
        talk_rng = random.Random(f"talk-{seed}-{split}")
        for n in range(max(4, per_kind // 6)):
            clips.append(
                Clip(
                    file=f"{split}/talk-{n:04d}.wav", split=split,
                    expect=talk_rng.choice(["temperature", "yes_no", "intent"]), text="",
                    label=None, voice="", noise="talk", snr_db=None,
                    onset_ms=talk_rng.randrange(300, 900, 20), speech_ms=0,
                    level_dbfs=talk_rng.choice(TALK_LEVELS_DBFS),
                )
            )  # fmt: skip
    babble = [_speak(v, "the market is open until six and the bus comes at noon") for v in
              ("espeak:en-us+m3:170:50", "espeak:en-gb+f2:160:60", "espeak:en-029+m1:150:40",
               "espeak:en-us+f4:180:70")]  # fmt: skip
    babble = [b / (np.sqrt(np.mean(b**2)) or 1.0) for b in babble]
    with ThreadPoolExecutor(max_workers=2) as pool:
        lengths = list(pool.map(lambda c: _render(c, folder, seed, babble), clips))
    partial = manifest.with_suffix(".part")
    with partial.open("w", encoding="utf-8") as out:
        for clip, speech_ms in zip(clips, lengths, strict=True):
            out.write(json.dumps(asdict(clip) | {"speech_ms": speech_ms}) + "\n")
    partial.replace(manifest)  # the manifest appears only once every clip is there
    return manifest


def load(manifest: Path, split: Split | None = None) -> list[Clip]:
    clips = [Clip(**json.loads(line)) for line in manifest.read_text(encoding="utf-8").splitlines()]
    return [c for c in clips if split is None or c.split == split]
