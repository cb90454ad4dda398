"""Staff notes on a household as an append-only journal kept in ``Household.notes``.

Each entry is one line, ``[2026-05-01T04:00:12Z alice] text``: who wrote what and when is in the
text itself, nothing written is ever overwritten, and the household page shows the entries in its
history. Text the import put there (not in this form) is shown as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from ivr.db.models import Household, utcnow
from ivr.errors import InputError

NOTE_MAX = 2000
STAMP = "%Y-%m-%dT%H:%M:%SZ"  # to the second, so the history orders a note among other edits
_ENTRY = re.compile(r"^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) ([^\]\s]+)\] (.*)$")


@dataclass(frozen=True)
class NoteEntry:
    at: datetime | None  # None: text from before the journal (an import)
    author: str
    text: str


def append_note(household: Household, author: str, text: str, at: datetime | None = None) -> None:
    clean = " ".join(text.split())  # one line per entry keeps the journal parseable
    if not clean:
        raise InputError("a note needs some text")
    if len(clean) > NOTE_MAX:
        raise InputError(f"a note is at most {NOTE_MAX} characters")
    when = (at or utcnow()).astimezone(UTC).strftime(STAMP)
    line = f"[{when} {author}] {clean}"
    household.notes = f"{household.notes.rstrip()}\n{line}" if household.notes.strip() else line


def note_entries(notes: str) -> list[NoteEntry]:
    entries = []
    for line in notes.splitlines():
        if not line.strip():
            continue
        found = _ENTRY.match(line)
        if found:
            at = datetime.strptime(found[1], STAMP).replace(tzinfo=UTC)
            entries.append(NoteEntry(at, found[2], found[3]))
        else:
            entries.append(NoteEntry(None, "", line))
    return entries
