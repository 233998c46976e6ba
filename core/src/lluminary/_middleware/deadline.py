"""Deadline: one limit for a whole call, every attempt and fallback included (the per-request
``timeout`` bounds one attempt's silences only). For a stream, the deadline runs until its first
event; after that, the read timeout between chunks applies."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from lluminary._call import Call, Handler, Result
from lluminary._errors import APITimeoutError


class DeadlineStep:
    """In the chain when the client has a deadline; a call's own ``deadline=`` wins."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    async def __call__(self, call: Call, call_next: Handler) -> Result:
        return await within(call.state.get("deadline", self.seconds), call, call_next(call))


async def within(seconds: float, call: Call, work: Awaitable[Result]) -> Result:
    """``work``, cut at ``seconds`` with a typed, retry-free :class:`APITimeoutError`."""
    try:
        async with asyncio.timeout(seconds):
            return await work
    except TimeoutError:
        raise APITimeoutError(
            f"no answer within the call's deadline of {seconds:g} s (all attempts and fallbacks)",
            provider=call.request.provider,
        ) from None
