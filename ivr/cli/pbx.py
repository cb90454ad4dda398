"""``ivr pbx up|down|status``: the embedded Asterisk."""

from __future__ import annotations

from typing import Annotated

import typer

from ivr.cli._common import console, emit_json, state

pbx_app = typer.Typer(help="The embedded Asterisk (a real Asterisk 22).", no_args_is_help=True)
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


@pbx_app.command("build")
def build(ctx: typer.Context) -> None:
    """Build the Asterisk tree into the cache if it is not there (no Asterisk is started)."""
    from ivr.pbx import sandbox

    settings = state(ctx).settings
    tree = sandbox.ensure_tree(settings.pbx_tree_dir)
    sandbox.prepare(tree)
    console.print(f"Asterisk tree ready in {tree}")


@pbx_app.command("up")
def up(ctx: typer.Context, json: JsonOption = False) -> None:
    """Build (once), configure and start the embedded Asterisk; a no-op when it runs."""
    from ivr.pbx import EmbeddedPbx

    status, note = EmbeddedPbx(state(ctx).settings).up()
    if json:
        emit_json({**status.as_dict(), "note": note})
        return
    console.print(f"Asterisk {status.state} (pid {status.pid}), AMI {status.ami}: {note}")
    if status.simulator_pid:
        console.print(f"resident simulator running (pid {status.simulator_pid})")


@pbx_app.command("down")
def down(ctx: typer.Context, json: JsonOption = False) -> None:
    """Stop the embedded Asterisk cleanly (calls in progress are hung up)."""
    from ivr.pbx import EmbeddedPbx

    note = EmbeddedPbx(state(ctx).settings).down()
    if json:
        emit_json({"state": "stopped", "note": note})
    else:
        console.print(f"Asterisk: {note}")


@pbx_app.command("status")
def status(ctx: typer.Context, json: JsonOption = False) -> None:
    """Running, stopped, or crashed (exit code 1 when not running)."""
    from ivr.pbx import EmbeddedPbx

    current = EmbeddedPbx(state(ctx).settings).status()
    if json:
        emit_json(current.as_dict())
    else:
        console.print(
            f"Asterisk {current.state}" + (f" (pid {current.pid})" if current.pid else "")
        )
        if current.detail:
            console.print(current.detail, highlight=False, markup=False)
    if current.state != "running":
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(pbx_app, name="pbx")
