"""What every command shares: the loaded settings, JSON output, error exit."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

from ivr import log
from ivr.config import Settings, load_settings

console = Console(stderr=False)
err_console = Console(stderr=True)


@dataclass
class State:
    config_file: Path | None = None
    verbose: bool = False
    _settings: Settings | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_file)
            log.setup("DEBUG" if self.verbose else self._settings.log_level)
        return self._settings


def state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    if not isinstance(obj, State):  # invoked without the root callback (tests)
        obj = ctx.find_root().obj = State()
    return obj


def emit_json(obj: Any) -> None:
    """One JSON object on one line of stdout."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    raise SystemExit(code)
