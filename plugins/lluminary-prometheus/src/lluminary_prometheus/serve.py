"""Exposing the metrics: an ASGI app to mount in your web application, or a small HTTP server of
its own. With ``PROMETHEUS_MULTIPROC_DIR`` set (several worker processes), both serve what every
process wrote there, through prometheus_client's ``MultiProcessCollector``."""

from __future__ import annotations

import os
from typing import Any

from lluminary import ConfigurationError

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9464


def registry_to_serve(registry: Any = None, *, multiprocess_dir: str | None = None) -> Any:
    """What to expose: the metrics of every process in ``multiprocess_dir`` (default: the
    ``PROMETHEUS_MULTIPROC_DIR`` environment variable) when there is one and no ``registry`` is
    given, else ``registry`` or prometheus_client's default registry."""
    directory = multiprocess_dir or (os.environ.get(MULTIPROC_ENV) if registry is None else None)
    if directory:
        if not os.path.isdir(directory):
            raise ConfigurationError(f"the multiprocess directory {directory!r} does not exist")
        from prometheus_client import CollectorRegistry, multiprocess

        collected = CollectorRegistry()
        multiprocess.MultiProcessCollector(collected, path=directory)  # type: ignore[no-untyped-call]
        return collected
    if registry is None:
        from prometheus_client import REGISTRY

        return REGISTRY
    return registry


def asgi_app(registry: Any = None, *, multiprocess_dir: str | None = None) -> Any:
    """An ASGI app answering every request with the metrics in the text exposition format
    (``app.mount("/metrics", lluminary_prometheus.asgi_app())`` in Starlette / FastAPI)."""
    from prometheus_client import make_asgi_app

    return make_asgi_app(registry_to_serve(registry, multiprocess_dir=multiprocess_dir))


def start_http_server(
    port: int = DEFAULT_PORT,
    host: str = DEFAULT_HOST,
    registry: Any = None,
    *,
    multiprocess_dir: str | None = None,
) -> tuple[Any, Any]:
    """Serve ``/metrics`` from a daemon thread of this process; returns prometheus_client's
    ``(server, thread)`` (``server.shutdown()`` stops it). Port 0 picks a free port
    (``server.server_port``). Loopback by default: pass ``host="0.0.0.0"`` to be scraped from
    another machine."""
    from prometheus_client import start_http_server as start

    served = registry_to_serve(registry, multiprocess_dir=multiprocess_dir)
    return start(port, addr=host, registry=served)
