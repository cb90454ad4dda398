"""Telephone audio as ivr handles it: 8 kHz, signed 16-bit little-endian, mono, 20 ms frames.

This is what Asterisk's AudioSocket carries (``slin``). Everything that speaks or listens on a
call converts to and from this format at its edge, here.
"""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np

from ivr.errors import InputError

SAMPLE_RATE = 8000
SAMPLE_WIDTH = 2  # bytes, signed 16-bit little-endian
FRAME_MS = 20
FRAME_SAMPLES = SAMPLE_RATE * FRAME_MS // 1000  # 160
FRAME_BYTES = FRAME_SAMPLES * SAMPLE_WIDTH  # 320
SILENCE_FRAME = bytes(FRAME_BYTES)


def to_array(pcm: bytes) -> np.ndarray:
    """slin bytes → int16 samples (no copy)."""
    return np.frombuffer(pcm, dtype="<i2")


def to_float(pcm: bytes) -> np.ndarray:
    """slin bytes → float32 samples in [-1, 1)."""
    return to_array(pcm).astype(np.float32) / 32768.0


def from_float(samples: np.ndarray) -> bytes:
    """float samples in [-1, 1] → slin bytes, clipped."""
    clipped = np.clip(samples, -1.0, 32767.0 / 32768.0)
    return (clipped * 32768.0).astype("<i2").tobytes()


def scaled(pcm: bytes, db: float) -> bytes:
    """slin bytes made ``db`` louder (negative: quieter), clipped at full scale."""
    return from_float(to_float(pcm) * np.float32(10 ** (db / 20)))


def resample(samples: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Band-limited resampling (libsoxr) of float or int16 samples; returns float32."""
    data = samples.astype(np.float32)
    if samples.dtype == np.int16:
        data /= 32768.0
    if rate_in == rate_out:
        return data
    import soxr  # imported here: only speech paths need it

    return soxr.resample(data, rate_in, rate_out, quality="HQ").astype(np.float32)


def frames(pcm: bytes, pad: bool = True) -> list[bytes]:
    """Split slin audio into 20 ms frames; the last one padded with silence if ``pad``."""
    out = [pcm[i : i + FRAME_BYTES] for i in range(0, len(pcm), FRAME_BYTES)]
    if out and len(out[-1]) < FRAME_BYTES:
        if pad:
            out[-1] = out[-1] + bytes(FRAME_BYTES - len(out[-1]))
        else:
            out.pop()
    return out


def duration_s(pcm: bytes) -> float:
    return len(pcm) / (SAMPLE_RATE * SAMPLE_WIDTH)


def rms_dbfs(pcm: bytes) -> float:
    """Loudness of a stretch of slin audio in dB relative to full scale (-120 for silence)."""
    samples = to_array(pcm).astype(np.float64)
    if samples.size == 0:
        return -120.0
    rms = float(np.sqrt(np.mean(samples * samples)))
    return 20.0 * np.log10(rms / 32768.0) if rms > 0 else -120.0


class AudioFileError(InputError):
    """An audio file that cannot be read; the message names the file."""


# Headerless files as Asterisk keeps its sounds: 8 kHz mono, the encoding named by the suffix.
RAW_SUFFIXES = {".sln": "PCM_16", ".slin": "PCM_16", ".raw": "PCM_16", ".ulaw": "ULAW",
                ".pcmu": "ULAW", ".alaw": "ALAW", ".pcma": "ALAW"}  # fmt: skip


def read_wav(path: str | Path) -> bytes:
    """An audio file → 8 kHz slin, channels mixed down, resampled. Whatever libsndfile reads:
    WAV as 8/16/24/32-bit PCM, float, G.711 mu-law or A-law (how telephone audio is often
    stored), FLAC, Ogg, MP3, AU, AIFF; and Asterisk's headerless ``RAW_SUFFIXES``. Raises
    ``AudioFileError`` naming the file."""
    import soundfile

    if not Path(path).is_file():
        raise AudioFileError(f"{path}: no such file")
    raw = RAW_SUFFIXES.get(Path(path).suffix.lower())
    layout = {"format": "RAW", "subtype": raw, "samplerate": SAMPLE_RATE, "channels": 1}
    try:
        with soundfile.SoundFile(str(path), **(layout if raw else {})) as sound:
            rate, exact = sound.samplerate, sound.subtype == "PCM_16"
            # 16-bit PCM as it is (bit-exact at 8 kHz); every other encoding as float
            data = sound.read(dtype="int16" if exact else "float32", always_2d=True)
    except (soundfile.SoundFileError, RuntimeError, TypeError) as error:
        # TypeError: a headerless file of another suffix (libsndfile asks for its rate)
        reason = str(error).rsplit(": ", 1)[-1].rstrip(".")
        if isinstance(error, TypeError):
            reason = f"no header; name a raw file {', '.join(RAW_SUFFIXES)}"
        raise AudioFileError(f"{path}: cannot read audio ({reason})") from error
    if data.shape[0] == 0:
        return b""  # a file without a sample is silence, not an error
    mono = data[:, 0] if data.shape[1] == 1 else data.mean(axis=1).astype(data.dtype)
    if exact and rate == SAMPLE_RATE:
        return mono.astype("<i2").tobytes()
    return from_float(resample(mono, rate, SAMPLE_RATE))


def wav_bytes(pcm: bytes, rate: int = SAMPLE_RATE) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(SAMPLE_WIDTH)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return buffer.getvalue()


def write_wav(path: str | Path, pcm: bytes, rate: int = SAMPLE_RATE) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(wav_bytes(pcm, rate))
