"""A far end that sends no audio while it is silent (a trunk or phone that suppresses
silence): Asterisk then sends the AudioSocket nothing at all, and the robot, which counts
time in frames, heard no time pass. Through the embedded Asterisk to a real SIP phone
(SIPp) that answers and sends no RTP."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ivr.ami import AmiClient
from ivr.audiosocket import AudioSocketServer, AudioSocketSession
from ivr.calls.amd import AmdConfig, AmdVerdict, detect_machine
from ivr.config import Settings
from ivr.pbx import EmbeddedPbx
from tests.sip_phone import register_and_answer

pytestmark = [pytest.mark.pbx]


@pytest.fixture
def mute_phone(pbx: EmbeddedPbx, pbx_settings: Settings, tmp_path: Path) -> Iterator[str]:
    phone = register_and_answer(
        tmp_path, pbx_settings.pbx_sip_port, "staff2", pbx.staff_password(), echo=False
    )
    yield "PJSIP/staff2"
    if phone.poll() is None:
        phone.kill()
    phone.wait(timeout=10)


async def test_a_silent_far_end_is_heard_as_silence(
    mute_phone: str, pbx_settings: Settings
) -> None:
    heard: dict[str, object] = {}

    async def robot(session: AudioSocketSession) -> None:
        heard["verdict"] = await detect_machine(session, AmdConfig())
        heard["frames_in"], heard["filled"] = session.frames_in, session.frames_filled

    async with AudioSocketServer(robot) as server:
        async with AmiClient.from_settings(pbx_settings) as ami:
            variables = {"IVR_ATTEMPT": str(uuid.uuid4()), "IVR_RECORDING": "",
                         "IVR_MEDIA": f"127.0.0.1:{server.port}"}  # fmt: skip
            await ami.originate(mute_phone, context="ivr-bot", variables=variables)
            for _ in range(100):
                if "filled" in heard:
                    break
                await asyncio.sleep(0.1)
    verdict = heard.get("verdict")
    # no RTP, so no frame from Asterisk; the gap is silence, and a line that stays silent
    # is a machine by initial silence, after 2.5 s of it (without: NOTSURE after 6 s, no time)
    assert heard.get("frames_in") == 0, heard
    assert heard["filled"] >= 2500 // 20, heard
    assert isinstance(verdict, AmdVerdict) and verdict.cause == "INITIALSILENCE-2500-2500", heard
