"""The per-call metrics counted in plain Python read exactly as prometheus_client's own metrics do
(which multiprocess mode uses): the same families, samples, label values, bucket bounds and
counts, for the same updates."""

from __future__ import annotations

import re
import threading

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from lluminary import Cost, Usage
from lluminary_prometheus._config import Settings
from lluminary_prometheus._metrics import Metrics

BUCKETS = (0.01, 0.1, 1.0, 2.5)
UPDATES: list[tuple[tuple[str, str, str], tuple[str, ...], str, float, Usage | None, Cost | None, bool]] = [
    (("openai", "gpt-4o", "generate"), ("search",), "ok", 0.1, Usage(3, 5, cache_read_tokens=2), Cost(0.5, 1.25), True),
    (
        ("openai", "gpt-4o", "generate"),
        ("chat",),
        "ok",
        0.01,
        Usage(7, 1),
        Cost(0.25),
        True,
    ),  # on a bound: le counts it
    (("openai", "gpt-4o", "generate"), ("search",), "error", 3.0, None, None, True),  # above every bound: +Inf
    (("openai", "gpt-4o", "stream"), ("",), "closed", 0.0, Usage(1, 2, reasoning_tokens=9), None, True),
    (("cohere", "embed-v4", "embed"), ("search",), "ok", 0.5, Usage(11, 0), Cost(0.001), False),
]


def exposition(registry: CollectorRegistry) -> list[str]:
    """The text a scrape reads, without the ``_created`` timestamps (the times differ)."""
    text = generate_latest(registry).decode()
    return sorted(line for line in text.splitlines() if line and not re.match(r"\S+_created[{ ]", line))


def record(metrics: Metrics) -> None:
    for labels, tags, status, seconds, usage, cost, output in UPDATES:
        series = metrics.series(labels, tags)
        series.start()
        if usage is not None or cost is not None:
            series.account(usage, cost, output)
        series.finish(status, seconds)
    metrics.series(("openai", "gpt-4o", "generate"), ("search",)).start()  # one still in flight


def test_counted_series_read_as_prometheus_clients_own_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(tag_labels=("feature",), latency_buckets=BUCKETS)
    counted = CollectorRegistry()
    record(Metrics(counted, settings))
    # With the multiprocess variable set, the per-call metrics are prometheus_client's own (this
    # process's values stay in memory: its value class was chosen when it was imported).
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "/nonexistent")
    direct = CollectorRegistry()
    record(Metrics(direct, settings))
    assert exposition(counted) == exposition(direct)
    lines = exposition(counted)
    assert (
        'lluminary_request_duration_seconds_bucket{le="0.01",model="gpt-4o",operation="generate",provider="openai"} 1.0'
        in lines
    )
    assert 'lluminary_in_flight_requests{model="gpt-4o",operation="generate",provider="openai"} 1.0' in lines


def test_created_samples_follow_prometheus_clients_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    from prometheus_client import metrics

    registry = CollectorRegistry()
    record(Metrics(registry, Settings()))
    assert "lluminary_requests_created{" in generate_latest(registry).decode()
    monkeypatch.setattr(metrics, "_use_created", False)
    assert "_created" not in generate_latest(registry).decode()


def test_updates_from_many_threads_all_count() -> None:
    registry = CollectorRegistry()
    metrics = Metrics(registry, Settings())
    series = metrics.series(("openai", "gpt-4o", "generate"), ())

    def calls() -> None:
        for _ in range(2_000):
            series.start()
            series.account(Usage(1, 2), Cost(0.5), True)
            series.finish("ok", 0.2)

    threads = [threading.Thread(target=calls) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    labels = {"provider": "openai", "model": "gpt-4o", "operation": "generate"}
    assert registry.get_sample_value("lluminary_requests_total", {**labels, "status": "ok"}) == 16_000
    assert registry.get_sample_value("lluminary_tokens_total", {**labels, "type": "output"}) == 32_000
    assert registry.get_sample_value("lluminary_cost_usd_total", labels) == pytest.approx(8_000)
    assert registry.get_sample_value("lluminary_request_duration_seconds_count", labels) == 16_000
    assert registry.get_sample_value("lluminary_in_flight_requests", labels) == 0
