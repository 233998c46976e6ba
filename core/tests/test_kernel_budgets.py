"""Scoped budgets, alerts and webhooks, end to end: real calls over HTTP to the testing kit's fake
OpenAI server (through a provider written on the SDK, as a plugin author writes one), counted in
the kernel's counter store. A refused call must never reach the server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from lluminary import Budget, BudgetAlert, Client, MemoryCostLedger
from lluminary._budgets import period_id, period_ttl
from lluminary._plugins import PluginManager
from lluminary.sdk import (
    DEFAULT_BUDGET_ALERTS,
    AlertGate,
    Alerts,
    BudgetBook,
    BudgetExceededError,
    ConfigurationError,
    MemoryCounters,
    RequestValidationError,
    ServerError,
    TextDelta,
    UnpricedModelError,
    alert_thresholds,
)

pytestmark = pytest.mark.integration

# The testing kit's fake servers (installed with the kernel's tests by tox and `make dev`).
FakeOpenAIServer = pytest.importorskip("lluminary_testing.openai_server").FakeOpenAIServer
WireChat = pytest.importorskip("lluminary_testing.wire_chat").WireChat
WebhookReceiver = pytest.importorskip("lluminary_testing.webhook").WebhookReceiver
ErrorScenario = pytest.importorskip("lluminary_testing.scenario").ErrorScenario

KEY = "sk-test-budgets-0000000000000000"
MODEL = "wire:gpt-test"
#: $1000 per million output tokens: a tenth of a cent a token; input is free, so a prompt of N
#: words answered by the fake server (it echoes them, one token a word) costs exactly N tenths
#: of a cent, and with ``max_tokens=N`` the budget's estimate is exactly that too.
PRICES = {MODEL: {"input": 0.0, "output": 1000.0}}
FOUR_WORDS = "one two three four"
CALL = 0.004


@pytest.fixture
def fake() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        yield server


def client_for(fake: FakeOpenAIServer, plugins: PluginManager | None = None, **kwargs: Any) -> Client:
    if plugins is None:
        plugins = PluginManager()
        plugins.register(WireChat())
    kwargs.setdefault("cache", False)
    return Client(
        plugins=plugins,
        retries=1,
        exporters=[],
        prices=PRICES,
        providers={"wire": {"base_url": fake.base_url, "api_key": KEY}},
        **kwargs,
    )


def chats(fake: FakeOpenAIServer) -> int:
    return sum(1 for r in fake.requests if r.path == "/v1/chat/completions")


# --------------------------------------------------------------------------- the Budget value


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"limit_usd": -1}, "limit_usd"),
        ({"limit_usd": float("nan")}, "limit_usd"),
        ({"limit_usd": True}, "limit_usd"),
        ({"limit_usd": 1, "period": "year"}, "period"),
        ({"limit_usd": 1, "scope": {}}, "scope"),
        ({"limit_usd": 1, "scope": {"user": 7}}, "scope"),
        ({"limit_usd": 1, "scope": "two words"}, "scope"),
        ({"limit_usd": 1, "scope": 7}, "scope"),
        ({"limit_usd": 1, "alerts": (0,)}, "alert"),
        ({"limit_usd": 1, "alerts": "0.5"}, "alerts"),
        ({"limit_usd": 1, "per": ""}, "per"),
    ],
)
def test_a_bad_budget_is_a_configuration_error(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        Budget(**kwargs)


def test_bad_client_options_are_typed_errors(fake: FakeOpenAIServer) -> None:
    with pytest.raises(RequestValidationError, match="Budget objects"):
        client_for(fake, budgets=[5.0])
    with pytest.raises(ConfigurationError, match="http"):
        client_for(fake, budget_webhook="ftp://example.invalid/x")
    with pytest.raises(ConfigurationError, match="callables"):
        client_for(fake, on_budget_alert=[42])


def test_scopes_name_their_counters() -> None:
    assert Budget(1).scope_key({}) == "all"
    assert Budget(1, scope="key:ab12").scope_key({"user": "x"}) == "key:ab12"
    tagged = Budget(1, scope={"team": "search", "env": "prod"})
    assert tagged.scope_key({"team": "search", "env": "prod", "user": "x"}) == "tags:env=prod,team=search"
    assert tagged.scope_key({"team": "search"}) is None
    per_user = Budget(1, scope={"team": "search"}, per="user")
    assert per_user.scope_key({"team": "search", "user": "alice"}) == "tags:team=search/user=alice"
    assert per_user.scope_key({"team": "search"}) is None
    assert Budget(1, alerts=(1.0, 0.5, 0.5)).alerts == (0.5, 1.0)


def test_periods_are_utc_days_iso_weeks_and_months() -> None:
    now = 1_796_292_000.0  # 2026-12-03 10:00:00 UTC, a Thursday
    assert period_id("day", now) == "2026-12-03"
    assert period_id("week", now) == "2026-W49"
    assert period_id("month", now) == "2026-12"
    assert period_id(None, now) == "total"
    grace = 86_400
    assert period_ttl("day", now) == 14 * 3600 + grace
    assert period_ttl("week", now) == (3 * 86_400 + 14 * 3600) + grace  # to Monday 00:00
    assert period_ttl("month", now) == (28 * 86_400 + 14 * 3600) + grace  # to January 1st
    assert period_ttl(None, now) is None


def test_hours_and_total_are_periods_too() -> None:
    now = 1_796_292_000.0 + 25 * 60  # 2026-12-03 10:25:00 UTC
    assert period_id("hour", now) == "2026-12-03T10"
    assert period_id("hour", now + 35 * 60) == "2026-12-03T11"
    assert period_ttl("hour", now) == 35 * 60 + 3600  # to 11:00, plus an hour of grace
    assert period_id("total", now) == "total"
    assert period_ttl("total", now) is None
    assert Budget(1, period="hour").period == "hour"
    assert Budget(1, period="total").period == "total"
    with pytest.raises(ConfigurationError, match="year"):
        period_id("year", now)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="year"):
        period_ttl("year", now)  # type: ignore[arg-type]


def test_alert_thresholds_are_checked_as_a_budget_checks_them() -> None:
    assert alert_thresholds([1, 0.5, 0.5]) == (0.5, 1.0)
    assert alert_thresholds(()) == ()
    assert DEFAULT_BUDGET_ALERTS == (0.5, 0.8, 1.0)
    for bad in ("0.5", [0], [-1], [True], [float("inf")], 3):
        with pytest.raises(ConfigurationError):
            alert_thresholds(bad)


# --------------------------------------------------------------------------- hard limits


async def test_a_hard_limit_refuses_before_the_request_is_sent(fake: FakeOpenAIServer) -> None:
    async with client_for(fake, budgets=[Budget(0.010, period="day")]) as client:
        for _ in range(2):
            reply = await client.agenerate(MODEL, FOUR_WORDS, max_tokens=4)
            assert reply.cost is not None
            assert reply.cost.total == pytest.approx(CALL)
        with pytest.raises(BudgetExceededError) as refused:
            await client.agenerate(MODEL, FOUR_WORDS, max_tokens=4)
        assert chats(fake) == 2, "the refused call reached the server"
        error = refused.value
        assert (error.scope, error.budget) == ("all", 0.010)
        assert error.spent == pytest.approx(2 * CALL)
        assert error.estimate == pytest.approx(CALL)
        assert "budget 'all' exceeded" in str(error)
        assert await client.budget_book().counters.get(f"usd:all:{period_id('day')}") == pytest.approx(2 * CALL)


async def test_one_budget_per_tag_value(fake: FakeOpenAIServer) -> None:
    async with client_for(fake, budgets=[Budget(2 * CALL, period="day", per="user")]) as client:
        for _ in range(2):
            await client.agenerate(MODEL, FOUR_WORDS, max_tokens=4, metadata={"user": "alice"})
        with pytest.raises(BudgetExceededError, match="user=alice"):
            await client.agenerate(MODEL, FOUR_WORDS, max_tokens=4, metadata={"user": "alice"})
        await client.agenerate(MODEL, FOUR_WORDS, max_tokens=4, metadata={"user": "bob"})
        for _ in range(3):  # untagged calls are in no per-user budget
            await client.agenerate(MODEL, FOUR_WORDS, max_tokens=4)
        assert chats(fake) == 6


async def test_a_budget_for_calls_with_some_tags(fake: FakeOpenAIServer) -> None:
    budget = Budget(CALL, scope={"feature": "search"}, name="search")
    async with client_for(fake, budgets=[budget]) as client:
        await client.agenerate(MODEL, FOUR_WORDS, max_tokens=4, metadata={"feature": "search", "user": "a"})
        with pytest.raises(BudgetExceededError) as refused:
            await client.agenerate(MODEL, FOUR_WORDS, max_tokens=4, metadata={"feature": "search"})
        assert refused.value.scope == "search"
        await client.agenerate(MODEL, FOUR_WORDS, max_tokens=4, metadata={"feature": "chat"})
        assert chats(fake) == 2


async def test_every_budget_that_applies_must_have_room(fake: FakeOpenAIServer) -> None:
    """One atomic reservation over all of them: a refusal by one adds nothing to the others."""
    budgets = [Budget(1.0, period="month"), Budget(CALL, per="user")]
    async with client_for(fake, budgets=budgets) as client:
        await client.agenerate(MODEL, FOUR_WORDS, max_tokens=4, metadata={"user": "alice"})
        with pytest.raises(BudgetExceededError):
            await client.agenerate(MODEL, FOUR_WORDS, max_tokens=4, metadata={"user": "alice"})
        counters = client.budget_book().counters
        assert await counters.get(f"usd:all:{period_id('month')}") == pytest.approx(CALL)


async def test_a_soft_budget_only_alerts(fake: FakeOpenAIServer) -> None:
    alerts: list[BudgetAlert] = []
    budget = Budget(CALL, hard=False, alerts=(1.0, 2.0))
    async with client_for(fake, budgets=[budget], on_budget_alert=alerts.append) as client:
        for _ in range(3):
            await client.agenerate(MODEL, FOUR_WORDS, max_tokens=4)
    assert chats(fake) == 3
    assert [a.threshold for a in alerts] == [1.0, 2.0]


async def test_the_estimate_is_the_worst_case_and_settles_to_the_real_cost(fake: FakeOpenAIServer) -> None:
    """``max_tokens=10`` reserves ten tokens; the answer uses four, and four are counted."""
    async with client_for(fake, budgets=[Budget(0.010)]) as client:
        await client.agenerate(MODEL, FOUR_WORDS, max_tokens=10)
        await client.agenerate(MODEL, FOUR_WORDS, max_tokens=6)
        with pytest.raises(BudgetExceededError):  # 0.008 spent + 0.004 estimated > 0.010
            await client.agenerate(MODEL, FOUR_WORDS, max_tokens=4)
        assert await client.budget_book().counters.get("usd:all:total") == pytest.approx(2 * CALL)


async def test_a_failed_call_gives_its_reservation_back(fake: FakeOpenAIServer) -> None:
    fake.script(ErrorScenario("server"))
    async with client_for(fake, budgets=[Budget(CALL)]) as client:
        with pytest.raises(ServerError):
            await client.agenerate(MODEL, FOUR_WORDS, max_tokens=4)
        assert await client.budget_book().counters.get("usd:all:total") == 0.0
        await client.agenerate(MODEL, FOUR_WORDS, max_tokens=4)


async def test_an_unpriced_model_is_refused_only_where_a_budget_applies(fake: FakeOpenAIServer) -> None:
    async with client_for(fake, budgets=[Budget(1.0, scope={"team": "a"})]) as client:
        with pytest.raises(UnpricedModelError):
            await client.agenerate("wire:unpriced", FOUR_WORDS, metadata={"team": "a"})
        assert chats(fake) == 0
        reply = await client.agenerate("wire:unpriced", FOUR_WORDS, metadata={"team": "b"})
        assert reply.cost is None


async def test_streams_settle_at_the_end_and_release_when_closed_early(fake: FakeOpenAIServer) -> None:
    async with client_for(fake, budgets=[Budget(1.0)]) as client:
        counters = client.budget_book().counters
        stream = client.astream(MODEL, FOUR_WORDS, max_tokens=40)
        text = "".join([e.text async for e in stream if isinstance(e, TextDelta)])
        assert text == FOUR_WORDS
        assert await counters.get("usd:all:total") == pytest.approx(CALL)
        early = client.astream(MODEL, "many words here to stream one by one", max_tokens=40)
        async for _event in early:
            break
        await early.aclose()
        for _ in range(50):  # the release runs as a task of its own
            if await counters.get("usd:all:total") == pytest.approx(CALL):
                break
            await asyncio.sleep(0.01)
        assert await counters.get("usd:all:total") == pytest.approx(CALL)


async def test_clients_on_the_same_counters_share_a_budget(fake: FakeOpenAIServer) -> None:
    url = "memory://budgets"  # one store per URL in a plugin manager (the process's, for users)
    budget = Budget(2 * CALL, scope="key:team-a")
    plugins = PluginManager()
    plugins.register(WireChat())
    seen: list[BudgetAlert] = []
    async with (
        client_for(fake, plugins, budgets=[budget], counters=url, on_budget_alert=seen.append) as one,
        client_for(fake, plugins, budgets=[budget], counters=url, on_budget_alert=seen.append) as two,
    ):
        await one.agenerate(MODEL, FOUR_WORDS, max_tokens=4)
        await two.agenerate(MODEL, FOUR_WORDS, max_tokens=4)
        with pytest.raises(BudgetExceededError, match="key:team-a"):
            await one.agenerate(MODEL, FOUR_WORDS, max_tokens=4)
        with pytest.raises(BudgetExceededError, match="key:team-a"):
            await two.agenerate(MODEL, FOUR_WORDS, max_tokens=4)
    assert chats(fake) == 2
    assert [a.threshold for a in seen] == [0.5, 0.8, 1.0], "each threshold once, whichever client passed it"


async def test_a_cache_hit_costs_nothing_against_the_budget(fake: FakeOpenAIServer) -> None:
    ledger = MemoryCostLedger()
    async with client_for(fake, budgets=[Budget(1.0)], cache="memory://", cost_ledger=ledger) as client:
        await client.agenerate(MODEL, FOUR_WORDS, max_tokens=4)
        hit = await client.agenerate(MODEL, FOUR_WORDS, max_tokens=4)
        assert hit.cached
        assert await client.budget_book().counters.get("usd:all:total") == pytest.approx(CALL)
    assert [(e.cached, e.cost_usd) for e in ledger.entries] == [(False, pytest.approx(CALL)), (True, 0.0)]


async def test_a_gateway_counts_a_key_with_a_book_of_its_own() -> None:
    """No client needed: budgets made per request (a virtual key's), in any counter store."""
    book = BudgetBook([Budget(1.0, period="day")], MemoryCounters())
    key_budget = Budget(0.5, period="month", scope="key:ab12")
    hold = await book.reserve({}, 0.4, extra=[key_budget])
    assert hold is not None
    await book.settle(hold, 0.3)
    with pytest.raises(BudgetExceededError, match="key:ab12"):
        await book.reserve({}, 0.3, extra=[key_budget])
    assert await book.counters.get(f"usd:key:ab12:{period_id('month')}") == pytest.approx(0.3)
    assert await book.spent(key_budget) == pytest.approx(0.3)
    assert await book.spent(Budget(1.0, per="user"), {"team": "x"}) == 0.0
    assert await book.reserve({}, 0.1, extra=[]) is not None


# --------------------------------------------------------------------------- alerts


async def test_thresholds_alert_once_each_through_callbacks_log_and_webhook(
    fake: FakeOpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="lluminary.budget")
    seen: list[BudgetAlert] = []
    awaited: list[float] = []

    async def later(alert: BudgetAlert) -> None:
        await asyncio.sleep(0)
        awaited.append(alert.threshold)

    with WebhookReceiver() as hook:
        budget = Budget(0.010, period="day", name="team")
        client = client_for(fake, budgets=[budget], on_budget_alert=[seen.append, later], budget_webhook=hook.url)
        async with client:
            await client.agenerate(MODEL, FOUR_WORDS, max_tokens=4)  # 40%
            assert seen == []
            await client.agenerate(MODEL, FOUR_WORDS, max_tokens=4)  # 80%: 50 and 80 at once
            assert [a.threshold for a in seen] == [0.5, 0.8]
            for _ in range(3):  # refused: counts as 100%, once
                with pytest.raises(BudgetExceededError):
                    await client.agenerate(MODEL, FOUR_WORDS, max_tokens=4)
        bodies = hook.wait_for(3)
    assert [a.threshold for a in seen] == [0.5, 0.8, 1.0]
    assert awaited == [0.5, 0.8, 1.0]
    assert seen[1] == BudgetAlert("team", "all", period_id("day"), 0.8, pytest.approx(0.008), 0.010)
    assert sorted(b["threshold"] for b in bodies) == [0.5, 0.8, 1.0]
    assert bodies[0]["event"] == "budget.threshold"
    assert bodies[0]["name"] == "team"
    assert hook.paths == ["/hooks/secret-token-123"] * 3
    lines = [r.getMessage() for r in caplog.records if r.name == "lluminary.budget"]
    assert len(lines) == 3
    assert all(r.levelno == logging.WARNING for r in caplog.records)
    assert lines[1].startswith("budget team passed 80% in period ")


async def test_an_alert_gate_sends_each_threshold_once_across_processes(caplog: pytest.LogCaptureFixture) -> None:
    """Two gates on one counter store stand for two gateway processes counting the same key."""
    caplog.set_level(logging.WARNING, logger="lluminary.budget")
    counters = MemoryCounters()
    seen: list[tuple[str, float, float]] = []
    gates = [AlertGate(counters, Alerts(lambda a, n=n: seen.append((n, a.threshold, a.spent_usd)))) for n in "ab"]
    budget = {"label": "team", "scope": "key:ab12", "period": "2026-12", "limit": 1.0, "ttl": 60.0}
    thresholds = (1.0, 0.5, 0.8)  # sent lowest first, whatever the order given

    assert await gates[0].crossed(**budget, thresholds=thresholds, level=0.4) == []
    first = await gates[1].crossed(**budget, thresholds=thresholds, level=0.85)
    assert [a.threshold for a in first] == [0.5, 0.8]
    assert first[0] == BudgetAlert("team", "key:ab12", "2026-12", 0.5, 0.85, 1.0)
    # The other process passes 80% too: the flags in the store say both were sent.
    assert await gates[0].crossed(**budget, thresholds=thresholds, level=0.9) == []
    assert gates[0].pending("key:ab12", "2026-12", 1.0, thresholds)
    # A refusal reaches 100%: the alert reports the total, the level is the limit.
    refused = await gates[0].crossed(**budget, thresholds=thresholds, level=1.0, spent=0.95)
    assert [(a.threshold, a.spent_usd) for a in refused] == [(1.0, 0.95)]
    for gate in gates:
        assert await gate.crossed(**budget, thresholds=thresholds, level=2.0) == []
    assert seen == [("b", 0.5, 0.85), ("b", 0.8, 0.85), ("a", 1.0, 0.95)]
    assert not gates[0].pending("key:ab12", "2026-12", 1.0, thresholds)
    assert await counters.get("alert:key:ab12:2026-12:0.8") == 1.0
    # A new period starts over; a budget of $0 never alerts.
    assert len(await gates[0].crossed(**{**budget, "period": "2027-01"}, thresholds=thresholds, level=1)) == 3
    assert await gates[0].crossed(**{**budget, "limit": 0.0}, thresholds=thresholds, level=5) == []
    assert not gates[0].pending("key:ab12", "2026-12", 0.0, thresholds)
    assert len([r for r in caplog.records if r.name == "lluminary.budget"]) == 6


async def test_an_alert_gate_forgets_past_its_memory_but_the_store_remembers() -> None:
    counters = MemoryCounters()
    seen: list[str] = []
    gate = AlertGate(counters, Alerts(lambda a: seen.append(a.scope)), remember=2)
    for scope in ("s1", "s2", "s3", "s1", "s2"):
        await gate.crossed(label=scope, scope=scope, period="total", limit=1.0, thresholds=(0.5,), level=1.0)
    assert seen == ["s1", "s2", "s3"]
    assert "AlertGate" in repr(gate)


async def test_the_client_budget_alerts_too(fake: FakeOpenAIServer) -> None:
    seen: list[BudgetAlert] = []
    async with client_for(fake, budget=0.010, on_budget_alert=seen.append) as client:
        for _ in range(2):
            await client.agenerate(MODEL, FOUR_WORDS, max_tokens=4)
        assert [(a.scope, a.threshold) for a in seen] == [("client", 0.5), ("client", 0.8)]
        for _ in range(2):
            with pytest.raises(BudgetExceededError):
                await client.agenerate(MODEL, FOUR_WORDS, max_tokens=4)
    assert [a.threshold for a in seen] == [0.5, 0.8, 1.0]
    assert chats(fake) == 2


async def test_failing_alert_receivers_never_break_a_call(
    fake: FakeOpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="lluminary.budget")

    def broken(alert: BudgetAlert) -> None:
        raise RuntimeError("receiver down")

    with WebhookReceiver() as closed:
        dead_url = closed.url
    # Nothing listens on dead_url any more; and a webhook that answers 500 is logged the same way.
    with WebhookReceiver(status=500) as failing:
        for url in (dead_url, failing.url):
            fake.reset()
            client = client_for(fake, budgets=[Budget(CALL, alerts=(0.5,))], on_budget_alert=broken, budget_webhook=url)
            async with client:
                reply = await client.agenerate(MODEL, FOUR_WORDS, max_tokens=4)
                assert reply.text == FOUR_WORDS
        failing.wait_for(1)
    messages = [r.getMessage() for r in caplog.records if r.name == "lluminary.budget"]
    assert any("callback" in m and "receiver down" in m for m in messages)
    webhook_lines = [m for m in messages if "webhook" in m]
    assert len(webhook_lines) == 2, messages
    assert all("secret-token" not in m and "http://127.0.0.1:" in m for m in webhook_lines)


def test_the_sync_api_counts_and_alerts_the_same(fake: FakeOpenAIServer, tmp_path: Any) -> None:
    seen: list[float] = []
    ledger = f"sqlite://{tmp_path}/costs.db"
    with client_for(
        fake,
        budgets=[Budget(2 * CALL, per="user")],
        on_budget_alert=lambda a: seen.append(a.threshold),
        cost_ledger=ledger,
    ) as client:
        for _ in range(2):
            client.generate(MODEL, FOUR_WORDS, max_tokens=4, metadata={"user": "alice"})
        with pytest.raises(BudgetExceededError):
            client.generate(MODEL, FOUR_WORDS, max_tokens=4, metadata={"user": "alice"})
        with client.stream(MODEL, FOUR_WORDS, max_tokens=4, metadata={"user": "bob"}) as stream:
            assert stream.response().text == FOUR_WORDS
    assert seen == [0.5, 0.8, 1.0, 0.5], "alice's three, then bob's first (his own budget)"
    assert chats(fake) == 3
    from lluminary._cost_ledger import SQLiteCostLedger

    recorded = SQLiteCostLedger(f"{tmp_path}/costs.db").read()
    assert [(r.operation, r.tags["user"]) for r in recorded] == [
        ("generate", "alice"),
        ("generate", "alice"),
        ("stream", "bob"),
    ]
