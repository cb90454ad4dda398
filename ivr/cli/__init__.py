"""The ``ivr`` command. Each module in this package adds its own commands via ``register``.

Modules import heavy libraries (speech models, web server) inside their commands, so
``ivr --help`` and quick commands start fast.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ivr import log
from ivr.cli._common import State, fail
from ivr.errors import IvrError

app = typer.Typer(
    name="ivr",
    help="Outbound voice robot for neighbourhood committees.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    config: Annotated[
        Optional[Path],  # noqa: UP045 - typer reads the annotation at run time
        typer.Option("--config", "-c", help="Configuration file (TOML).", envvar="IVR_CONFIG"),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug detail.")] = False,
) -> None:
    ctx.obj = State(config_file=config, verbose=verbose)


def _register_all() -> None:
    package = sys.modules[__name__]
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        module.register(app)


_register_all()


def main() -> None:
    try:
        app()
    except IvrError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        sys.exit(130)


__all__ = ["app", "log", "main"]
