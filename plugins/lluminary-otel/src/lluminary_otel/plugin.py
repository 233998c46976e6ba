"""The ``otel`` exporter plugin. Cheap to import: OpenTelemetry is imported with the first call
traced, and only then are the tracer, the meter and their instruments made."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from lluminary import TraceEvent, hookimpl

if TYPE_CHECKING:
    from ._recorder import Recorder


class OtelExporter:
    """Spans and metrics per the OpenTelemetry GenAI conventions.

    ``tracer_provider`` / ``meter_provider``: where spans and metric points go; None (the entry
    point's default) uses the global providers the application configured, never installing one.
    """

    def __init__(self, *, tracer_provider: Any = None, meter_provider: Any = None) -> None:
        self._providers = (tracer_provider, meter_provider)
        self._recorder: Recorder | None = None
        self._lock = threading.Lock()

    @property
    def recorder(self) -> Recorder:
        recorder = self._recorder
        if recorder is None:
            with self._lock:
                if self._recorder is None:
                    from ._recorder import Recorder

                    self._recorder = Recorder(*self._providers)
                recorder = self._recorder
        return recorder

    @hookimpl
    def lluminary_middleware(self, client: Any) -> list[Any]:
        from ._step import CallSpans

        return [CallSpans(self.recorder)]

    @hookimpl
    def lluminary_trace(self, event: TraceEvent) -> None:
        self.recorder.handle(event)

    @hookimpl
    def lluminary_flush(self) -> None:
        if self._recorder is not None:
            self._recorder.flush()

    @hookimpl
    def lluminary_shutdown(self) -> None:
        # The providers are the application's: flush them, never shut them down. Calls still open
        # (other clients share this exporter) keep their spans.
        self.lluminary_flush()
