from pathlib import Path

import pytest

from ivr.config import load_settings
from ivr.errors import ConfigError


def test_toml_sections_flatten_and_env_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "ivr.toml"
    cfg.write_text('[ami]\nport = 6038\n[database]\nurl = "sqlite:///a.db"\n')
    monkeypatch.setenv("IVR_DATABASE_URL", "sqlite:///b.db")
    settings = load_settings(cfg)
    assert settings.ami_port == 6038
    assert settings.database == "sqlite:///b.db"


def test_unknown_setting_named(tmp_path: Path) -> None:
    cfg = tmp_path / "ivr.toml"
    cfg.write_text("[ami]\nprot = 1\n")
    with pytest.raises(ConfigError, match="ami_prot"):
        load_settings(cfg)


def test_invalid_value_names_setting_and_file(tmp_path: Path) -> None:
    cfg = tmp_path / "ivr.toml"
    cfg.write_text("[ami]\nport = 99999\n")
    with pytest.raises(ConfigError, match=r"ivr.toml.*ami_port"):
        load_settings(cfg)


def test_external_pbx_needs_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IVR_PBX_MODE", "external")
    monkeypatch.delenv("IVR_AMI_SECRET", raising=False)
    with pytest.raises(ConfigError, match="ami_secret"):
        load_settings()
