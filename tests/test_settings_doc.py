"""docs/configuration.md is generated from ivr/config.py and must stay in step with it."""

from pathlib import Path

from typer.testing import CliRunner

from ivr.cli import app
from ivr.config import Settings
from ivr.settings_doc import markdown

DOC = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def test_reference_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == markdown(), (
        "docs/configuration.md is stale: run `ivr config doc > docs/configuration.md`"
    )


def test_every_setting_is_described() -> None:
    text = markdown()
    for name in Settings.model_fields:
        row = next(line for line in text.splitlines() if line.startswith(f"| `{name}` |"))
        assert not row.endswith("|  |"), f"setting {name} has no description in ivr/config.py"


def test_show_hides_secrets(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("IVR_AMI_SECRET", "very-secret-value")
    shown = CliRunner().invoke(app, ["config", "show", "--json"])
    assert shown.exit_code == 0
    assert "very-secret-value" not in shown.output and '"ami_secret": "********"' in shown.output
