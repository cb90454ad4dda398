"""`ivr bench ...`: benchmarks, each printing one JSON object with --json."""

import typer

bench_app = typer.Typer(help="Benchmarks (JSON figures for docs/performance.md).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(bench_app, name="bench")
