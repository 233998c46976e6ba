"""Calls in, metric updates out.

A logical call is opened by :class:`~lluminary_prometheus._step.CallMetrics` (outside the cache,
fallback and retry steps) and closed once: when it answers, fails, or its stream ends, fails or is
closed early. What happened inside (failed attempts, retries, fallbacks) the kernel keeps in
``call.attempts``, read when the call ends; the answer carries its usage, cost and whether the
cache gave it. So the exporter needs no trace events, and a client it watches builds none.
"""

from __future__ import annotations

import time
from typing import Any

from ._metrics import Metrics
from ._series import Series

#: Raw (provider, model, operation, *tag values) keys whose series are remembered.
SERIES_CACHE_SIZE = 4096


def model_name(model: str) -> str:
    """``gpt-4o`` for ``openai:gpt-4o``: the provider is a label of its own."""
    prefix, colon, rest = model.partition(":")
    return rest if colon else prefix


class CallRecord:
    """One open logical call."""

    __slots__ = ("call", "series", "started", "cache_backend")

    def __init__(self, call: Any, series: Series, cache_backend: str | None) -> None:
        self.call = call
        self.series = series
        self.started = time.perf_counter()
        self.cache_backend = cache_backend


class Recorder:
    """Turns calls into counter, gauge and histogram updates."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self._labels: dict[tuple[str, str], tuple[str, str, str]] = {}
        self._series: dict[tuple[str, ...], Series] = {}
        self._tag_names = metrics.settings.tag_labels

    # ------------------------------------------------------------------ labels

    def _call_labels(self, model: str, operation: str) -> tuple[str, str, str]:
        key = (model, operation)
        labels = self._labels.get(key)
        if labels is None:
            bound = self.metrics.label_values
            provider = model.partition(":")[0]
            labels = (bound("provider", provider), bound("model", model_name(model)), bound("operation", operation))
            if len(self._labels) < SERIES_CACHE_SIZE:
                self._labels[key] = labels
        return labels

    def _call_series(self, model: str, operation: str, metadata: Any) -> Series:
        """The series of a call: its bounded call labels and tag labels."""
        names = self._tag_names
        if not names:
            key: tuple[str, ...] = (model, operation)
        elif metadata:
            key = (model, operation, *[str(metadata.get(name, "")) for name in names])
        else:
            key = (model, operation, *[""] * len(names))
        series = self._series.get(key)
        if series is None:
            bound = self.metrics.label_values
            tags = tuple(bound(name, value) for name, value in zip(names, key[2:], strict=True))
            series = self.metrics.series(self._call_labels(model, operation), tags)
            if len(self._series) < SERIES_CACHE_SIZE:
                self._series[key] = series
        return series

    # ------------------------------------------------------------------ calls

    def open_call(self, call: Any, cache_backend: str | None) -> CallRecord:
        request = call.request
        series = self._call_series(request.model, call.operation, request.metadata)
        record = CallRecord(call, series, cache_backend)
        series.start()
        return record

    def first_chunk(self, record: CallRecord) -> None:
        """A stream's first chunk arrived: the time since its answering attempt started."""
        call = record.call
        started, model = record.started, call.request.model
        for attempt in call.attempts:
            if attempt.kind != "failed":
                started, model = attempt.at, attempt.model
        labels = self._call_labels(model, call.operation)
        self.metrics.first_chunk.at(labels[:2]).observe(time.perf_counter() - started)

    def close_call(
        self, record: CallRecord, error: BaseException | None = None, response: Any = None, *, closed: bool = False
    ) -> None:
        """End a logical call: it answered (``response``), failed (``error``), or its stream was
        closed early (``closed``)."""
        call = record.call
        answered_by = self._attempts(record, error) if call.attempts or error is not None else call.request.model
        if error is not None:
            status = "error"
        elif closed:
            status = "closed"
        else:
            status = "ok"
            if response is not None and not response.cached:
                series = record.series
                if answered_by != call.request.model:  # a fallback answered: its labels, the call's tags
                    series = self.metrics.series(self._call_labels(answered_by, call.operation), series.tags)
                series.account(response.usage, response.cost, call.operation != "embed")
        record.series.finish(status, time.perf_counter() - record.started)
        backend = record.cache_backend
        if backend is not None:
            cached = response is not None and response.cached
            counter = self.metrics.cache_hits if cached else self.metrics.cache_misses
            counter.at((backend, record.series.labels[2])).inc()

    def _attempts(self, record: CallRecord, error: BaseException | None) -> str:
        """Count the failed attempts, retries and fallbacks of a call; return the model that
        answered (the last one tried)."""
        metrics = self.metrics
        call = record.call
        operation = call.operation
        call_labels = record.series.labels
        model: str = call.request.model
        tried = {model}
        last_failure: BaseException | None = None
        for attempt in call.attempts:
            if attempt.kind == "failed":
                last_failure = attempt.error
                error_label = metrics.label_values("error_type", type(attempt.error).__name__)
                metrics.errors.at((*self._call_labels(attempt.model, operation), error_label)).inc()
            elif attempt.kind == "retry":
                metrics.retries.at(self._call_labels(attempt.model, operation)).inc()
            elif attempt.model not in tried:
                tried.add(attempt.model)
                fallback = metrics.label_values("fallback_model", model_name(attempt.model))
                metrics.fallbacks.at((*call_labels, fallback)).inc()
            model = str(attempt.model)
        if error is not None and error is not last_failure:  # no attempt raised it: a deadline, a budget
            error_label = metrics.label_values("error_type", type(error).__name__)
            metrics.errors.at((*call_labels, error_label)).inc()
        return model
