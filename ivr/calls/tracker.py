"""One state machine per call attempt, driven by Asterisk's AMI events.

    queued → originating → ringing → answered → in_conversation → completed
                 └──────────┴──────────┴───────────────┴──→ busy | no_answer | congestion |
                                                             failed | machine | hung_up_early

The attempt's UUID is given to Originate as ``ChannelId``, so the robot's channel carries it as
``Uniqueid`` and every channel of the call carries it as ``Linkedid``: events are matched by
those, never by channel-name patterns. The tracker does no I/O: each transition is handed to an
``on_change`` callback (the store writes it to the database) and wakes anyone awaiting the call.
Where a Hangup is overdue it asks Asterisk through ``confirm_end`` (the engine's), whose answer
comes on the AMI stream after every event Asterisk sent before it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ivr.ami.message import Message
from ivr.calls import outcome
from ivr.db.models import AttemptState
from ivr.phone import mask

log = logging.getLogger(__name__)

# Asterisk ChannelState values
STATE_RING = 4  # our side of an outgoing call while dialling
STATE_RINGING = 5  # the far end is ringing
STATE_UP = 6

# conversation results that mean the resident was reached and the conversation ended properly
# (the script outcomes of ivr.script.model.OUTCOMES)
SCRIPT_ENDINGS = frozenset(
    {"completed", "opted_out", "transferred", "callback", "unclear", "declined"}
)

# how long to wait for the OriginateResponse after the robot channel hung up unanswered
# (or for the Hangup after a failed OriginateResponse) before deciding with what is known
SETTLE_S = 0.5
MEDIA_SETTLE_S = 3.0  # after the media stream closed, for Asterisk's Hangup
CONFIRM_TIMEOUT_S = 5.0  # for Asterisk's answer when the Hangup is overdue

_TIMESTAMP_FIELD = {
    AttemptState.ORIGINATING: "originated_at",
    AttemptState.RINGING: "ringing_at",
    AttemptState.ANSWERED: "answered_at",
    AttemptState.IN_CONVERSATION: "conversation_at",
}

Conversation = Callable[["Call", Any], Awaitable[str]]
ChangeCallback = Callable[["Call", dict[str, Any]], None]
ConfirmEnd = Callable[["Call"], Awaitable[None]]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Call:
    """What ivr knows about one attempt while it is in flight."""

    uuid: str
    number: str
    channel: str  # the dial string used
    attempt_id: int | None = None
    household_id: int | None = None
    campaign_id: int | None = None
    task_id: int | None = None
    state: AttemptState = AttemptState.QUEUED
    action_id: str | None = None
    amd: bool = False
    conversation: Conversation | None = None
    context: Any = None  # what the conversation needs (script, household, prompts...)
    recording: str | None = None  # path as Asterisk sees it
    times: dict[AttemptState, datetime] = field(default_factory=dict)
    originate_reason: int | None = None
    causes: list[int] = field(default_factory=list)
    channels: dict[str, str] = field(default_factory=dict)  # uniqueid -> channel name
    amd_status: str | None = None
    amd_cause: str | None = None
    greeting_dbfs: float | None = None  # how loud their "Hello?" was (AMD heard it)
    conversation_result: str | None = None  # set by the conversation: completed / ...
    reason: str = ""
    ring_timeout_s: float = 30.0
    originate_sent_at: float | None = None  # loop time the Originate was written
    media_started: bool = False
    end_confirmed: bool = False  # Asterisk was asked about an overdue Hangup
    _confirming: asyncio.Task[None] | None = None  # held: the loop keeps only weak references
    ami_lost: bool = False
    ended: asyncio.Future[AttemptState] = field(default=None)  # type: ignore[assignment]
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    _settle: asyncio.TimerHandle | None = None

    def __post_init__(self) -> None:
        if self.ended is None:
            self.ended = asyncio.get_running_loop().create_future()

    @property
    def final(self) -> bool:
        return self.state.final

    @property
    def hangup_cause(self) -> int | None:
        return outcome.effective_cause(self.originate_reason, self.causes)

    @property
    def duration_s(self) -> float | None:
        answered = self.times.get(AttemptState.ANSWERED)
        ended = self.times.get(self.state) if self.final else None
        if answered is None or ended is None:
            return None
        return round((ended - answered).total_seconds(), 3)

    def __repr__(self) -> str:
        return f"<Call {self.uuid} {mask(self.number)} {self.state.value}>"


class CallTracker:
    """Matches AMI events to calls and moves each call through its states."""

    def __init__(
        self, on_change: ChangeCallback | None = None, confirm_end: ConfirmEnd | None = None
    ) -> None:
        self.calls: dict[str, Call] = {}
        self._by_action: dict[str, Call] = {}
        self.on_change = on_change
        self.confirm_end = confirm_end
        self.ami_connected = True

    # -- registration ---------------------------------------------------------------------

    def add(self, call: Call) -> None:
        self.calls[call.uuid] = call
        if call.action_id:
            self._by_action[call.action_id] = call

    def get(self, uuid: str) -> Call | None:
        return self.calls.get(uuid)

    @property
    def active(self) -> int:
        return len(self.calls)

    # -- transitions ----------------------------------------------------------------------

    def move(self, call: Call, state: AttemptState, **extra: Any) -> None:
        """Advance ``call`` to ``state`` (never backwards, never out of a final state)."""
        if call.final:
            return
        order = list(AttemptState)
        if not state.final and order.index(state) <= order.index(call.state):
            return
        now = utcnow()
        call.state = state
        call.times[state] = now
        changes: dict[str, Any] = {"state": state, **extra}
        if state in _TIMESTAMP_FIELD:
            changes[_TIMESTAMP_FIELD[state]] = now
        if state is AttemptState.ANSWERED:
            call.answered.set()
        if state.final:
            changes.update(
                ended_at=now,
                reason=call.reason,
                hangup_cause=call.hangup_cause,
                hangup_cause_text=outcome.cause_text(call.hangup_cause),
                duration_s=call.duration_s,
                amd_status=call.amd_status,
                amd_cause=call.amd_cause,
                script_outcome=call.conversation_result,
            )
            if call._settle is not None:
                call._settle.cancel()
            self.calls.pop(call.uuid, None)
            if call.action_id:
                self._by_action.pop(call.action_id, None)
            call.answered.set()  # anyone waiting for the answer wakes and sees the end
            log.info("call %s ended: %s (%s)", call.uuid, state.value, call.reason)
        if self.on_change is not None:
            self.on_change(call, changes)
        if state.final and not call.ended.done():
            call.ended.set_result(state)

    def fail(self, call: Call, reason: str) -> None:
        call.reason = reason
        self.move(call, AttemptState.FAILED)

    def amd_decided(self, call: Call, status: str, cause: str) -> None:
        """AMD's verdict. A resident who hangs up while AMD listens may have ended the call
        already (Asterisk's Hangup before the media stream's): then it is written to the
        finished attempt."""
        call.amd_status, call.amd_cause = status, cause
        if call.final and self.on_change is not None:
            self.on_change(call, {"amd_status": status, "amd_cause": cause})

    def media_started(self, call: Call) -> None:
        call.media_started = True
        if call.state in (AttemptState.ORIGINATING, AttemptState.RINGING):
            self.move(call, AttemptState.ANSWERED)
        self.move(call, AttemptState.IN_CONVERSATION)

    def media_ended(self, call: Call) -> None:
        """The conversation's media stream closed. Asterisk's Hangup normally follows at once;
        if the AMI link was lost meanwhile it never will, so finish from what is known."""
        if call.final:
            return
        if call.ami_lost or not self.ami_connected:
            self._finish_answered(call)
        else:
            self._settle_later(call, MEDIA_SETTLE_S)

    # -- AMI events -----------------------------------------------------------------------

    def on_event(self, event: Message) -> None:
        name = event.event
        if name == "OriginateResponse":
            call = self._by_action.get(event.action_id or "")
            if call is not None:
                self._on_originate_response(call, event)
            return
        if name == "UserEvent":
            return
        uniqueid = event.get("Uniqueid") or event.get("DestUniqueid") or ""
        linkedid = event.get("Linkedid") or event.get("DestLinkedid") or ""
        call = self.calls.get(uniqueid) or self.calls.get(linkedid)
        if call is None:
            return
        primary = uniqueid == call.uuid
        if name == "Newchannel":
            call.channels[uniqueid] = event.get("Channel") or ""
        elif name == "Newstate" and primary:
            state = int(event.get("ChannelState") or -1)
            if state == STATE_RINGING:
                self.move(call, AttemptState.RINGING)
            elif state == STATE_UP:
                self.move(call, AttemptState.ANSWERED)
        elif name == "DialEnd" and (event.get("DialStatus") or "") == "ANSWER" and primary:
            self.move(call, AttemptState.ANSWERED)
        elif name == "Hangup":
            cause = int(event.get("Cause") or 0)
            # the far side's cause first: for Local channels it is the one that says why
            call.causes.insert(0 if not primary else len(call.causes), cause)
            if primary:
                self._on_primary_hangup(call)

    def _on_originate_response(self, call: Call, event: Message) -> None:
        call.originate_reason = int(event.get("Reason") or 0)
        if (event.get("Response") or "").lower() == "success":
            self.move(call, AttemptState.ANSWERED)
            return
        # failed: the Hangup of the robot channel may follow (if it was ever created)
        if call.state not in (AttemptState.QUEUED, AttemptState.ORIGINATING, AttemptState.RINGING):
            return
        self._settle_later(call)

    def _on_primary_hangup(self, call: Call) -> None:
        if call.state in (AttemptState.QUEUED, AttemptState.ORIGINATING, AttemptState.RINGING):
            if call.originate_reason is None:
                self._settle_later(call)  # the OriginateResponse is on its way
            else:
                self._finish_unanswered(call)
            return
        self._finish_answered(call)

    def _settle_later(self, call: Call, delay: float = SETTLE_S) -> None:
        if call._settle is not None:
            call._settle.cancel()
        loop = asyncio.get_running_loop()
        call._settle = loop.call_later(delay, self._settle_now, call)

    def _settle_now(self, call: Call) -> None:
        if call.final:
            return
        if call.state in (AttemptState.QUEUED, AttemptState.ORIGINATING, AttemptState.RINGING):
            self._finish_unanswered(call)
        elif self.confirm_end is not None and self.ami_connected and not call.end_confirmed:
            # The Hangup is overdue, or it waits unread on the AMI socket: a loop stalled past
            # the wait (a busy machine) runs this timer before the reader it woke. Asterisk's
            # answer to a question comes after every event it sent before, so the call is
            # finished once it has answered, with the cause it gave.
            call.end_confirmed = True
            call._confirming = asyncio.get_running_loop().create_task(self._confirm_end(call))
        else:
            self._finish_answered(call)

    async def _confirm_end(self, call: Call) -> None:
        assert self.confirm_end is not None
        try:
            await asyncio.wait_for(self.confirm_end(call), CONFIRM_TIMEOUT_S)
        except Exception as exc:  # AMI lost or silent: finish from what is known
            log.debug("call %s: asking Asterisk about its end failed: %s", call.uuid, exc)
        if not call.final:
            self._settle_later(call)  # a Hangup the question caused follows its answer

    def _finish_unanswered(self, call: Call) -> None:
        state, reason = outcome.unanswered_outcome(call.originate_reason, call.hangup_cause)
        call.reason = reason
        self.move(call, state)

    def _finish_answered(self, call: Call) -> None:
        if call.amd_status == "MACHINE":
            call.reason = call.reason or f"answering machine ({call.amd_cause})"
            self.move(call, AttemptState.MACHINE)
        elif call.conversation_result in SCRIPT_ENDINGS:
            # the script came to an end with the resident: done, whatever the answers were
            call.reason = call.reason or f"conversation ended: {call.conversation_result}"
            self.move(call, AttemptState.COMPLETED)
        elif call.conversation_result and call.conversation_result.startswith("failed"):
            call.reason = call.reason or call.conversation_result
            self.move(call, AttemptState.FAILED)
        elif not call.media_started:
            call.reason = call.reason or "answered, but the media stream never connected"
            self.move(call, AttemptState.FAILED)
        elif call.ami_lost:
            call.reason = call.reason or "connection to Asterisk lost during the call"
            self.move(call, AttemptState.FAILED)
        elif call.causes and not any(call.causes):
            # both parties hang up with a cause (16 normal clearing, ...); cause 0 on every
            # channel means Asterisk tore the call down itself: restart, shutdown, softhangup
            call.reason = call.reason or "Asterisk ended the call itself (restart or shutdown)"
            self.move(call, AttemptState.FAILED)
        else:
            call.reason = call.reason or "the other side hung up before the end"
            self.move(call, AttemptState.HUNG_UP_EARLY)

    # -- AMI connection -------------------------------------------------------------------

    def on_connection(self, up: bool) -> None:
        """AMI lost: calls not yet answered can no longer be followed and end as failed;
        calls in conversation end when their media stream does."""
        self.ami_connected = up
        if up:
            return
        for call in list(self.calls.values()):
            call.ami_lost = True
            if call.state in (AttemptState.QUEUED, AttemptState.ORIGINATING, AttemptState.RINGING):
                self.fail(call, "connection to Asterisk lost before the call was answered")
            elif call.state is AttemptState.ANSWERED and not call.media_started:
                self.fail(call, "connection to Asterisk lost before the conversation started")
