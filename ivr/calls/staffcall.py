"""Click-to-call: a staff member's desk phone rings first, then Asterisk dials the household
and bridges the two; the call is logged on the household as an attempt of kind "staff".

    Originate PJSIP/<staff endpoint> → [ivr-clicktocall]: MixMonitor, Dial(<household>)

The attempt's states follow the household's leg: ringing when Asterisk dials it, answered
when it picks up, and the end from Asterisk's ``DIALSTATUS`` (busy, no answer...). A staff
phone that does not pick up ends the attempt as failed, with that reason.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid as uuidlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ivr.ami import AmiClient, Message
from ivr.calls.engine import RecordingPaths
from ivr.calls.store import AttemptStore, DatabaseWriter
from ivr.config import Settings
from ivr.db import Database
from ivr.db.models import AttemptState
from ivr.errors import AmiError, InputError
from ivr.phone import dial_string, mask, national_form

log = logging.getLogger(__name__)

ENDPOINT = re.compile(r"[A-Za-z0-9_-]{1,40}")
STAFF_RING_S = 30  # how long the desk phone rings before the attempt is given up
HOUSEHOLD_RING_S = 40
_DIAL_STATUS = {
    "BUSY": (AttemptState.BUSY, "the line was busy"),
    "NOANSWER": (AttemptState.NO_ANSWER, "rang with no answer"),
    "CONGESTION": (AttemptState.CONGESTION, "network congestion"),
    "CHANUNAVAIL": (AttemptState.FAILED, "the number could not be reached"),
    "CANCEL": (AttemptState.FAILED, "the staff member hung up before the household answered"),
}


@dataclass
class StaffCall:
    uuid: str
    attempt_id: int
    number: str
    action_id: str
    recording: str | None
    state: AttemptState = AttemptState.ORIGINATING
    times: dict[str, datetime] = field(default_factory=dict)
    dial_status: str | None = None
    causes: list[int] = field(default_factory=list)
    ended: asyncio.Event = field(default_factory=asyncio.Event)


class StaffCaller:
    """One AMI connection for all click-to-call requests of a process (the report server)."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.ami = AmiClient.from_settings(settings, name="ivr-staff")
        self.writer = DatabaseWriter(db)
        self.store = AttemptStore(self.writer)
        self.recordings = RecordingPaths.from_settings(settings)
        self.calls: dict[str, StaffCall] = {}
        self._by_action: dict[str, StaffCall] = {}
        self._started = False

    async def start(self) -> None:
        if self._started:
            return
        self.ami.add_listener(self._on_event)
        try:
            await self.ami.start()
        except AmiError as exc:
            raise InputError(f"telephony is not available ({exc}); is the PBX up?") from exc
        self._started = True

    async def close(self) -> None:
        if self._started:
            await self.ami.close()
        await self.writer.close()

    async def call(
        self, *, household_id: int, number: str, endpoint: str | None, staff_user_id: int
    ) -> StaffCall:
        """Ring ``endpoint``; when answered, dial ``number``. The attempt is committed first."""
        if not endpoint:
            raise InputError("you have no desk phone: ask an administrator to set your SIP phone")
        if not ENDPOINT.fullmatch(endpoint):
            raise InputError(f"desk phone {endpoint!r} is not a valid SIP endpoint name")
        target = dial_string(self.settings.dial_template,
                             national_form(number, self.settings.default_country))  # fmt: skip
        await self.start()
        call_uuid = str(uuidlib.uuid4())
        recording = f"{self.recordings.asterisk_dir}/{call_uuid}.wav"
        attempt_id = await self.store.create(
            uuid=call_uuid, number=number, channel=target, household_id=household_id,
            kind="staff", node=f"staff:{staff_user_id}",
            # committed as being sent, before it is sent: a queued row is "never sent"
            state=AttemptState.ORIGINATING, originated_at=_now(),
        )  # fmt: skip
        call = StaffCall(call_uuid, attempt_id, number, self.ami.new_action_id(), recording)
        self.calls[call_uuid] = call
        self._by_action[call.action_id] = call
        try:
            await self.ami.originate(
                f"PJSIP/{endpoint}",
                context="ivr-clicktocall",
                variables={
                    "IVR_ATTEMPT": call_uuid,
                    "IVR_TARGET": target,
                    "IVR_RING_S": str(HOUSEHOLD_RING_S),
                    "IVR_RECORDING": recording,
                },
                channel_id=call_uuid,
                timeout_ms=STAFF_RING_S * 1000,
                caller_id=f"Household <{national_form(number, self.settings.default_country)}>",
                action_id=call.action_id,
            )
        except AmiError as exc:
            self._finish(call, AttemptState.FAILED, f"Asterisk refused the call: {exc}")
        log.info("click-to-call %s: staff phone %s, household number %s", call_uuid, endpoint,
                 mask(number))  # fmt: skip
        return call

    # -- events ---------------------------------------------------------------------------------

    def _on_event(self, event: Message) -> None:
        name = event.event
        if name == "OriginateResponse":
            call = self._by_action.get(event.action_id or "")
            if call is not None and (event.get("Response") or "").lower() != "success":
                self._finish(call, AttemptState.FAILED, "the staff phone did not answer")
            return
        if name == "UserEvent" and event.get("UserEvent") == "IvrDialResult":
            call = self.calls.get(event.get("Attempt") or "")
            if call is not None:
                call.dial_status = event.get("DialStatus") or ""
            return
        uniqueid = event.get("Uniqueid") or ""
        linkedid = event.get("Linkedid") or event.get("DestLinkedid") or ""
        call = self.calls.get(linkedid) or self.calls.get(uniqueid)
        if call is None:
            return
        if name == "DialBegin":
            self._update(call, state=AttemptState.RINGING, ringing_at=_now())
        elif name == "DialEnd":
            call.dial_status = event.get("DialStatus") or call.dial_status
            if call.dial_status == "ANSWER":
                call.times["answered"] = _now()
                self._update(call, state=AttemptState.ANSWERED, answered_at=call.times["answered"])
        elif name == "BridgeEnter" and "answered" in call.times:
            self._update(call, state=AttemptState.IN_CONVERSATION, conversation_at=_now())
        elif name == "Hangup":
            call.causes.append(int(event.get("Cause") or 0))
            if uniqueid == call.uuid:  # the staff phone's channel: the call is over
                self._ended(call)

    def _ended(self, call: StaffCall) -> None:
        if call.dial_status == "ANSWER" or "answered" in call.times:
            self._finish(call, AttemptState.COMPLETED, "staff call completed")
        elif call.dial_status in _DIAL_STATUS:
            self._finish(call, *_DIAL_STATUS[call.dial_status])
        elif call.state is AttemptState.ORIGINATING:
            self._finish(call, AttemptState.FAILED, "the staff phone did not answer")
        else:
            self._finish(call, AttemptState.FAILED, "the staff member hung up first")

    def _finish(self, call: StaffCall, state: AttemptState, reason: str) -> None:
        if call.ended.is_set():
            return
        now = _now()
        answered = call.times.get("answered")
        cause = next((c for c in call.causes if c not in (0, 16)), 16 if call.causes else None)
        self._update(
            call, state=state, reason=reason, ended_at=now, hangup_cause=cause,
            duration_s=round((now - answered).total_seconds(), 3) if answered else None,
        )  # fmt: skip
        call.state = state
        call.ended.set()
        self.calls.pop(call.uuid, None)
        self._by_action.pop(call.action_id, None)
        if answered is not None and call.recording is not None:
            keep = self.recordings.keep(call.recording, call.attempt_id, self.writer)
            asyncio.get_running_loop().create_task(keep)

    def _update(self, call: StaffCall, **changes: Any) -> None:
        if "state" in changes:
            call.state = changes["state"]
        self.store.update(call.attempt_id, changes)


def _now() -> datetime:
    return datetime.now(UTC)


_callers: dict[tuple[int, str], StaffCaller] = {}


def caller_for(settings: Settings, db: Database) -> StaffCaller:
    """The process' caller for this event loop and database (the report server has one)."""
    key = (id(asyncio.get_running_loop()), db.url)
    if key not in _callers:
        _callers[key] = StaffCaller(settings, db)
    return _callers[key]
