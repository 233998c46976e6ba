"""Prometheus metrics for lluminary: ``pip install lluminary-prometheus``, then
``Client(exporters=["prometheus"])`` or ``LLUMINARY_EXPORTERS=prometheus``, and expose them with
:func:`asgi_app`, :func:`start_http_server` or ``lluminary metrics serve``.

The entry point ``prometheus`` loads :data:`plugin`, which uses prometheus_client's default
registry. Importing this package does not import prometheus_client; the first counted call does.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .plugin import PrometheusExporter
from .serve import asgi_app, registry_to_serve, start_http_server

plugin = PrometheusExporter()


def dashboard_path() -> Path:
    """The Grafana dashboard shipped with this package (import it in Grafana: Dashboards → New →
    Import → Upload JSON file)."""
    return Path(str(resources.files(__name__) / "dashboards" / "lluminary.json"))


__all__ = ["PrometheusExporter", "asgi_app", "dashboard_path", "plugin", "registry_to_serve", "start_http_server"]
