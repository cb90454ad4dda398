"""Fixtures shared by every test: isolated settings and a fresh database per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ivr.config import Settings, load_settings
from ivr.db import Database

pytest_plugins = ["tests.pg", "tests.pbx_fixture"]


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings isolated in a temporary folder (no ivr.toml of the developer leaks in)."""
    monkeypatch.chdir(tmp_path)
    for name in ("IVR_CONFIG", "IVR_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return load_settings(data_dir=tmp_path / "data")


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings.database)
    yield database
    database.dispose()
