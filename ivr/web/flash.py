"""One-shot messages shown on the page a form redirects to (post/redirect/get); base.html
shows and removes them."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse

KEY = "flash"


def redirect_with(request: Request, url: str, message: str, kind: str = "ok") -> RedirectResponse:
    request.session[KEY] = [kind, message]
    return RedirectResponse(url, status_code=303)
