"""SEAM — click-to-call from the household page. NOT IMPLEMENTED: telephony is wired later.

The household page's "Call" button POSTs (with the CSRF token) to ``/households/{id}/call``;
that route checks the viewer may see the household and the phone belongs to it, then calls
:func:`start_staff_call`. The telephony engineer replaces the body below: ring the staff member's
SIP phone (``sip_endpoint``, e.g. ``staff1`` in the generated pjsip.conf), and when they answer,
dial the household's number through the normal dial template, recording an ``Attempt`` with
``kind="staff"`` so the call appears in the household's history. The route turns
NotImplementedError into a "not available yet" page (HTTP 501), and InputError into a 400.
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

    ``number`` is the phone's canonical dial number (``ivr.phone.normalize`` form), already
    checked to belong to ``household_id``; ``sip_endpoint`` is the staff member's
    ``StaffUser.sip_endpoint`` (None when they have no desk phone: refuse with InputError).
    """
    raise NotImplementedError("click-to-call: telephony not wired yet")
