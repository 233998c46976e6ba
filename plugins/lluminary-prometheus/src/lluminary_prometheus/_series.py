"""The metrics every call updates (requests, tokens, cost, latency, in-flight), one object per
label set.

In one process they are counted in plain Python and read by a collector when Prometheus scrapes:
a call then costs a few additions under one lock, where prometheus_client would take a lock and
several method calls per metric. In multiprocess mode a scrape reads the files each process
writes, so :class:`DirectSeries` updates prometheus_client's own metrics instead.
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_left
from collections.abc import Iterator
from typing import Any, Protocol

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from prometheus_client.utils import INF, floatToGoString

CALL_LABELS = ("provider", "model", "operation")

#: Usage field -> the ``type`` label of ``lluminary_tokens_total`` (input and output always, the
#: others when non-zero).
TOKEN_TYPES = (
    ("cache_read_tokens", "cache_read"),
    ("cache_write_tokens", "cache_creation"),
    ("reasoning_tokens", "reasoning"),
)

REQUESTS = (
    "lluminary_requests",
    "Logical calls (every retry and fallback included) by how they ended: ok, error, or closed early.",
)
TOKENS = (
    "lluminary_tokens",
    "Tokens reported by providers, by type: input, output, cache_read, cache_creation, reasoning.",
)
COST = ("lluminary_cost_usd", "Cost of answered calls in US dollars, from the model catalogue's prices.")
DURATION = ("lluminary_request_duration_seconds", "Time a logical call took, to the end of its stream for streams.")
IN_FLIGHT = (
    "lluminary_in_flight_requests",
    "Logical calls started and not yet ended (a stream until it ends or is closed).",
)


class Series(Protocol):
    """The per-call metrics of one ``(provider, model, operation, *tags)`` label set."""

    labels: tuple[str, str, str]
    tags: tuple[str, ...]

    def start(self) -> None:
        """A call began."""

    def finish(self, status: str, seconds: float) -> None:
        """A call ended with ``status`` (ok, error, closed) after ``seconds``."""

    def account(self, usage: Any, cost: Any, output: bool) -> None:
        """An answer's tokens (``output``: whether output tokens count, not for embeddings) and
        cost (None: unpriced)."""


class CountedSeries:
    """A label set counted in plain Python, under its collector's lock."""

    __slots__ = (
        "labels",
        "tags",
        "created",
        "in_flight",
        "requests",
        "tokens",
        "cost",
        "buckets",
        "seconds",
        "_lock",
        "_bounds",
    )

    def __init__(
        self, labels: tuple[str, str, str], tags: tuple[str, ...], bounds: tuple[float, ...], lock: threading.Lock
    ) -> None:
        self.labels = labels
        self.tags = tags
        self.created = time.time()
        self.in_flight = 0
        self.requests: dict[str, int] = {}
        self.tokens: dict[str, int] = {}
        self.cost: float | None = None
        self.buckets = [0] * (len(bounds) + 1)  # per bucket, not cumulative; the last is +Inf
        self.seconds = 0.0
        self._lock = lock
        self._bounds = bounds

    def start(self) -> None:
        with self._lock:
            self.in_flight += 1

    def finish(self, status: str, seconds: float) -> None:
        index = bisect_left(self._bounds, seconds)  # a bound is inclusive: le="0.1" counts 0.1
        with self._lock:
            self.in_flight -= 1
            requests = self.requests
            requests[status] = requests.get(status, 0) + 1
            self.buckets[index] += 1
            self.seconds += seconds

    def account(self, usage: Any, cost: Any, output: bool) -> None:
        with self._lock:
            if usage is not None:
                tokens = self.tokens
                tokens["input"] = tokens.get("input", 0) + usage.input_tokens
                if output:
                    tokens["output"] = tokens.get("output", 0) + usage.output_tokens
                for field, token_type in TOKEN_TYPES:
                    count = getattr(usage, field)
                    if count:
                        tokens[token_type] = tokens.get(token_type, 0) + count
            if cost is not None:
                self.cost = (self.cost or 0.0) + cost.total


class SeriesCollector(Collector):
    """Reads every :class:`CountedSeries` of one registry when it is scraped, as the same
    families, names and labels prometheus_client's own metrics would have."""

    def __init__(self, tag_labels: tuple[str, ...], bounds: tuple[float, ...]) -> None:
        self.tag_labels = tag_labels
        self.bounds = tuple(bound for bound in bounds if bound != INF)  # +Inf is always the last bucket
        self.lock = threading.Lock()
        self.series: dict[tuple[tuple[str, str, str], tuple[str, ...]], CountedSeries] = {}

    def get(self, labels: tuple[str, str, str], tags: tuple[str, ...]) -> CountedSeries:
        key = (labels, tags)
        series = self.series.get(key)
        if series is None:
            with self.lock:
                series = self.series.get(key)
                if series is None:
                    series = self.series[key] = CountedSeries(labels, tags, self.bounds, self.lock)
        return series

    def describe(self) -> Iterator[Any]:
        return iter(self._families())

    def collect(self) -> Iterator[Any]:
        requests, tokens, cost, duration, in_flight = families = self._families()
        created = _created_samples_enabled()
        by_call: dict[tuple[str, str, str], tuple[list[int], list[float], float]] = {}
        with self.lock:
            snapshot = [
                (
                    s.labels,
                    s.tags,
                    s.created,
                    s.in_flight,
                    dict(s.requests),
                    dict(s.tokens),
                    s.cost,
                    list(s.buckets),
                    s.seconds,
                )
                for s in self.series.values()
            ]
        for labels, tags, since, flying, statuses, counted, spent, buckets, seconds in snapshot:
            stamp = since if created else None
            for status, count in statuses.items():
                requests.add_metric([*labels, status, *tags], count, created=stamp)
            for token_type, count in counted.items():
                tokens.add_metric([*labels, token_type, *tags], count, created=stamp)
            if spent is not None:
                cost.add_metric([*labels, *tags], spent, created=stamp)
            # Latency and in-flight have no tag labels: the series of one call label set add up.
            known = by_call.get(labels)
            if known is None:
                by_call[labels] = (buckets, [seconds, flying], since)
            else:
                total, sums, first = known
                for index, count in enumerate(buckets):
                    total[index] += count
                sums[0] += seconds
                sums[1] += flying
                by_call[labels] = (total, sums, min(first, since))
        bounds = [*(_bound(b) for b in self.bounds), "+Inf"]
        for labels, (buckets, (total_seconds, in_flight_now), since) in by_call.items():
            cumulative: list[tuple[str, float]] = []
            running = 0
            for bound, count in zip(bounds, buckets, strict=True):
                running += count
                cumulative.append((bound, float(running)))
            duration.add_metric(list(labels), cumulative, total_seconds)
            if created:
                duration.add_sample(duration.name + "_created", dict(zip(CALL_LABELS, labels, strict=True)), since)
            in_flight.add_metric(list(labels), in_flight_now)
        return iter(families)

    def _families(self) -> list[Any]:
        tags = list(self.tag_labels)
        return [
            CounterMetricFamily(*REQUESTS, labels=[*CALL_LABELS, "status", *tags]),
            CounterMetricFamily(*TOKENS, labels=[*CALL_LABELS, "type", *tags]),
            CounterMetricFamily(*COST, labels=[*CALL_LABELS, *tags]),
            HistogramMetricFamily(*DURATION, labels=list(CALL_LABELS)),
            GaugeMetricFamily(*IN_FLIGHT, labels=list(CALL_LABELS)),
        ]


def _bound(value: float) -> str:
    """A bucket bound as prometheus_client writes it (``0.1``, ``1.0``)."""
    return str(floatToGoString(value))  # type: ignore[no-untyped-call]


def _created_samples_enabled() -> bool:
    """Whether ``_created`` samples are written: prometheus_client leaves them out after
    ``disable_created_metrics()`` or with ``PROMETHEUS_DISABLE_CREATED_SERIES``; its own metrics
    read that flag at scrape time, and so does this collector."""
    from prometheus_client import metrics

    return bool(getattr(metrics, "_use_created", True))


class DirectSeries:
    """A label set whose updates go straight to prometheus_client's metrics (multiprocess mode,
    where each update lands in this process's memory-mapped file)."""

    __slots__ = ("labels", "tags", "_metrics")

    def __init__(self, labels: tuple[str, str, str], tags: tuple[str, ...], metrics: Any) -> None:
        self.labels = labels
        self.tags = tags
        self._metrics = metrics

    def start(self) -> None:
        self._metrics.in_flight.at(self.labels).inc()

    def finish(self, status: str, seconds: float) -> None:
        metrics = self._metrics
        metrics.in_flight.at(self.labels).dec()
        metrics.requests.at((*self.labels, status, *self.tags)).inc()
        metrics.duration.at(self.labels).observe(seconds)

    def account(self, usage: Any, cost: Any, output: bool) -> None:
        labels, tags = self.labels, self.tags
        if usage is not None:
            tokens = self._metrics.tokens
            tokens.at((*labels, "input", *tags)).inc(usage.input_tokens)
            if output:
                tokens.at((*labels, "output", *tags)).inc(usage.output_tokens)
            for field, token_type in TOKEN_TYPES:
                count = getattr(usage, field)
                if count:
                    tokens.at((*labels, token_type, *tags)).inc(count)
        if cost is not None:
            self._metrics.cost.at((*labels, *tags)).inc(cost.total)
