"""Retry policy: exponential backoff with full jitter, on retryable errors only, honouring Retry-After."""

from __future__ import annotations

import random

import attrs

from ._errors import ProviderError, RateLimitError


@attrs.frozen
class RetryPolicy:
    """``max_attempts`` counts the first try. A provider's Retry-After wins over the backoff, but a
    wait longer than ``max_retry_after`` is not worth holding the caller for: the error is raised."""

    max_attempts: int = 3
    initial_delay: float = 0.5
    max_delay: float = 20.0
    multiplier: float = 2.0
    max_retry_after: float = 60.0

    def should_retry(self, error: BaseException, attempt: int) -> bool:
        if attempt >= self.max_attempts or not isinstance(error, ProviderError) or not error.retryable:
            return False
        after = error.retry_after if isinstance(error, RateLimitError) else None
        return after is None or after <= self.max_retry_after

    def delay(self, error: BaseException, attempt: int) -> float:
        """Seconds to wait before attempt ``attempt + 1``."""
        after = error.retry_after if isinstance(error, RateLimitError) else None
        if after is not None:
            return after
        ceiling = min(self.max_delay, self.initial_delay * self.multiplier ** (attempt - 1))
        return random.uniform(0, ceiling)


NO_RETRIES = RetryPolicy(max_attempts=1)
