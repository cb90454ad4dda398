"""Signed-cookie sessions, checked against the database on every request.

The cookie (Starlette's SessionMiddleware: signed with the session secret, HttpOnly,
SameSite=Lax, Secure behind TLS) holds only the user id, a random session id, a fingerprint of
the password hash and the CSRF token; no health data. Each request reloads the user, so a
disabled account, a changed role or committee, or a changed password takes effect at once. Logout
revokes the session id in the database, so a copied cookie is dead too, after a restart of the
server and in every server process; a revocation is kept until the cookie would have expired
anyway. A login lasts ``report_session_max_age_s`` from sign-in, however active the session.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete

from ivr.config import Settings
from ivr.db import Database
from ivr.db.models import RevokedSession, StaffUser, utcnow
from ivr.web.csrf import new_csrf_token
from ivr.web.viewer import Viewer

SECRET_FILE = "report_session_secret"  # noqa: S105 - a file name, not a secret
COOKIE_NAME = "ivr_session"


def session_secret(settings: Settings) -> str:
    """The configured secret, else one generated once and kept (mode 0600) in data_dir."""
    if settings.report_session_secret is not None:
        return settings.report_session_secret.get_secret_value()
    path = Path(settings.data_dir) / SECRET_FILE
    if path.is_file():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secret)
    return secret


class SessionKeeper:
    """Starts, checks and ends sessions for one app."""

    def __init__(self, db: Database, secret: str, max_age_s: int) -> None:
        self.db = db
        self._key = hashlib.sha256(b"ivr-password-fingerprint:" + secret.encode()).digest()
        self.max_age_s = max_age_s

    def fingerprint(self, password_hash: str) -> str:
        # keyed, so the cookie (readable by its holder) says nothing about the hash
        return hmac.new(self._key, password_hash.encode(), hashlib.sha256).hexdigest()[:24]

    def start(self, session: dict[str, Any], user: StaffUser) -> None:
        session.clear()
        session.update(
            uid=user.id,
            sid=secrets.token_urlsafe(16),
            fp=self.fingerprint(user.password_hash),
            at=int(time.time()),
        )
        new_csrf_token(session)

    def end(self, session: dict[str, Any]) -> None:
        sid = session.get("sid")
        if isinstance(sid, str) and sid:
            now = utcnow()
            with self.db.session() as db_session:
                db_session.execute(delete(RevokedSession).where(RevokedSession.expires_at < now))
                # the cookie dies of age by then (its login is older than that)
                expires = now + timedelta(seconds=self.max_age_s)
                db_session.merge(RevokedSession(session_id=sid[:64], expires_at=expires))
        session.clear()

    def viewer(self, session: dict[str, Any]) -> Viewer | None:
        """The signed-in user of this session, or None (not signed in, revoked, disabled)."""
        uid, sid, fp = session.get("uid"), session.get("sid"), session.get("fp")
        if not isinstance(uid, int) or not isinstance(sid, str) or not sid or not fp:
            return None
        # the cookie is re-signed whenever the session changes (a flash message), which would
        # slide its expiry: the login time bounds it absolutely
        if time.time() - float(session.get("at", 0)) > self.max_age_s:
            return None
        with self.db.session() as db_session:
            if db_session.get(RevokedSession, sid[:64]) is not None:
                return None  # logged out
            user = db_session.get(StaffUser, uid)
            if user is None or user.disabled:
                return None
            if not hmac.compare_digest(self.fingerprint(user.password_hash), str(fp)):
                return None  # password changed since this login
            return Viewer(user.id, user.username, user.role, user.committee_id, user.sip_endpoint)
