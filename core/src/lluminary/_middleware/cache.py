"""Cache: answer from the client's cache backend when it can, store what the provider answers.

A backend sees the key and the request (a semantic cache needs the conversation), and has
``timeout`` seconds: a failing or hung backend never fails or hangs a call, which goes on
uncached with a :class:`CacheWarning`. A hit on a stream replays the stored answer as a stream.

**Single flight.** While a call is in flight, identical calls (same cache key, same event loop)
wait for its answer instead of calling the provider again, and get it as a cache hit. If that
call fails, they fail with its error (nothing is cached); if it is cancelled or its stream is
left early, there is no error to share: one of them goes to the provider in its place.

**Per call**: ``cache=False`` neither reads nor writes, ``cache="refresh"`` skips the read and
stores the fresh answer, ``cache_ttl=`` overrides the client's ``cache_ttl``.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import time
import warnings
import weakref
from typing import Any

import attrs

from lluminary._cache import CacheBackend, cache_key
from lluminary._call import Call, EventStream, Handler, Result, then
from lluminary._types import ChatResponse, Cost, EmbedResponse, TraceEvent


class CacheWarning(UserWarning):
    """The cache failed or was too slow; the call went on uncached."""


class CacheStep:
    __slots__ = ("ttl", "timeout", "_inflight")

    def __init__(self, ttl: float | None, timeout: float | None) -> None:
        self.ttl = ttl
        self.timeout = timeout
        # key -> the outcome of the call in flight for it: its answer, its error, or None (it
        # left without either: a waiter goes in its place)
        self._inflight: dict[str, asyncio.Future[Any]] = {}

    async def __call__(self, call: Call, call_next: Handler) -> Result:
        mode = call.use_cache
        if not mode:
            return await call_next(call)
        backend: CacheBackend | None = await call.client.cache_backend()
        if backend is None:
            return await call_next(call)
        request = call.request
        key = cache_key(request)
        ttl = call.state.get("cache_ttl", self.ttl)
        store = functools.partial(self._store, backend, key, request, ttl)
        if mode == "refresh":  # write only: a fresh answer replaces what is stored
            return await then(await call_next(call), functools.partial(store, None))
        wanted = EmbedResponse if call.operation == "embed" else ChatResponse
        hit = await self._get(backend, key, request)
        if isinstance(hit, wanted):
            return self._answer(call, hit)
        loop = asyncio.get_running_loop()
        while (leader := self._inflight.get(key)) is not None and leader.get_loop() is loop:
            outcome = await asyncio.shield(leader)
            if isinstance(outcome, wanted):
                return self._answer(call, outcome)
            if isinstance(outcome, Exception):
                raise _copy(outcome)
            # That call left without an outcome: this one goes in its place, unless another
            # waiter did already (its flight is in the map, or over and stored).
            if key not in self._inflight:
                hit = await self._get(backend, key, request)
                if isinstance(hit, wanted):
                    return self._answer(call, hit)
        flight: asyncio.Future[Any] = loop.create_future()
        self._inflight[key] = flight
        try:
            result = await call_next(call)
        except Exception as exc:
            self._land(key, flight, exc)
            raise
        except BaseException:  # cancelled: no error to share
            self._land(key, flight, None)
            raise
        if type(result) is EventStream:
            result.on_abort(lambda error: self._land(key, flight, error if isinstance(error, Exception) else None))
            # A stream dropped unread never finishes nor aborts: free its waiters when it is collected.
            weakref.finalize(result, _land_later, self, key, flight)
        return await then(result, functools.partial(store, flight))

    def _answer(self, call: Call, hit: ChatResponse | EmbedResponse) -> Result:
        """A stored (or just bought) answer as this call's result: zero cost, saved said."""
        client = call.client
        request = call.request
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
        saved = hit.saved if hit.cached else hit.cost
        answer = attrs.evolve(hit, cached=True, cost=Cost(), saved=saved)
        if call.streaming:
            assert isinstance(answer, ChatResponse)
            return EventStream.replay(call, answer)
        return answer

    def _land(self, key: str, flight: asyncio.Future[Any], answer: Any) -> None:
        """End a flight: waiters get ``answer`` (None: go to the provider themselves)."""
        if self._inflight.get(key) is flight:
            del self._inflight[key]
        if not flight.done():
            flight.set_result(answer)

    async def _get(self, backend: CacheBackend, key: str, request: Any) -> Any:
        try:
            if getattr(backend, "in_process", False):  # no I/O, nothing to wait for: no timer
                return await backend.get(key, request=request)
            async with asyncio.timeout(self.timeout):
                return await backend.get(key, request=request)
        except Exception as exc:  # noqa: BLE001 - a cache outage must not fail the call
            warnings.warn(f"cache read failed, calling uncached: {_describe(exc)}", CacheWarning, stacklevel=2)
            return None

    async def _store(
        self,
        backend: CacheBackend,
        key: str,
        request: Any,
        ttl: float | None,
        flight: asyncio.Future[Any] | None,
        response: Any,
    ) -> Any:
        if flight is not None:
            self._land(key, flight, response)  # waiters need not wait for the write
        try:
            if getattr(backend, "in_process", False):
                await backend.set(key, response, request=request, ttl=ttl)
                return response
            async with asyncio.timeout(self.timeout):
                await backend.set(key, response, request=request, ttl=ttl)
        except Exception as exc:  # noqa: BLE001
            warnings.warn(f"cache write failed: {_describe(exc)}", CacheWarning, stacklevel=2)
        return response


def _copy(error: Exception) -> Exception:
    """The leader's error for one waiter: a copy, so tracebacks of different tasks don't mix."""
    try:
        return copy.copy(error)
    except Exception:  # noqa: BLE001 - an error that cannot be copied is raised as it is
        return error


def _land_later(step: CacheStep, key: str, flight: asyncio.Future[Any]) -> None:
    """The finaliser of a stream: it may run on any thread, and after its loop closed."""
    loop = flight.get_loop()
    if flight.done() or loop.is_closed():
        return
    try:
        loop.call_soon_threadsafe(step._land, key, flight, None)
    except RuntimeError:  # the loop closed meanwhile
        pass


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "the cache backend did not answer in time"
    return f"{type(exc).__name__}: {exc}"
