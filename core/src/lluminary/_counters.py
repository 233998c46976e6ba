"""Counters shared by many processes: the contract behind budgets and rate limits, and the
kernel's in-process implementation.

**Budgets.** A budget shared by many processes is one counter per scope and period
(``usd:team-a:2026-05``). Before a call, :meth:`CounterStore.reserve` adds the call's worst-case
cost to every scope of the call at once, and only if each total stays within its limit; after
the call, :meth:`CounterStore.settle` replaces the estimate with the real cost, or
:meth:`CounterStore.release` gives it all back when the call failed.

**Rate limits.** The same with a ``window``: requests and tokens per minute, counted over a
sliding window that every process shares. A windowed counter keeps one sub-total per fixed window
of ``window`` seconds, aligned on the store's clock (the Redis server's, for Redis: one clock for
every process), and reads as the current window's sub-total plus the previous window's, weighted
by how much of it still lies within the last ``window`` seconds. Unlike a fixed window, it does not
let twice the limit through around a window's edge; it costs two numbers per counter, and it is
exact when traffic is even.

**Amounts are fixed-point.** Stores keep integer nano-units (``round(amount * 10**9)``), never
floats: a million additions of $0.000123 make exactly $123, every process compares the same
integers against a limit, and a negative correction exactly undoes a positive one. Float sums
(``INCRBYFLOAT``) drift with each addition, and two processes could disagree on whether
0.1 + 0.2 passed a limit of 0.3. Nano-units still count a one-token embedding (2e-8 USD), and a
signed 64-bit integer holds totals up to ±9.2e9.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

import attrs

from ._errors import LluminaryError

__all__ = [
    "COUNTER_SCALE",
    "MAX_COUNTER_UNITS",
    "Charge",
    "CounterStore",
    "CounterUnavailableError",
    "MemoryCounters",
    "Reservation",
    "from_counter_units",
    "sliding_retry_after",
    "to_counter_units",
]

#: Units per 1.0 of an amount: counters hold integer nano-units.
COUNTER_SCALE = 10**9
#: The largest total (and amount), in units: 9.2e9 as an amount. Kept below 2**63 so that a
#: store comparing in floating point (Lua) never lets an integer overflow through.
MAX_COUNTER_UNITS = 9_200_000_000 * COUNTER_SCALE


class CounterUnavailableError(LluminaryError):
    """The counter store cannot be reached, or answered too slowly. What follows is the caller's
    policy: a budget may refuse the call (fail closed) or let it through uncounted (fail open)."""


def to_counter_units(amount: float) -> int:
    """``amount`` in integer nano-units, rounded to the nearest; ``ValueError`` when it is not a
    finite number or lies beyond ±9.2e9."""
    if isinstance(amount, bool) or not math.isfinite(amount):
        raise ValueError(f"a counter amount must be a finite number, not {amount!r}")
    units = round(amount * COUNTER_SCALE)
    if abs(units) > MAX_COUNTER_UNITS:
        raise ValueError(f"a counter amount must lie within ±{MAX_COUNTER_UNITS // COUNTER_SCALE:,}, not {amount!r}")
    return units


def from_counter_units(units: int) -> float:
    """The amount of ``units`` nano-units (the nearest float: Python divides integers exactly)."""
    return units / COUNTER_SCALE


def check_counter_total(key: str, units: int) -> None:
    """Raise ``ValueError`` when a total would pass the largest one a store can hold."""
    if abs(units) > MAX_COUNTER_UNITS:
        raise ValueError(
            f"counter {key!r} would pass the largest total a counter holds (±{MAX_COUNTER_UNITS // COUNTER_SCALE:,})"
        )


def sliding_retry_after(current: float, previous: float, elapsed: float, window: float, room: float) -> float | None:
    """Seconds until a sliding total leaves ``room``, if nothing more is added; None for never.

    ``current`` and ``previous`` are the sub-totals of this window and the one before, ``elapsed``
    how far into this window we are, and ``room`` the limit less the amount asked for (all in
    the same unit; times in seconds)."""
    if room < 0:
        return None
    if current <= room:
        # The previous window's share has to shrink: previous * (1 - t / window) <= room - current.
        if previous <= 0:
            return 0.0
        return max(window * (1 - (room - current) / previous) - elapsed, 0.0)
    # This window has to become the previous one and shrink: current * (1 - t / window) <= room.
    return (window - elapsed) + window * (1 - room / current)


def _key(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(f"a counter key must be a non-empty string, not {value!r}")


def _amount(_instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    to_counter_units(value)


def _limit(_instance: object, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None:
        to_counter_units(value)


def _seconds(_instance: object, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None and (isinstance(value, bool) or not math.isfinite(value) or value < 0.001):
        raise ValueError(f"a counter's {attribute.name} must be at least 0.001 seconds, not {value!r}")


@attrs.frozen
class Charge:
    """One counter of a reservation: add ``amount`` to ``key`` if its total stays within
    ``limit`` (no limit: always).

    ``window``: seconds of a sliding window, for a rate limit (the counter forgets on its own).
    ``ttl``: seconds a counter without a window lives after the write that created it, for a
    budget period; later writes do not extend it. A key is used either with a window or without.
    """

    key: str = attrs.field(validator=_key)
    amount: float = attrs.field(validator=_amount)
    limit: float | None = attrs.field(default=None, kw_only=True, validator=_limit)
    window: float | None = attrs.field(default=None, kw_only=True, validator=_seconds)
    ttl: float | None = attrs.field(default=None, kw_only=True, validator=_seconds)

    def __attrs_post_init__(self) -> None:
        if self.window is not None and self.ttl is not None:
            raise ValueError(f"counter {self.key!r}: a windowed counter expires on its own; give a window or a ttl")

    @property
    def units(self) -> int:
        return to_counter_units(self.amount)

    @property
    def limit_units(self) -> int | None:
        return None if self.limit is None else to_counter_units(self.limit)


@attrs.define(eq=False)
class Reservation:
    """What :meth:`CounterStore.reserve` did; true when it was granted.

    ``totals``: each counter's total after the reservation (a windowed counter's sliding total);
    when refused, the totals as they were. ``refused``: the first charge that did not fit.
    ``retry_after``: seconds until the refused charge would fit if nothing else were added —
    for windowed counters; None when only a reset or a new period can make room. ``windows``: the
    window each windowed charge went into (None for the others), where :meth:`CounterStore.settle`
    puts its correction even after the window has moved on.
    """

    granted: bool
    charges: tuple[Charge, ...]
    totals: tuple[float, ...]
    refused: Charge | None = None
    retry_after: float | None = None
    windows: tuple[int | None, ...] = ()
    settled: bool = False

    def __bool__(self) -> bool:
        return self.granted

    def corrections(self, actual: Mapping[str, float]) -> list[tuple[Charge, int | None, int]]:
        """``(charge, window, units to add)`` for each counter whose real amount differs from the
        reserved one (keys left out of ``actual`` keep their reserved amount). Stores call this,
        apply the corrections and then set ``settled``."""
        if self.settled:
            raise ValueError("this reservation was already settled or released")
        unknown = set(actual) - {charge.key for charge in self.charges}
        if unknown:
            raise ValueError(f"the reservation has no counter {sorted(unknown)[0]!r}")
        if not self.granted:
            return []
        windows = self.windows or (None,) * len(self.charges)
        found = []
        for charge, window in zip(self.charges, windows, strict=True):
            if charge.key in actual:
                delta = to_counter_units(actual[charge.key]) - charge.units
                if delta:
                    found.append((charge, window, delta))
        return found


def check_charges(charges: tuple[Charge, ...]) -> None:
    """What every store checks before a reservation: some charges, each key once."""
    if not charges:
        raise ValueError("reserve() needs at least one Charge")
    keys = [charge.key for charge in charges]
    if len(set(keys)) != len(keys):
        raise ValueError("a reservation names each counter once")


@runtime_checkable
class CounterStore(Protocol):
    """What ``lluminary_counters`` returns: counters that every process opening the same URL
    shares, changed atomically. Amounts are floats on the way in and out, integers inside (see
    the module's docstring). A store that cannot reach its backend raises
    :class:`CounterUnavailableError`; bad arguments raise ``ValueError``."""

    async def add(self, key: str, amount: float, *, ttl: float | None = None, window: float | None = None) -> float:
        """Add ``amount`` (negative to subtract) and return the new total (for a windowed
        counter, its sliding total). ``ttl`` and ``window`` as in :class:`Charge`."""

    async def get(self, key: str, *, window: float | None = None) -> float:
        """The total of ``key`` (0.0 when it does not exist); give the ``window`` it is counted in."""

    async def reserve(self, *charges: Charge) -> Reservation:
        """Add every charge, or none: only when each total stays within its limit. Atomic across
        processes, so concurrent reservations never pass a limit together."""

    async def settle(self, reservation: Reservation, actual: Mapping[str, float]) -> None:
        """Replace reserved amounts with real ones (``{key: amount}``; keys left out stay as
        reserved), in the windows they were reserved in. A counter that expired meanwhile is
        not brought back. Nothing happens for a refused reservation."""

    async def release(self, reservation: Reservation) -> None:
        """Give back everything a reservation added (the call failed): settle with zeros."""

    async def reset(self, key: str) -> None:
        """Delete the counter (windowed or not)."""

    async def close(self) -> None:
        """Release connections."""


@attrs.define
class _Plain:
    units: int
    expires: float | None


@attrs.define
class _Windowed:
    window: float
    slots: dict[int, int]
    expires: float


class MemoryCounters:
    """Counters in this process, for one process (and tests): ``memory://name``. Thread-safe, so
    the sync API's loop and the caller's may share it. ``clock``: seconds, monotonic."""

    #: No I/O: nothing to wait for.
    in_process = True
    _SWEEP_EVERY = 1024

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._counters: dict[str, _Plain | _Windowed] = {}
        self._writes = 0

    def __repr__(self) -> str:
        return f"<MemoryCounters counters={len(self._counters)}>"

    # ------------------------------------------------------------------ the protocol

    async def add(self, key: str, amount: float, *, ttl: float | None = None, window: float | None = None) -> float:
        reservation = await self.reserve(Charge(key, amount, window=window, ttl=ttl))
        return reservation.totals[0]

    async def get(self, key: str, *, window: float | None = None) -> float:
        if window is not None:
            Charge(key, 0, window=window)  # the same checks as everywhere
        with self._lock:
            now = self._clock()
            found = self._find(key, window, now)
            if found is None:
                return 0.0
            if isinstance(found, _Plain):
                return from_counter_units(found.units)
            return _sliding(found, now, window)[0] / COUNTER_SCALE

    async def reserve(self, *charges: Charge) -> Reservation:
        check_charges(charges)
        with self._lock:
            now = self._clock()
            found = [self._find(charge.key, charge.window, now) for charge in charges]
            totals: list[float] = []
            windows: list[int | None] = []
            refused: Charge | None = None
            retry_after: float | None = None
            for charge, counter in zip(charges, found, strict=True):
                units = charge.units
                current = previous = 0
                elapsed = 0.0
                if charge.window is None:
                    stored = counter.units if isinstance(counter, _Plain) else 0
                    check_counter_total(charge.key, stored + units)
                    total: float = stored
                    windows.append(None)
                else:
                    assert counter is None or isinstance(counter, _Windowed)
                    total, current, previous, elapsed, slot = _sliding(counter, now, charge.window)
                    check_counter_total(charge.key, current + units)
                    windows.append(slot)
                limit = charge.limit_units
                if refused is None and limit is not None and total + units > limit:
                    refused = charge
                    if charge.window is not None:
                        retry_after = sliding_retry_after(current, previous, elapsed, charge.window, limit - units)
                totals.append(total)
            if refused is not None:
                return Reservation(
                    False, charges, tuple(t / COUNTER_SCALE for t in totals), refused, retry_after, tuple(windows)
                )
            for index, (charge, counter) in enumerate(zip(charges, found, strict=True)):
                totals[index] = self._apply(charge, counter, windows[index], charge.units, now)
            self._written(now)
            return Reservation(True, charges, tuple(t / COUNTER_SCALE for t in totals), windows=tuple(windows))

    async def settle(self, reservation: Reservation, actual: Mapping[str, float]) -> None:
        corrections = reservation.corrections(actual)
        with self._lock:
            now = self._clock()
            for charge, slot, delta in corrections:
                counter = self._find(charge.key, charge.window, now)
                if isinstance(counter, _Plain):
                    check_counter_total(charge.key, counter.units + delta)
                    counter.units += delta
                elif isinstance(counter, _Windowed) and slot in counter.slots:
                    counter.slots[slot] += delta
        reservation.settled = True

    async def release(self, reservation: Reservation) -> None:
        await self.settle(reservation, dict.fromkeys((charge.key for charge in reservation.charges), 0.0))

    async def reset(self, key: str) -> None:
        with self._lock:
            self._counters.pop(key, None)

    async def close(self) -> None:
        return None

    # ------------------------------------------------------------------ inside

    def _find(self, key: str, window: float | None, now: float) -> _Plain | _Windowed | None:
        counter = self._counters.get(key)
        if counter is not None and counter.expires is not None and counter.expires <= now:
            del self._counters[key]
            return None
        if counter is not None and (window is None) != isinstance(counter, _Plain):
            raise ValueError(f"counter {key!r} is counted {'without' if window else 'with'} a window elsewhere")
        return counter

    def _apply(
        self, charge: Charge, counter: _Plain | _Windowed | None, slot: int | None, units: int, now: float
    ) -> float:
        if charge.window is None:
            if counter is None:
                expires = now + charge.ttl if charge.ttl is not None else None
                counter = self._counters[charge.key] = _Plain(0, expires)
            assert isinstance(counter, _Plain)
            if counter.expires is None and charge.ttl is not None:
                counter.expires = now + charge.ttl
            counter.units += units
            return counter.units
        assert slot is not None
        if not isinstance(counter, _Windowed):
            counter = self._counters[charge.key] = _Windowed(charge.window, {}, 0.0)
        counter.window = charge.window
        counter.slots[slot] = counter.slots.get(slot, 0) + units
        for old in [s for s in counter.slots if s < slot - 1]:
            del counter.slots[old]
        # The current window counts while it is the previous one, then the counter is forgotten.
        counter.expires = (slot + 2) * charge.window
        return _sliding(counter, now, charge.window)[0]

    def _written(self, now: float) -> None:
        self._writes += 1
        if self._writes % self._SWEEP_EVERY == 0:
            expired = [k for k, c in self._counters.items() if c.expires is not None and c.expires <= now]
            for key in expired:
                del self._counters[key]


def _sliding(counter: _Windowed | None, now: float, window: float | None = None) -> tuple[float, int, int, float, int]:
    """(sliding total, current sub-total, previous sub-total, seconds into the window, window id)."""
    size = window if window is not None else counter.window if counter is not None else 1.0
    slot = math.floor(now / size)
    elapsed = now - slot * size
    if counter is None:
        return 0.0, 0, 0, elapsed, slot
    current = counter.slots.get(slot, 0)
    previous = counter.slots.get(slot - 1, 0)
    return previous * (1 - elapsed / size) + current, current, previous, elapsed, slot
