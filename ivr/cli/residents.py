"""``ivr residents ...``: the simulated residents of the demo and the tests."""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated

import typer

from ivr.cli._common import emit_json, state

residents_app = typer.Typer(help="Simulated residents (demo and tests).", no_args_is_help=True)


@residents_app.command("serve")
def serve(ctx: typer.Context) -> None:
    """Answer the [residents] context's calls (started by `ivr pbx up`; runs until SIGTERM)."""
    from ivr.residents.simulator import ResidentSimulator

    settings = state(ctx).settings

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        async with ResidentSimulator(settings):
            await stop.wait()

    asyncio.run(run())


@residents_app.command("set")
def set_persona(
    ctx: typer.Context,
    number: str,
    persona: Annotated[str, typer.Argument(help='JSON, e.g. {"kind":"busy"}')] = "{}",
) -> None:
    """Give a simulated number a persona (stored in the embedded Asterisk's AstDB)."""
    from ivr.ami import AmiClient
    from ivr.phone import check_dial_number
    from ivr.residents.persona import ASTDB_FAMILY, Persona

    settings = state(ctx).settings
    chosen = Persona.model_validate_json(persona)
    check_dial_number(number)

    async def run() -> None:
        async with AmiClient.from_settings(settings) as ami:
            await ami.db_put(ASTDB_FAMILY, number, chosen.encode())

    asyncio.run(run())
    emit_json({"number": number, "persona": chosen.model_dump(mode="json")})


@residents_app.command("truth")
def truth(ctx: typer.Context, last: int = 10) -> None:
    """What simulated residents said on their last calls (one JSON line each)."""
    from ivr.residents.simulator import read_truth

    settings = state(ctx).settings
    for record in read_truth(settings.data_dir / "residents" / "truth.jsonl")[-last:]:
        emit_json(record)


def register(app: typer.Typer) -> None:
    app.add_typer(residents_app, name="residents")
