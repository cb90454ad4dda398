"""Staff accounts: argon2 hashes, sign-in, disable; and the `ivr staff` commands."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from ivr.cli import app
from ivr.db import Database
from ivr.db.models import Role
from ivr.errors import InputError
from ivr.households.generate import generate_neighbourhood
from ivr.households.staff import (
    authenticate,
    create_staff_user,
    get_staff_user,
    set_disabled,
    set_password,
)


def test_sign_in(any_db: Database) -> None:
    with any_db.session() as session:
        hood = generate_neighbourhood(session, households=2, buildings=1)
        user = create_staff_user(
            session,
            "wang.li",
            "long enough 1",
            committee_id=hood.committee_ids[0],
            sip_endpoint="staff1",
        )
        assert user.password_hash.startswith("$argon2id$")
        assert "long enough" not in user.password_hash

        assert authenticate(session, "wang.li", "long enough 1") is user
        assert user.last_login_at is not None
        assert authenticate(session, "wang.li", "long enough 2") is None
        assert authenticate(session, "nobody", "long enough 1") is None

        set_password(session, user, "another one 2")
        assert authenticate(session, "wang.li", "long enough 1") is None
        assert authenticate(session, "wang.li", "another one 2") is user
        set_disabled(session, user)
        assert authenticate(session, "wang.li", "another one 2") is None


def test_an_old_hash_is_upgraded_on_sign_in(db: Database) -> None:
    with db.session() as session:
        user = create_staff_user(session, "admin", "long enough 1", role=Role.ADMIN)
        user.password_hash = PasswordHasher(time_cost=1, memory_cost=8192).hash("long enough 1")
        old = user.password_hash
        assert authenticate(session, "admin", "long enough 1") is user
        assert user.password_hash != old


def test_refusals(db: Database) -> None:
    with db.session() as session:
        with pytest.raises(InputError, match="at least 8"):
            create_staff_user(session, "admin", "short", role=Role.ADMIN)
        with pytest.raises(InputError, match="needs its committee"):
            create_staff_user(session, "staff", "long enough 1")
        with pytest.raises(InputError, match="user name"):
            create_staff_user(session, "Bad Name", "long enough 1", role=Role.ADMIN)
        create_staff_user(session, "admin", "long enough 1", role=Role.ADMIN)
        with pytest.raises(InputError, match="exists already"):
            create_staff_user(session, "admin", "long enough 1", role=Role.ADMIN)


def test_staff_commands(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IVR_DATABASE_URL", db.url)
    with db.session() as session:
        generate_neighbourhood(session, households=2, buildings=1, committee="Lotus")
    runner = CliRunner()

    added = runner.invoke(
        app,
        [
            "staff",
            "add",
            "zhao",
            "--committee",
            "Lotus",
            "--sip-endpoint",
            "staff2",
            "--password-stdin",
        ],
        input="long enough 1\n",
    )
    assert added.exit_code == 0, added.output
    listed = runner.invoke(app, ["staff", "list", "--json"])
    assert '"username": "zhao"' in listed.output and '"committee": "Lotus"' in listed.output
    assert (
        runner.invoke(
            app, ["staff", "passwd", "zhao", "--password-stdin"], input="long enough 2\n"
        ).exit_code
        == 0
    )
    assert runner.invoke(app, ["staff", "disable", "zhao"]).exit_code == 0
    missing = runner.invoke(
        app,
        ["staff", "add", "x", "--committee", "Nowhere", "--password-stdin"],
        input="long enough 1\n",
    )
    assert missing.exit_code != 0
    with db.session() as session:
        user = get_staff_user(session, "zhao")
        assert user.disabled and user.sip_endpoint == "staff2"
        assert authenticate(session, "zhao", "long enough 2") is None  # disabled
