"""Pre-rendered prompts, content-addressed: the key is sha256(voice identity + text).

A script's fixed prompts are rendered once before a campaign's first call (``render_many``), so
a call plays its first frame without waiting for synthesis. Files are 8 kHz WAV: any player
opens them, and the header costs 44 bytes.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from ivr.audio import read_wav, write_wav
from ivr.speech.synthesizer import Synthesizer

CACHE_FORMAT = "slin8k-wav-1"  # bump when the stored format changes


class PromptCache:
    def __init__(self, directory: Path, synthesizer: Synthesizer) -> None:
        self.directory = Path(directory)
        self.synthesizer = synthesizer

    def key(self, text: str) -> str:
        material = "\n".join((CACHE_FORMAT, self.synthesizer.voice.identity, text))
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def path(self, text: str) -> Path:
        key = self.key(text)
        return self.directory / key[:2] / f"{key}.wav"

    def cached(self, text: str) -> bytes | None:
        path = self.path(text)
        return read_wav(path) if path.is_file() else None

    def get(self, text: str) -> bytes:
        """The prompt as 8 kHz slin, rendered now and stored if it was not cached."""
        pcm = self.cached(text)
        if pcm is None:
            pcm = self.synthesizer.synthesize(text).pcm
            self._store(self.path(text), pcm)
        return pcm

    def render_many(self, texts: Iterable[str]) -> dict[str, Path]:
        """Render every prompt not cached yet; returns each text's file."""
        rendered = {}
        for text in dict.fromkeys(texts):  # each text once, in order
            self.get(text)
            rendered[text] = self.path(text)
        return rendered

    def _store(self, path: Path, pcm: bytes) -> None:
        # write then rename: a call reading the cache never sees half a file
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
        os.close(handle)
        write_wav(temporary, pcm)
        os.replace(temporary, path)
