"""Fixtures for tests that place real calls through the embedded Asterisk."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import pytest

from ivr.calls.engine import CallEngine
from ivr.config import Settings
from ivr.db import Database
from ivr.pbx import EmbeddedPbx
from ivr.residents.persona import ASTDB_FAMILY, Persona

_numbers = itertools.count(7000)


@pytest.fixture
def call_db(pbx_settings: Settings, tmp_path) -> Database:  # type: ignore[no-untyped-def]
    database = Database(f"sqlite:///{tmp_path / 'calls.db'}")
    yield database
    database.dispose()


@pytest.fixture
async def engine(
    pbx: EmbeddedPbx, pbx_settings: Settings, call_db: Database
) -> AsyncIterator[CallEngine]:
    async with CallEngine(pbx_settings, call_db, audiosocket_port=0) as running:
        yield running


@pytest.fixture
def resident(engine: CallEngine):  # type: ignore[no-untyped-def]
    """``await resident(Persona(...))`` → a fresh simulated number with that persona."""

    async def make(persona: Persona) -> str:
        number = str(next(_numbers))
        await engine.ami.db_put(ASTDB_FAMILY, number, persona.encode())
        return number

    return make
