"""`ivr staff add|list|passwd|disable|enable`: accounts for the report view."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ivr.cli._common import console, fail, state
from ivr.cli._database import database_session, print_rows

staff_app = typer.Typer(help="Staff accounts (argon2-hashed passwords).", no_args_is_help=True)


def _password(from_stdin: bool) -> str:
    """The new password: one line of stdin, or typed twice at a prompt (never an argument,
    which would sit in the shell history and the process list)."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            fail("--password-stdin: no password on standard input")
        return password
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@staff_app.command("add")
def add(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Sign-in name (lower case).")],
    role: Annotated[
        str, typer.Option(help="admin (all committees) or staff (one committee).")
    ] = "staff",
    committee: Annotated[str | None, typer.Option(help="The committee of a staff account.")] = None,
    street: Annotated[
        str | None, typer.Option(help="The committee's street, if ambiguous.")
    ] = None,
    sip_endpoint: Annotated[str | None, typer.Option(help="Their SIP phone, e.g. staff1.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create an account; the password is prompted for (or read with --password-stdin)."""
    from ivr.db.models import Role
    from ivr.households.places import find_committee
    from ivr.households.staff import create_staff_user

    if role not in {r.value for r in Role}:
        fail(f"--role {role!r}: use admin or staff")
    settings = state(ctx).settings
    password = _password(password_stdin)
    with database_session(ctx) as session:
        committee_id = find_committee(session, committee, street).id if committee else None
        user = create_staff_user(
            session,
            username,
            password,
            role=role,
            committee_id=committee_id,
            sip_endpoint=sip_endpoint,
            min_length=settings.staff_password_min_length,
        )
        console.print(f"staff user {user.username} ({user.role.value}) added", highlight=False)


@staff_app.command("list")
def list_users(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per account.")] = False,
) -> None:
    """Every account, with role, committee and whether it is disabled."""
    from ivr.households.staff import list_staff_users

    with database_session(ctx) as session:
        from ivr.db.models import Committee

        rows = [
            {
                "username": u.username,
                "role": u.role.value,
                "committee": (
                    session.get(Committee, u.committee_id).name if u.committee_id else None
                ),
                "sip_endpoint": u.sip_endpoint,
                "disabled": u.disabled,
                "last_login_at": u.last_login_at.isoformat() if u.last_login_at else None,
            }
            for u in list_staff_users(session)
        ]
    print_rows(
        rows,
        as_json,
        lambda row: (
            f"{row['username']:<20} {row['role']:<6} "
            f"{'disabled' if row['disabled'] else 'active':<9} "
            f"{row['committee'] or '(all committees)'}"
        ),
    )


@staff_app.command("passwd")
def passwd(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The account.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Set a new password."""
    from ivr.households.staff import get_staff_user, set_password

    settings = state(ctx).settings
    password = _password(password_stdin)
    with database_session(ctx) as session:
        set_password(
            session,
            get_staff_user(session, username),
            password,
            min_length=settings.staff_password_min_length,
        )
    console.print(f"password of {username} changed", highlight=False)


def _set_disabled(ctx: typer.Context, username: str, disabled: bool) -> None:
    from ivr.households.staff import get_staff_user, set_disabled

    with database_session(ctx) as session:
        set_disabled(session, get_staff_user(session, username), disabled)
    console.print(f"{username} {'disabled' if disabled else 'enabled'}", highlight=False)


@staff_app.command("disable")
def disable(
    ctx: typer.Context, username: Annotated[str, typer.Argument(help="The account.")]
) -> None:
    """Stop an account from signing in (its history stays)."""
    _set_disabled(ctx, username, True)


@staff_app.command("enable")
def enable(
    ctx: typer.Context, username: Annotated[str, typer.Argument(help="The account.")]
) -> None:
    """Let a disabled account sign in again."""
    _set_disabled(ctx, username, False)


def register(app: typer.Typer) -> None:
    app.add_typer(staff_app, name="staff")
