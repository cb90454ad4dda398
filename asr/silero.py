"""Silero VAD (the ONNX model faster-whisper ships) on 8 kHz telephone audio.

This export of the model takes 16 kHz chunks of 512 samples plus 64 samples of context and
treats the batch axis as time, so one ``run`` can score a whole clip or a single 32 ms chunk
of a live stream (carrying the LSTM state). Telephone audio is upsampled ×2 by linear
interpolation: there is nothing above 4 kHz to lose, and it costs microseconds.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from ivr.errors import SpeechError

CHUNK_8K = 256  # 32 ms at 8 kHz
CHUNK_MS = 32
_CHUNK_16K = 512
_CONTEXT_16K = 64
_session_lock = threading.Lock()
_session = None


def _model_path() -> Path:
    import faster_whisper

    return Path(faster_whisper.__file__).parent / "assets" / "silero_vad_v6.onnx"


def session() -> Any:  # an onnxruntime.InferenceSession, imported lazily
    """One onnxruntime session per process, shared by every call (``run`` is thread-safe)."""
    global _session
    with _session_lock:
        if _session is None:
            import onnxruntime

            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            options.enable_cpu_mem_arena = False
            options.log_severity_level = 4
            path = _model_path()
            if not path.is_file():
                raise SpeechError(f"Silero VAD model not found at {path}")
            _session = onnxruntime.InferenceSession(
                str(path), providers=["CPUExecutionProvider"], sess_options=options
            )
        return _session


def upsample(samples_8k: np.ndarray) -> np.ndarray:
    """8 kHz → 16 kHz by linear interpolation (float32)."""
    out = np.empty(2 * len(samples_8k), dtype=np.float32)
    out[0::2] = samples_8k
    out[1:-1:2] = 0.5 * (samples_8k[:-1] + samples_8k[1:])
    out[-1] = samples_8k[-1] if len(samples_8k) else 0.0
    return out


class SileroStream:
    """Speech probability per 32 ms chunk of a live 8 kHz stream."""

    def __init__(self) -> None:
        self._session = session()
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(_CONTEXT_16K, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)  # fed, not yet a whole chunk

    def feed(self, samples_8k: np.ndarray) -> list[float]:
        """Take float samples of any length (20 ms frames); the probabilities of the chunks
        they completed, in order (the rest waits for the next samples)."""
        self._pending = np.concatenate((self._pending, samples_8k))
        probabilities = []
        while len(self._pending) >= CHUNK_8K:
            chunk, self._pending = self._pending[:CHUNK_8K], self._pending[CHUNK_8K:]
            probabilities.append(self.chunk(chunk))
        return probabilities

    def chunk(self, samples_8k: np.ndarray) -> float:
        """The speech probability of exactly 256 float samples (32 ms at 8 kHz)."""
        wide = upsample(samples_8k)
        window = np.concatenate((self._context, wide))[None, :]
        self._context = wide[-_CONTEXT_16K:]
        probability, self._h, self._c = self._session.run(
            None, {"input": window, "h": self._h, "c": self._c}
        )
        return float(probability.reshape(-1)[0])


def speech_probabilities(samples_8k: np.ndarray) -> np.ndarray:
    """Speech probability of each 32 ms chunk of a whole clip, in one run."""
    usable = len(samples_8k) - len(samples_8k) % CHUNK_8K
    if usable <= 0:
        return np.zeros(0, dtype=np.float32)
    wide = upsample(samples_8k[:usable].astype(np.float32)).reshape(-1, _CHUNK_16K)
    context = np.zeros((len(wide), _CONTEXT_16K), dtype=np.float32)
    context[1:] = wide[:-1, -_CONTEXT_16K:]
    batch = np.concatenate((context, wide), axis=1)
    h = np.zeros((1, 1, 128), dtype=np.float32)
    probabilities, _, _ = session().run(None, {"input": batch, "h": h, "c": h.copy()})
    return probabilities.reshape(-1)
