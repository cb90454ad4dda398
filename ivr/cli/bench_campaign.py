"""``ivr bench campaign --households 2046 --channels 60 --json``."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from ivr.cli._common import state
from ivr.cli.bench import bench_app, emit_figures


@bench_app.command("campaign")
def campaign(
    ctx: typer.Context,
    households: Annotated[
        int, typer.Option(min=10, help="Households to generate and call.")
    ] = 2046,
    channels: Annotated[int, typer.Option(min=1, help="Calls at once.")] = 60,
    json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The mask notice to a generated neighbourhood through the embedded Asterisk."""
    from ivr.bench import campaign as bench

    figures = asyncio.run(bench.run(state(ctx).settings, households, channels))
    emit_figures(figures, json)


def register(app: typer.Typer) -> None:
    """The command is added to the bench group on import."""
