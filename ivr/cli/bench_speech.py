"""`ivr bench speech --json`: recognition speed and accuracy, synthesis speed, endpointer cost.

Accuracy is measured on the held-out split of the generated test set (voices and phrasings
never used for tuning; ``--split dev`` for the tuning split, ``--split speaker`` for the
held-out phrasings spoken by a voice of another engine; ``--level-db -20`` for every clip
20 dB quieter, a quiet caller; ``--endpointed`` to cut each clip with the call's endpointer
first, as a call hears it; ``--said FILE`` for answers people wrote instead of the generated
phrasings, each spoken by two of the split's voices); see asr/testset.py. Besides
accuracy per kind of answer: the answers given a wrong value with confidence >= 0.8 (what
the dialogue stores without reading back), accuracy on a clean line, on a noisy one and per
voice family, and the machine's load average, since the 2 cores are shared.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from ivr.cli._common import state
from ivr.cli.bench import bench_app, emit_figures

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
TTS_TEXTS = (
    "Hello, this is your neighbourhood committee calling for the daily health check.",
    "What is your temperature today?",
    "Did you go out today?",
    "Do you have a cough or a fever?",
    "Your mask reservation is ready for pick-up tomorrow morning. Please confirm.",
)


def _accent(voice: str | None) -> str | None:
    """The espeak-ng base of a voice spec ("espeak:en-us-nyc+m2:150:40" -> "en-us-nyc")."""
    from asr.testset import espeak_parts

    parts = espeak_parts(voice)
    return None if parts is None else parts[0]


def _kinds(accuracy: dict[str, float]) -> dict[str, float]:
    from asr.evaluate import KINDS

    return {k: v for k, v in accuracy.items() if k in KINDS}


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _endpointer_us_per_frame(clips: list, folder) -> dict[str, float]:
    from asr.endpointer import Endpointer
    from ivr.audio import SILENCE_FRAME, frames, read_wav

    endpointer = Endpointer()
    spent, count = 0.0, 0
    for clip in clips:
        endpointer.reset()
        pieces = frames(read_wav(folder / clip.file))
        started = time.perf_counter()
        for frame in pieces:
            endpointer.push(frame)
        spent += time.perf_counter() - started
        count += len(pieces)
    endpointer.reset()
    started = time.perf_counter()
    for n in range(5000):  # a quiet line: what most frames of a call are
        if n % 200 == 0:
            endpointer.reset()  # before the no-input timeout stops it listening
        endpointer.push(SILENCE_FRAME)
    quiet = (time.perf_counter() - started) / 5000
    return {"endpointer_us_per_frame": round(1e6 * spent / count, 1),
            "endpointer_us_per_quiet_frame": round(1e6 * quiet, 1)}  # fmt: skip


def _questions(names: set[str | None]) -> dict[str, Any]:
    """What each question a ``said`` file names asks (its own yes/no phrases): a step of the
    shipped scripts, by name. ValueError for a name no shipped script has."""
    from ivr.script import yes_no_questions

    asked = yes_no_questions(SCRIPTS)
    unknown = sorted(n for n in names if n is not None and n not in asked)
    if unknown:
        raise ValueError(
            f"no yes/no question {', '.join(unknown)} in the shipped scripts ({SCRIPTS});"
            f" these are: {', '.join(sorted(asked))}"
        )
    return asked


@bench_app.command("speech")
def bench_speech(
    ctx: typer.Context,
    per_kind: Annotated[int, typer.Option(help="Clips per kind of answer in each split.")] = 60,
    split: Annotated[
        str, typer.Option(help="Test split: heldout (report), dev (tuning) or speaker (flite).")
    ] = "heldout",
    level_db: Annotated[
        float,
        typer.Option(
            help="Scale every clip by this many dB first (-20: a quiet caller, a weak handset)."
        ),
    ] = 0.0,
    endpointed: Annotated[
        bool,
        typer.Option(
            help="Cut every clip with the endpointer first, as a call hears it (answers it"
            " never starts count as not understood: never_started)."
        ),
    ] = False,
    clips_out: Annotated[
        Path | None,
        typer.Option(
            "--clips",
            help="Write every clip's outcome here (JSON lines: said, label, value, confidence,"
            " heard), for --against in a later run.",
        ),
    ] = None,
    against: Annotated[
        Path | None,
        typer.Option(
            help="An earlier run's --clips file: list the clips that turned right or wrong"
            " since (same --per-kind and --split).",
        ),
    ] = None,
    said: Annotated[
        Path | None,
        typer.Option(
            help="A JSON list of answers people wrote ({text, expect, label, question}),"
            " spoken instead of the generated phrasings, each by two of the split's voices.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Recognition latency and accuracy (held-out split), synthesis RTF, memory."""
    from asr.endpointer import Endpointer
    from asr.evaluate import CONFIDENT, KINDS, changed, evaluate, read_rows
    from asr.recognizer import Recognizer
    from asr.testset import build, load, read_said
    from ivr.audio import duration_s, read_wav
    from ivr.speech import shared_synthesizer

    settings = state(ctx).settings
    if split not in ("heldout", "dev", "speaker"):
        raise typer.BadParameter("use heldout, dev or speaker", param_hint="--split")
    if not -40.0 <= level_db <= 20.0:
        raise typer.BadParameter("between -40 and 20 dB", param_hint="--level-db")
    if clips_out is not None and not clips_out.parent.is_dir():
        raise typer.BadParameter(f"no folder {clips_out.parent}", param_hint="--clips")
    earlier = None
    if against is not None:  # checked before the run, which takes minutes
        try:
            earlier = read_rows(against)
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise typer.BadParameter(str(error), param_hint="--against") from None
    questions = None
    if said is not None:  # checked before the run too
        try:
            questions = _questions({p.question for p in read_said(said) if p.expect == "yes_no"})
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--said") from None
    splits = ("speaker",) if split == "speaker" else ("dev", "heldout")
    if said is not None:
        splits = (split,)  # type: ignore[assignment]
    manifest = build(settings.cache_dir, per_kind=per_kind, splits=splits, said=said)  # type: ignore[arg-type]
    clips = load(manifest, split)  # type: ignore[arg-type]
    load_before = os.getloadavg()[0]
    recognizer = Recognizer.shared(settings)
    recognizer.recognize_sync(read_wav(manifest.parent / clips[0].file), "temperature")  # warm-up
    endpointer = Endpointer.from_settings(settings) if endpointed else None
    evaluation = evaluate(recognizer, clips, manifest.parent, level_db, endpointer, questions)
    asr_ms = evaluation.asr_ms()
    speech_s = sum(duration_s(read_wav(manifest.parent / c.file)) for c in clips)

    synthesizer = shared_synthesizer(settings.tts_voice, settings.tts_length_scale)
    synthesizer.synthesize("Warm up.")
    syntheses = [synthesizer.synthesize(text) for text in TTS_TEXTS]
    tts_seconds = sum(len(s.pcm) / 16000 for s in syntheses)
    accuracy = evaluation.accuracy()
    cpu_ms = evaluation.cpu_ms
    figures = {
        "asr_ms_p50": round(statistics.median(asr_ms), 1),
        "asr_ms_p95": round(_percentile(asr_ms, 0.95), 1),
        "asr_cpu_ms_p50": round(statistics.median(cpu_ms), 1),
        "asr_cpu_ms_p95": round(_percentile(cpu_ms, 0.95), 1),
        "asr_rtf": round(sum(asr_ms) / 1000.0 / speech_s, 4),
        "tts_rtf": round(sum(s.total_ms for s in syntheses) / 1000.0 / tts_seconds, 4),
        "tts_first_audio_ms": round(statistics.median(s.first_audio_ms for s in syntheses), 1),
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
        "accuracy": {k: accuracy.get(k) for k in KINDS},
        # answers too unsure to be taken, read again by the heads at other voice scales
        "read_again_in_views": {
            kind: round(sum("head_views" in r.extra for r in answers) / len(answers), 3)
            for kind in KINDS
            if (
                answers := [
                    r for c, r in evaluation.results if c.expect == kind and c.label is not None
                ]
            )
        },
        "silence_rejected": accuracy.get("silence"),
        "background_talk_rejected": accuracy.get("background_talk"),
        "confident_without_answer": evaluation.confident_without_answer(),
        "wrong_confident": evaluation.wrong_values(CONFIDENT),
        "wrong_given": evaluation.wrong_values(),
        "accuracy_by_line": {
            "clean": _kinds(evaluation.accuracy(lambda c: c.noise == "none")),
            "noisy": _kinds(evaluation.accuracy(lambda c: c.noise != "none")),
        },
        "accuracy_by_voice": {
            family: by_family
            for family in ("piper", "espeak", "flite")
            if (by_family := _kinds(evaluation.accuracy(lambda c, f=family: c.voice.startswith(f))))
        },
        # the espeak-ng accents one by one: the answers head hears three of the held-out
        # split's four with other variants, never West Midlands (asr.train_ctc.ACCENT_BASES)
        "accuracy_by_accent": {
            accent: _kinds(evaluation.accuracy(lambda c, a=accent: _accent(c.voice) == a))
            for accent in sorted({_accent(c.voice) for c in clips} - {None})
        },
        "split": split,
        **({"said": str(said)} if said is not None else {}),
        "level_db": level_db,
        "endpointed": endpointed,
        **({"never_started": evaluation.never_started} if endpointed else {}),
        "clips": len(clips),
        "asr_model": settings.asr_model,
        **_endpointer_us_per_frame(clips[:60], manifest.parent),
        "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],  # before, after
        "cores": os.cpu_count(),
    }
    rows = evaluation.rows()
    if earlier is not None:
        figures["against"] = {"file": str(against), **changed(earlier, rows)}
    if clips_out is not None:
        clips_out.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
        figures["clips_file"] = str(clips_out)
    emit_figures(figures, as_json)


def register(app: typer.Typer) -> None:
    pass  # the command joins `ivr bench` through bench_app
