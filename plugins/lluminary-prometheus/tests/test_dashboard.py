"""The Grafana dashboard shipped in the package asks only for series this exporter exports."""

from __future__ import annotations

from typing import Any

import pytest

from lluminary import RateLimitError, Usage
from lluminary_testing.scenario import ErrorScenario, Scenario

from .conftest import FAST_RETRY, MODEL
from .promql import dashboard, expressions, metric_names

SUFFIXES = ("_bucket", "_sum", "_count", "_total", "_created")


def test_the_tokenizer_finds_metric_names_only() -> None:
    expression = (
        'histogram_quantile(0.95, sum by (le, model) (rate(a_seconds_bucket{model=~"$model", x="y"}[$__rate_interval])))'
        " / on (model) group_left (provider) sum without (type) (b_total offset 5m) > bool 1e3 and c"
    )
    assert metric_names(expression) == {"a_seconds_bucket", "b_total", "c"}
    assert metric_names('sum(rate(lluminary_cost_usd_total{status="error"}[1m])) * 3600') == {
        "lluminary_cost_usd_total"
    }
    assert metric_names("label_values(x_total, provider)") == {"x_total", "provider"}  # no label list there


async def exported_series(harness: Any) -> set[str]:
    """Every series name the exporter writes after calls of every kind."""
    h = harness({"tag_labels": ["feature"]}, cache="memory://", retries=FAST_RETRY)
    tag = {"metadata": {"feature": "search"}}
    h.server.script(
        ErrorScenario("rate_limit", retry_after=0),
        Scenario("ok", usage=Usage(10, 5)),
        Scenario(["st", "ream"]),
        ErrorScenario("not_found"),
        Scenario("fallback"),
    )
    await h.client.agenerate(MODEL, "retried", **tag)
    await h.client.agenerate(MODEL, "retried", **tag)  # a cache hit
    await h.client.astream(MODEL, "streamed", **tag).response()
    await h.client.agenerate(MODEL, "falls back", fallbacks=["openai:gpt-4o"], **tag)
    h.server.script(
        ErrorScenario("rate_limit", retry_after=0), ErrorScenario("rate_limit"), ErrorScenario("rate_limit")
    )
    with pytest.raises(RateLimitError):
        await h.client.agenerate(MODEL, "fails", cache=False)
    return {sample.name for family in h.registry.collect() for sample in family.samples}


async def test_every_panel_and_variable_references_exported_series(harness: Any) -> None:
    series = await exported_series(harness)
    families = {name.removesuffix(suffix) for name in series for suffix in SUFFIXES if name.endswith(suffix)}
    board = dashboard()
    checked = 0
    for where, expression in expressions(board):
        names = metric_names(expression)
        assert names, f"{where}: no metric in {expression!r}"
        for name in names:
            assert name in series, f"{where}: {name!r} is not a series the exporter exports ({sorted(series)})"
            checked += 1
    assert checked >= 15
    # Every metric the exporter has shows up on the dashboard somewhere.
    used = {name for _, expression in expressions(board) for name in metric_names(expression)}
    shown = {name.removesuffix(suffix) for name in used for suffix in SUFFIXES if name.endswith(suffix)}
    assert families <= shown, families - shown
    assert "lluminary_in_flight_requests" in used


def test_the_dashboard_has_the_panels_the_issue_asks_for() -> None:
    board = dashboard()
    titles = " | ".join(panel["title"].lower() for panel in board["panels"])
    for wanted in (
        "cost per model",
        "cost per tag",
        "tokens",
        "p50 / p95",
        "first chunk",
        "error rate",
        "cache hit ratio",
        "in-flight",
    ):
        assert wanted in titles
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in board["panels"]:
        assert panel["datasource"]["uid"] == "${datasource}"
