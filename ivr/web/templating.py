"""Jinja2 templates of the report view, with the filters every page uses."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.templating import Jinja2Templates

from ivr.phone import mask, national_form
from ivr.web.csrf import csrf_token

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

COLOUR_MEANING = {
    "green": "did not leave / warning lifted",
    "red": "back from a key epidemic area",
    "orange": "key-concern area, home health management",
    "yellow": "back from another area, registered",
    "blue": "not back yet, or not reached",
    "grey": "vacant",
}

FLAG_LABEL = {
    "fever": "fever",
    "symptoms": "symptoms",
    "unreachable": "unreachable",
    "human_requested": "asked for a person",
    "missed_checkin": "missed check-in",
    "unclear": "unclear answer",
    "went_out": "went out",
}


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """UTC from the database, shown in the server's local time (the committee's)."""
    return value.astimezone().strftime(fmt) if value else ""


def _page_context(request: Request) -> dict[str, Any]:
    return {
        "viewer": getattr(request.state, "viewer", None),
        "csrf_token": csrf_token(request.session),
    }


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR), context_processors=[_page_context])
    env = templates.env
    env.filters["mask"] = mask
    env.filters["national"] = national_form
    env.filters["when"] = local_time
    env.filters["flag_label"] = lambda kind: FLAG_LABEL.get(str(kind), str(kind))
    env.globals["COLOUR_MEANING"] = COLOUR_MEANING
    env.globals["FLAG_LABEL"] = FLAG_LABEL
    env.trim_blocks = env.lstrip_blocks = True
    return templates
