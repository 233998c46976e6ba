"""Retries: the same model again after a retryable error, with backoff and Retry-After. A stream
is retried only until its first event (the chain hands it back holding that event)."""

from __future__ import annotations

import asyncio

from lluminary._call import Call, Handler, Result
from lluminary._errors import ProviderError
from lluminary._retry import RetryPolicy


class RetryStep:
    __slots__ = ("policy",)

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    async def __call__(self, call: Call, call_next: Handler) -> Result:
        policy = self.policy
        attempt = call.attempt
        current = call
        while True:
            try:
                return await call_next(current)
            except ProviderError as exc:
                if not policy.should_retry(exc, attempt):
                    raise
                await asyncio.sleep(policy.delay(exc, attempt))
                attempt += 1
                current = call.evolve(attempt=attempt)
                call.note_attempt("retry", call.request.model, attempt)
