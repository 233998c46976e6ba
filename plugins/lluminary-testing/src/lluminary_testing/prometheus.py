"""A real ``prometheus`` server for tests: a free loopback port, a temporary config and storage
directory, a short scrape interval.

Exporters are tested against the server their users run: the pytest fixture ``prometheus_server``
starts one per test, :meth:`PrometheusServer.scrape` points it at the targets to scrape (the config
is rewritten and reloaded), and :meth:`~PrometheusServer.wait_for` polls its HTTP API until a
PromQL query answers. Without ``prometheus`` on the PATH the fixture skips, except under CI (the
``CI`` environment variable), where a Prometheus test that does not run is a failure.

Only the standard library talks to it (``urllib``), so this module needs no HTTP client.
"""

from __future__ import annotations

import json
import math
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .services import LocalServer, server_for_test

__all__ = ["PrometheusServer", "PrometheusServerError", "find_prometheus", "prometheus_server_for_test"]

#: Seconds a start (or a reload) may take before it counts as failed.
START_TIMEOUT = 30.0


class PrometheusServerError(RuntimeError):
    """prometheus could not be started, reloaded or queried (the message has the end of its log)."""


def find_prometheus() -> str | None:
    """The ``prometheus`` executable on the PATH (Debian installs ``/usr/bin/prometheus``), or None."""
    return shutil.which("prometheus") or ("/usr/bin/prometheus" if Path("/usr/bin/prometheus").is_file() else None)


class PrometheusServer(LocalServer):
    """One ``prometheus`` process scraping ``targets`` (``"127.0.0.1:9464"``) every
    ``scrape_interval`` seconds; ``url`` is its HTTP API's base."""

    program = "prometheus"
    error = PrometheusServerError
    start_timeout = START_TIMEOUT

    def __init__(
        self,
        *,
        executable: str | None = None,
        host: str = "127.0.0.1",
        scrape_interval: float = 1.0,
        targets: Sequence[str] = (),
    ) -> None:
        super().__init__(executable or find_prometheus() or "prometheus", host)
        self.scrape_interval = scrape_interval
        self.targets: tuple[str, ...] = tuple(targets)
        self.config_file = self.directory / "prometheus.yml"
        self.storage = self.directory / "data"

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<PrometheusServer {self.host}:{self.port} {state} targets={list(self.targets)}>"

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    # ------------------------------------------------------------------ life cycle

    def start(self) -> PrometheusServer:
        """Start the server and wait until ``/-/ready`` answers 200."""
        if not self.running:
            self._write_config()
        return super().start()

    def scrape(self, *targets: str, wait: bool = True) -> None:
        """Scrape ``targets`` (``host:port``, path ``/metrics``) from now on; with ``wait``, return
        once each has been scraped successfully."""
        self.targets = tuple(targets)
        self._write_config()
        self._request("POST", "/-/reload")
        if wait:
            self.wait_for_targets()

    def wait_for_targets(self, timeout: float = START_TIMEOUT) -> None:
        """Wait until every target has been scraped and is up."""
        deadline = time.monotonic() + timeout
        wanted = set(self.targets)
        health: dict[str, str] = {}
        while time.monotonic() < deadline:
            data = self._api("/api/v1/targets", {"state": "active"})
            health = {t["discoveredLabels"].get("__address__", ""): t["health"] for t in data["activeTargets"]}
            if all(health.get(target) == "up" for target in wanted):
                return
            time.sleep(0.1)
        raise PrometheusServerError(f"targets not up within {timeout:g} s: {health} | {self._log_tail()}")

    # ------------------------------------------------------------------ queries

    def query(self, expression: str) -> list[dict[str, Any]]:
        """The result vector of an instant PromQL query (``[{"metric": {...}, "value": [t, "1"]}]``)."""
        data = self._api("/api/v1/query", {"query": expression})
        result: list[dict[str, Any]] = data["result"]
        return result

    def wait_for(self, expression: str, timeout: float = START_TIMEOUT, *, finite: bool = True) -> list[dict[str, Any]]:
        """Poll ``expression`` until it returns a non-empty vector (of finite numbers, unless
        ``finite=False``); return it."""
        deadline = time.monotonic() + timeout
        result: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            result = self.query(expression)
            if result and (not finite or all(math.isfinite(float(r["value"][1])) for r in result)):
                return result
            time.sleep(0.2)
        raise PrometheusServerError(f"{expression!r} gave no finite result within {timeout:g} s: {result}")

    # ------------------------------------------------------------------ inside

    def _write_config(self) -> None:
        interval = f"{max(int(self.scrape_interval * 1000), 100)}ms"
        targets = json.dumps(list(self.targets))  # JSON is YAML: no YAML library needed
        self.config_file.write_text(
            "global:\n"
            f"  scrape_interval: {interval}\n"
            f"  evaluation_interval: {interval}\n"
            "scrape_configs:\n"
            "  - job_name: lluminary\n"
            f"    scrape_interval: {interval}\n"
            f"    scrape_timeout: {interval}\n"
            f"    static_configs:\n      - targets: {targets}\n"
        )

    def _arguments(self) -> list[str]:
        return [
            self.executable,
            f"--config.file={self.config_file}",
            f"--storage.tsdb.path={self.storage}",
            f"--web.listen-address={self.host}:{self.port}",
            "--web.enable-lifecycle",  # POST /-/reload after scrape()
            "--storage.tsdb.retention.time=1h",
            f"--web.console.templates={self.directory}",
            f"--web.console.libraries={self.directory}",
            "--log.level=warn",
        ]

    def _ready(self) -> bool:
        try:
            return self._request("GET", "/-/ready", timeout=1.0) == 200
        except PrometheusServerError:
            return False

    def _request(self, method: str, path: str, timeout: float = 5.0) -> int:
        request = urllib.request.Request(self.url + path, method=method)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                status: int = answer.status
                return status
        except (urllib.error.URLError, OSError) as exc:
            raise PrometheusServerError(f"{method} {path} failed: {exc}") from exc

    def _api(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        url = f"{self.url}{path}?{urllib.parse.urlencode(params)}"
        try:
            with urllib.request.urlopen(url, timeout=5.0) as answer:
                body = json.loads(answer.read())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise PrometheusServerError(f"GET {path} failed: {exc}") from exc
        if body.get("status") != "success":
            raise PrometheusServerError(f"GET {path}: {body.get('errorType')}: {body.get('error')}")
        data: dict[str, Any] = body["data"]
        return data


def prometheus_server_for_test(*, scrape_interval: float = 1.0) -> Iterator[PrometheusServer]:
    """Start a server for one test and remove it afterwards; skip (fail under CI) when
    ``prometheus`` is not installed."""
    yield from server_for_test(
        find_prometheus(),
        lambda executable: PrometheusServer(executable=executable, scrape_interval=scrape_interval),
        program="prometheus",
        package="prometheus",
        tests="Prometheus",
    )
