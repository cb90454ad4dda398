"""`ivr bench ...`: benchmarks, each printing one JSON object with --json."""

from typing import Any

import typer

from ivr.cli._common import console, emit_json

bench_app = typer.Typer(
    help="Benchmarks (JSON figures for docs/performance.md).", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(bench_app, name="bench")


def emit_figures(figures: dict[str, Any], json: bool) -> None:
    """One JSON object with ``--json``, else a figure per line, names aligned."""
    if json:
        emit_json(figures)
        return
    width = max(map(len, figures), default=0)
    for key, value in figures.items():
        console.print(f"{key:>{width}}: {value}", highlight=False)
