"""`ivr dnc add|remove|check|list|import`: the do-not-call list."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from ivr.cli._common import console, emit_json, err_console, state
from ivr.cli._database import database_session, print_rows

dnc_app = typer.Typer(help="The do-not-call list.", no_args_is_help=True)


def _who() -> str:
    return f"cli:{getpass.getuser()}"


@dnc_app.command("add")
def add(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(help="The number, as written.")],
    reason: Annotated[str, typer.Option(help="Why it must not be called.")] = "",
) -> None:
    """Never call NUMBER again (whichever household it belongs to)."""
    from ivr.households import dnc
    from ivr.phone import mask

    settings = state(ctx).settings
    with database_session(ctx) as session:
        entry = dnc.add_number(
            session,
            number,
            reason=reason,
            added_by=_who(),
            default_country=settings.default_country,
        )
        console.print(f"{mask(entry.number)} is on the do-not-call list", highlight=False)


@dnc_app.command("remove")
def remove(
    ctx: typer.Context, number: Annotated[str, typer.Argument(help="The number, as written.")]
) -> None:
    """Take NUMBER off the list."""
    from ivr.households import dnc

    settings = state(ctx).settings
    with database_session(ctx) as session:
        removed = dnc.remove_number(session, number, default_country=settings.default_country)
    if not removed:
        err_console.print("that number was not on the list", highlight=False)
        raise SystemExit(1)
    console.print("removed", highlight=False)


@dnc_app.command("check")
def check(
    ctx: typer.Context, number: Annotated[str, typer.Argument(help="The number, as written.")]
) -> None:
    """Exit 0 and say so when NUMBER is on the list, else exit 1."""
    from ivr.households import dnc

    settings = state(ctx).settings
    with database_session(ctx) as session:
        listed = dnc.is_do_not_call(session, number, default_country=settings.default_country)
    console.print("on the do-not-call list" if listed else "not on the list", highlight=False)
    raise SystemExit(0 if listed else 1)


@dnc_app.command("list")
def list_numbers(
    ctx: typer.Context,
    full: Annotated[bool, typer.Option("--full", help="Show whole numbers (not masked).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per number.")] = False,
) -> None:
    """The list, oldest first; numbers masked unless --full."""
    from ivr.households import dnc
    from ivr.phone import mask

    with database_session(ctx) as session:
        rows = [
            {
                "number": e.number if full else mask(e.number),
                "reason": e.reason,
                "added_at": e.added_at.isoformat(),
                "added_by": e.added_by,
            }
            for e in dnc.list_numbers(session)
        ]
    print_rows(
        rows, as_json, lambda row: f"{row['number']:<18} {row['added_at'][:10]}  {row['reason']}"
    )


@dnc_app.command("import")
def import_file(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Numbers: .csv/.txt (one a line) or .xlsx.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only; write nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Add every number of FILE, or none if any row is bad (each bad row is reported)."""
    from ivr.households.dnc_file import import_dnc_file
    from ivr.households.problems import HouseholdFileError

    settings = state(ctx).settings
    try:
        with database_session(ctx) as session:
            result = import_dnc_file(
                session,
                file,
                added_by=_who(),
                dry_run=dry_run,
                default_country=settings.default_country,
            )
    except HouseholdFileError as exc:
        if as_json:
            emit_json(
                {"file": exc.file, "ok": False, "problems": [p.as_dict() for p in exc.details]}
            )
            raise SystemExit(1) from None
        raise
    if as_json:
        emit_json({"ok": True, **result.as_dict()})
    else:
        console.print(
            f"{result.file}: {result.added} numbers added, {result.already_listed} "
            "were listed already",
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    app.add_typer(dnc_app, name="dnc")
