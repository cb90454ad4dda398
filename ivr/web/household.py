"""The household page and the staff edits made from it: colour change, note, resolving a flag,
and the click-to-call seam. Every edit needs a reason and lands in the household's history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ivr.db.models import Colour, Flag, Household, Phone
from ivr.errors import InputError
from ivr.households.flags import resolve_flag
from ivr.households.status import set_status
from ivr.web import clicktocall
from ivr.web.access import household_or_404, not_found
from ivr.web.calls import load_household_record
from ivr.web.flash import redirect_with
from ivr.web.notes import append_note, note_entries
from ivr.web.viewer import Viewer

REASON_MAX = 500


def household_page(request: Request) -> Response:
    viewer: Viewer = request.state.viewer
    app_state = request.app.state
    with app_state.db.session() as session:
        household = household_or_404(session, viewer, request.path_params["household_id"])
        record = load_household_record(session, household)
        context: dict[str, Any] = {
            "household": household,
            "place": household.unit,
            "record": record,
            "notes": note_entries(household.notes),
            "colours": [c.value for c in Colour],
        }
        return app_state.templates.TemplateResponse(request, "household.html", context)


async def change_status(request: Request) -> Response:
    form = await request.form()
    colour, reason = str(form.get("colour", "")), _reason(form.get("reason"))

    def apply(session: Session, household: Household, viewer: Viewer) -> str:
        if colour not in {c.value for c in Colour}:
            raise InputError(f"unknown colour {colour!r}")
        change = set_status(
            session, household, Colour(colour), reason, staff_user_id=viewer.user_id
        )
        return f"Status set to {colour}." if change else f"Status was already {colour}."

    return await _edit(request, apply)


async def add_note(request: Request) -> Response:
    form = await request.form()
    text = str(form.get("note", ""))

    def apply(session: Session, household: Household, viewer: Viewer) -> str:
        append_note(household, viewer.username, text)
        return "Note added."

    return await _edit(request, apply)


async def resolve(request: Request) -> Response:
    form = await request.form()
    resolution = _reason(form.get("resolution"))
    flag_id = request.path_params["flag_id"]

    def apply(session: Session, household: Household, viewer: Viewer) -> str:
        flag = session.get(Flag, flag_id)
        if flag is None or flag.household_id != household.id:
            raise not_found()
        resolve_flag(session, flag, resolution, staff_user_id=viewer.user_id)
        return "Flag resolved."

    return await _edit(request, apply)


async def start_call(request: Request) -> Response:
    """Click-to-call: ring the staff member's phone, then the household (ivr.calls.staffcall)."""
    form = await request.form()
    viewer: Viewer = request.state.viewer
    app_state = request.app.state
    household_id = request.path_params["household_id"]
    phone_id = _int(form.get("phone_id"))

    def find_phone() -> Phone:
        with app_state.db.session() as session:
            household = household_or_404(session, viewer, household_id)
            phone = next((p for p in household.phones if p.id == phone_id), None)
            if phone is None:
                raise not_found()
            return phone

    phone = await run_in_threadpool(find_phone)
    back = f"/households/{household_id}"
    try:
        attempt_id = await clicktocall.start_staff_call(
            app_state.db,
            app_state.settings,
            household_id=household_id,
            phone_id=phone.id,
            number=phone.number,
            staff_user_id=viewer.user_id,
            sip_endpoint=viewer.sip_endpoint,
        )
    except InputError as exc:
        return redirect_with(request, back, str(exc), "error")
    return redirect_with(request, f"{back}#call-{attempt_id}", "Calling: pick up your phone.")


Edit = Callable[[Session, Household, Viewer], str]


async def _edit(request: Request, apply: Edit) -> Response:
    """Run ``apply(session, household, viewer)`` in one transaction on a household the viewer
    may see, then go back to its page with what happened."""
    viewer: Viewer = request.state.viewer
    household_id = request.path_params["household_id"]
    back = f"/households/{household_id}"

    def run() -> str:
        with request.app.state.db.session() as session:
            household = household_or_404(session, viewer, household_id)
            return apply(session, household, viewer)

    try:
        message = await run_in_threadpool(run)
    except InputError as exc:
        return redirect_with(request, back, str(exc), "error")
    return redirect_with(request, back, message)


def _reason(value: object) -> str:
    return " ".join(str(value or "").split())[:REASON_MAX]


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None
