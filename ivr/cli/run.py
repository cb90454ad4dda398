"""``ivr run``: the dialer service — scheduler, AMI client and AudioSocket server in one
asyncio process. Runs until SIGTERM or Ctrl-C, then lets the calls in progress finish.

Campaigns are created, started, paused and cancelled with ``ivr campaign …`` from any shell;
the running service picks the changes up within ``dialer_poll_s``.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Annotated, Any

import typer

from ivr.cli._common import emit_json, err_console, state

log = logging.getLogger("ivr.run")


async def connect_ami(settings: Any, stop: asyncio.Event) -> Any:
    """An AMI client, connected; retried with backoff while Asterisk is not up yet."""
    from ivr.ami import AmiClient
    from ivr.errors import AmiConnectionError

    delay = settings.ami_reconnect_initial_s
    while True:
        ami = AmiClient.from_settings(settings, name="ivr-dialer")
        try:
            await ami.start()
            return ami
        except AmiConnectionError as exc:
            log.warning("%s; trying again in %.0f s", exc, delay)
        try:
            await asyncio.wait_for(stop.wait(), delay)
            return None
        except TimeoutError:
            delay = min(delay * 2, settings.ami_reconnect_max_s)


async def serve(settings: Any, *, node: str | None, channels: int | None) -> dict[str, Any]:
    from ivr.calls.engine import CallEngine
    from ivr.campaigns.scheduler import Dialer
    from ivr.db import open_database

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    db = open_database(settings)
    ami = await connect_ami(settings, stop)
    if ami is None:
        return {"stopped": "before Asterisk was reached"}
    engine = CallEngine(settings, db, node=node or settings.dialer_node, ami=ami)
    try:
        async with engine:
            dialer = Dialer(settings, engine, max_channels=channels)
            log.info(
                "dialer %s running: up to %d channels, media on %s",
                engine.node,
                dialer.max_channels,
                engine.media_address,
            )
            await dialer.run(stop)
    finally:
        await ami.close()
        db.dispose()
    stats = dialer.stats
    return {
        "node": engine.node,
        "calls_started": stats.started,
        "calls_ended": stats.ended,
        "outcomes": dict(stats.outcomes),
        "max_in_flight": stats.max_in_flight,
        "reconciled": stats.reconciled,
    }


def run(
    ctx: typer.Context,
    node: Annotated[
        str | None,
        typer.Option(help="This dialer node's name (default: dialer_node, else the host name)."),
    ] = None,
    channels: Annotated[
        int | None,
        typer.Option(
            min=1, help="Calls at once over all campaigns (default: dialer_max_channels)."
        ),
    ] = None,
    json: Annotated[bool, typer.Option("--json", help="Print a JSON summary on exit.")] = False,
) -> None:
    """Run the dialer until SIGTERM/Ctrl-C: calls the due households of running campaigns."""
    settings = state(ctx).settings
    if not state(ctx).verbose and settings.log_level == "WARNING":
        logging.getLogger("ivr").setLevel(logging.INFO)  # a service says what it does
    summary = asyncio.run(serve(settings, node=node, channels=channels))
    if json:
        emit_json(summary)
    else:
        err_console.print(f"dialer stopped: {summary}", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    app.command("run")(run)
