"""Calls and trace events in, metric updates out.

A logical call is opened by :class:`~lluminary_prometheus._step.CallMetrics` (outside the cache,
fallback and retry steps) and closed once: when it answers, fails, or its stream ends, fails or is
closed early. In between, the kernel's trace events for its attempts say what happened inside:
retries, fallbacks, errors, the first chunk, usage and cost, a cache hit. Calls no step opened
(an extension emitting events of its own) are counted from their ``start`` to their
``end``/``error``.
"""

from __future__ import annotations

import time
from typing import Any

from ._metrics import Metrics

#: Usage field -> the ``type`` label of ``lluminary_tokens_total`` (input and output always, the
#: others when non-zero).
TOKEN_TYPES = (
    ("cache_read_tokens", "cache_read"),
    ("cache_write_tokens", "cache_creation"),
    ("reasoning_tokens", "reasoning"),
)


#: Raw (provider, model, operation) triples whose bounded labels are remembered.
LABEL_CACHE_SIZE = 4096


def model_name(model: str) -> str:
    """``gpt-4o`` for ``openai:gpt-4o``: the provider is a label of its own."""
    prefix, colon, rest = model.partition(":")
    return rest if colon else prefix


class CallRecord:
    """One open logical call."""

    __slots__ = (
        "labels",
        "tags",
        "request_model",
        "started",
        "by_events",
        "tried",
        "cache_backend",
        "cache_hit",
        "closed_early",
        "last_error_type",
    )

    def __init__(self, labels: tuple[str, str, str], tags: tuple[str, ...], request_model: str, by_events: bool):
        self.labels = labels
        self.tags = tags
        self.request_model = request_model
        self.started = time.perf_counter()
        self.by_events = by_events
        self.tried: tuple[str, ...] = (request_model,)
        self.cache_backend: str | None = None
        self.cache_hit = False
        self.closed_early = False
        self.last_error_type: str | None = None


class Recorder:
    """Turns calls and trace events into counter, gauge and histogram updates."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self.calls: dict[str, CallRecord] = {}
        self._labels: dict[tuple[str, str, str], tuple[str, str, str]] = {}

    # ------------------------------------------------------------------ labels

    def _call_labels(self, provider: str, model: str, operation: str) -> tuple[str, str, str]:
        key = (provider, model, operation)
        labels = self._labels.get(key)
        if labels is None:
            bound = self.metrics.label_values
            labels = (bound("provider", provider), bound("model", model_name(model)), bound("operation", operation))
            if len(self._labels) < LABEL_CACHE_SIZE:
                self._labels[key] = labels
        return labels

    def _tags(self, metadata: Any) -> tuple[str, ...]:
        names = self.metrics.settings.tag_labels
        if not names:
            return ()
        bound = self.metrics.label_values
        return tuple(bound(name, str(metadata.get(name, "")) if metadata else "") for name in names)

    # ------------------------------------------------------------------ calls (the middleware)

    def open_call(self, call_id: str, operation: str, request: Any, cache_backend: str | None) -> CallRecord:
        labels = self._call_labels(request.provider, request.model, operation)
        record = CallRecord(labels, self._tags(getattr(request, "metadata", None)), request.model, False)
        record.cache_backend = cache_backend
        self.calls[call_id] = record
        self.metrics.in_flight.at(labels).inc()
        return record

    def close_call(self, call_id: str, error: BaseException | None = None, *, closed: bool = False) -> None:
        """End a logical call: it answered (no ``error``), failed, or its stream was closed early."""
        record = self.calls.pop(call_id, None)
        if record is None:
            return
        if error is not None:
            error_type = type(error).__name__
            if error_type != record.last_error_type:  # no attempt reported it: a deadline, a budget
                error_label = self.metrics.label_values("error_type", error_type)
                self.metrics.errors.at((*record.labels, error_label)).inc()
            status = "error"
        else:
            status = "closed" if closed or record.closed_early else "ok"
        self._finish(record, status)

    def _finish(self, record: CallRecord, status: str) -> None:
        metrics = self.metrics
        labels = record.labels
        metrics.in_flight.at(labels).dec()
        metrics.requests.at((*labels, status, *record.tags)).inc()
        metrics.duration.at(labels).observe(time.perf_counter() - record.started)
        backend = record.cache_backend
        if backend is not None:
            counter = metrics.cache_hits if record.cache_hit else metrics.cache_misses
            counter.at((backend, labels[2])).inc()

    # ------------------------------------------------------------------ trace events

    def handle(self, event: Any) -> None:
        kind = event.kind
        record = self.calls.get(event.call_id)
        if record is None:
            if kind == "start":
                record = self._open_from_event(event)
            elif kind == "cache_hit":  # a call no step saw, answered at once
                record = self._open_from_event(event)
                record.cache_hit = True
                self.calls.pop(event.call_id, None)
                self._finish(record, "ok")
                return
            else:
                return
        if kind == "start":
            self._started(record, event)
        elif kind == "first_chunk":
            ttfc = event.time_to_first_chunk
            if ttfc is not None:
                labels = self._call_labels(event.provider or record.labels[0], event.model, event.operation)
                self.metrics.first_chunk.at(labels[:2]).observe(ttfc)
        elif kind == "end":
            self._answered(record, event)
            if record.by_events:
                self.calls.pop(event.call_id, None)
                self._finish(record, "ok")
        elif kind == "error":
            self._failed(record, event)
        elif kind == "cache_hit":
            record.cache_hit = True

    def _open_from_event(self, event: Any) -> CallRecord:
        provider = event.provider or event.model.partition(":")[0]
        labels = self._call_labels(provider, event.model, event.operation)
        record = CallRecord(labels, self._tags(event.metadata), event.model, True)
        self.calls[event.call_id] = record
        self.metrics.in_flight.at(labels).inc()
        return record

    def _started(self, record: CallRecord, event: Any) -> None:
        model = event.model
        if event.attempt > 1:
            self.metrics.retries.at(self._attempt_labels(record, event)).inc()
        elif model not in record.tried:
            record.tried = (*record.tried, model)
            fallback = self.metrics.label_values("fallback_model", model_name(model))
            self.metrics.fallbacks.at((*record.labels, fallback)).inc()

    def _attempt_labels(self, record: CallRecord, event: Any) -> tuple[str, str, str]:
        if event.model == record.request_model:
            return record.labels
        return self._call_labels(event.provider or record.labels[0], event.model, record.labels[2])

    def _answered(self, record: CallRecord, event: Any) -> None:
        usage = event.usage
        cost = event.cost
        if usage is None and cost is None:
            return
        labels = self._attempt_labels(record, event)
        tags = record.tags
        if usage is not None:
            tokens = self.metrics.tokens
            tokens.at((*labels, "input", *tags)).inc(usage.input_tokens)
            if event.operation != "embed":
                tokens.at((*labels, "output", *tags)).inc(usage.output_tokens)
            for field, token_type in TOKEN_TYPES:
                count = getattr(usage, field)
                if count:
                    tokens.at((*labels, token_type, *tags)).inc(count)
        if cost is not None:
            self.metrics.cost.at((*labels, *tags)).inc(cost.total)

    def _failed(self, record: CallRecord, event: Any) -> None:
        error_type = event.error_type or "error"
        if error_type == "closed":  # the caller closed a stream early: not a failure
            record.closed_early = True
            if record.by_events:
                self.calls.pop(event.call_id, None)
                self._finish(record, "closed")
            return
        record.last_error_type = error_type
        labels = self._attempt_labels(record, event)
        error_label = self.metrics.label_values("error_type", error_type)
        self.metrics.errors.at((*labels, error_label)).inc()
        if record.by_events:
            self.calls.pop(event.call_id, None)
            self._finish(record, "error")
