"""The counter store suite, proven on the kernel's in-process store (``memory://``), the reference
every other store is held to, and shown to fail on stores that break the contract it checks."""

from __future__ import annotations

import asyncio
import inspect
import uuid

import pytest

import lluminary
from lluminary import Client
from lluminary.sdk import Charge, CounterStore, MemoryCounters, Reservation
from lluminary_testing.conformance import CounterStoreTests, standard_tests, violations


class TestMemoryCounters(CounterStoreTests):
    shared_across_processes = False

    @pytest.fixture
    def counters_url(self) -> str:
        return f"memory://conformance-{uuid.uuid4().hex}"


# --------------------------------------------------------------------------- the suite's own rules


def test_every_standard_test_has_a_troubleshooting_note() -> None:
    tests = standard_tests(CounterStoreTests)
    assert len(tests) >= 18
    missing = [name for name, fn in tests.items() if "Troubleshooting:" not in (inspect.getdoc(fn) or "")]
    assert missing == []


def test_deleting_or_replacing_a_standard_test_is_a_violation() -> None:
    class Deleted(CounterStoreTests):
        test_reset = None  # type: ignore[assignment]

    class XFailedForAFlag(CounterStoreTests):
        @pytest.mark.xfail(reason="no windows", strict=True)
        async def test_sliding_window_limit(self, counters: CounterStore) -> None:  # type: ignore[override]
            """Where a flag says it."""

    assert violations(Deleted, CounterStoreTests) == [
        "test_reset was deleted (set to None); mark it xfail with a reason instead"
    ]
    (flagged,) = violations(XFailedForAFlag, CounterStoreTests)
    assert "supports_windows = False" in flagged
    with pytest.raises(TypeError, match="test_no_standard_test_removed"):
        type("NoGuard", (CounterStoreTests,), {"test_no_standard_test_removed": None})


# --------------------------------------------------------------------------- the suite can fail


class CheckThenAdd(MemoryCounters):
    """Reads, yields to the loop, then adds: the race every shared limit must not have."""

    async def reserve(self, *charges: Charge) -> Reservation:
        totals = [await self.get(charge.key) for charge in charges]
        await asyncio.sleep(0)
        for charge, total in zip(charges, totals, strict=True):
            if charge.limit is not None and total + charge.amount > charge.limit:
                return Reservation(False, charges, tuple(totals), refused=charge)
        await super().reserve(*(Charge(charge.key, charge.amount) for charge in charges))
        return Reservation(True, charges, tuple(totals))


class FloatSums(MemoryCounters):
    """Keeps float totals, as INCRBYFLOAT does."""

    def __init__(self) -> None:
        super().__init__()
        self.floats: dict[str, float] = {}

    async def add(self, key: str, amount: float, *, ttl: float | None = None, window: float | None = None) -> float:
        self.floats[key] = self.floats.get(key, 0.0) + amount
        return self.floats[key]

    async def get(self, key: str, *, window: float | None = None) -> float:
        return self.floats.get(key, 0.0)


class ExtendsTTL(MemoryCounters):
    """Pushes the expiry back on every write."""

    async def add(self, key: str, amount: float, *, ttl: float | None = None, window: float | None = None) -> float:
        total = await self.get(key)
        await self.reset(key)
        return await super().add(key, total + amount, ttl=ttl, window=window)


async def test_the_suite_catches_a_check_then_add_race() -> None:
    with pytest.raises(AssertionError):
        await TestMemoryCounters().test_concurrent_reserves_never_pass_the_limit(CheckThenAdd())


async def test_the_suite_catches_float_sums() -> None:
    with pytest.raises(AssertionError):
        await TestMemoryCounters().test_amounts_do_not_drift(FloatSums())


async def test_the_suite_catches_a_ttl_pushed_back() -> None:
    with pytest.raises(AssertionError, match="extended"):
        await TestMemoryCounters().test_ttl_expires_from_the_first_write(ExtendsTTL())


async def test_the_suite_opens_stores_through_the_hook() -> None:
    """The default ``open_store`` goes through ``lluminary_counters``: an unknown scheme is the
    kernel's typed error, naming the scheme and not the rest of the URL (it may hold a password)."""
    async with Client(cache=False, exporters=[]) as client:
        with pytest.raises(lluminary.PluginError, match="nosuchscheme") as caught:
            TestMemoryCounters().open_store(client, "nosuchscheme://user:hunter2-secret@host")
    assert "hunter2" not in str(caught.value)
