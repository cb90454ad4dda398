"""The report web app: routes, and the middleware every request passes through.

Outermost first: security headers → gzip → signed session cookie → CSRF check on every unsafe
method → login gate (puts the Viewer on request.state) → routes. Static files and /login are the
only things reachable without signing in.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ivr.config import Settings
from ivr.db import Database
from ivr.db.models import StaffUser
from ivr.web import auth, campaigns, household, mapview, recordings, worklist
from ivr.web.csrf import CsrfMiddleware
from ivr.web.headers import SecurityHeaders
from ivr.web.sessions import COOKIE_NAME, SessionKeeper, session_secret
from ivr.web.staffcheck import make_authenticator
from ivr.web.templating import STATIC_DIR, make_templates
from ivr.web.throttle import LoginThrottle

GZIP_LEVEL = 5  # the 50,000-room map: 3.8 MB → 0.28 MB in about 20 ms


def create_app(
    settings: Settings,
    db: Database | None = None,
    authenticate: Callable[[str, str], StaffUser | None] | None = None,
) -> Starlette:
    database = db or Database(settings.database)
    secret = session_secret(settings)
    keeper = SessionKeeper(database, secret, settings.report_session_max_age_s)
    routes = [
        Route("/", lambda request: RedirectResponse("/map", status_code=303)),
        Route("/login", auth.login_page, methods=["GET"]),
        Route("/login", auth.login_submit, methods=["POST"]),
        Route("/logout", auth.logout, methods=["POST"]),
        Route("/map", mapview.map_page),
        Route("/worklist", worklist.worklist_page),
        Route("/households/{household_id:int}", household.household_page),
        Route("/households/{household_id:int}/status", household.change_status, methods=["POST"]),
        Route("/households/{household_id:int}/notes", household.add_note, methods=["POST"]),
        Route(
            "/households/{household_id:int}/flags/{flag_id:int}/resolve",
            household.resolve,
            methods=["POST"],
        ),
        Route("/households/{household_id:int}/call", household.start_call, methods=["POST"]),
        Route("/recordings/{recording_id:int}", recordings.recording_audio),
        Route("/campaigns", campaigns.campaign_list),
        Route("/campaigns/{campaign_id:int}", campaigns.campaign_page),
        Mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(GZipMiddleware, minimum_size=1024, compresslevel=GZIP_LEVEL),
        Middleware(
            SessionMiddleware,
            secret_key=secret,
            session_cookie=COOKIE_NAME,
            max_age=settings.report_session_max_age_s,
            same_site="lax",
            https_only=settings.report_https_only,
        ),
        Middleware(CsrfMiddleware),
        Middleware(auth.RequireLogin, keeper=keeper),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: _error_page},
    )
    app.state.settings = settings
    app.state.db = database
    app.state.templates = make_templates()
    app.state.session_keeper = keeper
    app.state.authenticate = authenticate or make_authenticator(database)
    app.state.login_throttle = LoginThrottle(
        settings.report_login_max_failures, settings.report_login_lockout_s
    )
    return app


async def _error_page(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    titles = {403: "Forbidden", 404: "Not found", 405: "Method not allowed"}
    context = {"title": titles.get(status, "Error"), "message": "", "back": "/map"}
    return request.app.state.templates.TemplateResponse(
        request, "message.html", context, status_code=status
    )
