"""Click-to-call from the household page: the staff member's desk phone rings first, then
the household is dialled and bridged (ivr.calls.staffcall); the call is logged on the
household as an attempt of kind "staff".

The household page's "Call" button POSTs (with the CSRF token) to ``/households/{id}/call``;
that route checks the viewer may see the household and the phone belongs to it, then calls
:func:`start_staff_call`. An InputError (no desk phone, telephony down) becomes a message.
"""

from __future__ import annotations

from ivr.config import Settings
from ivr.db import Database


async def start_staff_call(
    db: Database,
    settings: Settings,
    *,
    household_id: int,
    phone_id: int,
    number: str,
    staff_user_id: int,
    sip_endpoint: str | None,
) -> int:
    """Connect a staff member's SIP phone to a household's number; return the new Attempt's id.

    ``number`` is the phone's canonical dial number, already checked to belong to
    ``household_id``; ``sip_endpoint`` is the staff member's ``StaffUser.sip_endpoint``.
    """
    from ivr.calls.staffcall import caller_for

    call = await caller_for(settings, db).call(
        household_id=household_id, number=number, endpoint=sip_endpoint,
        staff_user_id=staff_user_id,
    )  # fmt: skip
    return call.attempt_id
