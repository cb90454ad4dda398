"""Staff notes: an append-only journal whose entries keep who and when, to the second."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ivr.db.models import Household
from ivr.errors import InputError
from ivr.web.notes import append_note, note_entries


def test_notes_append_and_read_back_in_order() -> None:
    household = Household(room="301", notes="imported: key under the mat")
    first = datetime(2026, 5, 1, 4, 0, 12, tzinfo=UTC)
    append_note(household, "alice", "daughter's number\n  is on file", at=first)  # one line
    append_note(household, "bob", "visited", at=first.replace(second=40))
    entries = note_entries(household.notes)
    assert [(e.at, e.author, e.text) for e in entries] == [
        (None, "", "imported: key under the mat"),
        (first, "alice", "daughter's number is on file"),
        (first.replace(second=40), "bob", "visited"),
    ]


def test_an_empty_note_is_refused() -> None:
    with pytest.raises(InputError):
        append_note(Household(room="1", notes=""), "alice", "   \n ")
