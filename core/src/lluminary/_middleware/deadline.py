"""Deadline: one limit for a whole call, every attempt and fallback included (the per-request
``timeout`` bounds one attempt's silences only). For a stream, the deadline runs until its first
event; after that, the read timeout between chunks applies."""

from __future__ import annotations

import asyncio

from lluminary._call import Call, Handler, Result
from lluminary._errors import APITimeoutError


class DeadlineStep:
    __slots__ = ("seconds",)

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds

    async def __call__(self, call: Call, call_next: Handler) -> Result:
        seconds = call.state.get("deadline", self.seconds)
        if seconds is None:
            return await call_next(call)
        try:
            async with asyncio.timeout(seconds):
                return await call_next(call)
        except TimeoutError:
            raise APITimeoutError(
                f"no answer within the call's deadline of {seconds:g} s (all attempts and fallbacks)",
                provider=call.request.provider,
            ) from None
