"""`ivr households import|export|generate|list|show|summary`, and `ivr bench households`."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from ivr.cli._common import console, emit_json, err_console, fail, state
from ivr.cli._database import database_session, print_rows
from ivr.cli.bench import bench_app

households_app = typer.Typer(
    help="The household database: import, export, look up.", no_args_is_help=True
)
PROBLEMS_SHOWN = 200  # on a terminal; --json always carries every problem


def _committee_id(session: Any, committee: str | None, street: str | None) -> int | None:
    from ivr.households.places import find_committee

    return find_committee(session, committee, street).id if committee else None


@households_app.command("import")
def import_file(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Household list: .csv (UTF-8 or GBK) or .xlsx.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only; write nothing.")] = False,
    column_map: Annotated[
        list[str] | None,
        typer.Option("--map", help="COLUMN=FIELD (header or letter), e.g. 'Mobile=phone'."),
    ] = None,
    street: Annotated[str | None, typer.Option(help="Street for rows without one.")] = None,
    committee: Annotated[str | None, typer.Option(help="Committee for rows without one.")] = None,
    sheet: Annotated[str | None, typer.Option(help="Sheet of an .xlsx (default: first).")] = None,
    allow_shared_phones: Annotated[
        bool, typer.Option(help="Accept one number on two households (a warning, not an error).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Check FILE whole, then add or update its households in one transaction (or none)."""
    from ivr.households.columns import parse_overrides
    from ivr.households.importer import ImportOptions, import_households
    from ivr.households.problems import HouseholdFileError

    settings = state(ctx).settings
    try:
        overrides = parse_overrides(column_map or [])
    except ValueError as exc:
        fail(str(exc))
    options = ImportOptions.from_settings(
        settings,
        dry_run=dry_run,
        column_map=overrides,
        sheet=sheet,
        allow_shared_phones=allow_shared_phones,
    )
    options.default_street = street or options.default_street
    options.default_committee = committee or options.default_committee
    try:
        with database_session(ctx) as session:
            result = import_households(session, file, options)
    except HouseholdFileError as exc:
        if as_json:
            emit_json(
                {"file": exc.file, "ok": False, "problems": [p.as_dict() for p in exc.details]}
            )
            raise SystemExit(1) from None
        err_console.print(
            f"[bold red]error:[/] {exc.file}: {len(exc.details)} problem(s), nothing was imported",
            highlight=False,
        )
        for problem in exc.problems[:PROBLEMS_SHOWN]:
            err_console.print(f"  {problem}", highlight=False, markup=False)
        if len(exc.problems) > PROBLEMS_SHOWN:
            err_console.print(
                f"  … and {len(exc.problems) - PROBLEMS_SHOWN} more (--json lists them all)",
                highlight=False,
            )
        raise SystemExit(1) from None
    if as_json:
        emit_json({"ok": True, **result.as_dict()})
        return
    for warning in result.warnings:
        err_console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    verb = "would be" if dry_run else "were"
    console.print(
        f"{result.file} ({result.encoding}): {result.rows} rows; {result.created} households "
        f"{verb} added, {result.updated} updated, {result.unchanged} unchanged "
        f"({result.rows_per_s:.0f} rows/s)",
        highlight=False,
    )


@households_app.command("export")
def export_file(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Where to write: .csv or .xlsx.")],
    committee: Annotated[str | None, typer.Option(help="Only this committee.")] = None,
    street: Annotated[
        str | None, typer.Option(help="The committee's street, if ambiguous.")
    ] = None,
    lang: Annotated[str, typer.Option(help="Header language: en or zh.")] = "en",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Write the households to FILE, in a form `ivr households import` reads back."""
    from ivr.households.export import export_households

    settings = state(ctx).settings
    with database_session(ctx) as session:
        result = export_households(
            session,
            file,
            committee_id=_committee_id(session, committee, street),
            default_country=settings.default_country,
            language=lang,
        )
    if as_json:
        emit_json(result.as_dict())
    else:
        console.print(f"{file}: {result.rows} households written", highlight=False)


@households_app.command("generate")
def generate(
    ctx: typer.Context,
    households: Annotated[int, typer.Option(min=1, help="How many households.")] = 2046,
    buildings: Annotated[int, typer.Option(min=1, help="How many buildings.")] = 93,
    committees: Annotated[int, typer.Option(min=1, help="How many committees.")] = 1,
    seed: Annotated[int, typer.Option(help="Same seed, same neighbourhood.")] = 0,
    street: Annotated[str | None, typer.Option(help="Street name.")] = None,
    committee: Annotated[
        str | None, typer.Option(help="Committee name (numbered if several).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Write a simulated neighbourhood (numbers in the reserved range 199 00xx xxxx)."""
    from ivr.households.generate import generate_neighbourhood

    settings = state(ctx).settings
    with database_session(ctx) as session:
        hood = generate_neighbourhood(
            session,
            households=households,
            buildings=buildings,
            committees=committees,
            seed=seed,
            street=street or settings.households_default_street,
            committee=committee or settings.households_default_committee,
        )
    figures = {
        "households": len(hood.households),
        "buildings": len(hood.building_ids),
        "committees": len(hood.committee_ids),
        "street_id": hood.street_id,
        "seed": seed,
        "seconds": round(hood.seconds, 3),
    }
    if as_json:
        emit_json(figures)
    else:
        console.print(
            f"{figures['households']} households in {figures['buildings']} buildings of "
            f"{figures['committees']} committee(s) written in {figures['seconds']} s",
            highlight=False,
        )


def _household_json(household: Any) -> dict[str, Any]:
    from ivr.households.lookup import household_label
    from ivr.phone import mask

    return {
        "id": household.id,
        "label": household_label(household),
        "status": household.status.value,
        "flagged": household.flagged,
        "opted_out": household.opted_out,
        "phones": [mask(p.number) for p in household.phones],
    }


@households_app.command("list")
def list_households(
    ctx: typer.Context,
    committee: Annotated[str | None, typer.Option(help="Only this committee.")] = None,
    street: Annotated[
        str | None, typer.Option(help="The committee's street, if ambiguous.")
    ] = None,
    building: Annotated[str | None, typer.Option(help="Only this building.")] = None,
    status: Annotated[str | None, typer.Option(help="Only this colour.")] = None,
    flagged: Annotated[bool, typer.Option("--flagged", help="Only flagged households.")] = False,
    limit: Annotated[int, typer.Option(min=1, help="At most this many.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per household.")] = False,
) -> None:
    """Households in map order, numbers masked."""
    from ivr.households.lookup import HouseholdFilter, find_households
    from ivr.households.status import parse_colour

    with database_session(ctx) as session:
        found = find_households(
            session,
            HouseholdFilter(
                committee_id=_committee_id(session, committee, street),
                building=building,
                status=parse_colour(status) if status else None,
                flagged=True if flagged else None,
            ),
            limit=limit,
        )
        rows = [_household_json(h) for h in found]
    print_rows(
        rows,
        as_json,
        lambda row: (
            f"{row['id']:>7}  {row['label']:<14} {row['status']:<7}"
            f"{' FLAGGED' if row['flagged'] else ''}  {', '.join(row['phones'])}"
        ),
    )


@households_app.command("show")
def show(
    ctx: typer.Context,
    household_id: Annotated[int, typer.Argument(help="Household id (see `list`).")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """One household: place, numbers (masked), residents, tags and colour history."""
    from ivr.households.lookup import get_household

    with database_session(ctx) as session:
        household = get_household(session, household_id)
        unit = household.unit
        detail = {
            **_household_json(household),
            "committee": unit.building.committee.name,
            "street": unit.building.committee.street.name,
            "residents": [r.name for r in household.residents],
            "tags": sorted(t.name for t in household.tags),
            "notes": household.notes,
            "quarantine_start": household.quarantine_start,
            "history": [
                {
                    "at": c.at.isoformat(),
                    "from": c.from_status.value if c.from_status else None,
                    "to": c.to_status.value,
                    "reason": c.reason,
                    "attempt_id": c.attempt_id,
                    "staff_user_id": c.staff_user_id,
                }
                for c in household.status_changes
            ],
        }
    if as_json:
        emit_json(detail)
        return
    console.print(
        f"{detail['label']} ({detail['committee']}, {detail['street']}): "
        f"{detail['status']}{' FLAGGED' if detail['flagged'] else ''}",
        highlight=False,
    )
    console.print(f"  phones: {', '.join(detail['phones']) or '-'}", highlight=False)
    console.print(f"  residents: {', '.join(detail['residents']) or '-'}", highlight=False)
    console.print(f"  tags: {', '.join(detail['tags']) or '-'}", highlight=False)
    for change in detail["history"]:
        console.print(
            f"  {change['at']}  {change['from'] or '-'} → {change['to']}: {change['reason']}",
            highlight=False,
            markup=False,
        )


@households_app.command("summary")
def summary(
    ctx: typer.Context,
    committee: Annotated[str | None, typer.Option(help="Only this committee.")] = None,
    street: Annotated[
        str | None, typer.Option(help="The committee's street, if ambiguous.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Households per colour, and how many are flagged."""
    from ivr.households.overview import counts_by_colour, flagged_count

    with database_session(ctx) as session:
        committee_id = _committee_id(session, committee, street)
        counts = counts_by_colour(session, committee_id=committee_id)
        flagged = flagged_count(session, committee_id=committee_id)
    figures = {**{c.value: n for c, n in counts.items()}, "flagged": flagged}
    if as_json:
        emit_json(figures)
    else:
        console.print("  ".join(f"{k} {v}" for k, v in figures.items()), highlight=False)


@bench_app.command("households")
def bench_households(
    rows: Annotated[int, typer.Option(min=100, help="Rows of the import file.")] = 50_000,
    database_url: Annotated[
        str | None,
        typer.Option(
            help="Scratch database (default: a temporary SQLite file). It gets "
            "generated streets: never point it at real data."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Import speed (rows/s) and generator time for 2,046 and 50,000 households."""
    from ivr.db import Database
    from ivr.households.bench import household_figures

    with tempfile.TemporaryDirectory(prefix="ivr-bench-") as tmp:
        db = Database(database_url or f"sqlite:///{tmp}/bench.db")
        try:
            figures = household_figures(db, rows)
        finally:
            db.dispose()
    if as_json:
        emit_json(figures)
    else:
        console.print("  ".join(f"{k} {v}" for k, v in figures.items()), highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(households_app, name="households")
