"""Retries with the kernel's :class:`lluminary.RetryPolicy`: the same attempts, back-off with full
jitter and Retry-After handling as provider calls, on the errors the kernel deems retryable
(429, 5xx, timeouts, dropped connections).

The ``lluminary_store`` hook gets only a URL, not the client, so a store cannot read the client's
``retries=``: the policy comes from the URL (``retries=``, ``retry_delay=``) or from
``PineconeStore(retry_policy=...)``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from lluminary import RetryPolicy
from lluminary.sdk import ProviderError

from .errors import map_error

T = TypeVar("T")
logger = logging.getLogger("lluminary_pinecone")


async def attempt(operation: Callable[[], Awaitable[T]]) -> T:
    """Run one SDK call, its failure as a typed lluminary error."""
    try:
        return await operation()
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # every SDK failure becomes a typed error
        raise map_error(exc) from exc


async def with_retries(policy: RetryPolicy, what: str, operation: Callable[[], Awaitable[T]]) -> T:
    """``operation`` under ``policy``: retried while the policy says so, the last error raised."""
    tries = 1
    while True:
        try:
            return await attempt(operation)
        except ProviderError as error:
            if not policy.should_retry(error, tries):
                raise
            delay = policy.delay(error, tries)
            logger.info(
                "pinecone %s failed (%s), retrying in %.2fs (attempt %d of %d)",
                what,
                type(error).__name__,
                delay,
                tries + 1,
                policy.max_attempts,
            )
            await asyncio.sleep(delay)
            tries += 1
