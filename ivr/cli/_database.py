"""What the database commands share: a transaction on the configured database, and rows
printed as JSON lines or as text."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer
from sqlalchemy.orm import Session

from ivr.cli._common import console, emit_json, state


@contextmanager
def database_session(ctx: typer.Context) -> Iterator[Session]:
    """One transaction on the configured database (committed if the block succeeds); the
    connection pool is closed afterwards, so a command leaves nothing open."""
    from ivr.db import open_database

    db = open_database(state(ctx).settings)
    try:
        with db.session() as session:
            yield session
    finally:
        db.dispose()


def print_rows(
    rows: list[dict[str, Any]], as_json: bool, line: Callable[[dict[str, Any]], str]
) -> None:
    """One JSON object per row with ``--json``, else one text line each."""
    for row in rows:
        if as_json:
            emit_json(row)
        else:
            console.print(line(row), highlight=False, markup=False)
