"""OpenTelemetry for lluminary: ``pip install lluminary-otel``, configure your TracerProvider and
MeterProvider as usual, then ``Client(exporters=["otel"])`` or ``LLUMINARY_EXPORTERS=otel``.

The entry point ``otel`` loads :data:`plugin`, which uses the global providers. Importing this
package does not import OpenTelemetry; the first traced call does.
"""

from __future__ import annotations

from .plugin import OtelExporter

plugin = OtelExporter()

__all__ = ["OtelExporter", "plugin"]
