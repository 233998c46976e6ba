"""The counter store conformance suite: what every ``lluminary_counters`` store owes the budgets
and rate limits built on it.

A store plugin subclasses :class:`CounterStoreTests` in a test module and provides one fixture,
``counters_url``, the URL of counters of its own for the test (a Redis namespace on the test's
server, ...)::

    class TestAcmeCounters(CounterStoreTests):
        @pytest.fixture
        def counters_url(self, acme_server):
            return f"acme://{acme_server.address}/?namespace={uuid.uuid4().hex}"

The suite opens stores the way users do, through :meth:`lluminary.Client.open_counters` (override
:meth:`CounterStoreTests.open_store` to build one otherwise), uses keys of its own in every test,
and closes what it opened. The window and ttl tests sleep about half a second each; the
multi-process test starts four Python processes.

Capability flags skip what a store does not do, with the reason; the standard tests cannot be
deleted or quietly replaced (an override needs ``@pytest.mark.xfail(reason=...)``), as in the
other suites.
"""

from __future__ import annotations

import asyncio
import math
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import AsyncIterator
from typing import ClassVar

import pytest
import pytest_asyncio

from lluminary import Client
from lluminary.sdk import Charge, CounterStore, Reservation

from ._guard import GuardTests, covered_by

#: What each process of the multi-process test runs: argv = url, key, limit, tries, start time.
_RESERVING_PROCESS = textwrap.dedent("""
    import asyncio, sys, time
    import lluminary
    from lluminary.sdk import Charge

    async def main(url, key, limit, tries, start):
        async with lluminary.Client(cache=False, exporters=[]) as client:
            store = client.open_counters(url)
            await store.get(key)  # connected before the start line
            time.sleep(max(0.0, start - time.time()))
            granted = await asyncio.gather(*(store.reserve(Charge(key, 1, limit=limit)) for _ in range(tries)))
            print(sum(1 for reservation in granted if reservation))

    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])))
    """)


def unique_counter(label: str = "c") -> str:
    """A counter key no other test uses."""
    return f"conformance:{label}:{uuid.uuid4().hex}"


class CounterStoreTests(GuardTests):
    """Every behaviour a counter store owes budgets and rate limits. See the module docstring."""

    standard_suite = True

    # ------------------------------------------------------------------ what a subclass sets

    #: Counters with a sliding ``window`` (rate limits).
    supports_windows: ClassVar[bool] = True
    #: Two stores opened on one URL see the same counters.
    shares_counters_by_url: ClassVar[bool] = True
    #: Processes that open the same URL share its counters (False for in-process stores).
    shared_across_processes: ClassVar[bool] = True
    #: Seconds of the short ttl and window the expiry tests use, and the margin slept past them.
    short_ttl: ClassVar[float] = 0.3
    margin: ClassVar[float] = 0.1

    # ------------------------------------------------------------------ fixtures

    @pytest.fixture
    def counters_url(self) -> str:
        """The URL of counters for this test only; a subclass overrides this fixture."""
        pytest.fail(f"{type(self).__name__} must define a `counters_url` fixture (the URL of counters for this test)")

    def open_store(self, client: Client, url: str) -> CounterStore:
        """A store for ``url``, through the ``lluminary_counters`` hook as users get one."""
        return client.open_counters(url)

    @pytest_asyncio.fixture
    async def client(self) -> AsyncIterator[Client]:
        """The client the stores are opened with; closing it closes them."""
        client = Client(cache=False, exporters=[])
        try:
            yield client
        finally:
            await client.aclose()

    @pytest_asyncio.fixture
    async def counters(self, client: Client, counters_url: str) -> CounterStore:
        return self.open_store(client, counters_url)

    # ------------------------------------------------------------------ adding and reading

    @pytest.mark.asyncio
    async def test_missing_counter_is_zero(self, counters: CounterStore) -> None:
        """A counter never written reads as 0.0.

        Troubleshooting: ``get`` returns 0.0 for a missing key (a budget nobody spent yet), not
        None and not an error."""
        assert await counters.get(unique_counter("missing")) == 0.0

    @pytest.mark.asyncio
    async def test_add_returns_the_new_total(self, counters: CounterStore) -> None:
        """``add`` returns the total after it, negative amounts subtract, and ``get`` agrees.

        Troubleshooting: return the value the atomic increment answered (Redis ``INCRBY``), not
        a read made afterwards, which another process may have changed."""
        key = unique_counter("add")
        assert await counters.add(key, 2.5) == 2.5
        assert await counters.add(key, 4) == 6.5
        assert await counters.add(key, -10) == -3.5
        assert await counters.get(key) == -3.5

    @pytest.mark.asyncio
    async def test_amounts_do_not_drift(self, counters: CounterStore) -> None:
        """A thousand additions of $0.001 make exactly $1, 0.1 + 0.2 makes exactly 0.3, and the
        cost of a one-token embedding (2e-8) still counts.

        Troubleshooting: keep integers of ``lluminary.sdk.COUNTER_SCALE`` units per 1.0
        (``to_counter_units`` / ``from_counter_units``), never a float sum (``INCRBYFLOAT``)."""
        thousandths, tenths, tiny = unique_counter("milli"), unique_counter("tenths"), unique_counter("tiny")
        await asyncio.gather(*(counters.add(thousandths, 0.001) for _ in range(1000)))
        assert await counters.get(thousandths) == 1.0
        await counters.add(tenths, 0.1)
        assert await counters.add(tenths, 0.2) == 0.3
        for _ in range(50):
            await counters.add(tiny, 2e-8)
        assert await counters.get(tiny) == 1e-6

    @pytest.mark.asyncio
    async def test_ttl_expires_from_the_first_write(self, counters: CounterStore) -> None:
        """A counter written with ``ttl`` is gone ``ttl`` seconds after the write that created it;
        later writes do not push the expiry back (a budget period ends on time).

        Troubleshooting: set the expiry only when the counter has none (Redis: ``PEXPIRE`` when
        ``PTTL`` is -1, in the same script as the increment), in milliseconds."""
        key, forever = unique_counter("ttl"), unique_counter("forever")
        await counters.add(key, 1, ttl=self.short_ttl)
        await counters.add(forever, 1)
        await asyncio.sleep(self.short_ttl / 2)
        assert await counters.add(key, 1, ttl=self.short_ttl) == 2
        await asyncio.sleep(self.short_ttl / 2 + self.margin)
        assert await counters.get(key) == 0.0, "the second write extended the counter's life"
        assert await counters.get(forever) == 1

    # ------------------------------------------------------------------ reservations

    @pytest.mark.asyncio
    async def test_reserve_within_the_limit(self, counters: CounterStore) -> None:
        """A reservation that fits is granted and added; one that would pass the limit is refused,
        adds nothing, and says which charge did not fit and the totals as they are.

        Troubleshooting: check and add in one atomic step (a Lua script, a transaction), comparing
        total + amount <= limit (reaching the limit exactly is allowed)."""
        key = unique_counter("reserve")
        first = await counters.reserve(Charge(key, 6, limit=10))
        assert first
        assert first.granted
        assert first.totals == (6.0,)
        exact = await counters.reserve(Charge(key, 4, limit=10))
        assert exact.granted
        assert exact.totals == (10.0,)
        refused = await counters.reserve(Charge(key, 0.5, limit=10))
        assert not refused
        assert refused.refused == Charge(key, 0.5, limit=10)
        assert refused.totals == (10.0,)
        assert refused.retry_after is None
        assert await counters.get(key) == 10.0

    @pytest.mark.asyncio
    async def test_reserve_is_all_or_nothing(self, counters: CounterStore) -> None:
        """A reservation over several counters (a key, its user, its team) adds to all of them or
        to none: when one limit would be passed, the others are left as they were.

        Troubleshooting: check every charge before adding any, inside one atomic step."""
        user, team, requests = unique_counter("user"), unique_counter("team"), unique_counter("requests")
        await counters.add(team, 9)
        refused = await counters.reserve(Charge(requests, 1), Charge(user, 2, limit=5), Charge(team, 2, limit=10))
        assert not refused
        assert refused.refused is not None
        assert refused.refused.key == team
        assert refused.totals[1:] == (0.0, 9.0)
        assert [await counters.get(key) for key in (requests, user, team)] == [0.0, 0.0, 9.0]
        granted = await counters.reserve(Charge(requests, 1), Charge(user, 1, limit=5), Charge(team, 1, limit=10))
        assert granted
        assert granted.totals == (1.0, 1.0, 10.0)

    @pytest.mark.asyncio
    async def test_settle_and_release(self, counters: CounterStore) -> None:
        """``settle`` replaces reserved amounts with real ones (keys left out keep theirs),
        ``release`` gives everything back, and a reservation is settled once.

        Troubleshooting: add ``actual - reserved`` per counter (``Reservation.corrections``),
        then set ``reservation.settled``; a refused reservation settles to nothing."""
        usd, tokens = unique_counter("usd"), unique_counter("tokens")
        reservation = await counters.reserve(Charge(usd, 0.05, limit=1), Charge(tokens, 1000, limit=10_000))
        await counters.settle(reservation, {usd: 0.0123})
        assert await counters.get(usd) == 0.0123
        assert await counters.get(tokens) == 1000
        with pytest.raises(ValueError, match="already"):
            await counters.settle(reservation, {usd: 0.01})
        failed = await counters.reserve(Charge(usd, 0.5, limit=1), Charge(tokens, 500))
        await counters.release(failed)
        assert (await counters.get(usd), await counters.get(tokens)) == (0.0123, 1000)
        with pytest.raises(ValueError, match="already"):
            await counters.release(failed)
        other = await counters.reserve(Charge(usd, 0.01))
        with pytest.raises(ValueError, match="no counter"):
            await counters.settle(other, {"not-reserved": 1.0})
        refused = await counters.reserve(Charge(usd, 5, limit=1))
        await counters.settle(refused, {usd: 4})
        assert await counters.get(usd) == 0.0223

    @pytest.mark.asyncio
    async def test_settle_does_not_revive_an_expired_counter(self, counters: CounterStore) -> None:
        """Settling after the counter's period ended leaves it ended: no counter without an
        expiry is created by a late correction.

        Troubleshooting: apply corrections only to counters that still exist (Redis: ``EXISTS``
        before ``INCRBY``, in one script)."""
        key = unique_counter("late")
        reservation = await counters.reserve(Charge(key, 1, limit=10, ttl=self.short_ttl))
        await asyncio.sleep(self.short_ttl + self.margin)
        await counters.settle(reservation, {key: 3})
        assert await counters.get(key) == 0.0

    @pytest.mark.asyncio
    async def test_concurrent_reserves_never_pass_the_limit(self, counters: CounterStore) -> None:
        """A hundred reservations in flight at once against a limit of 37: exactly 37 are
        granted and the total is 37.

        Troubleshooting: a read followed by a separate write lets concurrent callers all see room;
        the check and the add must be one atomic step on the server."""
        key = unique_counter("race")
        results = await asyncio.gather(*(counters.reserve(Charge(key, 1, limit=37)) for _ in range(100)))
        assert sum(1 for result in results if result) == 37
        assert all(isinstance(result, Reservation) for result in results)
        assert await counters.get(key) == 37

    @pytest.mark.asyncio
    async def test_a_limit_of_one_is_a_flag_claimed_once(self, counters: CounterStore) -> None:
        """Fifty claims at once of ``Charge(key, 1, limit=1, ttl=...)``: exactly one is granted,
        and the flag stays claimed. Budgets send each alert once across processes this way.

        Troubleshooting: the same atomic check-and-add as any limit; a limit equal to the
        amount must be granted once (``total + amount <= limit``), not never."""
        key = unique_counter("flag")
        claims = await asyncio.gather(*(counters.reserve(Charge(key, 1, limit=1, ttl=60)) for _ in range(50)))
        assert sum(1 for claim in claims if claim) == 1
        assert not await counters.reserve(Charge(key, 1, limit=1, ttl=60))
        assert await counters.get(key) == 1

    @covered_by("shared_across_processes")
    def test_processes_share_limits(self, counters_url: str) -> None:
        """Four processes reserving at the same moment against one limit of 60 (25 tries each)
        are granted 60 in all.

        Troubleshooting: the counters must live in the shared server, and the check must run
        there (a script), not in each process; an in-process store sets
        ``shared_across_processes = False``."""
        if not self.shared_across_processes:
            pytest.skip("the store's counters live in one process (shared_across_processes = False)")
        key = unique_counter("processes")
        start = time.time() + 1.0
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", _RESERVING_PROCESS, counters_url, key, "60", "25", str(start)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(4)
        ]
        granted = 0
        for process in processes:
            out, err = process.communicate(timeout=60)
            assert process.returncode == 0, err[-2000:]
            granted += int(out.strip())
        assert granted == 60

    # ------------------------------------------------------------------ windows (rate limits)

    @covered_by("supports_windows")
    @pytest.mark.asyncio
    async def test_sliding_window_limit(self, counters: CounterStore) -> None:
        """A windowed limit refuses what passes it, says when to retry (within two windows), and
        grants again once enough of the window has slid by.

        Troubleshooting: keep a sub-total per window of the store's clock and weigh the previous
        window by the share of it still inside the last ``window`` seconds; ``retry_after`` is
        ``lluminary.sdk.sliding_retry_after(...)`` of those numbers."""
        if not self.supports_windows:
            pytest.skip("the store has no windowed counters (supports_windows = False)")
        window = self.short_ttl * 2
        key = unique_counter("window")
        for _ in range(3):
            assert await counters.reserve(Charge(key, 1, limit=3, window=window))
        refused = await counters.reserve(Charge(key, 1, limit=3, window=window))
        assert not refused
        assert refused.retry_after is not None
        assert 0 < refused.retry_after <= 2 * window + self.margin
        assert 2 < await counters.get(key, window=window) <= 3
        never = await counters.reserve(Charge(key, 4, limit=3, window=window))
        assert not never
        assert never.retry_after is None, "an amount above the limit never fits"
        await asyncio.sleep(refused.retry_after + self.margin / 2)
        assert await counters.reserve(Charge(key, 1, limit=3, window=window)), "retry_after was too short"

    @covered_by("supports_windows")
    @pytest.mark.asyncio
    async def test_windowed_counters_forget(self, counters: CounterStore) -> None:
        """What was counted in a window is gone two windows later; ``add`` returns the sliding
        total; settling corrects the window the reservation went into.

        Troubleshooting: let a windowed counter expire two windows after its last write, and
        settle into the window recorded in ``Reservation.windows``."""
        if not self.supports_windows:
            pytest.skip("the store has no windowed counters (supports_windows = False)")
        window = self.short_ttl
        key = unique_counter("forget")
        assert await counters.add(key, 5, window=window) == 5
        reservation = await counters.reserve(Charge(key, 100, limit=1000, window=window))
        await counters.settle(reservation, {key: 20})
        assert 20 < await counters.get(key, window=window) <= 25
        await asyncio.sleep(2 * window + self.margin)
        assert await counters.get(key, window=window) == 0.0

    @covered_by("supports_windows")
    @pytest.mark.asyncio
    async def test_a_counter_is_windowed_or_not(self, counters: CounterStore) -> None:
        """A key counted without a window cannot be counted with one (and the other way round):
        ``ValueError``, and the counter is left as it was.

        Troubleshooting: check the kind before writing (Redis answers WRONGTYPE for a hash read as
        a string: map it to ValueError)."""
        if not self.supports_windows:
            pytest.skip("the store has no windowed counters (supports_windows = False)")
        plain, windowed = unique_counter("plain"), unique_counter("windowed")
        await counters.add(plain, 1)
        await counters.add(windowed, 1, window=60)
        with pytest.raises(ValueError):
            await counters.add(plain, 1, window=60)
        with pytest.raises(ValueError):
            await counters.add(windowed, 1)
        with pytest.raises(ValueError):
            await counters.reserve(Charge(plain + "-other", 1), Charge(windowed, 1))
        assert await counters.get(plain) == 1
        assert await counters.get(windowed, window=60) == 1
        assert await counters.get(plain + "-other") == 0.0

    # ------------------------------------------------------------------ the rest

    @pytest.mark.asyncio
    async def test_reset(self, counters: CounterStore) -> None:
        """``reset`` deletes a counter, windowed or not; resetting a missing one is fine.

        Troubleshooting: delete the key and whatever holds its windows."""
        plain, windowed = unique_counter("reset"), unique_counter("reset-window")
        await counters.add(plain, 3)
        await counters.reset(plain)
        assert await counters.get(plain) == 0.0
        if self.supports_windows:
            await counters.add(windowed, 3, window=60)
            await counters.reset(windowed)
            assert await counters.get(windowed, window=60) == 0.0
        await counters.reset(unique_counter("never"))

    @pytest.mark.asyncio
    async def test_bad_input_is_refused(self, counters: CounterStore) -> None:
        """Amounts that are not finite, an empty key, a ttl or window of zero, a reservation with
        no charge or with a key twice: ``ValueError``, and nothing is written.

        Troubleshooting: validate with ``lluminary.sdk.Charge`` and ``to_counter_units`` before
        talking to the backend."""
        key = unique_counter("bad")
        for amount in (math.nan, math.inf, -math.inf):
            with pytest.raises(ValueError):
                await counters.add(key, amount)
        with pytest.raises(ValueError):
            await counters.add("", 1)
        with pytest.raises(ValueError):
            await counters.add(key, 1, ttl=0)
        with pytest.raises(ValueError):
            await counters.add(key, 1, window=0)
        with pytest.raises(ValueError):
            await counters.reserve()
        with pytest.raises(ValueError):
            await counters.reserve(Charge(key, 1), Charge(key, 2))
        assert await counters.get(key) == 0.0

    @pytest.mark.asyncio
    async def test_totals_have_a_ceiling(self, counters: CounterStore) -> None:
        """A total beyond ±9.2e9 is refused with ``ValueError`` and leaves the counter as it was.

        Troubleshooting: check ``lluminary.sdk.MAX_COUNTER_UNITS`` before the increment (a Redis
        script that fails half-way keeps its first writes)."""
        key, other = unique_counter("ceiling"), unique_counter("ceiling-other")
        assert await counters.add(key, 9e9) == 9e9
        with pytest.raises(ValueError):
            await counters.add(key, 9e9)
        with pytest.raises(ValueError):
            await counters.reserve(Charge(other, 1), Charge(key, 9e9))
        assert await counters.get(key) == 9e9
        assert await counters.get(other) == 0.0

    @covered_by("shares_counters_by_url")
    @pytest.mark.asyncio
    async def test_stores_on_one_url_share_counters(self, client: Client, counters_url: str) -> None:
        """Two stores opened on one URL count together.

        Troubleshooting: keep counters in the backend the URL names, not in the store object; a
        store that is private by design sets ``shares_counters_by_url = False``."""
        if not self.shares_counters_by_url:
            pytest.skip("each store has counters of its own (shares_counters_by_url = False)")
        first, second = self.open_store(client, counters_url), self.open_store(client, counters_url)
        key = unique_counter("shared")
        await first.add(key, 1)
        assert await second.add(key, 1) == 2

    @pytest.mark.asyncio
    async def test_close_is_idempotent(self, client: Client, counters_url: str) -> None:
        """``close`` may be called twice, on a store that was used and on one that never was.

        Troubleshooting: ``Client.aclose()`` closes every store it opened, and users close
        theirs too; a store never used has nothing open (connect lazily)."""
        used = self.open_store(client, counters_url)
        await used.add(unique_counter("close"), 1)
        await used.close()
        await used.close()
        unused = self.open_store(client, counters_url)
        await unused.close()
        await unused.close()
