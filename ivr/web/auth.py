"""Sign-in, sign-out, and the gate that keeps every other page behind a login.

Passwords are checked by the households helper's ``authenticate`` (argon2 hashes). A failed
attempt costs a fixed delay and counts towards a lock-out per user name and per client address.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection, Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ivr.web.sessions import SessionKeeper

PUBLIC_PATHS = frozenset({"/login", "/favicon.ico"})
PUBLIC_PREFIXES = ("/static/",)
USERNAME_MAX = 60
PASSWORD_MAX = 200  # argon2 copes with more, but nobody types it; bounds the hashing work


class RequireLogin:
    """Puts the signed-in :class:`Viewer` on ``request.state.viewer``, or sends to /login."""

    def __init__(self, app: ASGIApp, keeper: SessionKeeper) -> None:
        self.app = app
        self.keeper = keeper

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path.startswith(PUBLIC_PREFIXES):  # static files: no database round trip
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        viewer = await run_in_threadpool(self.keeper.viewer, connection.session)
        scope.setdefault("state", {})["viewer"] = viewer
        if viewer is None and path not in PUBLIC_PATHS:
            response: Response
            if scope["method"] in ("GET", "HEAD"):
                query = scope["query_string"].decode()
                target = path + (f"?{query}" if query else "")
                response = RedirectResponse(f"/login?next={quote(target)}", status_code=303)
            else:
                response = PlainTextResponse("401 Unauthorized: sign in first", status_code=401)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an absolute URL an attacker planted in ?next=."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


async def login_page(request: Request) -> Response:
    if request.state.viewer is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    return _render_login(request, "", 200, request.query_params.get("next"))


async def login_submit(request: Request) -> Response:
    app_state = request.app.state
    form = await request.form()
    next_path = str(form.get("next", ""))
    username = str(form.get("username", "")).strip()[:USERNAME_MAX]
    password = str(form.get("password", ""))[:PASSWORD_MAX]
    client = request.client.host if request.client else "unknown"
    keys = (f"user:{username.lower()}", f"addr:{client}")
    throttle = app_state.login_throttle
    wait = throttle.wait_s(*keys)
    if wait > 0:
        minutes = max(1, round(wait / 60))
        error = f"Too many failed sign-ins. Try again in {minutes} min."
        return _render_login(request, error, 429, next_path)
    user = await run_in_threadpool(app_state.authenticate, username, password)
    if user is None:
        throttle.failed(*keys)
        await asyncio.sleep(app_state.settings.report_login_failure_delay_s)
        return _render_login(request, "Wrong user name or password.", 401, next_path)
    throttle.succeeded(keys[0])
    app_state.session_keeper.start(request.session, user)
    return RedirectResponse(safe_next(next_path), status_code=303)


async def logout(request: Request) -> Response:
    request.app.state.session_keeper.end(request.session)
    return RedirectResponse("/login", status_code=303)


def _render_login(
    request: Request, error: str, status_code: int, next_path: str | None
) -> Response:
    context: dict[str, Any] = {"error": error, "next": safe_next(next_path)}
    return request.app.state.templates.TemplateResponse(
        request, "login.html", context, status_code=status_code
    )
