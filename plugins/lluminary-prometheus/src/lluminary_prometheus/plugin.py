"""The ``prometheus`` exporter plugin. Cheap to import: prometheus_client is imported with the
first call counted, and only then are the metrics made."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from lluminary import hookimpl

from ._config import Settings, resolve

if TYPE_CHECKING:
    from ._recorder import Recorder


class PrometheusExporter:
    """Prometheus metrics for every call. It observes calls through a middleware step only (no
    ``lluminary_trace``), so a client it alone watches builds no trace events: counting a call
    costs a few microseconds.

    ``registry``: the ``CollectorRegistry`` the metrics go in; None (the entry point's default)
    uses prometheus_client's default ``REGISTRY``. ``tag_labels``: request ``metadata`` keys that
    become labels of the request, token and cost counters (default: ``LLUMINARY_PROMETHEUS_TAG_LABELS``,
    comma-separated; none). ``max_label_values``: distinct values a label may take before later
    ones count as ``"other"`` (default ``LLUMINARY_PROMETHEUS_MAX_LABEL_VALUES`` or 100).
    ``latency_buckets`` / ``ttfc_buckets``: histogram bounds in seconds.
    """

    def __init__(
        self,
        *,
        registry: Any = None,
        tag_labels: Iterable[str] | None = None,
        max_label_values: int | None = None,
        latency_buckets: Sequence[float] | None = None,
        ttfc_buckets: Sequence[float] | None = None,
    ) -> None:
        self._registry = registry
        # Checked now when given (a typo fails at construction); the entry point's instance reads
        # the environment when its first call is counted.
        self._given = (tag_labels, max_label_values, latency_buckets, ttfc_buckets)
        self._settings: Settings | None = None
        if any(value is not None for value in self._given):
            self._settings = resolve(*self._given)
        self._recorder: Recorder | None = None
        self._lock = threading.Lock()

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = resolve(*self._given)
        return self._settings

    @property
    def recorder(self) -> Recorder:
        recorder = self._recorder
        if recorder is None:
            with self._lock:
                if self._recorder is None:
                    from ._metrics import metrics_for
                    from ._recorder import Recorder

                    self._recorder = Recorder(metrics_for(self._registry, self.settings))
                recorder = self._recorder
        return recorder

    @property
    def registry(self) -> Any:
        """The registry the metrics are in (prometheus_client's default one unless given)."""
        if self._registry is None:
            from prometheus_client import REGISTRY

            return REGISTRY
        return self._registry

    @hookimpl
    def lluminary_middleware(self, client: Any) -> list[Any]:
        from ._step import CallMetrics

        return [CallMetrics(self.recorder)]

    @hookimpl
    def lluminary_flush(self) -> None:
        """Nothing is buffered: every update is in the registry (or, in multiprocess mode, in its
        memory-mapped file) the moment it is made."""

    @hookimpl
    def lluminary_shutdown(self) -> None:
        """Metrics outlive a client: other clients, and the scrapes after the last call, read
        them. Calls still open (a stream another client holds) are counted when they end."""

    @hookimpl
    def lluminary_commands(self, cli: Any) -> None:
        from ._commands import metrics_group

        cli.add_command(metrics_group())
