"""`ivr report serve`: the web report (status map, households, campaigns) on localhost."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ivr.cli._common import state

report_app = typer.Typer(help="The web report view.", no_args_is_help=True)


@report_app.command("serve")
def serve_command(
    ctx: typer.Context,
    host: Annotated[
        Optional[str],  # noqa: UP045 - typer reads the annotation at run time
        typer.Option("--host", help="Address to bind (default: report_host, 127.0.0.1)."),
    ] = None,
    port: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--port", help="Port (default: report_port, 8080).", min=1, max=65535),
    ] = None,
) -> None:
    """Serve the report view until interrupted. Binds to localhost unless told otherwise."""
    from ivr.web.server import serve  # the web stack loads only for this command

    settings = state(ctx).settings
    typer.echo(
        f"report view on http://{host or settings.report_host}:{port or settings.report_port}/",
        err=True,
    )
    serve(settings, host, port)


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
