"""``lluminary metrics serve``: expose the metrics that worker processes write to a multiprocess
directory, from a process of its own (a sidecar, a systemd unit). A process of its own has no
calls of its own to count, so the directory is required."""

from __future__ import annotations

import threading
from typing import Any

import click

from .serve import DEFAULT_HOST, DEFAULT_PORT, MULTIPROC_ENV


def metrics_group() -> Any:
    @click.group(name="metrics")
    def metrics() -> None:
        """Prometheus metrics of lluminary calls (lluminary-prometheus)."""

    @metrics.command(name="serve")
    @click.option("--host", default=DEFAULT_HOST, show_default=True, help="Address to listen on.")
    @click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535))
    @click.option(
        "--multiproc-dir",
        envvar=MULTIPROC_ENV,
        type=click.Path(exists=True, file_okay=False),
        help=f"Directory the worker processes write their metrics to (default: ${MULTIPROC_ENV}).",
    )
    def serve(host: str, port: int, multiproc_dir: str | None) -> None:
        """Serve /metrics for Prometheus to scrape, until interrupted."""
        if not multiproc_dir:
            raise click.UsageError(
                f"set {MULTIPROC_ENV} (or --multiproc-dir) to the directory your lluminary processes "
                "write metrics to; a process that makes calls can serve its own metrics with "
                "lluminary_prometheus.start_http_server() or asgi_app()"
            )
        from .serve import start_http_server

        server, _thread = start_http_server(port, host, multiprocess_dir=multiproc_dir)
        shown = f"[{host}]" if ":" in host else host
        click.echo(f"serving lluminary metrics from {multiproc_dir} on http://{shown}:{server.server_port}/metrics")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            server.shutdown()

    return metrics
