"""A circuit breaker for the per-request calls to Redis (the cache, the broker).

A stopped (not dead) Redis accepts connections and never answers, so every call waits out
its socket timeout. After one such failure the breaker is open for `open_seconds`: callers
skip Redis at once (the cache acts empty, a publish is left to the sweeps) instead of each
request waiting. Then one call is let through to try again. Per process: each web process
finds out on its own, after one short timeout.
"""

from __future__ import annotations

import logging
import threading
import time

logger = logging.getLogger(__name__)


class CircuitBreaker:
    def __init__(self, name: str, *, open_seconds: float) -> None:
        self.name = name
        self.open_seconds = open_seconds
        self._open_until = 0.0
        self._lock = threading.Lock()

    def allows(self) -> bool:
        """Whether to call now: closed, or open long enough that one caller may try again."""
        with self._lock:
            now = time.monotonic()
            if now >= self._open_until:
                if self._open_until:
                    # this caller is the trial; the others keep skipping until it reports
                    self._open_until = now + self.open_seconds
                return True
            return False

    def failed(self, error: BaseException) -> None:
        with self._lock:
            was_closed = not self._open_until
            self._open_until = time.monotonic() + self.open_seconds
        if was_closed:
            logger.warning(
                "%s unreachable (%s %s): skipped for %.0f s at a time until it answers",
                self.name, type(error).__name__, error, self.open_seconds,
            )  # fmt: skip

    def succeeded(self) -> None:
        with self._lock:
            if self._open_until:
                logger.warning("%s answers again", self.name)
            self._open_until = 0.0

    def reset(self) -> None:
        with self._lock:
            self._open_until = 0.0
