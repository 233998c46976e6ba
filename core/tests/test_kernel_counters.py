"""The counter store contract and the kernel's in-process store: fixed-point amounts, sliding
windows on a clock the test drives, the ``lluminary_counters`` hook and ``Client.open_counters``.
(The behaviour every store shares is the conformance suite's, run in lluminary-testing.)"""

from __future__ import annotations

import asyncio
import math
import threading

import pytest

import lluminary
import lluminary.sdk as sdk
from lluminary import Client
from lluminary._plugins import PluginManager
from lluminary.sdk import (
    COUNTER_SCALE,
    MAX_COUNTER_UNITS,
    Charge,
    CounterStore,
    CounterUnavailableError,
    MemoryCounters,
    Reservation,
    from_counter_units,
    sliding_retry_after,
    to_counter_units,
)


class Clock:
    """Seconds that move only when the test says."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# --------------------------------------------------------------------------- amounts


def test_amounts_are_integer_nano_units() -> None:
    assert COUNTER_SCALE == 10**9
    assert to_counter_units(0.1) == 100_000_000
    assert to_counter_units(2e-8) == 20
    assert to_counter_units(-1.5) == -1_500_000_000
    assert to_counter_units(7) == 7 * COUNTER_SCALE
    assert to_counter_units(1e-10) == 0  # below a nano-unit: rounded to the nearest
    assert from_counter_units(to_counter_units(0.1) + to_counter_units(0.2)) == 0.3
    assert sum(0.001 for _ in range(1000)) != 1.0  # what float sums do
    assert from_counter_units(sum(to_counter_units(0.001) for _ in range(1000))) == 1.0


@pytest.mark.parametrize("amount", [math.nan, math.inf, -math.inf, 1e10, -9.3e9, True])
def test_amounts_that_cannot_be_counted_are_refused(amount: float) -> None:
    with pytest.raises(ValueError, match="counter amount"):
        to_counter_units(amount)


def test_the_ceiling_fits_a_signed_64_bit_integer() -> None:
    assert MAX_COUNTER_UNITS < 2**63 - 1
    assert to_counter_units(9.2e9) == MAX_COUNTER_UNITS


# --------------------------------------------------------------------------- charges and reservations


def test_charge_checks_its_arguments() -> None:
    assert Charge("k", 1, limit=2, window=60).limit_units == 2 * COUNTER_SCALE
    assert Charge("k", 0.25).units == 250_000_000
    for bad in (
        lambda: Charge("", 1),
        lambda: Charge("k", math.nan),
        lambda: Charge("k", 1, limit=math.inf),
        lambda: Charge("k", 1, window=0),
        lambda: Charge("k", 1, window=-1),
        lambda: Charge("k", 1, ttl=math.nan),
        lambda: Charge("k", 1, window=60, ttl=60),
    ):
        with pytest.raises(ValueError):
            bad()


def test_corrections_are_the_differences_to_the_real_amounts() -> None:
    charges = (Charge("usd", 0.5), Charge("tokens", 1000, window=60), Charge("requests", 1))
    reservation = Reservation(True, charges, (0.5, 1000.0, 1.0), windows=(None, 7, None))
    assert reservation
    found = reservation.corrections({"usd": 0.125, "tokens": 1000, "requests": 0})
    assert found == [(charges[0], None, -375_000_000), (charges[2], None, -COUNTER_SCALE)]
    assert reservation.corrections({"tokens": 1500}) == [(charges[1], 7, 500 * COUNTER_SCALE)]
    with pytest.raises(ValueError, match="no counter 'other'"):
        reservation.corrections({"other": 1})
    reservation.settled = True
    with pytest.raises(ValueError, match="already settled"):
        reservation.corrections({})
    refused = Reservation(False, charges, (0.0, 0.0, 0.0), refused=charges[0])
    assert not refused
    assert refused.corrections({"usd": 1}) == []


@pytest.mark.parametrize(
    ("current", "previous", "elapsed", "window", "room", "expected"),
    [
        (0, 0, 10, 60, 5, 0.0),  # room already
        (2, 10, 0, 60, 5, 60 * (1 - 3 / 10)),  # the previous window has to slide out to 3
        (2, 10, 30, 60, 5, 60 * (1 - 3 / 10) - 30),
        (8, 0, 15, 60, 5, 45 + 60 * (1 - 5 / 8)),  # this window has to become the previous one
        (8, 3, 15, 60, 0, 45 + 60.0),  # no room but zero: the whole next window
        (1, 1, 0, 60, -1, None),  # asks for more than the limit: never
    ],
)
def test_sliding_retry_after(
    current: float, previous: float, elapsed: float, window: float, room: float, expected: float | None
) -> None:
    assert sliding_retry_after(current, previous, elapsed, window, room) == expected


# --------------------------------------------------------------------------- the in-process store


async def test_a_sliding_window_weighs_the_previous_window() -> None:
    clock = Clock(600.0)  # the start of a 60-second window
    store = MemoryCounters(clock=clock)
    assert await store.add("rpm", 10, window=60) == 10
    clock.now = 660.0 + 15  # a quarter into the next window: three quarters of the last one count
    assert await store.get("rpm", window=60) == 7.5
    assert await store.add("rpm", 2, window=60) == 9.5
    refused = await store.reserve(Charge("rpm", 1, limit=10, window=60))
    assert not refused
    assert refused.totals == (9.5,)
    # 2 in this window + 10 * (1 - t/60) <= 9  ->  t >= 18; we are at 15
    assert refused.retry_after == pytest.approx(3.0)
    clock.now += 3.0
    assert await store.reserve(Charge("rpm", 1, limit=10, window=60))
    clock.now = 780.0 + 0.5  # two windows later: forgotten
    assert await store.get("rpm", window=60) == 0.0


async def test_settle_goes_into_the_window_of_the_reservation() -> None:
    clock = Clock(600.0)
    store = MemoryCounters(clock=clock)
    reservation = await store.reserve(Charge("tpm", 1000, limit=5000, window=60))
    assert reservation.windows == (10,)
    clock.now = 690.0  # halfway into the next window
    await store.settle(reservation, {"tpm": 200})
    assert await store.get("tpm", window=60) == 100.0  # 200 in the previous window, half counts
    clock.now = 800.0  # its window is gone: the correction has nowhere to go, and is dropped
    late = await store.reserve(Charge("tpm", 10, window=60))
    clock.now = 930.0
    await store.settle(late, {"tpm": 500})
    assert await store.get("tpm", window=60) == 0.0


async def test_ttl_runs_from_the_first_write() -> None:
    clock = Clock()
    store = MemoryCounters(clock=clock)
    await store.add("budget", 1, ttl=10)
    clock.now += 9
    assert await store.add("budget", 1, ttl=10) == 2
    clock.now += 1
    assert await store.get("budget") == 0.0
    await store.add("plain", 1)
    assert await store.add("plain", 1, ttl=5) == 2  # a counter without an expiry gets one
    clock.now += 5
    assert await store.get("plain") == 0.0


async def test_expired_counters_are_swept() -> None:
    clock = Clock()
    store = MemoryCounters(clock=clock)
    for i in range(MemoryCounters._SWEEP_EVERY - 1):
        await store.add(f"k{i}", 1, ttl=1)
    assert "counters=1023" in repr(store)
    clock.now += 2
    await store.add("last", 1)
    assert "counters=1>" in repr(store)


def test_threads_with_loops_of_their_own_share_one_limit() -> None:
    store = MemoryCounters()
    granted: list[int] = []

    def worker() -> None:
        async def run() -> int:
            results = await asyncio.gather(*(store.reserve(Charge("shared", 1, limit=150)) for _ in range(100)))
            return sum(1 for r in results if r)

        granted.append(asyncio.run(run()))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(granted) == 150
    assert asyncio.run(store.get("shared")) == 150


async def test_a_refused_reservation_changes_nothing() -> None:
    store = MemoryCounters()
    await store.add("team", 9.5)
    refused = await store.reserve(Charge("user", 1, limit=5), Charge("team", 1, limit=10))
    assert refused.refused == Charge("team", 1, limit=10)
    assert refused.totals == (0.0, 9.5)
    assert (await store.get("user"), await store.get("team")) == (0.0, 9.5)


# --------------------------------------------------------------------------- the hook and the client


def test_the_sdk_exports_the_counter_contract() -> None:
    for name in (
        "CounterStore",
        "Charge",
        "Reservation",
        "MemoryCounters",
        "CounterUnavailableError",
        "COUNTER_SCALE",
        "MAX_COUNTER_UNITS",
        "to_counter_units",
        "from_counter_units",
        "sliding_retry_after",
    ):
        assert name in sdk.__all__
        assert getattr(sdk, name) is not None
    assert isinstance(MemoryCounters(), CounterStore)
    assert issubclass(CounterUnavailableError, lluminary.LluminaryError)
    assert PluginManager().hook.lluminary_counters.spec is not None


async def test_open_counters_serves_memory_urls_one_store_per_url() -> None:
    async with Client(cache=False, exporters=[]) as first, Client(cache=False, exporters=[]) as second:
        a = first.open_counters("memory://kernel-test-a")
        assert isinstance(a, MemoryCounters)
        assert second.open_counters("memory://kernel-test-a") is a
        assert first.open_counters("memory://kernel-test-b") is not a
        await a.add("k", 2)
        assert await second.open_counters("memory://kernel-test-a").get("k") == 2


class ClosingStore(MemoryCounters):
    closed = 0

    async def close(self) -> None:
        self.closed += 1


class AcmeCounters:
    def __init__(self) -> None:
        self.store = ClosingStore()

    @lluminary.hookimpl
    def lluminary_counters(self, url: str) -> CounterStore | None:
        return self.store if url.startswith("acme-counters:") else None


async def test_a_plugin_serves_its_scheme_and_the_client_closes_it() -> None:
    plugin = AcmeCounters()
    lluminary.register(plugin, name="acme-counters")
    try:
        client = Client(cache=False, exporters=[])
        assert client.open_counters("acme-counters://x") is plugin.store
        await client.aclose()
        assert plugin.store.closed == 1
        await client.aclose()
        assert plugin.store.closed == 1
    finally:
        lluminary.unregister(name="acme-counters")


async def test_an_unserved_scheme_names_the_scheme_and_not_the_password() -> None:
    async with Client(cache=False, exporters=[]) as client:
        with pytest.raises(lluminary.PluginError, match="nocounters") as caught:
            client.open_counters("nocounters://admin:s3cret-pass@host:1/0")
    assert "s3cret" not in str(caught.value)
