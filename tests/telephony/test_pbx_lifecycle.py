"""`ivr pbx up|down|status` on an instance of its own: up twice is a no-op, a crash is
reported (not hidden) and the next up says so, down stops cleanly."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ivr.config import Settings
from ivr.daemon import settings_env
from ivr.errors import PbxError
from ivr.pbx import EmbeddedPbx
from ivr.pbx.embedded import _conf_token
from tests.pbx_fixture import free_port

pytestmark = [pytest.mark.pbx]


@pytest.fixture
def own_pbx(pbx: EmbeddedPbx, pbx_settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    """Settings of a second instance in the same tree (the session's instance keeps running)."""
    settings = pbx_settings.model_copy(update={
        "pbx_instance": f"life{os.getpid()}",
        "ami_port": free_port(),
        "pbx_sip_port": free_port(socket.SOCK_DGRAM),
        "pbx_rtp_start": pbx_settings.pbx_rtp_end + 1,
        "pbx_rtp_end": pbx_settings.pbx_rtp_end + 100,
        "simulation_enabled": False,
        "data_dir": tmp_path,
    })  # fmt: skip
    yield settings
    instance = EmbeddedPbx(settings)
    instance.down()
    shutil.rmtree(instance.instance_dir, ignore_errors=True)


def ivr(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IVR_")}
    env.update(settings_env(settings))
    return subprocess.run([sys.executable, "-m", "ivr", *args], env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


def test_up_twice_crash_reported_down(own_pbx: Settings) -> None:
    first = ivr(own_pbx, "pbx", "up", "--json")
    assert first.returncode == 0, first.stderr
    started = json.loads(first.stdout)
    assert started["state"] == "running" and started["note"] == "started"

    again = json.loads(ivr(own_pbx, "pbx", "up", "--json").stdout)
    assert again["note"] == "already running" and again["pid"] == started["pid"]

    EmbeddedPbx(own_pbx).kill()
    status = ivr(own_pbx, "pbx", "status", "--json")
    assert status.returncode == 1  # not running is an error exit, for scripts and monitors
    crashed = json.loads(status.stdout)
    assert crashed["state"] == "crashed" and crashed["pid"] == started["pid"]

    restarted = json.loads(ivr(own_pbx, "pbx", "up", "--json").stdout)
    assert restarted["state"] == "running" and restarted["pid"] != started["pid"]
    assert "had crashed" in restarted["note"]

    down = ivr(own_pbx, "pbx", "down", "--json")
    assert json.loads(down.stdout)["note"] == "stopped"
    assert json.loads(ivr(own_pbx, "pbx", "status", "--json").stdout)["state"] == "stopped"


def test_a_busy_port_is_named(own_pbx: Settings) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", own_pbx.ami_port))
        squatter.listen()
        with pytest.raises(PbxError, match=f"tcp port {own_pbx.ami_port} is in use.*ami_port"):
            EmbeddedPbx(own_pbx).up()


def test_a_running_instance_of_another_data_folder_is_named(
    pbx: EmbeddedPbx, pbx_settings: Settings, tmp_path: Path
) -> None:
    """Same instance, other data folder (so another AMI secret): say so instead of letting
    every AMI login fail with "Authentication failed"."""
    other = pbx_settings.model_copy(update={"data_dir": tmp_path, "simulation_enabled": False})
    with pytest.raises(PbxError, match=r"running, but with another AMI secret.*IVR_DATA_DIR"):
        EmbeddedPbx(other).up()
    assert pbx.status().state == "running"  # and the running one is left alone
    _, note = EmbeddedPbx(pbx_settings).up()  # its own settings still find it
    assert note == "already running"


def test_rendered_configuration(own_pbx: Settings) -> None:
    rendered = {p.name: p.read_text() for p in EmbeddedPbx(own_pbx).render()}
    manager = rendered["manager.conf"]
    assert f"port = {own_pbx.ami_port}" in manager and "bindaddr = 127.0.0.1" in manager
    assert "eventfilter(action(include),name(OriginateResponse))" in manager
    assert "[ivr-bot]" in rendered["extensions.conf"]
    assert "[residents]" not in rendered["extensions.conf"]  # simulation off for this instance
    assert f"bind = 127.0.0.1:{own_pbx.pbx_sip_port}" in rendered["pjsip.conf"]


@pytest.mark.parametrize("value", ["a\nb", "x;comment", "[section]", " padded", "a=b", "\x07"])
def test_configuration_values_are_checked(value: str) -> None:
    with pytest.raises(PbxError):
        _conf_token("pbx_staff_phones", value)
