"""How Asterisk's words for a call's end become an attempt's outcome.

Sources, in Asterisk's own terms: the ``Reason`` of an ``OriginateResponse`` (the last control
frame seen before the call was answered or given up: 0 failure, 1 hangup, 3 ringing (ring
timeout), 4 answered, 5 busy, 8 congestion) and the Q.850 ``Cause`` of ``Hangup`` events.
"""

from __future__ import annotations

from ivr.db.models import AttemptState

# OriginateResponse Reason (AST_CONTROL_* of the last frame before giving up)
REASON_FAILURE = 0
REASON_HANGUP = 1
REASON_RING_TIMEOUT = 3
REASON_ANSWERED = 4
REASON_BUSY = 5
REASON_CONGESTION = 8

# Q.850 causes ivr distinguishes (AST_CAUSE_*)
CAUSE_UNALLOCATED = 1
CAUSE_NORMAL_CLEARING = 16
CAUSE_USER_BUSY = 17
CAUSE_NO_USER_RESPONSE = 18
CAUSE_NO_ANSWER = 19
CAUSE_SUBSCRIBER_ABSENT = 20
CAUSE_CALL_REJECTED = 21

_BUSY_CAUSES = {CAUSE_USER_BUSY}
_NO_ANSWER_CAUSES = {CAUSE_NO_USER_RESPONSE, CAUSE_NO_ANSWER, CAUSE_SUBSCRIBER_ABSENT}
_CONGESTION_CAUSES = {34, 38, 41, 42, 44, 47}

CAUSE_TEXT = {
    0: "Not defined",
    1: "Unallocated (unassigned) number",
    3: "No route to destination",
    16: "Normal clearing",
    17: "User busy",
    18: "No user responding",
    19: "User alerting, no answer",
    20: "Subscriber absent",
    21: "Call rejected",
    22: "Number changed",
    27: "Destination out of order",
    28: "Invalid number format",
    31: "Normal, unspecified",
    34: "Circuit/channel congestion",
    38: "Network out of order",
    41: "Temporary failure",
    42: "Switching equipment congestion",
    44: "Requested channel not available",
    47: "Resource unavailable, unspecified",
}

# a cause ivr reports when Asterisk gave none, derived from the originate reason
_CAUSE_FOR_REASON = {
    REASON_BUSY: CAUSE_USER_BUSY,
    REASON_RING_TIMEOUT: CAUSE_NO_ANSWER,
    REASON_CONGESTION: 34,
}


def cause_text(cause: int | None) -> str:
    if cause is None:
        return ""
    return CAUSE_TEXT.get(cause, f"cause {cause}")


def unanswered_outcome(reason: int | None, cause: int | None) -> tuple[AttemptState, str]:
    """The outcome of a call that was never answered, with a reason in words."""
    if reason == REASON_BUSY or cause in _BUSY_CAUSES:
        return AttemptState.BUSY, "the line was busy"
    if reason == REASON_CONGESTION or cause in _CONGESTION_CAUSES:
        return AttemptState.CONGESTION, f"network congestion ({cause_text(cause) or 'no circuit'})"
    if reason == REASON_RING_TIMEOUT or cause in _NO_ANSWER_CAUSES:
        return AttemptState.NO_ANSWER, "rang with no answer"
    if cause == CAUSE_UNALLOCATED:
        return AttemptState.FAILED, "number not in service (unallocated)"
    if cause == CAUSE_CALL_REJECTED:
        return AttemptState.FAILED, "call rejected"
    if cause:
        return AttemptState.FAILED, f"call failed: {cause_text(cause)}"
    return AttemptState.FAILED, "call could not be placed"


def effective_cause(reason: int | None, causes: list[int]) -> int | None:
    """The most telling cause: the first non-zero, non-normal one Asterisk gave, else normal
    clearing if seen, else one derived from the originate reason."""
    telling = [c for c in causes if c not in (0, CAUSE_NORMAL_CLEARING)]
    if telling:
        return telling[0]
    if CAUSE_NORMAL_CLEARING in causes:
        return CAUSE_NORMAL_CLEARING
    return _CAUSE_FOR_REASON.get(reason) if reason is not None else None
