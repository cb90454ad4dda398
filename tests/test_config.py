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


def test_head_views_from_toml_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "ivr.toml"
    cfg.write_text("[asr]\nhead_views = [0.9, 1.1]\n")
    assert load_settings(cfg).asr_head_views == [0.9, 1.1]
    monkeypatch.setenv("IVR_ASR_HEAD_VIEWS", "[]")  # off
    assert load_settings(cfg).asr_head_views == []
    cfg.write_text("[asr]\nhead_views = [0.92, 1.0]\n")  # 1.0 is the answer as said
    monkeypatch.delenv("IVR_ASR_HEAD_VIEWS")
    with pytest.raises(ConfigError, match=r"ivr.toml.*asr_head_views.*not 1"):
        load_settings(cfg)
