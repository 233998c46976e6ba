"""End to end: a real Prometheus server scrapes the exporter's HTTP endpoint, and its HTTP API
answers for lluminary's series after a few calls: tokens, cost, and a latency quantile."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import lluminary_prometheus
from lluminary import Usage
from lluminary_testing.scenario import Scenario

from .conftest import MODEL
from .promql import dashboard, expressions, substituted


async def test_prometheus_scrapes_tokens_cost_and_a_latency_quantile(harness: Any, prometheus_server: Any) -> None:
    h = harness({"tag_labels": ["feature"]})
    server, _thread = lluminary_prometheus.start_http_server(0, registry=h.registry)
    try:
        h.server.script(*[Scenario("hi", usage=Usage(100, 20)) for _ in range(3)])
        await h.client.agenerate(MODEL, "first", metadata={"feature": "chat"})
        target = f"127.0.0.1:{server.server_port}"
        await asyncio.to_thread(prometheus_server.scrape, target)
        # The series exist now; calls after this scrape make the rates non-zero.
        await asyncio.to_thread(prometheus_server.wait_for, "lluminary_requests_total")
        for prompt in ("second", "third"):
            await h.client.agenerate(MODEL, prompt, metadata={"feature": "chat"})
        tokens = await asyncio.to_thread(prometheus_server.wait_for, 'sum(lluminary_tokens_total{type="input"}) == 300')
        assert float(tokens[0]["value"][1]) == 300
        cost = await asyncio.to_thread(prometheus_server.wait_for, "sum by (feature) (lluminary_cost_usd_total)")
        assert cost[0]["metric"] == {"feature": "chat"}
        assert math.isclose(float(cost[0]["value"][1]), h.client.cost.total, rel_tol=1e-9)
        p50 = await asyncio.to_thread(
            prometheus_server.wait_for,
            "histogram_quantile(0.5, sum by (le) (rate(lluminary_request_duration_seconds_bucket[1m])))",
        )
        assert 0 < float(p50[0]["value"][1]) < 5
        # Every dashboard expression is PromQL this Prometheus accepts.
        for _where, expression in expressions(dashboard()):
            await asyncio.to_thread(prometheus_server.query, substituted(expression))
    finally:
        server.shutdown()
        server.server_close()
