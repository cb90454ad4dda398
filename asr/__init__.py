"""Recognition and endpointing for telephone answers.

    recognizer = Recognizer.shared(settings)          # one model per process, a worker pool
    result = await recognizer.recognize(pcm, "temperature")
    result.text, result.value, result.confidence, result.hypotheses

    endpointer = Endpointer.from_settings(settings)   # one per call, fed 20 ms frames
    for event in endpointer.push(frame): ...          # SpeechStarted, Pause, Utterance, NoInput

    answer = await listen(frames, recognizer, endpointer, expect="yes_no")

Nothing here downloads anything: models come from bundled packages (see ``asr.model``).
"""

from __future__ import annotations

import ivr  # noqa: F401  (first: it limits numpy's BLAS threads before numpy loads)
from asr.endpointer import (
    Endpointer,
    EndpointerConfig,
    EndpointEvent,
    NoInput,
    Pause,
    SpeechResumed,
    SpeechStarted,
    Utterance,
)
from asr.listen import Answer, listen
from asr.recognizer import Hypothesis, Recognition, Recognizer

__all__ = [
    "Answer",
    "EndpointEvent",
    "Endpointer",
    "EndpointerConfig",
    "Hypothesis",
    "NoInput",
    "Pause",
    "Recognition",
    "Recognizer",
    "SpeechResumed",
    "SpeechStarted",
    "Utterance",
    "listen",
]
