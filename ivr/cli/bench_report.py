"""`ivr bench report`: report-view speed (map and household pages) and household import speed."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ivr.cli._common import console, emit_json
from ivr.cli.bench import bench_app


@bench_app.command("report")
def bench_report(
    households: Annotated[
        int,
        typer.Option("--households", min=10, max=500_000, help="Neighbourhood size to generate."),
    ] = 2046,
    fetches: Annotated[
        int, typer.Option("--fetches", min=3, max=1000, help="Map page fetches to time.")
    ] = 20,
    database_url: Annotated[
        Optional[str],  # noqa: UP045 - typer reads the annotation at run time
        typer.Option(
            "--database-url",
            help="Scratch database (default: a temporary SQLite "
            "file). It gets a generated street: never point it at real data.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Serve a generated neighbourhood and time the map and household pages."""
    from ivr.web.bench import run_report_bench  # loads the web stack only when run

    figures = run_report_bench(households, map_fetches=fetches, database_url=database_url)
    if as_json:
        emit_json(figures.as_json())
        return
    drawn = "every room" if figures.map_draws_rooms else "a bar per building"
    console.print(
        f"{figures.households} households: map ({drawn}) p50 {figures.map_ms_p50} ms, "
        f"p95 {figures.map_ms_p95} ms, {figures.map_bytes} bytes gzip; household page p95 "
        f"{figures.household_page_ms_p95} ms; import {figures.import_rows_per_s} rows/s",
        highlight=False,
    )
    if not figures.map_draws_rooms:
        console.print(
            f"one committee's rooms p50 {figures.committee_map_ms_p50} ms; every room of the "
            f"street (?all=1) p50 {figures.all_rooms_map_ms_p50} ms",
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    pass  # the command joins the `bench` group when this module is imported
