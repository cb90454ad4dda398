"""``ivr config show|doc``: the settings in effect, and the settings reference."""

from __future__ import annotations

from typing import Annotated

import typer

from ivr.cli._common import console, emit_json, state

config_app = typer.Typer(help="Settings: what is in effect, and the reference.",
                         no_args_is_help=True)  # fmt: skip


@config_app.command("show")
def show(ctx: typer.Context, json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The settings in effect (file + environment), secrets hidden."""
    from pydantic import SecretStr

    current = state(ctx).settings
    values = {}
    for name in type(current).model_fields:
        value = getattr(current, name)
        values[name] = "********" if isinstance(value, SecretStr) else value
    if json:
        emit_json({"config_file": str(current.config_file or ""), **values})
        return
    console.print(f"configuration file: {current.config_file or '(none: defaults)'}")
    for name, value in values.items():
        console.print(f"{name} = {value!r}", highlight=False, markup=False, soft_wrap=True)


@config_app.command("doc")
def doc() -> None:
    """Print the settings reference (Markdown), generated from the code."""
    from ivr.settings_doc import markdown

    typer.echo(markdown(), nl=False)


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")
