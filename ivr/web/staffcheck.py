"""The password check the login form uses: the households helper's ``authenticate`` (argon2),
run in its own short transaction so a successful login's bookkeeping (last login time) is
committed."""

from __future__ import annotations

from collections.abc import Callable

from ivr.db import Database
from ivr.db.models import StaffUser


def make_authenticator(db: Database) -> Callable[[str, str], StaffUser | None]:
    from ivr.households.staff import authenticate  # the helper's; argon2 verification

    def check(username: str, password: str) -> StaffUser | None:
        with db.session() as session:
            return authenticate(session, username, password)

    return check
