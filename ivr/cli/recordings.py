"""`ivr recordings purge`: delete call recordings past the retention period."""

from __future__ import annotations

from typing import Annotated

import typer

from ivr.cli._common import console, emit_json, state

recordings_app = typer.Typer(help="Call recordings.", no_args_is_help=True)


@recordings_app.command("purge")
def purge(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count only; delete nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Delete recordings older than recording_retention_days (one log line each)."""
    from ivr.db import open_database
    from ivr.households.retention import purge_recordings

    settings = state(ctx).settings
    db = open_database(settings)
    try:
        result = purge_recordings(db, settings, dry_run=dry_run)
    finally:
        db.dispose()
    if as_json:
        emit_json(result.as_dict())
    else:
        verb = "would be deleted" if dry_run else "deleted"
        console.print(
            f"recordings before {result.cutoff:%Y-%m-%d}: {result.deleted} {verb} "
            f"({result.bytes} bytes), {result.missing} already gone, "
            f"{len(result.failed)} failed",
            highlight=False,
        )
    if result.failed:
        for failure in result.failed:
            console.print(f"  failed: {failure}", highlight=False, markup=False)
        raise SystemExit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(recordings_app, name="recordings")
