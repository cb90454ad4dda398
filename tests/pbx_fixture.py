"""A real embedded Asterisk for the tests: one instance per test session, on free ports.

The Asterisk tree is built once into the cache (``~/.cache/ivr/asterisk-sid``, or
``IVR_TEST_PBX_TREE``); each test session runs its own instance in it, so several sessions can
run side by side. Tests that need it use the ``pbx`` fixture; it fails (never skips) when
Asterisk cannot be started, so CI cannot go green without it.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from ivr.config import Settings, load_settings
from ivr.pbx import EmbeddedPbx


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def pbx_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data = tmp_path_factory.mktemp("pbx-data")
    rtp = random.randrange(20000, 60000, 200)
    overrides = {
        "data_dir": data,
        "pbx_instance": f"test{os.getpid()}",
        "ami_port": free_port(),
        "pbx_sip_port": free_port(socket.SOCK_DGRAM),
        "pbx_rtp_start": rtp,
        "pbx_rtp_end": rtp + 199,
        "simulation_port": free_port(),
        "audiosocket_port": 0,
        "log_level": "INFO",
    }
    tree = os.environ.get("IVR_TEST_PBX_TREE")
    if tree:
        overrides["pbx_tree"] = Path(tree)
    for name in list(os.environ):
        if name.startswith("IVR_") and name != "IVR_TEST_PBX_TREE":
            os.environ.pop(name)
    return load_settings(**overrides)


@pytest.fixture(scope="session")
def pbx(pbx_settings: Settings) -> Iterator[EmbeddedPbx]:
    instance = EmbeddedPbx(pbx_settings)
    instance.up()
    yield instance
    instance.down()
    shutil.rmtree(instance.instance_dir, ignore_errors=True)
