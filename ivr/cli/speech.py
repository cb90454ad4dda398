"""`ivr speech say|recognize`: synthesis and recognition from the command line.

``say`` writes an 8 kHz mono 16-bit WAV: exactly the audio a call plays.
``recognize --json`` prints one line per file:
``{"file","text","expect","value","confidence","ms"}``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from ivr.cli._common import console, emit_json, state

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
    files: Annotated[list[Path], typer.Argument(help="WAV files (16-bit, any rate).")],
    expect: Annotated[
        str, typer.Option(help="temperature|yes_no|intent|choice|free|digits")
    ] = "free",
    option: Annotated[
        list[str] | None, typer.Option("--option", help="An allowed answer, for --expect choice.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per file.")] = False,
) -> None:
    """Recognize each FILE and understand it as the expected kind of answer."""
    from asr import Recognizer
    from ivr.audio import read_wav

    if expect not in EXPECT_CHOICES:
        raise typer.BadParameter(f"use one of {', '.join(EXPECT_CHOICES)}", param_hint="--expect")
    recognizer = Recognizer.shared(state(ctx).settings)
    for path in files:
        started = time.perf_counter()
        result = recognizer.recognize_sync(read_wav(path), expect, option or ())  # type: ignore[arg-type]
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


def register(app: typer.Typer) -> None:
    app.add_typer(speech_app, name="speech")
