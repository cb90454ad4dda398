"""A call's results into the household database, as they happen.

Each turn and each answer is queued to the database writer the moment the dialogue reports
it, so a call cut off half-way (or an ``ivr run`` killed mid-call) keeps every answer already
given. At the end of the call the script's rules turn the answers into flags and colours, an
opt-out is recorded on the household and its number, and a request for a person goes on the
staff worklist.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.calls.store import DatabaseWriter
from ivr.db.models import Answer, FlagKind, Household, Phone, Turn
from ivr.dialogue.session import DialogueResult, TurnRecord
from ivr.households.flags import raise_flag
from ivr.households.optout import record_opt_out
from ivr.households.status import set_status
from ivr.script import conditions
from ivr.script.conditions import UNCLEAR
from ivr.script.model import Script
from ivr.script.render import fill

log = logging.getLogger(__name__)


class ResultWriter:
    """DialogueEvents that write to the database through the (group-committing) writer."""

    def __init__(
        self,
        writer: DatabaseWriter,
        script: Script,
        *,
        attempt_id: int,
        household_id: int | None,
        campaign_id: int | None,
        number: str,
        default_country: str = "CN",
    ) -> None:
        self.writer = writer
        self.script = script
        self.attempt_id = attempt_id
        self.household_id = household_id
        self.campaign_id = campaign_id
        self.number = number
        self.default_country = default_country

    def on_turn(self, turn: TurnRecord) -> None:
        row = {
            "attempt_id": self.attempt_id,
            "seq": turn.seq,
            "step": turn.step,
            "prompt_id": turn.prompt_id,
            "prompt_text": turn.prompt_text,
            "heard_text": turn.heard_text,
            "dtmf": turn.dtmf,
            "expect": turn.expect,
            "value": turn.value,
            "confidence": turn.confidence,
            "barge_in": turn.barge_in,
            "event": turn.event[:24],
            "started_at": turn.started_at,
            "asr_ms": turn.asr_ms,
            "turn_ms": turn.turn_ms,
        }
        self.writer.submit(lambda session: session.add(Turn(**row)))

    def on_answer(self, field: str, value: Any, confidence: float, unclear: bool) -> None:
        if self.household_id is None:
            return
        household_id, attempt_id, campaign_id = self.household_id, self.attempt_id, self.campaign_id

        def work(session: Session) -> None:
            session.add(Answer(household_id=household_id, attempt_id=attempt_id,
                               campaign_id=campaign_id, field=field,
                               value=None if unclear else value, unclear=unclear))  # fmt: skip
            household = session.get(Household, household_id)
            if household is not None:
                fields = dict(household.fields or {})
                fields[field] = UNCLEAR if unclear else value
                fields[f"{field}_at"] = datetime.now(UTC).isoformat(timespec="seconds")
                household.fields = fields

        self.writer.submit(work)

    def on_end(self, result: DialogueResult) -> None:
        if self.household_id is None:
            return
        household_id = self.household_id
        self.writer.submit(lambda session: self._apply(session, household_id, result))

    def _apply(self, session: Session, household_id: int, result: DialogueResult) -> None:
        household = session.get(Household, household_id)
        if household is None:
            return
        keep = {"campaign_id": self.campaign_id, "attempt_id": self.attempt_id}
        facts = {**result.answers, "status": household.status.value}
        for rule in self.script.rules:
            if not conditions.parse(rule.when)(facts):
                continue
            if rule.flag is not None:
                detail = _fill_detail(rule.detail, result.answers) or rule.when
                raise_flag(session, household, rule.flag, detail, **keep)
            if rule.status is not None:
                reason = rule.reason or f"call rule: {rule.when}"
                set_status(session, household, rule.status, reason, attempt_id=self.attempt_id)
        unclear = [name for name, value in result.answers.items() if value == UNCLEAR]
        if unclear:  # never guessed: staff check the answers the robot could not understand
            raise_flag(session, household, FlagKind.UNCLEAR,
                       "not understood: " + ", ".join(unclear), **keep)  # fmt: skip
        if result.human is not None:
            raise_flag(session, household, FlagKind.HUMAN_REQUESTED,
                       "transferred to staff" if result.human == "transferred"
                       else "asked for a person: call back", **keep)  # fmt: skip
        if result.opted_out:
            number = self.number if _is_household_number(session, household_id, self.number) \
                else None  # fmt: skip
            record_opt_out(session, household, number=number, attempt_id=self.attempt_id,
                           reason="asked on a call not to be called again",
                           default_country=self.default_country)  # fmt: skip
        fields = dict(household.fields or {})
        fields["last_call_outcome"] = result.outcome
        fields["last_call_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        household.fields = fields


def _fill_detail(text: str, answers: dict[str, Any]) -> str:
    try:
        return fill(text, answers)
    except Exception:  # a detail names an answer this call did not get
        return text


def _is_household_number(session: Session, household_id: int, number: str) -> bool:
    return (
        session.scalar(
            select(Phone.id).where(Phone.household_id == household_id, Phone.number == number)
        )
        is not None
    )
