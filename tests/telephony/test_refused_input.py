"""Bad numbers and control characters never reach the Asterisk Manager Interface."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ivr.ami.message import AmiValueError, Message, action, check_variable
from ivr.calls.engine import CallEngine
from ivr.calls.oneshot import PlayAndRecord
from ivr.db.models import Attempt
from ivr.errors import DialStringError

pytestmark = [pytest.mark.pbx]

BAD_NUMBERS = [
    "2001\r\nAction: Originate",
    "2001\nChannel: PJSIP/evil",
    "2001&PJSIP/other",
    "2001,30",
    "2001@other-context",
    "20 01",
    "",
    "+",
    "1" * 40,
    "2001\x00",
]


@pytest.mark.parametrize("number", BAD_NUMBERS)
async def test_bad_number_is_refused_before_anything_is_sent(
    engine: CallEngine,
    call_db,
    number: str,  # type: ignore[no-untyped-def]
) -> None:
    actions_before = engine.ami.stats.actions
    with pytest.raises(DialStringError):
        await engine.place(number, conversation=PlayAndRecord(b"", None, 1))
    assert engine.ami.stats.actions == actions_before
    with call_db.session() as session:
        assert session.scalar(select(func.count()).select_from(Attempt)) == 0


async def test_dial_template_cannot_be_bent_by_a_number(engine: CallEngine) -> None:
    with pytest.raises(DialStringError):
        await engine.place(
            "2001",
            conversation=PlayAndRecord(b"", None, 1),
            dial_template="Local/{number}@residents&PJSIP/x",
        )


async def test_control_characters_in_a_channel_variable_are_refused(engine: CallEngine) -> None:
    actions_before = engine.ami.stats.actions
    with pytest.raises(AmiValueError):
        await engine.ami.originate(
            "Local/2001@residents",
            context="ivr-bot",
            variables={"IVR_MEDIA": "x\r\nAction: Logoff"},
        )
    with pytest.raises(AmiValueError):
        await engine.ami.originate(
            "Local/2001@residents", context="ivr-bot", variables={"A": "1,B=2"}
        )
    assert engine.ami.stats.actions == actions_before
    assert engine.ami.connected.is_set()  # the session is still fine


@pytest.mark.parametrize(
    ("key", "value"),
    [("Channel", "a\rb"), ("Channel", "a\nb"), ("Context", "x\x00"), ("Exten", "\x1b[2J")],
)
def test_message_refuses_control_characters(key: str, value: str) -> None:
    with pytest.raises(AmiValueError):
        action("Originate", {key: value})


@pytest.mark.parametrize("name", ["1ABC", "A B", "A=B", "A\nB", ""])
def test_variable_names_are_checked(name: str) -> None:
    with pytest.raises(AmiValueError):
        check_variable(name, "1")


def test_message_round_trip() -> None:
    sent = action("Originate", [("Variable", "A=1"), ("Variable", "B=2")], Async=True)
    back = Message.decode(sent.encode())
    assert back.get_all("Variable") == ["A=1", "B=2"]
    assert back["Async"] == "true"
    assert sent.encode().endswith(b"\r\n\r\n")
