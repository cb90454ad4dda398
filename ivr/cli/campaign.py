"""``ivr campaign create|list|show|start|pause|resume|cancel|status|results``.

Examples::

    ivr campaign create masks --script scripts/mask_notice.yaml --building 1-40 \\
        --window "mon-sat 09:00-12:00" --window "mon-sat 14:00-20:00" --channels 30 --cps 5 \\
        --var pickup_place="the committee office" --start
    ivr campaign create checkin --script scripts/temperature_checkin.yaml --status orange \\
        --schedule 09:00,16:00 --days 14 --window "08:30-20:00" --retry no_answer=20m/3 --start
    ivr campaign status --watch
    ivr campaign results masks --format csv -o masks.csv
"""

from __future__ import annotations

import json as jsonlib
import time
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from ivr.cli._common import console, emit_json, state
from ivr.cli._database import database_session
from ivr.errors import InputError

campaign_app = typer.Typer(
    help="Schedule and watch the robot's calling campaigns.", no_args_is_help=True
)

_RETRY_HELP = (
    "OUTCOME=DELAY/MAX, e.g. busy=10m/3 (outcomes: busy, no_answer, failed, "
    "machine, hung_up_early); repeatable."
)


def _spec_file(path: Path) -> dict[str, Any]:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"spec file {path}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise InputError(f"spec file {path}: not YAML/JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"spec file {path}: a mapping of spec fields is expected")
    return data


def _key_values(items: list[str], option: str) -> dict[str, str]:
    found = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"{option} {item!r}: use NAME=VALUE")
        found[key.strip()] = value
    return found


def build_spec(
    base: dict[str, Any],
    *,
    script: str | None,
    committees: list[str],
    buildings: list[str],
    statuses: list[str],
    tags: list[str],
    households: list[int],
    windows: list[str],
    timezone: str | None,
    channels: int | None,
    cps: float | None,
    priority: int | None,
    dial_template: str | None,
    retries: list[str],
    schedule: str | None,
    days: int | None,
    start_from: str | None,
    variables: list[str],
    ring_timeout: float | None,
    record: bool | None,
    amd: bool | None,
) -> Any:
    """A CampaignSpec from a spec file (optional) and the command line's options on top."""
    from ivr.campaigns.spec import RETRY_OUTCOMES, RetryRule, parse_spec, parse_window
    from ivr.households.status import parse_colour

    data = dict(base)
    if script is not None:
        data["script"] = script
    if "script" not in data:
        raise InputError("a campaign needs --script FILE (or 'script:' in the spec file)")
    target = dict(data.get("target") or {})
    for key, values in (("committees", committees), ("buildings", buildings), ("tags", tags)):
        if values:
            target[key] = values
    if statuses:
        target["statuses"] = [parse_colour(s).value for s in statuses]
    if households:
        target["households"] = households
    data["target"] = target
    if windows:
        data["windows"] = [parse_window(w).model_dump(mode="json") for w in windows]
    for key, value in (
        ("timezone", timezone),
        ("max_channels", channels),
        ("max_cps", cps),
        ("priority", priority),
        ("dial_template", dial_template),
        ("ring_timeout_s", ring_timeout),
        ("record", record),
        ("amd", amd),
    ):
        if value is not None:
            data[key] = value
    if retries:
        retry = dict(data.get("retry") or {})
        for outcome, rule in _key_values(retries, "--retry").items():
            if outcome not in RETRY_OUTCOMES:
                raise InputError(
                    f"--retry {outcome}: unknown outcome (use {', '.join(RETRY_OUTCOMES)})"
                )
            retry[outcome] = RetryRule.parse(rule).model_dump()
        data["retry"] = retry
    if schedule is not None or days is not None or start_from is not None:
        planned = dict(data.get("schedule") or {})
        if schedule is not None:
            planned["times"] = [t.strip() for t in schedule.split(",") if t.strip()]
        if days is not None:
            planned["days"] = days
        if start_from is not None:
            planned["start"] = start_from
        if "times" not in planned:
            raise InputError("--days/--from need --schedule TIMES (e.g. 09:00,16:00)")
        data["schedule"] = planned
    if variables:
        data["variables"] = {**data.get("variables", {}), **_key_values(variables, "--var")}
    return parse_spec(data, "campaign")


@campaign_app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A name staff will recognise.")],
    script: Annotated[Optional[str], typer.Option(help="Dialogue script (YAML).")] = None,  # noqa: UP045
    spec_file: Annotated[
        Path | None,
        typer.Option("--spec", help="Spec file (YAML or JSON); options override it."),
    ] = None,
    committee: Annotated[list[str], typer.Option(help="Committee name; repeatable.")] = [],  # noqa: B006
    building: Annotated[
        list[str], typer.Option(help="Building (12, 12号楼) or range 1-40; repeatable.")
    ] = [],  # noqa: B006
    status: Annotated[list[str], typer.Option(help="Status colour; repeatable.")] = [],  # noqa: B006
    tag: Annotated[list[str], typer.Option(help="Household tag; repeatable.")] = [],  # noqa: B006
    household: Annotated[list[int], typer.Option(help="Household id; repeatable.")] = [],  # noqa: B006
    window: Annotated[
        list[str], typer.Option(help="Calling window '[DAYS] HH:MM-HH:MM' or 'always'; repeatable.")
    ] = [],  # noqa: B006
    timezone: Annotated[Optional[str], typer.Option(help="IANA time zone of the windows.")] = None,  # noqa: UP045
    channels: Annotated[Optional[int], typer.Option(help="Calls at once.")] = None,  # noqa: UP045
    cps: Annotated[Optional[float], typer.Option(help="New calls per second.")] = None,  # noqa: UP045
    priority: Annotated[Optional[int], typer.Option(help="Higher goes first.")] = None,  # noqa: UP045
    dial_template: Annotated[str | None, typer.Option(help="e.g. PJSIP/{number}@carrier.")] = None,
    retry: Annotated[list[str], typer.Option(help=_RETRY_HELP)] = [],  # noqa: B006
    schedule: Annotated[
        str | None, typer.Option(help="Recurring: times of day, e.g. 09:00,16:00.")
    ] = None,
    days: Annotated[Optional[int], typer.Option(help="Recurring: for this many days.")] = None,  # noqa: UP045
    start_from: Annotated[
        str | None,
        typer.Option("--from", help="Recurring: 'household' (quarantine start) or YYYY-MM-DD."),
    ] = None,
    var: Annotated[list[str], typer.Option(help="Script variable NAME=VALUE; repeatable.")] = [],  # noqa: B006
    ring_timeout: Annotated[Optional[float], typer.Option(help="Seconds to ring.")] = None,  # noqa: UP045
    record: Annotated[Optional[bool], typer.Option("--record/--no-record")] = None,  # noqa: UP045
    amd: Annotated[
        bool | None,
        typer.Option(
            "--amd/--no-amd", help="Answering-machine detection (default: as the script says)."
        ),
    ] = None,
    start: Annotated[bool, typer.Option("--start", help="Start calling at once.")] = False,
    json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create a campaign; everything is checked before anything is stored."""
    from ivr.campaigns.manage import create_campaign
    from ivr.campaigns.results import progress

    spec = build_spec(
        _spec_file(spec_file) if spec_file else {},
        script=script,
        committees=committee,
        buildings=building,
        statuses=status,
        tags=tag,
        households=household,
        windows=window,
        timezone=timezone,
        channels=channels,
        cps=cps,
        priority=priority,
        dial_template=dial_template,
        retries=retry,
        schedule=schedule,
        days=days,
        start_from=start_from,
        variables=var,
        ring_timeout=ring_timeout,
        record=record,
        amd=amd,
    )
    settings = state(ctx).settings
    from ivr.db.models import utcnow

    with database_session(ctx) as session:
        campaign = create_campaign(
            session, settings, name=name, spec=spec, start=start, created_by="cli"
        )
        shown = progress(session, campaign, utcnow(), settings.campaign_timezone)
    if json:
        emit_json(shown.as_dict())
        return
    console.print(
        f"campaign {shown.id} [bold]{shown.name}[/]: {shown.total} task(s), {shown.state}"
        + ("" if start else f" — start it with: ivr campaign start {shown.id}"),
        highlight=False,
    )


@campaign_app.command("list")
def list_command(ctx: typer.Context, json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every campaign with its state and progress."""
    from ivr.campaigns.results import list_campaigns
    from ivr.cli._database import print_rows

    with database_session(ctx) as session:
        rows = list_campaigns(session)
    if not rows and not json:
        console.print("no campaigns yet (ivr campaign create)")
    print_rows(
        rows,
        json,
        lambda r: (
            f"{r['id']:>4}  {r['name']:<28} {r['state']:<10} {r['script']:<22} "
            f"{r['finished']}/{r['tasks']} done"
        ),
    )


def _progress_of(ctx: typer.Context, ref: str | None) -> list[Any]:
    from sqlalchemy import select

    from ivr.campaigns.manage import find_campaign
    from ivr.campaigns.results import progress
    from ivr.db.models import Campaign, CampaignState, utcnow

    settings = state(ctx).settings
    with database_session(ctx) as session:
        if ref is not None:
            campaigns = [find_campaign(session, ref)]
        else:
            campaigns = list(
                session.scalars(
                    select(Campaign)
                    .where(Campaign.state.in_([CampaignState.RUNNING, CampaignState.PAUSED]))
                    .order_by(Campaign.priority.desc(), Campaign.id)
                )
            )
        return [progress(session, c, utcnow(), settings.campaign_timezone) for c in campaigns]


@campaign_app.command("show")
def show(
    ctx: typer.Context, ref: str, json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """One campaign: its specification, windows and progress."""
    from ivr.campaigns.manage import find_campaign

    with database_session(ctx) as session:
        campaign = find_campaign(session, ref)
        spec = dict(campaign.spec)
    shown = _progress_of(ctx, ref)[0]
    if json:
        emit_json({**shown.as_dict(), "spec": spec})
        return
    console.print(
        f"[bold]{shown.name}[/] (id {shown.id}) — {shown.state}, script {shown.script}",
        highlight=False,
    )
    console.print(f"  target: {spec.get('target')}", highlight=False, markup=False)
    for line in shown.windows:
        console.print(f"  window: {line}", highlight=False)
    if shown.window_opens:
        console.print(f"  calls possible from: {shown.window_opens.astimezone():%Y-%m-%d %H:%M}")
    console.print(
        f"  channels {spec.get('max_channels')}, {spec.get('max_cps')} calls/s, "
        f"priority {spec.get('priority')}",
        highlight=False,
    )
    if spec.get("schedule"):
        console.print(f"  schedule: {spec['schedule']}", highlight=False, markup=False)
    console.print(f"  retry: {spec.get('retry')}", highlight=False, markup=False)
    _print_progress(shown)


def _print_progress(shown: Any) -> None:
    console.print(
        f"  {shown.finished}/{shown.total} finished, {shown.in_flight} call(s) in flight, "
        f"{shown.attempts} call(s) made",
        highlight=False,
    )
    if shown.outcomes:
        console.print("  outcomes: " + _counts(shown.outcomes), highlight=False)
    if shown.flags:
        console.print("  flags: " + _counts(shown.flags), highlight=False)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(
        f"{k.replace('_', ' ')} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])
    )


def _move(ctx: typer.Context, ref: str, move: str, json: bool) -> None:
    from ivr.campaigns.manage import change_state, find_campaign

    with database_session(ctx) as session:
        campaign = change_state(session, find_campaign(session, ref), move)
        row = {"id": campaign.id, "name": campaign.name, "state": campaign.state.value}
    if json:
        emit_json(row)
    else:
        console.print(f"campaign {row['id']} {row['name']}: {row['state']}", highlight=False)


@campaign_app.command("start")
def start_command(
    ctx: typer.Context, ref: str, json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """Start calling (a running `ivr run` picks it up within a second)."""
    _move(ctx, ref, "start", json)


@campaign_app.command("pause")
def pause(
    ctx: typer.Context, ref: str, json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """Stop starting calls; calls in progress finish."""
    _move(ctx, ref, "pause", json)


@campaign_app.command("resume")
def resume(
    ctx: typer.Context, ref: str, json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """Start calling again after a pause."""
    _move(ctx, ref, "resume", json)


@campaign_app.command("cancel")
def cancel(
    ctx: typer.Context, ref: str, json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """Call nobody more; households not yet called are marked cancelled."""
    _move(ctx, ref, "cancel", json)


def status_view(shown: list[Any]) -> Any:
    """A table with a progress bar and outcome counts per campaign (Rich)."""
    from rich.progress_bar import ProgressBar
    from rich.table import Table

    table = Table(expand=False)
    for column in ("campaign", "state", "progress", "done", "calls", "live", "outcomes"):
        table.add_column(column)
    for p in shown:
        table.add_row(
            f"{p.id} {p.name}",
            p.state,
            ProgressBar(total=max(p.total, 1), completed=p.finished, width=30),
            f"{p.finished}/{p.total}",
            str(p.attempts),
            str(p.in_flight),
            _counts(p.outcomes) or "-",
        )
    return table


@campaign_app.command("status")
def status(
    ctx: typer.Context,
    ref: Annotated[
        str | None,
        typer.Argument(help="Campaign id or name (default: running and paused ones)."),
    ] = None,
    watch: Annotated[
        bool, typer.Option("--watch", "-w", help="Refresh every second until Ctrl-C.")
    ] = False,
    json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Progress bars and outcome counts (one JSON object per campaign with --json)."""
    if json:
        for shown in _progress_of(ctx, ref):
            emit_json(shown.as_dict())
        return
    if not watch:
        shown = _progress_of(ctx, ref)
        if not shown:
            console.print("no running or paused campaigns")
            return
        console.print(status_view(shown))
        return
    from rich.live import Live

    with Live(status_view(_progress_of(ctx, ref)), console=console, refresh_per_second=2) as live:
        try:
            while True:
                time.sleep(1.0)
                live.update(status_view(_progress_of(ctx, ref)))
        except KeyboardInterrupt:
            pass


@campaign_app.command("results")
def results(
    ctx: typer.Context,
    ref: str,
    format: Annotated[
        str, typer.Option("--format", "-f", help="csv or json (one object per line).")
    ] = "csv",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write (default: standard output)."),
    ] = None,
) -> None:
    """One row per household (and occurrence): outcome, attempts and the answers stored."""
    from ivr.campaigns.manage import find_campaign
    from ivr.campaigns.results import as_csv, result_rows

    if format not in ("csv", "json"):
        raise InputError(f"--format {format!r}: use csv or json")
    with database_session(ctx) as session:
        rows = result_rows(session, find_campaign(session, ref))
    if format == "csv":
        text = as_csv(rows)
    else:
        text = "".join(jsonlib.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"{len(rows)} row(s) written to {output}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(campaign_app, name="campaign")
