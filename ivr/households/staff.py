"""Staff accounts: argon2 password hashes, sign-in checks, enable and disable.

Used by ``ivr staff …`` and by the report view's login (``authenticate``).
"""

from __future__ import annotations

import re
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.db.models import Role, StaffUser, utcnow
from ivr.errors import InputError

USERNAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,59}")
SIP_ENDPOINT = re.compile(r"[A-Za-z0-9_-]{1,40}")
PASSWORD_MAX = 200  # bounds the hashing work a request can cause
DEFAULT_PASSWORD_MIN = 8


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id with the library's current recommended cost


@cache
def _decoy_hash() -> str:
    # verified when the user does not exist, so a wrong name costs as long as a wrong password
    return _hasher().hash("no such user")


def hash_password(password: str, *, min_length: int = DEFAULT_PASSWORD_MIN) -> str:
    """An argon2id hash of an acceptable password (InputError says why one is refused)."""
    if len(password) < min_length:
        raise InputError(f"the password must have at least {min_length} characters")
    if len(password) > PASSWORD_MAX:
        raise InputError(f"the password must have at most {PASSWORD_MAX} characters")
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (False for a malformed hash, never raises)."""
    if len(password) > PASSWORD_MAX:
        return False
    try:
        return _hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_username(username: str) -> str:
    if not USERNAME.fullmatch(username):
        raise InputError(
            f"user name {username!r}: use 1-60 lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return username


def get_staff_user(session: Session, username: str) -> StaffUser:
    """The account called ``username``; InputError when there is none."""
    user = session.scalars(select(StaffUser).where(StaffUser.username == username)).first()
    if user is None:
        raise InputError(f"no staff user called {username!r}")
    return user


def create_staff_user(
    session: Session,
    username: str,
    password: str,
    *,
    role: Role | str = Role.STAFF,
    committee_id: int | None = None,
    sip_endpoint: str | None = None,
    min_length: int = DEFAULT_PASSWORD_MIN,
) -> StaffUser:
    """A new account. Committee staff belong to a committee; an admin sees every committee."""
    role = Role(role)
    check_username(username)
    if session.scalars(select(StaffUser.id).where(StaffUser.username == username)).first():
        raise InputError(f"a staff user called {username!r} exists already")
    if role is Role.STAFF and committee_id is None:
        raise InputError("a staff account needs its committee (an admin sees all committees)")
    if sip_endpoint is not None and not SIP_ENDPOINT.fullmatch(sip_endpoint):
        raise InputError(f"SIP endpoint {sip_endpoint!r}: use letters, digits, '_' or '-'")
    user = StaffUser(
        username=username,
        password_hash=hash_password(password, min_length=min_length),
        role=role,
        committee_id=committee_id,
        sip_endpoint=sip_endpoint,
    )
    session.add(user)
    session.flush()
    return user


def set_password(
    session: Session, user: StaffUser, password: str, *, min_length: int = DEFAULT_PASSWORD_MIN
) -> None:
    user.password_hash = hash_password(password, min_length=min_length)
    user.password_changed_at = utcnow()
    session.flush()


def set_disabled(session: Session, user: StaffUser, disabled: bool = True) -> None:
    """A disabled account cannot sign in; its history (who changed what) stays."""
    user.disabled = disabled
    session.flush()


def list_staff_users(session: Session) -> list[StaffUser]:
    return list(session.scalars(select(StaffUser).order_by(StaffUser.username)))


def authenticate(session: Session, username: str, password: str) -> StaffUser | None:
    """The enabled account whose password this is, or None (wrong name, wrong password or
    disabled: the caller cannot tell which, nor by the time it takes).

    On success the last login time is set, and a hash made with older argon2 parameters is
    replaced by one with the current parameters.
    """
    user = session.scalars(select(StaffUser).where(StaffUser.username == username)).first()
    if user is None:
        verify_password(_decoy_hash(), password)
        return None
    if not verify_password(user.password_hash, password) or user.disabled:
        return None
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = _hasher().hash(password)
    user.last_login_at = utcnow()
    session.flush()
    return user
