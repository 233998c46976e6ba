"""A circuit breaker: one report per outage, and no waiting on a Redis known to be down.

After a failure, Redis is skipped for ``backoff`` seconds; then one call at a time goes through
as a probe. A failed probe doubles the skip (up to ``max_backoff``); a probe that gets an answer
ends the outage. The first failure of an outage is the only one reported (a warning in the log,
and the error its caller raises); the end of an outage is logged once, at INFO.

Calls carry the generation they were admitted in, so that a slow call that started before an
outage, or before its end, cannot open or close the breaker late.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

LOG = logging.getLogger("lluminary_redis")


class Breaker:
    """The state of one Redis as seen from one cache or counter store. Thread-safe."""

    def __init__(
        self, what: str, backoff: float, max_backoff: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.what = what
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._clock = clock
        self._lock = threading.Lock()
        self._generation = 0
        self._down_since: float | None = None
        self._retry_at = 0.0
        self._delay = backoff
        self._probing = False

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def retry_in(self) -> float:
        """Seconds until the next probe may go (0 when up)."""
        return max(self._retry_at - self._clock(), 0.0) if self.down else 0.0

    def skipping(self) -> bool:
        """Whether a call now would be skipped (a lock-free first look; :meth:`admit` decides)."""
        return self._down_since is not None and (self._probing or self._clock() < self._retry_at)

    def admit(self) -> int | None:
        """The generation to report back with, or None: skip Redis, it is down."""
        if not self.down:  # the common case, without the lock (a stale read is harmless)
            return self._generation
        with self._lock:
            if self._down_since is None:
                return self._generation
            if self._probing or self._clock() < self._retry_at:
                return None
            self._probing = True
            return self._generation

    def succeeded(self, generation: int) -> None:
        """Redis answered (an error answer counts: the server is there)."""
        if not self.down:
            return
        with self._lock:
            if self._down_since is None or generation != self._generation:
                return
            outage = self._clock() - self._down_since
            self._down_since = None
            self._generation += 1
            self._probing = False
            self._delay = self.backoff
        LOG.info("%s is back after %.1f s", self.what, outage)

    def failed(self, generation: int, reason: str) -> bool:
        """Record a failure; True when it starts an outage (the one failure to report)."""
        with self._lock:
            if generation != self._generation:
                return False
            now = self._clock()
            if self._down_since is None:
                self._down_since = now
                self._generation += 1
                self._delay = self.backoff
                self._retry_at = now + self._delay
                first = True
            else:  # a probe failed
                self._probing = False
                self._delay = min(self._delay * 2, self.max_backoff)
                self._retry_at = now + self._delay
                first = False
            delay = self._delay
        if first:
            LOG.warning("%s is unavailable (%s): going on without it, next try in %g s", self.what, reason, delay)
        return first

    def abandoned(self, generation: int) -> None:
        """A probe was cancelled before it learnt anything: let another call probe."""
        with self._lock:
            if generation == self._generation:
                self._probing = False
