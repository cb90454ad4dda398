"""``ivr bench turn --calls N --json``: turn latency and barge-in on real calls."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from ivr.cli._common import state
from ivr.cli.bench import bench_app, emit_figures


@bench_app.command("turn")
def turn(
    ctx: typer.Context,
    calls: Annotated[int, typer.Option(min=1, help="Simulated residents called at once.")] = 1,
    rounds: Annotated[
        int, typer.Option(min=1, help="Rounds of CALLS calls, one after another.")
    ] = 1,
    json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """End of the resident's speech → first frame of the reply, over CALLS concurrent calls."""
    from ivr.bench import turn as bench
    from ivr.db import Database

    settings = state(ctx).settings
    db = Database(f"sqlite:///{settings.data_dir / 'bench-turn.db'}")
    figures = asyncio.run(bench.run(settings, db, calls, rounds))
    emit_figures(figures, json)


def register(app: typer.Typer) -> None:
    """The command is added to the bench group on import."""
