"""CSRF protection for every state-changing request, in one place so no route can forget it.

The synchronizer-token pattern: each session holds a random token, every form carries it in a
hidden ``csrf_token`` field (scripts send it in an ``X-CSRF-Token`` header), and this middleware
refuses any POST, PUT, PATCH or DELETE whose token is missing or different, before the route
runs. A cross-site ``Origin`` is refused too, as a second line behind the SameSite cookie.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_KEY = "csrf"
FORM_FIELD = "csrf_token"
HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_FORM_BYTES = 64 * 1024  # the report's forms are a few fields; nothing is uploaded


def csrf_token(session: dict[str, Any]) -> str:
    """The session's token, created on first use (the login form needs one before sign-in)."""
    token = session.get(SESSION_KEY)
    if not token:
        token = session[SESSION_KEY] = secrets.token_urlsafe(32)
    return str(token)


def new_csrf_token(session: dict[str, Any]) -> str:
    """Replace the token (at sign-in, so a token seen before login is worth nothing after)."""
    session[SESSION_KEY] = secrets.token_urlsafe(32)
    return str(session[SESSION_KEY])


class CsrfMiddleware:
    """Refuses unsafe requests without the session's token. Sits inside SessionMiddleware."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if not _same_origin(headers):
            await _refuse(scope, receive, send, "cross-site request refused")
            return
        body, too_large = await _read_body(receive)
        if too_large:
            await PlainTextResponse("request too large", status_code=413)(scope, receive, send)
            return
        expected = HTTPConnection(scope).session.get(SESSION_KEY)
        given = headers.get(HEADER) or _form_token(headers, body)
        if not expected or not given or not hmac.compare_digest(str(expected), given):
            await _refuse(scope, receive, send, "missing or wrong CSRF token; reload the page")
            return
        await self.app(scope, _replay(body, receive), send)


def _same_origin(headers: Headers) -> bool:
    origin = headers.get("origin")
    if not origin:
        return True  # not a browser (curl, tests): the token check alone decides
    # "null" is a sandboxed frame or a cross-site redirect: never one of our own pages. Behind a
    # reverse proxy the proxy must pass the Host header through for this comparison.
    return origin != "null" and urlsplit(origin).netloc == headers.get("host", "")


def _form_token(headers: Headers, body: bytes) -> str | None:
    if not headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return None
    values = parse_qs(body.decode("latin-1"), keep_blank_values=True).get(FORM_FIELD)
    return values[0] if values else None


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return b"", True
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks), False


def _replay(body: bytes, receive: Receive) -> Receive:
    """Give the route the body this middleware already read, then pass through."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


async def _refuse(scope: Scope, receive: Receive, send: Send, why: str) -> None:
    await PlainTextResponse(f"403 Forbidden: {why}", status_code=403)(scope, receive, send)
