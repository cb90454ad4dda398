"""A real SIP desk phone for the tests: SIPp (Debian's sip-tester) registers as a staff
endpoint of the embedded Asterisk, then waits to answer one call, echoing its audio back (or,
``echo=False``, sending none: a phone or trunk that sends nothing in silence)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.pbx_fixture import free_port

SCENARIOS = Path(__file__).parent / "sipp"


def register_and_answer(
    folder: Path, sip_port: int, endpoint: str, password: str, echo: bool = True
) -> subprocess.Popen[bytes]:
    """Register ``endpoint`` (digest auth), then answer one call in the background."""
    assert shutil.which("sipp"), "SIPp is missing: apt-get install sip-tester"
    port, media = free_port(), free_port()
    common = ["-i", "127.0.0.1", "-p", str(port), "-m", "1", "-nostdin", "-trace_err",
              "-timeout", "90s"]  # fmt: skip
    registered = subprocess.run(
        ["sipp", f"127.0.0.1:{sip_port}", "-sf", str(SCENARIOS / "register.xml"), "-s", endpoint,
         "-au", endpoint, "-ap", password, *common],
        cwd=folder, capture_output=True, timeout=30,
    )  # fmt: skip
    assert registered.returncode == 0, registered.stdout[-2000:] + registered.stderr[-2000:]
    return subprocess.Popen(
        ["sipp", "-sf", str(SCENARIOS / "answer.xml"), "-mp", str(media),
         *(["-rtp_echo"] if echo else []), *common],
        cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
