"""The Redis counter store: budgets and rate limits shared by every process that opens the same
URL. Counters live under ``{namespace}:counter:{key}``; each operation is one Lua script (see
:mod:`lluminary_redis.scripts`), so a reservation over several counters is atomic.

When Redis cannot be reached, every call raises ``CounterUnavailableError`` — at once while the
outage lasts (no waiting for timeouts), with one warning logged per outage — and the caller's
policy decides: refuse the call (fail closed) or let it through uncounted (fail open).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, TypeVar

from lluminary.sdk import (
    COUNTER_SCALE,
    MAX_COUNTER_UNITS,
    Charge,
    CounterUnavailableError,
    Reservation,
    from_counter_units,
)

from . import scripts
from .config import RedisConfig
from .errors import RedisUnavailableError
from .link import Link

if TYPE_CHECKING:
    from redis.asyncio import Redis

T = TypeVar("T")


class RedisCounters:
    """A ``lluminary.sdk.CounterStore`` on Redis: ``redis://host:6379/0?namespace=budgets``."""

    def __init__(self, config: RedisConfig) -> None:
        self.config = config
        self.prefix = f"{config.namespace}:counter:"
        self._link = Link(config, f"Redis counters at {config.display}")

    def __repr__(self) -> str:
        return f"<RedisCounters {self.config.display} namespace={self.config.namespace!r}>"

    # ------------------------------------------------------------------ the protocol

    async def add(self, key: str, amount: float, *, ttl: float | None = None, window: float | None = None) -> float:
        reservation = await self.reserve(Charge(key, amount, ttl=ttl, window=window))
        return reservation.totals[0]

    async def get(self, key: str, *, window: float | None = None) -> float:
        if window is not None:
            Charge(key, 0, window=window)  # the same checks as everywhere
            total = await self._run(
                lambda redis: scripts.window_total(redis, [self.prefix + key], [_milliseconds(window)]), key
            )
            return float(total) / COUNTER_SCALE
        Charge(key, 0)
        value = await self._run(lambda redis: redis.get(self.prefix + key), key)
        return from_counter_units(int(value)) if value is not None else 0.0

    async def reserve(self, *charges: Charge) -> Reservation:
        if not charges:
            raise ValueError("reserve() needs at least one Charge")
        names = [charge.key for charge in charges]
        if len(set(names)) != len(names):
            raise ValueError("a reservation names each counter once")
        args: list[str | int] = [MAX_COUNTER_UNITS]
        for charge in charges:
            limit = charge.limit_units
            args += [
                charge.units,
                "" if limit is None else limit,
                _milliseconds(charge.window) if charge.window is not None else 0,
                _milliseconds(charge.ttl) if charge.ttl is not None else 0,
            ]
        keys = [self.prefix + name for name in names]
        reply = await self._run(lambda redis: scripts.reserve(redis, keys, args), *names)
        granted, refused, retry = int(reply[0]), int(reply[1]), float(reply[2])
        count = len(charges)
        totals = tuple(float(total) / COUNTER_SCALE for total in reply[3 : 3 + count])
        windows = tuple(None if int(slot) < 0 else int(slot) for slot in reply[3 + count :])
        return Reservation(
            bool(granted),
            charges,
            totals,
            refused=charges[refused - 1] if refused else None,
            retry_after=retry / 1000 if retry >= 0 else None,
            windows=windows,
        )

    async def settle(self, reservation: Reservation, actual: Mapping[str, float]) -> None:
        corrections = reservation.corrections(actual)
        if corrections:
            keys = [self.prefix + charge.key for charge, _, _ in corrections]
            args: list[str | int] = []
            for _charge, window, units in corrections:
                args += [units, "" if window is None else window]
            await self._run(lambda redis: scripts.settle(redis, keys, args), *(c.key for c, _, _ in corrections))
        reservation.settled = True

    async def release(self, reservation: Reservation) -> None:
        await self.settle(reservation, dict.fromkeys((charge.key for charge in reservation.charges), 0.0))

    async def reset(self, key: str) -> None:
        Charge(key, 0)
        await self._run(lambda redis: redis.delete(self.prefix + key), key)

    async def close(self) -> None:
        await self._link.close()

    # ------------------------------------------------------------------ inside

    async def _run(self, operation: Callable[[Redis], Awaitable[T]], *names: str) -> T:
        """Through the link; outages become ``CounterUnavailableError``, the scripts' refusals
        ``ValueError`` naming the counter."""
        from redis.exceptions import ResponseError

        try:
            return await self._link.run(operation)
        except RedisUnavailableError as exc:
            raise CounterUnavailableError(exc.message) from exc
        except ResponseError as exc:
            raise _refusal(exc, names) from None


def _milliseconds(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def _refusal(exc: Exception, names: tuple[str, ...]) -> ValueError:
    """The ValueError a script's refusal (or Redis's WRONGTYPE) stands for."""
    text = str(exc)
    words = text.split()
    index = int(words[1]) - 1 if len(words) > 1 and words[1].isdigit() else 0
    name = names[index] if 0 <= index < len(names) else names[0]
    if words and words[0] == "LLUMINARY_OVERFLOW":
        largest = MAX_COUNTER_UNITS // COUNTER_SCALE
        return ValueError(f"counter {name!r} would pass the largest total a counter holds (±{largest:,})")
    if words and words[0] == "LLUMINARY_KIND":
        counted = "without" if words[2:3] == ["window"] else "with"
        return ValueError(f"counter {name!r} is counted {counted} a window elsewhere")
    if "WRONGTYPE" in text:  # a plain read of a windowed counter, or of a key someone else wrote
        return ValueError(f"counter {name!r} holds a windowed counter or a foreign value, not a plain total")
    return ValueError(f"Redis refused an operation on counter {name!r}: {text}")
