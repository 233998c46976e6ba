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
from ._request import (
    AttributeValue,
    base_url,
    model_name,
    operation_name,
    provider_name,
    request_attributes,
    server,
)

VERSION = "0.1.0"
SCOPE = "lluminary_otel"
#: Distinct call shapes (and metric attribute sets per shape) kept; past it they are rebuilt per call.
MAX_SHAPES = 1024


class Shape:
    """What every call of one operation, model and server shares: the span name, the attributes
    the span starts with, and the metric attribute sets (made once, reused by every call)."""

    __slots__ = ("name", "attributes", "common", "model", "metric_sets")

    def __init__(self, name: str, attributes: dict[str, AttributeValue], common: dict[str, AttributeValue], model: str):
        self.name = name
        self.attributes = attributes
        self.common = common
        self.model = model
        #: (response model, error type) -> (duration, input tokens, output tokens) attributes
        self.metric_sets: dict[tuple[str | None, str | None], tuple[dict[str, AttributeValue], ...]] = {}

    def metric_attributes(self, response_model: str | None, error_type: str | None) -> tuple[dict[str, Any], ...]:
        key = (response_model, error_type)
        found = self.metric_sets.get(key)
        if found is None:
            duration = dict(self.common)
            if response_model:
                duration[names.RESPONSE_MODEL] = response_model
            if error_type is not None:
                duration[names.ERROR_TYPE] = error_type
            found = (
                duration,
                {**duration, names.TOKEN_TYPE: "input"},
                {**duration, names.TOKEN_TYPE: "output"},
            )
            if len(self.metric_sets) < MAX_SHAPES:
                self.metric_sets[key] = found
        return found


class CallRecord:
    """One open logical call: its span and what its metrics need."""

    __slots__ = ("span", "shape", "started", "by_events", "attempts", "response_model", "recording")

    def __init__(self, span: Any, shape: Shape, by_events: bool):
        self.span = span
        self.shape = shape
        self.started = time.perf_counter()
        self.by_events = by_events
        self.attempts = 0
        self.response_model: str | None = None
        self.recording = span.is_recording()


class Recorder:
    """Turns calls and trace events into spans and metric points."""

    def __init__(
        self, tracer_provider: Any = None, meter_provider: Any = None, *, capture_content: bool = False
    ) -> None:
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
        self.capture_content = capture_content
        self.calls: dict[str, CallRecord] = {}
        self._shapes: dict[tuple[str, str, str | None], Shape] = {}

    # ------------------------------------------------------------------ calls (the middleware)

    def open_call(self, call: Any) -> CallRecord:
        """Start the span of a logical call, a child of its ``parent_id``'s span when that call is
        open here, else of the caller's current span."""
        request = call.request
        shape = self._shape(call.operation, request.model, base_url(request, call.client))
        attributes = {**shape.attributes, **request_attributes(call.operation, request), names.CALL_ID: call.id}
        record = self._start(call.id, call.parent_id, shape, attributes, False)
        if self.capture_content and record.recording and call.operation != "embed":
            from ._content import input_messages, system_instructions

            found = {names.INPUT_MESSAGES: input_messages(request)}
            system = system_instructions(request)
            if system is not None:
                found[names.SYSTEM_INSTRUCTIONS] = system
            record.span.set_attributes(found)
        return record

    def _shape(self, operation: str, model: str, url: str | None) -> Shape:
        key = (operation, model, url)
        shape = self._shapes.get(key)
        if shape is None:
            shape = self._new_shape(operation_name(operation), model.partition(":")[0], model_name(model), url)
            if len(self._shapes) < MAX_SHAPES:
                self._shapes[key] = shape
        return shape

    def _new_shape(self, operation: str, provider: str, model: str, url: str | None) -> Shape:
        common: dict[str, AttributeValue] = {
            names.OPERATION_NAME: operation,
            names.PROVIDER_NAME: provider_name(provider),
            names.REQUEST_MODEL: model,
        }
        address = server(url)
        if address is not None:
            common[names.SERVER_ADDRESS] = address[0]
            if address[1] is not None:
                common[names.SERVER_PORT] = address[1]
        return Shape(f"{operation} {model}", dict(common), common, model)

    def close_call(
        self, call_id: str, error: BaseException | None = None, *, closed: bool = False, response: Any = None
    ) -> None:
        """End a logical call: it answered (no ``error``), failed, or its stream was closed early.
        With content capture on, ``response`` (a chat answer) becomes ``gen_ai.output.messages``."""
        record = self.calls.pop(call_id, None)
        if record is None:
            return
        if response is not None and self.capture_content and record.recording and hasattr(response, "message"):
            from ._content import output_messages

            record.span.set_attribute(names.OUTPUT_MESSAGES, output_messages(response))
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
        elif kind == "end":
            self._answered(record, event)
            if record.by_events:
                self.calls.pop(event.call_id, None)
                self._finish(record, None)
        elif kind == "first_chunk":
            self._first_chunk(record, event)
        elif kind == "error":
            self._failed(record, event)
        elif kind == "cache_hit":
            self._answered_from_cache(record, event)

    def _open_from_event(self, event: Any) -> CallRecord:
        operation = operation_name(event.operation)
        model = model_name(event.model)
        provider = event.provider or event.model.partition(":")[0]
        shape = self._new_shape(operation, provider, model, None)
        return self._start(
            event.call_id, event.parent_id, shape, {**shape.attributes, names.CALL_ID: event.call_id}, True
        )

    def _first_chunk(self, record: CallRecord, event: Any) -> None:
        ttfc = event.time_to_first_chunk
        if ttfc is None:
            return
        if record.recording:
            record.span.set_attribute(names.RESPONSE_TIME_TO_FIRST_CHUNK, ttfc)
        self.first_chunk.record(ttfc, record.shape.metric_attributes(record.response_model, None)[0])

    def _answered(self, record: CallRecord, event: Any) -> None:
        if event.response_model:
            record.response_model = event.response_model
        usage = event.usage
        if usage is not None:
            sets = record.shape.metric_attributes(record.response_model, None)
            self.token_usage.record(usage.input_tokens, sets[1])
            if event.operation != "embed":
                self.token_usage.record(usage.output_tokens, sets[2])
        if not record.recording:
            return
        found: dict[str, AttributeValue] = {}
        if event.response_model:
            found[names.RESPONSE_MODEL] = event.response_model
        if event.response_id:
            found[names.RESPONSE_ID] = event.response_id
        if event.finish_reason:
            found[names.RESPONSE_FINISH_REASONS] = (event.finish_reason,)
        if record.attempts > 1:
            found[names.ATTEMPTS] = record.attempts
        if event.model and model_name(event.model) != record.shape.model:
            found[names.FALLBACK_MODEL] = model_name(event.model)  # a fallback answered
        if usage is not None:
            found[names.USAGE_INPUT_TOKENS] = usage.input_tokens
            found[names.USAGE_OUTPUT_TOKENS] = usage.output_tokens
            if usage.cache_read_tokens:
                found[names.USAGE_CACHE_READ_INPUT_TOKENS] = usage.cache_read_tokens
            if usage.cache_write_tokens:
                found[names.USAGE_CACHE_CREATION_INPUT_TOKENS] = usage.cache_write_tokens
            if usage.reasoning_tokens:
                found[names.USAGE_REASONING_OUTPUT_TOKENS] = usage.reasoning_tokens
        if event.cost is not None:
            found[names.COST_USD] = event.cost.total
        if event.time_to_first_chunk is not None:
            found[names.RESPONSE_TIME_TO_FIRST_CHUNK] = event.time_to_first_chunk
        record.span.set_attributes(found)

    def _answered_from_cache(self, record: CallRecord, event: Any) -> None:
        if event.response_model:
            record.response_model = event.response_model
        if not record.recording:
            return
        found: dict[str, AttributeValue] = {names.CACHE_HIT: True}
        if event.response_model:
            found[names.RESPONSE_MODEL] = event.response_model
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
        if record.recording:
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
        self, call_id: str, parent_id: str | None, shape: Shape, attributes: dict[str, AttributeValue], by_events: bool
    ) -> CallRecord:
        context = None
        if parent_id is not None:
            parent = self.calls.get(parent_id)
            if parent is not None:
                context = trace.set_span_in_context(parent.span)
            else:
                attributes[names.PARENT_ID] = parent_id
        span = self.tracer.start_span(shape.name, context, SpanKind.CLIENT, attributes)
        record = CallRecord(span, shape, by_events)
        self.calls[call_id] = record
        return record

    def _finish(self, record: CallRecord, error_type: str | None, *, closed: bool = False) -> None:
        span = record.span
        if record.recording:
            if closed:
                span.set_attribute(names.CLOSED_EARLY, True)
            if error_type is not None:
                span.set_attribute(names.ERROR_TYPE, error_type)
                # The type only: a message may quote what the caller sent.
                span.set_status(Status(StatusCode.ERROR, error_type))
        duration = record.shape.metric_attributes(record.response_model, error_type)[0]
        self.duration.record(time.perf_counter() - record.started, duration)
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
