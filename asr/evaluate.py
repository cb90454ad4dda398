"""Accuracy of the recognizer on the labelled test set (used by tests and ``ivr bench speech``)."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asr.endpointer import Endpointer, cut
from asr.recognizer import Recognition, Recognizer
from asr.testset import Clip
from ivr.audio import read_wav, scaled
from ivr.understanding import Asked

KINDS = ("temperature", "yes_no", "intent")
CONFIDENT = 0.8  # at or above this the dialogue takes a value without reading it back


def is_correct(clip: Clip, result: Recognition) -> bool:
    if clip.label is None:  # silence or noise: nothing may come out
        return result.value is None
    if clip.expect == "temperature":
        return result.value is not None and abs(float(result.value) - float(clip.label)) < 0.05
    return result.value == clip.label


@dataclass
class Evaluation:
    results: list[tuple[Clip, Recognition]] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)  # process CPU time of each recognition
    never_started: int = 0  # answers the endpointer never heard start (endpointed runs)

    def accuracy(self, where: Callable[[Clip], bool] = lambda clip: True) -> dict[str, float]:
        """Share correct per kind of answer; ``silence`` for the quiet or noisy clips that must
        give nothing, ``background_talk`` for those with talk in the room and no answer."""
        tally: dict[str, list[bool]] = defaultdict(list)
        for clip, result in self.results:
            if where(clip):
                kind = clip.expect
                if clip.label is None:
                    kind = "background_talk" if clip.noise == "talk" else "silence"
                tally[kind].append(is_correct(clip, result))
        return {kind: round(sum(v) / len(v), 4) for kind, v in sorted(tally.items())}

    def errors(self) -> list[tuple[Clip, Recognition]]:
        return [(c, r) for c, r in self.results if not is_correct(c, r)]

    def wrong_values(self, min_confidence: float = 0.0) -> dict[str, float]:
        """Answers given a value at ``min_confidence`` or more that is wrong: count and share."""
        answers = [(c, r) for c, r in self.results if c.label is not None]
        wrong = sum(
            1
            for clip, result in answers
            if result.value is not None
            and result.confidence >= min_confidence
            and not is_correct(clip, result)
        )
        return {"count": wrong, "rate": round(wrong / max(len(answers), 1), 4)}

    def confident_without_answer(self) -> int:
        """Clips with no answer (silence, noise, talk in the room) given a confident value."""
        return sum(
            1
            for clip, result in self.results
            if clip.label is None and result.value is not None and result.confidence >= CONFIDENT
        )

    def asr_ms(self) -> list[float]:
        return [r.asr_ms for _, r in self.results]

    def rows(self) -> list[dict[str, Any]]:
        """Each clip as said and as understood, JSON-ready (``ivr bench speech --clips``)."""
        return [_row(clip, result) for clip, result in self.results]


def _row(clip: Clip, result: Recognition) -> dict[str, Any]:
    return {
        "file": clip.file,
        "split": clip.split,
        "expect": clip.expect,
        "said": clip.text,
        "voice": clip.voice,
        "noise": clip.noise,
        "snr_db": clip.snr_db,
        "label": clip.label,
        "value": result.value,
        "confidence": result.confidence,
        "right": is_correct(clip, result),
        "heard": result.text,
    }


ROW_FIELDS = ("file", "said", "right", "value")  # what ``changed`` reads of an earlier row


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The rows an earlier ``--clips`` run wrote (JSON lines); ValueError naming the line
    that is not one."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}, line {number}: not JSON ({error.msg})") from None
        missing = [name for name in ROW_FIELDS if not isinstance(row, dict) or name not in row]
        if missing:
            raise ValueError(
                f"{path}, line {number}: no {', '.join(missing)} (not written by --clips?)"
            )
        rows.append(row)
    return rows


def changed(earlier: Sequence[dict[str, Any]], rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """What changed since an earlier run of the same clips (``ivr bench speech --against``):
    the clips that turned right, those that turned wrong, and those wrong both times but with
    another value. Clips the earlier run did not have (another render) are only counted: with
    CTranslate2 int8, one or two clips in 240 differ from one process to the next anyway."""
    before = {(row["file"], row["said"]): row for row in earlier}
    turned: dict[str, list[dict[str, Any]]] = {"right": [], "wrong": [], "other_value": []}
    unmatched = 0
    for row in rows:
        old = before.get((row["file"], row["said"]))
        if old is None:
            unmatched += 1
            continue
        if old["right"] != row["right"]:
            kind = "right" if row["right"] else "wrong"
        elif not row["right"] and old["value"] != row["value"]:
            kind = "other_value"
        else:
            continue
        turned[kind].append(
            {key: row[key] for key in ("file", "expect", "said", "voice", "noise", "label")}
            | {"before": old["value"], "after": row["value"], "heard": row["heard"]}
        )
    return {
        "turned_right": len(turned["right"]),
        "turned_wrong": len(turned["wrong"]),
        "wrong_other_value": len(turned["other_value"]),
        "not_in_earlier": unmatched,
        "clips": turned["right"] + turned["wrong"] + turned["other_value"],
    }


def evaluate(
    recognizer: Recognizer,
    clips: Iterable[Clip],
    folder: Path,
    level_db: float = 0.0,
    endpointer: Endpointer | None = None,
    questions: Mapping[str, Asked] | None = None,
) -> Evaluation:
    """Recognise every clip; ``level_db`` scales each clip first (-20: a quiet caller, a weak
    handset; the test set is spoken at the nominal level of speech on a telephone line). With
    an ``endpointer``, each clip is first cut by it as a call would be (one endpointer for all
    clips, as for all answers of a call); an answer it never starts is recognised as silence
    and counted in ``never_started``. A yes/no clip that names its question is recognised
    with that question's own phrases (``questions``: step name → what it asks)."""
    evaluation = Evaluation()
    for clip in clips:
        pcm = read_wav(folder / clip.file)
        if level_db:
            pcm = scaled(pcm, level_db)
        if endpointer is not None:
            pcm = cut(pcm, endpointer)
            evaluation.never_started += not pcm and clip.label is not None
        started = time.process_time()
        asked = (questions or {}).get(clip.question or "") if clip.expect == "yes_no" else None
        result = recognizer.recognize_sync(pcm, clip.expect, asked)  # type: ignore[arg-type]
        evaluation.cpu_ms.append(1000.0 * (time.process_time() - started))
        evaluation.results.append((clip, result))
    return evaluation
