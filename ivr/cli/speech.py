"""`ivr speech say|recognize`: synthesis and recognition from the command line.

``say`` writes an 8 kHz mono 16-bit WAV: exactly the audio a call plays.
``recognize --json`` prints one line per file:
``{"file","text","expect","value","confidence","ms"}``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from ivr.cli._common import console, emit_json, err_console, state

if TYPE_CHECKING:
    from ivr.understanding import Asked

speech_app = typer.Typer(
    help="Speech: synthesize prompts, recognize answers.", no_args_is_help=True
)
EXPECT_CHOICES = ("temperature", "yes_no", "intent", "choice", "free", "digits")


@speech_app.command("say")
def say(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="What to say.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="WAV file to write (8 kHz).")],
    voice: Annotated[
        str | None,
        typer.Option(
            help="Voice: bundled piper name, a .onnx path, or espeak:NAME[:SPEED[:PITCH]]."
        ),
    ] = None,
) -> None:
    """Synthesize TEXT into an 8 kHz WAV, as a call would play it."""
    from ivr.audio import write_wav
    from ivr.speech import shared_synthesizer

    settings = state(ctx).settings
    synthesizer = shared_synthesizer(voice or settings.tts_voice, settings.tts_length_scale)
    result = synthesizer.synthesize(text)
    write_wav(output, result.pcm)
    console.print(
        f"{output}: {len(result.pcm) / 16000:.2f} s at 8 kHz, rendered in {result.total_ms:.0f} ms",
        highlight=False,
    )


@speech_app.command("recognize")
def recognize(
    ctx: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Audio files, any rate: WAV (PCM, float, G.711 mu-law / A-law), FLAC, MP3, "
            "AU; headerless .sln / .ulaw / .alaw at 8 kHz."
        ),
    ],
    expect: Annotated[
        str, typer.Option(help="temperature|yes_no|intent|choice|free|digits")
    ] = "free",
    option: Annotated[
        list[str] | None, typer.Option("--option", help="An allowed answer, for --expect choice.")
    ] = None,
    means_yes: Annotated[
        list[str] | None,
        typer.Option(
            "--means-yes",
            help="A phrase that means yes to this question (as a script's means_yes), "
            "for --expect yes_no; may be given more than once.",
        ),
    ] = None,
    means_no: Annotated[
        list[str] | None,
        typer.Option("--means-no", help="A phrase that means no to this question."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per file.")] = False,
) -> None:
    """Recognize each FILE and understand it as the expected kind of answer. A file that
    cannot be read is reported (with --json, as its line with an "error") and the others are
    still recognized; the exit status is then 1."""
    from asr import Recognizer
    from ivr.audio import AudioFileError, read_wav

    if expect not in EXPECT_CHOICES:
        raise typer.BadParameter(f"use one of {', '.join(EXPECT_CHOICES)}", param_hint="--expect")
    asked = _asked(expect, option or [], means_yes or [], means_no or [])
    recognizer = Recognizer.shared(state(ctx).settings)
    unreadable = 0
    for path in files:
        started = time.perf_counter()
        try:
            pcm = read_wav(path)
        except AudioFileError as error:
            unreadable += 1
            err_console.print(
                f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True
            )
            if as_json:
                emit_json({"file": str(path), "text": "", "expect": expect, "value": None,
                           "confidence": 0.0, "ms": 0.0, "error": str(error)})  # fmt: skip
            continue
        result = recognizer.recognize_sync(pcm, expect, asked)  # type: ignore[arg-type]
        ms = round(1000.0 * (time.perf_counter() - started), 1)
        line: dict[str, Any] = {
            "file": str(path),
            "text": result.text,
            "expect": expect,
            "value": result.value,
            "confidence": result.confidence,
            "ms": ms,
        }
        if as_json:
            emit_json(line)
        else:
            value = "not understood" if result.value is None else repr(result.value)
            console.print(
                f"{path}: {result.text!r} → {value}"
                f" (confidence {result.confidence:.2f}, {ms:.0f} ms)",
                highlight=False,
                markup=False,
            )
    if unreadable:
        raise typer.Exit(1)


def _asked(expect: str, options: list[str], yes: list[str], no: list[str]) -> Asked:
    """The question's own answers from the options, checked as a script's step is."""
    from pydantic import ValidationError

    from ivr.script.model import Step

    kind = "free" if expect == "intent" else expect  # a script never asks for a request
    try:
        step = Step(ask="?", expect=kind, options=options, means_yes=yes, means_no=no)  # type: ignore[arg-type]
    except ValidationError as error:
        problem = error.errors()[0]
        name = {"options": "--option", "means_yes": "--means-yes", "means_no": "--means-no"}
        fallback = "--means-yes / --means-no" if yes or no else "--option / --expect"
        where = next((name[str(p)] for p in problem["loc"] if str(p) in name), fallback)
        message = problem["msg"].removeprefix("Value error, ")
        raise typer.BadParameter(message, param_hint=where) from None
    return step.asked


def register(app: typer.Typer) -> None:
    app.add_typer(speech_app, name="speech")
