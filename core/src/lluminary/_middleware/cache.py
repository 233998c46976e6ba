"""Cache: answer from the client's cache backend when it can, store what the provider answers.

A backend sees the key and the request (a semantic cache needs the conversation), and has
``timeout`` seconds: a failing or hung backend never fails or hangs a call, which goes on
uncached with a :class:`CacheWarning`. A hit on a stream replays the stored answer as a stream.
"""

from __future__ import annotations

import asyncio
import functools
import time
import warnings
from typing import Any

import attrs

from lluminary._cache import CacheBackend, cache_key
from lluminary._call import Call, EventStream, Handler, Result, then
from lluminary._types import ChatResponse, Cost, EmbedResponse, TraceEvent


class CacheWarning(UserWarning):
    """The cache failed or was too slow; the call went on uncached."""


class CacheStep:
    __slots__ = ("ttl", "timeout")

    def __init__(self, ttl: float | None, timeout: float | None) -> None:
        self.ttl = ttl
        self.timeout = timeout

    async def __call__(self, call: Call, call_next: Handler) -> Result:
        if not call.use_cache:
            return await call_next(call)
        backend: CacheBackend | None = await call.client.cache_backend()
        if backend is None:
            return await call_next(call)
        request = call.request
        key = cache_key(request)
        hit = await self._get(backend, key, request)
        wanted = EmbedResponse if call.operation == "embed" else ChatResponse
        if isinstance(hit, wanted):
            client = call.client
            if client.tracing:
                client.emit(
                    TraceEvent(
                        "cache_hit",
                        call.id,
                        call.operation,
                        request.model,
                        time.time(),
                        0.0,
                        parent_id=call.parent_id,
                        provider=request.provider,
                        response_model=hit.model,
                        response_id=hit.id if isinstance(hit, ChatResponse) else None,
                    )
                )
            # A hit costs nothing now; the response says what it saved.
            hit = attrs.evolve(hit, cached=True, cost=Cost(), saved=hit.cost)
            if call.streaming:
                assert isinstance(hit, ChatResponse)
                return EventStream.replay(call, hit)
            return hit
        result = await call_next(call)
        return await then(result, functools.partial(self._store, backend, key, request))

    async def _get(self, backend: CacheBackend, key: str, request: Any) -> Any:
        try:
            if getattr(backend, "in_process", False):  # no I/O, nothing to wait for: no timer
                return await backend.get(key, request=request)
            async with asyncio.timeout(self.timeout):
                return await backend.get(key, request=request)
        except Exception as exc:  # noqa: BLE001 - a cache outage must not fail the call
            warnings.warn(f"cache read failed, calling uncached: {_describe(exc)}", CacheWarning, stacklevel=2)
            return None

    async def _store(self, backend: CacheBackend, key: str, request: Any, response: Any) -> Any:
        try:
            if getattr(backend, "in_process", False):
                await backend.set(key, response, request=request, ttl=self.ttl)
                return response
            async with asyncio.timeout(self.timeout):
                await backend.set(key, response, request=request, ttl=self.ttl)
        except Exception as exc:  # noqa: BLE001
            warnings.warn(f"cache write failed: {_describe(exc)}", CacheWarning, stacklevel=2)
        return response


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "the cache backend did not answer in time"
    return f"{type(exc).__name__}: {exc}"
