"""``ivr bench originate --calls 200 --channels 50 --json``."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from ivr.cli._common import state
from ivr.cli.bench import bench_app, emit_figures


@bench_app.command("originate")
def originate(
    ctx: typer.Context,
    calls: Annotated[int, typer.Option(min=1, help="Calls to place in all.")] = 200,
    channels: Annotated[int, typer.Option(min=1, help="Calls in flight at once.")] = 50,
    hold: Annotated[int, typer.Option(min=0, help="Seconds each resident stays on.")] = 2,
    json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Place CALLS calls keeping CHANNELS in flight, to residents who answer and hang up."""
    from ivr.bench import originate as bench
    from ivr.db import Database

    settings = state(ctx).settings
    db = Database(f"sqlite:///{settings.data_dir / 'bench-originate.db'}")
    figures = asyncio.run(bench.run(settings, db, calls, channels, hold))
    emit_figures(figures, json)


def register(app: typer.Typer) -> None:
    """The command is added to the bench group on import."""
