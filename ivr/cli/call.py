"""``ivr call NUMBER (--say TEXT | --play FILE) [--record FILE] --json``: one real call."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Optional

import typer

from ivr.cli._common import console, emit_json, fail, state


def call(
    ctx: typer.Context,
    number: Annotated[
        str, typer.Argument(help="The number to call (a simulated one in the demo).")
    ],
    say: Annotated[Optional[str], typer.Option("--say", help="Text to speak.")] = None,  # noqa: UP045
    play: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--play", help="Audio file to play (any WAV, FLAC, .ulaw ...)."),
    ] = None,
    record: Annotated[
        Optional[Path], typer.Option("--record", help="Write what the other side says here (WAV).")  # noqa: UP045
    ] = None,
    listen: Annotated[float, typer.Option(help="Seconds to listen after playing.")] = 8.0,
    json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Place one call through Asterisk, play the audio, record the answer."""
    from ivr.audio import read_wav
    from ivr.calls.oneshot import call_once

    if (say is None) == (play is None):
        fail("give exactly one of --say TEXT or --play FILE")
    settings = state(ctx).settings
    if play is not None:
        if not play.is_file():
            fail(f"{play}: no such file")
        pcm = read_wav(play)
    else:
        from ivr.speech import PromptCache, shared_synthesizer

        cache = PromptCache(settings.prompt_cache_dir, shared_synthesizer(settings.tts_voice))
        pcm = cache.get(say or "")
    result = asyncio.run(call_once(settings, number, pcm, record_to=record, listen_s=listen))
    if json:
        emit_json(result.as_dict())
        return
    console.print(
        f"{result.number}: {result.outcome} ({result.reason}); cause {result.hangup_cause}; "
        f"{result.duration_s or 0:.1f} s" + (f"; recorded to {record}" if record else ""),
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.command("call")(call)
