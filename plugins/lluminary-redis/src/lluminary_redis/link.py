"""One Redis deployment as a cache or counter store sees it: a connection pool per event loop,
opened on first use, and the circuit breaker every operation goes through."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .breaker import Breaker
from .config import RedisConfig
from .errors import RedisUnavailableError, describe, is_outage

if TYPE_CHECKING:
    from redis.asyncio import Redis

T = TypeVar("T")


class Link:
    """Connections to one Redis for one cache or store. ``what`` names it in messages."""

    def __init__(self, config: RedisConfig, what: str) -> None:
        self.config = config
        self.breaker = Breaker(what, config.backoff, config.max_backoff)
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[Redis, asyncio.Semaphore]] = (
            weakref.WeakKeyDictionary()
        )

    async def run(
        self,
        operation: Callable[[Redis], Awaitable[T]],
        *,
        always: bool = False,
    ) -> T:
        """``operation`` on this loop's client, through the breaker; each command waits at most
        the URL's ``timeout`` for its reply once it has a connection. Raises
        :class:`RedisUnavailableError` on an outage, at once while Redis is known to be down,
        unless ``always`` (an explicit ``clear``): then it tries anyway."""
        breaker = self.breaker
        if breaker.skipping() and not always:  # without queueing behind calls that hang
            raise self._skipped()
        client, gate = self._for_this_loop()
        # The gate keeps callers beyond the pool's size waiting here, outside the timeout: a burst
        # of calls on a healthy Redis must not look like a slow one.
        async with gate:
            generation = breaker.admit()
            if generation is None:
                if not always:
                    raise self._skipped()
                generation = -1  # not a probe: its outcome changes nothing
            try:
                # Bounded by the connection's own timeouts (connect, and each reply): a second
                # timer around it would cost a third of a hit's overhead and add nothing.
                result = await operation(client)
            except asyncio.CancelledError:
                breaker.abandoned(generation)
                raise
            except Exception as exc:
                if not is_outage(exc):
                    breaker.succeeded(generation)  # the server answered
                    raise
                reason = describe(exc)
                first = breaker.failed(generation, reason)
                raise RedisUnavailableError(f"{breaker.what} is unavailable ({reason})", first=first) from exc
            breaker.succeeded(generation)
            return result

    def _skipped(self) -> RedisUnavailableError:
        retry_in = self.breaker.retry_in()
        return RedisUnavailableError(f"{self.breaker.what} is unavailable (next try in {retry_in:.1f} s)", first=False)

    def _for_this_loop(self) -> tuple[Redis, asyncio.Semaphore]:
        """This event loop's client, with a pool of its own (connections open on first use)."""
        loop = asyncio.get_running_loop()
        found = self._clients.get(loop)
        if found is None:
            from redis.asyncio import ConnectionPool, Redis

            # Forget the clients of loops that closed (each asyncio.run() is a new loop): their
            # connections went with their loop, and the entries would otherwise keep them alive.
            for closed in [other for other in self._clients if other.is_closed()]:
                del self._clients[closed]
            config = self.config
            # The gate admits at most max_connections operations, each using one connection at a
            # time, so the pool never runs out (and needs no waiting of its own).
            pool: Any = ConnectionPool(max_connections=config.max_connections, **config.connection_kwargs())
            found = self._clients[loop] = (Redis.from_pool(pool), asyncio.Semaphore(config.max_connections))
        return found

    async def close(self) -> None:
        """Close every loop's pool (those of other running loops on their own loop). Idempotent."""
        clients = list(self._clients.items())
        self._clients = weakref.WeakKeyDictionary()
        running = asyncio.get_running_loop()
        for loop, (client, _gate) in clients:
            if loop is running:
                await client.aclose()
            elif loop.is_running() and not loop.is_closed():
                asyncio.run_coroutine_threadsafe(client.aclose(), loop)
            # A closed loop took its connections with it.
