"""Slow down password guessing: after N failed logins for a user name or from an address, refuse
further attempts for a while. In memory: the report server is one process, and a restart that
forgets the counts is an acceptable price for no extra table."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

MAX_TRACKED_KEYS = 10_000  # bounded memory whatever names an attacker invents


class LoginThrottle:
    def __init__(
        self, max_failures: int, lockout_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_failures = max_failures
        self.lockout_s = lockout_s
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}

    def wait_s(self, *keys: str) -> float:
        """Seconds until any of ``keys`` may try again; 0 when none is locked."""
        now = self.clock()
        longest = 0.0
        for key in keys:
            recent = self._recent(key, now)
            if recent is not None and len(recent) >= self.max_failures:
                longest = max(longest, recent[0] + self.lockout_s - now)
        return longest

    def failed(self, *keys: str) -> None:
        now = self.clock()
        if len(self._failures) >= MAX_TRACKED_KEYS:
            self._prune(now)
        for key in keys:
            recent = self._failures.setdefault(key, deque(maxlen=self.max_failures))
            recent.append(now)

    def succeeded(self, *keys: str) -> None:
        for key in keys:
            self._failures.pop(key, None)

    def _recent(self, key: str, now: float) -> deque[float] | None:
        recent = self._failures.get(key)
        if recent is None:
            return None
        while recent and recent[0] + self.lockout_s <= now:
            recent.popleft()
        if not recent:
            del self._failures[key]
            return None
        return recent

    def _prune(self, now: float) -> None:
        for key in list(self._failures):
            self._recent(key, now)
        while len(self._failures) >= MAX_TRACKED_KEYS:  # still full: forget the oldest
            self._failures.pop(next(iter(self._failures)))
