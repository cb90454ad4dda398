"""Accuracy of the recognizer on the labelled test set (used by tests and ``ivr bench speech``)."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from asr.endpointer import Endpointer, cut
from asr.recognizer import Recognition, Recognizer
from asr.testset import Clip
from ivr.audio import read_wav, scaled

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


def evaluate(
    recognizer: Recognizer,
    clips: Iterable[Clip],
    folder: Path,
    level_db: float = 0.0,
    endpointer: Endpointer | None = None,
) -> Evaluation:
    """Recognise every clip; ``level_db`` scales each clip first (-20: a quiet caller, a weak
    handset; the test set is spoken at the nominal level of speech on a telephone line). With
    an ``endpointer``, each clip is first cut by it as a call would be (one endpointer for all
    clips, as for all answers of a call); an answer it never starts is recognised as silence
    and counted in ``never_started``."""
    evaluation = Evaluation()
    for clip in clips:
        pcm = read_wav(folder / clip.file)
        if level_db:
            pcm = scaled(pcm, level_db)
        if endpointer is not None:
            pcm = cut(pcm, endpointer)
            evaluation.never_started += not pcm and clip.label is not None
        started = time.process_time()
        result = recognizer.recognize_sync(pcm, clip.expect)  # type: ignore[arg-type]
        evaluation.cpu_ms.append(1000.0 * (time.process_time() - started))
        evaluation.results.append((clip, result))
    return evaluation
