"""The metric families, made once per registry. prometheus_client refuses a second family of the
same name in one registry, so exporters that share a registry share these objects; they must then
agree on the labels (see :func:`metrics_for`)."""

from __future__ import annotations

import os
import threading
import weakref
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

from lluminary import ConfigurationError

from ._config import Settings
from ._labels import LabelValues
from ._series import (
    CALL_LABELS,
    COST,
    DURATION,
    IN_FLIGHT,
    REQUESTS,
    TOKENS,
    DirectSeries,
    Series,
    SeriesCollector,
)


class Family:
    """A metric and its children by label values: ``labels()`` checks and hashes its arguments on
    every call, a dict lookup here does not (the bounded label values keep this dict bounded)."""

    __slots__ = ("metric", "_children")

    def __init__(self, metric: Any) -> None:
        self.metric = metric
        self._children: dict[tuple[str, ...], Any] = {}

    def at(self, labels: tuple[str, ...]) -> Any:
        child = self._children.get(labels)
        if child is None:
            child = self._children[labels] = self.metric.labels(*labels)
        return child


def _multiprocess() -> bool:
    # prometheus_client still honours the old lower-case name too.
    legacy = os.environ.get("prometheus_multiproc_dir")  # noqa: SIM112
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or legacy)


class Metrics:
    """Every lluminary metric of one registry, and the bounded label values they share."""

    def __init__(self, registry: CollectorRegistry, settings: Settings) -> None:
        self.settings = settings
        self.label_values = LabelValues(settings.max_label_values)
        tags = settings.tag_labels
        self._series: dict[tuple[tuple[str, str, str], tuple[str, ...]], Series] = {}
        self._counted: SeriesCollector | None = None
        if _multiprocess():
            self._direct_metrics(registry, settings)
        else:
            self._counted = SeriesCollector(tags, settings.latency_buckets)
            registry.register(self._counted)
        self.first_chunk = Family(
            Histogram(
                "lluminary_time_to_first_chunk_seconds",
                "Time from the start of the answering attempt to the first chunk of a stream.",
                ["provider", "model"],
                buckets=settings.ttfc_buckets,
                registry=registry,
            )
        )
        self.errors = Family(
            Counter(
                "lluminary_errors",
                "Failures by error type: every failed attempt, and a call's own error when no attempt reported it.",
                [*CALL_LABELS, "error_type"],
                registry=registry,
            )
        )
        self.retries = Family(
            Counter(
                "lluminary_retries",
                "Attempts after the first on the same model.",
                CALL_LABELS,
                registry=registry,
            )
        )
        self.fallbacks = Family(
            Counter(
                "lluminary_fallbacks",
                "Fallback models tried after the model asked for failed.",
                [*CALL_LABELS, "fallback_model"],
                registry=registry,
            )
        )
        self.cache_hits = Family(
            Counter(
                "lluminary_cache_hits",
                "Calls answered by the response cache, by cache backend.",
                ["backend", "operation"],
                registry=registry,
            )
        )
        self.cache_misses = Family(
            Counter(
                "lluminary_cache_misses",
                "Cacheable calls the response cache could not answer, by cache backend.",
                ["backend", "operation"],
                registry=registry,
            )
        )

    def series(self, labels: tuple[str, str, str], tags: tuple[str, ...]) -> Series:
        """The per-call metrics of one label set (bounded values: the set of them is bounded)."""
        if self._counted is not None:
            return self._counted.get(labels, tags)
        key = (labels, tags)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = DirectSeries(labels, tags, self)
        return series

    def _direct_metrics(self, registry: CollectorRegistry, settings: Settings) -> None:
        """prometheus_client's own metrics for what every call updates (multiprocess mode)."""
        tags = settings.tag_labels
        self.requests = Family(Counter(*REQUESTS, [*CALL_LABELS, "status", *tags], registry=registry))
        self.tokens = Family(Counter(*TOKENS, [*CALL_LABELS, "type", *tags], registry=registry))
        self.cost = Family(Counter(*COST, [*CALL_LABELS, *tags], registry=registry))
        self.duration = Family(Histogram(*DURATION, CALL_LABELS, buckets=settings.latency_buckets, registry=registry))
        self.in_flight = Family(Gauge(*IN_FLIGHT, CALL_LABELS, registry=registry, multiprocess_mode="livesum"))


_made: weakref.WeakKeyDictionary[CollectorRegistry, Metrics] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def metrics_for(registry: CollectorRegistry | None, settings: Settings) -> Metrics:
    """The metrics of ``registry`` (None: prometheus_client's default), made on first use."""
    target: Any = REGISTRY if registry is None else registry
    with _lock:
        made = _made.get(target)
        if made is None:
            made = _made[target] = Metrics(target, settings)
        elif made.settings != settings:
            raise ConfigurationError(
                "this registry already has lluminary metrics with other settings "
                f"({made.settings!r}); give this exporter a registry of its own"
            )
        return made
