"""Spans and metrics for lluminary calls, through the application's OpenTelemetry providers.

One span per logical call (kind CLIENT), opened by :class:`~lluminary_otel._step.CallSpans` around
the whole call — every retry and fallback, the cache — and ended when the call returns, raises, or
its stream finishes or is closed. Attempts that failed before the one that answered are span
events (``lluminary.attempt.failed``) on that span, not spans of their own: one call, one span,
as the conventions' "inference" span describes it. Trace events that arrive for a call no step
opened (an extension emitting its own) get a span from their ``start`` to their ``end``/``error``.
"""

from __future__ import annotations

import time
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from . import _names as names
from ._request import AttributeValue, base_url, model_name, operation_name, provider_name, request_attributes, server

VERSION = "0.1.0"
SCOPE = "lluminary_otel"


class CallRecord:
    """One open logical call: its span and the attributes its metrics carry."""

    __slots__ = ("span", "metric_attributes", "started", "by_events", "attempts", "request_model")

    def __init__(self, span: Any, metric_attributes: dict[str, AttributeValue], by_events: bool, request_model: str):
        self.span = span
        self.metric_attributes = metric_attributes
        self.started = time.perf_counter()
        self.by_events = by_events
        self.attempts = 0
        self.request_model = request_model


class Recorder:
    """Turns calls and trace events into spans and metric points."""

    def __init__(self, tracer_provider: Any = None, meter_provider: Any = None) -> None:
        # None: the global providers, whatever the application set (or a no-op until it does).
        self.tracer = trace.get_tracer(SCOPE, VERSION, tracer_provider=tracer_provider)
        meter = metrics.get_meter(SCOPE, VERSION, meter_provider=meter_provider)
        self.token_usage = meter.create_histogram(
            names.TOKEN_USAGE,
            unit="{token}",
            description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=names.TOKEN_BUCKETS,
        )
        self.duration = meter.create_histogram(
            names.OPERATION_DURATION,
            unit="s",
            description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=names.SECONDS_BUCKETS,
        )
        self.first_chunk = meter.create_histogram(
            names.TIME_TO_FIRST_CHUNK,
            unit="s",
            description="Time to receive the first chunk of a streamed response.",
            explicit_bucket_boundaries_advisory=names.SECONDS_BUCKETS,
        )
        self.providers = (tracer_provider, meter_provider)
        self.calls: dict[str, CallRecord] = {}

    # ------------------------------------------------------------------ calls (the middleware)

    def open_call(self, call: Any) -> CallRecord:
        """Start the span of a logical call, a child of its ``parent_id``'s span when that call is
        open here, else of the caller's current span."""
        request = call.request
        operation = operation_name(call.operation)
        model = model_name(request.model)
        common: dict[str, AttributeValue] = {
            names.OPERATION_NAME: operation,
            names.PROVIDER_NAME: provider_name(request.provider),
            names.REQUEST_MODEL: model,
        }
        address = server(base_url(request, call.client))
        if address is not None:
            common[names.SERVER_ADDRESS] = address[0]
            if address[1] is not None:
                common[names.SERVER_PORT] = address[1]
        attributes = {**common, **request_attributes(call.operation, request), names.CALL_ID: call.id}
        record = self._start(call.id, call.parent_id, f"{operation} {model}", attributes, common, False, model)
        return record

    def close_call(self, call_id: str, error: BaseException | None = None, *, closed: bool = False) -> None:
        """End a logical call: it answered (no ``error``), failed, or its stream was closed early."""
        record = self.calls.pop(call_id, None)
        if record is None:
            return
        error_type = None if error is None else type(error).__name__
        self._finish(record, error_type, closed=closed)

    # ------------------------------------------------------------------ trace events

    def handle(self, event: Any) -> None:
        kind = event.kind
        record = self.calls.get(event.call_id)
        if kind == "start":
            if record is None:
                record = self._open_from_event(event)
            record.attempts += 1
        elif record is None:
            if kind == "cache_hit":  # a call no step of ours saw: a span of its own, at once
                record = self._open_from_event(event)
                self._answered_from_cache(record, event)
                self.calls.pop(event.call_id, None)
                self._finish(record, None)
            return
        elif kind == "first_chunk":
            self._first_chunk(record, event)
        elif kind == "end":
            self._answered(record, event)
            if record.by_events:
                self.calls.pop(event.call_id, None)
                self._finish(record, None)
        elif kind == "error":
            self._failed(record, event)
        elif kind == "cache_hit":
            self._answered_from_cache(record, event)

    def _open_from_event(self, event: Any) -> CallRecord:
        operation = operation_name(event.operation)
        model = model_name(event.model)
        common: dict[str, AttributeValue] = {
            names.OPERATION_NAME: operation,
            names.PROVIDER_NAME: provider_name(event.provider or event.model.partition(":")[0]),
            names.REQUEST_MODEL: model,
        }
        attributes = {**common, names.CALL_ID: event.call_id}
        return self._start(event.call_id, event.parent_id, f"{operation} {model}", attributes, common, True, model)

    def _first_chunk(self, record: CallRecord, event: Any) -> None:
        ttfc = event.time_to_first_chunk
        if ttfc is None:
            return
        record.span.set_attribute(names.RESPONSE_TIME_TO_FIRST_CHUNK, ttfc)
        self.first_chunk.record(ttfc, record.metric_attributes)

    def _answered(self, record: CallRecord, event: Any) -> None:
        span = record.span
        found: dict[str, AttributeValue] = {}
        if event.response_model:
            found[names.RESPONSE_MODEL] = event.response_model
            record.metric_attributes[names.RESPONSE_MODEL] = event.response_model
        if event.response_id:
            found[names.RESPONSE_ID] = event.response_id
        if event.finish_reason:
            found[names.RESPONSE_FINISH_REASONS] = (event.finish_reason,)
        if record.attempts > 1:
            found[names.ATTEMPTS] = record.attempts
        if event.model and model_name(event.model) != record.request_model:
            found[names.FALLBACK_MODEL] = model_name(event.model)  # a fallback answered
        usage = event.usage
        if usage is not None:
            found[names.USAGE_INPUT_TOKENS] = usage.input_tokens
            found[names.USAGE_OUTPUT_TOKENS] = usage.output_tokens
            if usage.cache_read_tokens:
                found[names.USAGE_CACHE_READ_INPUT_TOKENS] = usage.cache_read_tokens
            if usage.cache_write_tokens:
                found[names.USAGE_CACHE_CREATION_INPUT_TOKENS] = usage.cache_write_tokens
            if usage.reasoning_tokens:
                found[names.USAGE_REASONING_OUTPUT_TOKENS] = usage.reasoning_tokens
            metric = record.metric_attributes
            self.token_usage.record(usage.input_tokens, {**metric, names.TOKEN_TYPE: "input"})
            if event.operation != "embed":
                self.token_usage.record(usage.output_tokens, {**metric, names.TOKEN_TYPE: "output"})
        if event.cost is not None:
            found[names.COST_USD] = event.cost.total
        if event.time_to_first_chunk is not None and names.RESPONSE_TIME_TO_FIRST_CHUNK not in found:
            found[names.RESPONSE_TIME_TO_FIRST_CHUNK] = event.time_to_first_chunk
        span.set_attributes(found)

    def _answered_from_cache(self, record: CallRecord, event: Any) -> None:
        found: dict[str, AttributeValue] = {names.CACHE_HIT: True}
        if event.response_model:
            found[names.RESPONSE_MODEL] = event.response_model
            record.metric_attributes[names.RESPONSE_MODEL] = event.response_model
        if event.response_id:
            found[names.RESPONSE_ID] = event.response_id
        record.span.set_attributes(found)

    def _failed(self, record: CallRecord, event: Any) -> None:
        if event.error_type == "closed":  # the caller closed a stream early: not a failure
            if record.by_events:
                self.calls.pop(event.call_id, None)
                self._finish(record, None, closed=True)
            return
        if record.by_events:
            self.calls.pop(event.call_id, None)
            self._finish(record, event.error_type or "error")
            return
        record.span.add_event(
            names.ATTEMPT_FAILED_EVENT,
            {
                names.ATTEMPT: event.attempt,
                names.REQUEST_MODEL: model_name(event.model),
                names.ERROR_TYPE: event.error_type or "error",
            },
        )

    # ------------------------------------------------------------------ spans

    def _start(
        self,
        call_id: str,
        parent_id: str | None,
        name: str,
        attributes: dict[str, AttributeValue],
        common: dict[str, AttributeValue],
        by_events: bool,
        model: str,
    ) -> CallRecord:
        context = None
        if parent_id is not None:
            parent = self.calls.get(parent_id)
            if parent is not None:
                context = trace.set_span_in_context(parent.span)
            else:
                attributes[names.PARENT_ID] = parent_id
        span = self.tracer.start_span(name, context, SpanKind.CLIENT, attributes)
        record = CallRecord(span, common, by_events, model)
        self.calls[call_id] = record
        return record

    def _finish(self, record: CallRecord, error_type: str | None, *, closed: bool = False) -> None:
        span = record.span
        metric = record.metric_attributes
        if closed:
            span.set_attribute(names.CLOSED_EARLY, True)
        if error_type is not None:
            span.set_attribute(names.ERROR_TYPE, error_type)
            # The type only: a message may quote what the caller sent.
            span.set_status(Status(StatusCode.ERROR, error_type))
            metric = {**metric, names.ERROR_TYPE: error_type}
        self.duration.record(time.perf_counter() - record.started, metric)
        span.end()

    # ------------------------------------------------------------------ lifecycle

    def flush(self) -> None:
        tracer_provider, meter_provider = self.providers
        for provider in (
            tracer_provider or trace.get_tracer_provider(),
            meter_provider or metrics.get_meter_provider(),
        ):
            force_flush = getattr(provider, "force_flush", None)
            if callable(force_flush):
                force_flush()
