"""Order names as people expect: building 2 before building 10, room 901 before room 1001."""

from __future__ import annotations

import re
from functools import lru_cache

_PARTS = re.compile(r"(\d+)")


@lru_cache(maxsize=8192)  # the same room and unit names recur in every building
def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part.lower())
        for part in _PARTS.split(text)
        if part
    )


@lru_cache(maxsize=8192)
def floor_of(room: str) -> int | None:
    """The floor of a room numbered the usual way (``301`` → 3, ``1502`` → 15), else None."""
    if len(room) >= 3 and room.isdigit():
        return int(room[:-2])
    return None
