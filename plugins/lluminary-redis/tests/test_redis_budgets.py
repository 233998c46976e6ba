"""One budget shared by 8 processes through a real redis-server: each process sends 25 calls at
once to the testing kit's fake OpenAI server, with a known price, under
``Client(budgets=[Budget(...)], counters="redis://...")``.

What must hold:

* every refused call raised ``BudgetExceededError`` before it was sent: the server saw exactly
  the admitted calls;
* the totals add up: the Redis counter, the processes' own sums and the shared SQLite cost
  ledger all say the same;
* the spend passes the limit ``L`` by at most what the estimates of the admitted calls got
  wrong. With ``A`` the real cost of a call, ``E`` its reserved estimate and ``N`` the calls
  admitted: every admission kept (settled costs + estimates in flight + ``E``) <= ``L``, so
  ``N * E <= L`` and the spend ``N * A <= L + N * (A - E)``. When the estimate is exact
  (``A == E``) the spend never passes ``L``, and exactly ``floor(L / A)`` calls get through;
* each alert threshold fires once in all, whichever process passed it (webhook POSTs counted
  at a loopback server).
"""

from __future__ import annotations

import asyncio
import json
import math
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lluminary_testing.openai_server import FakeOpenAIServer
from lluminary_testing.redis import RedisServer
from lluminary_testing.webhook import WebhookReceiver

pytestmark = pytest.mark.integration

PROCESSES = 8
CALLS_EACH = 25
#: $1000 per million output tokens, input free: each word of the prompt, echoed back by the fake
#: server as one output token, costs $0.001.
OUTPUT_PRICE = 1000.0
PROMPT = "w1 w2 w3 w4 w5 w6 w7 w8"  # eight words: every call really costs $0.008
ACTUAL = 8 * OUTPUT_PRICE / 1e6

#: What each process runs: argv[1] is its settings as JSON. It prints one JSON line.
_WORKER = textwrap.dedent("""
    import asyncio, json, sys, time

    import lluminary
    from lluminary import Budget, Client
    from lluminary.sdk import BudgetExceededError, ChatResponse
    from lluminary_testing.wire_chat import WireChat

    async def main(settings):
        lluminary.register(WireChat(), name="wire")
        alerts = []
        client = Client(
            cache=False,
            retries=1,
            exporters=[],
            prices={"wire:gpt-test": {"input": 0.0, "output": settings["price"]}},
            providers={"wire": {"base_url": settings["base_url"], "api_key": "sk-test-shared-budget-000000"}},
            budgets=[Budget(settings["limit"], period="day", scope=settings["scope"])],
            counters=settings["counters"],
            cost_ledger=settings["ledger"],
            on_budget_alert=lambda alert: alerts.append(alert.threshold),
            budget_webhook=settings["webhook"],
        )
        async with client:
            await client.budget_book().counters.get("warm-up")  # connected before the start line
            time.sleep(max(0.0, settings["start"] - time.time()))
            outcomes = await asyncio.gather(
                *(client.agenerate("wire:gpt-test", settings["prompt"], max_tokens=settings["max_tokens"])
                  for _ in range(settings["calls"])),
                return_exceptions=True,
            )
        admitted = [o for o in outcomes if isinstance(o, ChatResponse)]
        refused = [o for o in outcomes if isinstance(o, BudgetExceededError)]
        others = [repr(o) for o in outcomes if not isinstance(o, (ChatResponse, BudgetExceededError))]
        print(json.dumps({
            "admitted": len(admitted),
            "refused": len(refused),
            "others": others,
            "spent": sum(r.cost.total for r in admitted),
            "alerts": alerts,
        }))

    asyncio.run(main(json.loads(sys.argv[1])))
    """)


@pytest.fixture
def fake() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        yield server


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver(path="/alerts") as hook:
        yield hook


def run_workers(
    fake: FakeOpenAIServer,
    redis_server: RedisServer,
    webhook: WebhookReceiver,
    tmp_path: Path,
    limit: float,
    max_tokens: int,
) -> tuple[list[dict[str, Any]], str]:
    namespace = f"shared-{uuid.uuid4().hex[:8]}"
    settings = {
        "base_url": fake.base_url,
        "counters": f"{redis_server.url}?namespace={namespace}&timeout=5&connect_timeout=5",  # a loaded test box
        "ledger": f"sqlite://{tmp_path}/costs.db",
        "webhook": webhook.url,
        "scope": "key:team-a",
        "limit": limit,
        "price": OUTPUT_PRICE,
        "prompt": PROMPT,
        "max_tokens": max_tokens,
        "calls": CALLS_EACH,
        "start": time.time() + 3.0,
    }
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, json.dumps(settings)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(PROCESSES)
    ]
    results = []
    for worker in workers:
        stdout, stderr = worker.communicate(timeout=120)
        assert worker.returncode == 0, stderr.decode()
        results.append(json.loads(stdout.decode().strip().splitlines()[-1]))
    return results, settings["counters"]


async def counter_total(url: str, key: str) -> float:
    from lluminary import Client

    async with Client(cache=False, exporters=[]) as client:
        return await client.open_counters(url).get(key)


def ledger_total(tmp_path: Path) -> tuple[int, float]:
    from lluminary import Client

    async def read() -> tuple[int, float]:
        async with Client(cache=False, exporters=[], cost_ledger=f"sqlite://{tmp_path}/costs.db") as client:
            assert client.cost_ledger is not None
            records = await client.cost_ledger.records()
        return len(records), sum(r.cost_usd or 0.0 for r in records)

    return asyncio.run(read())


def check_common(
    results: list[dict[str, Any]], fake: FakeOpenAIServer, tmp_path: Path, webhook: WebhookReceiver
) -> tuple[int, float]:
    assert all(not r["others"] for r in results), [r["others"] for r in results]
    admitted = sum(r["admitted"] for r in results)
    refused = sum(r["refused"] for r in results)
    assert admitted + refused == PROCESSES * CALLS_EACH
    assert refused > 0, "the budget was never reached: the test proves nothing"
    sent = sum(1 for r in fake.requests if r.path == "/v1/chat/completions")
    assert sent == admitted, "a refused call reached the server"
    spent = sum(r["spent"] for r in results)
    assert spent == pytest.approx(admitted * ACTUAL)
    rows, recorded = ledger_total(tmp_path)
    assert (rows, recorded) == (admitted, pytest.approx(spent)), "the shared cost ledger disagrees"
    thresholds = sorted(a for r in results for a in r["alerts"])
    assert thresholds == [0.5, 0.8, 1.0], "each threshold alerts once across all processes"
    deadline = time.time() + 5
    while len(webhook.bodies) < 3 and time.time() < deadline:
        time.sleep(0.05)
    assert sorted(b["threshold"] for b in webhook.bodies) == [0.5, 0.8, 1.0]
    return admitted, spent


def test_an_exact_estimate_never_passes_the_budget(
    fake: FakeOpenAIServer, redis_server: RedisServer, webhook: WebhookReceiver, tmp_path: Path
) -> None:
    """``max_tokens`` = the words echoed: the estimate is the cost, so exactly 60 of 200 calls
    fit in a budget of 60 calls, and the spend is the budget to the nano-dollar."""
    limit = 60 * ACTUAL
    results, counters = run_workers(fake, redis_server, webhook, tmp_path, limit, max_tokens=8)
    admitted, spent = check_common(results, fake, tmp_path, webhook)
    assert admitted == math.floor(limit / ACTUAL + 1e-9) == 60
    assert spent <= limit + 1e-12
    from lluminary.sdk import period_id

    assert asyncio.run(counter_total(counters, f"usd:key:team-a:{period_id('day')}")) == pytest.approx(spent, abs=1e-9)
    print(f"\nexact estimates: {admitted} of {PROCESSES * CALLS_EACH} admitted, spent ${spent:.6f} of ${limit:.6f}")


def test_an_underestimate_passes_the_budget_by_at_most_what_the_admitted_calls_got_wrong(
    fake: FakeOpenAIServer, redis_server: RedisServer, webhook: WebhookReceiver, tmp_path: Path
) -> None:
    """``max_tokens=4`` while the answer takes 8 tokens: each call reserves half its cost. The
    spend may pass the limit, by at most ``N * (A - E)``; and at least ``L / A`` calls got in."""
    limit = 60 * ACTUAL
    estimate = 4 * OUTPUT_PRICE / 1e6
    results, counters = run_workers(fake, redis_server, webhook, tmp_path, limit, max_tokens=4)
    admitted, spent = check_common(results, fake, tmp_path, webhook)
    assert admitted * estimate <= limit + 1e-12, "an admission let the reservations pass the limit"
    assert spent <= limit + admitted * (ACTUAL - estimate) + 1e-12
    assert admitted >= 60, "calls were refused while the budget had room"
    from lluminary.sdk import period_id

    assert asyncio.run(counter_total(counters, f"usd:key:team-a:{period_id('day')}")) == pytest.approx(spent, abs=1e-9)
    print(
        f"\nunderestimates (E = A / 2): {admitted} of {PROCESSES * CALLS_EACH} admitted, spent ${spent:.6f}"
        f" of ${limit:.6f} (over by ${max(spent - limit, 0):.6f}; bound ${admitted * (ACTUAL - estimate):.6f})"
    )


def test_a_redis_outage_fails_closed_unless_told_to_fail_open(
    fake: FakeOpenAIServer, redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Closed (the default): the call raises ``CounterUnavailableError`` and is not sent. Open:
    it goes through uncounted, with a warning."""
    import lluminary
    from lluminary import Budget, Client
    from lluminary.sdk import CounterUnavailableError

    sent: list[str] = []

    class Echo(lluminary.Provider):
        name = "echo"

        async def generate(self, request: Any) -> Any:
            from lluminary.sdk import ChatResponse, Message, TextPart

            sent.append(request.model)
            return ChatResponse(Message("assistant", (TextPart("ok"),)))

    lluminary.register(Echo(), name="echo-outage")
    url = f"{redis_server.url}?namespace=outage&backoff=0.1&timeout=0.3&connect_timeout=0.3"
    redis_server.stop()

    async def call(fail_open: bool) -> str:
        budgets = [Budget(1.0)]
        prices = {"echo:m": {"input": 1.0, "output": 1.0}}
        async with Client(
            cache=False, exporters=[], budgets=budgets, counters=url, prices=prices, budget_fail_open=fail_open
        ) as client:
            return (await client.agenerate("echo:m", "hi", max_tokens=5)).text

    try:
        with pytest.raises(CounterUnavailableError, match="unavailable"):
            asyncio.run(call(fail_open=False))
        assert sent == []
        assert asyncio.run(call(fail_open=True)) == "ok"
        assert sent == ["echo:m"]
    finally:
        lluminary.unregister(name="echo-outage")
        redis_server.start()
    assert "budgets not counted for this call" in caplog.text
