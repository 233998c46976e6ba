"""The ``otel`` exporter plugin. Cheap to import: OpenTelemetry is imported with the first call
traced, and only then are the tracer, the meter and their instruments made."""

from __future__ import annotations

import threading
import warnings
from typing import TYPE_CHECKING, Any

from lluminary import TraceEvent, TraceWarning, hookimpl

if TYPE_CHECKING:
    from ._recorder import Recorder


class OtelExporter:
    """Spans and metrics per the OpenTelemetry GenAI conventions.

    ``tracer_provider`` / ``meter_provider``: where spans and metric points go; None (the entry
    point's default) uses the global providers the application configured, never installing one.
    ``capture_content``: record prompts and answers (``gen_ai.input.messages``,
    ``gen_ai.output.messages``, ``gen_ai.system_instructions``); None (the default) follows
    ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``, which is off unless set to ``true``.
    """

    def __init__(
        self, *, tracer_provider: Any = None, meter_provider: Any = None, capture_content: bool | None = None
    ) -> None:
        self._providers = (tracer_provider, meter_provider)
        self._capture_content = capture_content
        self._recorder: Recorder | None = None
        self._failed = False
        self._lock = threading.Lock()

    @property
    def recorder(self) -> Recorder:
        recorder = self._recorder
        if recorder is None:
            with self._lock:
                if self._recorder is None:
                    from ._content import capture_from_environment
                    from ._recorder import Recorder

                    capture = self._capture_content
                    if capture is None:
                        capture = capture_from_environment()
                    self._recorder = Recorder(*self._providers, capture_content=capture)
                recorder = self._recorder
        return recorder

    def _usable(self) -> Recorder | None:
        """The recorder, or None when the providers could not give a tracer and a meter (said
        once, as a TraceWarning; calls then go untraced by this exporter)."""
        if self._failed:
            return None
        try:
            return self.recorder
        except Exception as exc:  # noqa: BLE001 - a broken telemetry setup must not break calls
            self._failed = True
            warnings.warn(f"otel exporter disabled: {type(exc).__name__}: {exc}", TraceWarning, stacklevel=2)
            return None

    @hookimpl
    def lluminary_middleware(self, client: Any) -> list[Any]:
        recorder = self._usable()
        if recorder is None:
            return []
        from ._step import CallSpans

        return [CallSpans(recorder)]

    @hookimpl
    def lluminary_trace(self, event: TraceEvent) -> None:
        recorder = self._recorder
        if recorder is None:
            recorder = self._usable()
            if recorder is None:
                return
        recorder.handle(event)

    @hookimpl
    def lluminary_flush(self) -> None:
        if self._recorder is not None:
            self._recorder.flush()

    @hookimpl
    def lluminary_shutdown(self) -> None:
        # The providers are the application's: flush them, never shut them down. Calls still open
        # (other clients share this exporter) keep their spans.
        self.lluminary_flush()
