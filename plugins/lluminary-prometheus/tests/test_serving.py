"""Turning it on (the entry point, ``LLUMINARY_EXPORTERS``) and getting the metrics out: the
default registry, an ASGI app, an HTTP server, multiprocess mode and ``lluminary metrics serve``."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY, CollectorRegistry

import lluminary
import lluminary_prometheus
from lluminary import Client
from lluminary._plugins import PluginManager
from lluminary_testing.openai_server import FakeOpenAIServer
from lluminary_testing.services import free_port

from .conftest import API_KEY, MODEL, Harness

CALL = {"provider": "openai", "model": "gpt-4o-mini", "operation": "generate", "status": "ok"}


def _default_requests() -> float:
    return REGISTRY.get_sample_value("lluminary_requests_total", CALL) or 0.0


async def test_the_entry_point_counts_into_the_default_registry(fake_openai: FakeOpenAIServer) -> None:
    before = _default_requests()
    client = Client(
        plugins=PluginManager(),
        exporters=["prometheus"],
        providers={"openai": {"base_url": fake_openai.base_url, "api_key": API_KEY}},
    )
    await client.agenerate(MODEL, "hi")
    await client.aclose()
    assert _default_requests() == before + 1
    assert lluminary_prometheus.plugin.registry is REGISTRY


async def test_the_environment_variable_turns_it_on(fake_openai: FakeOpenAIServer, monkeypatch: Any) -> None:
    monkeypatch.setenv("LLUMINARY_EXPORTERS", "prometheus")
    before = _default_requests()
    client = Client(
        plugins=PluginManager(), providers={"openai": {"base_url": fake_openai.base_url, "api_key": API_KEY}}
    )
    assert client.exporters == ("prometheus",)
    await client.agenerate(MODEL, "hi")
    await client.aclose()
    assert _default_requests() == before + 1


def test_importing_the_plugin_imports_no_prometheus_client() -> None:
    code = "import sys, lluminary_prometheus; print(sorted(m for m in sys.modules if m.startswith(('prometheus_client', 'click'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


async def test_metrics_outlive_the_client_and_flush_and_shutdown_lose_nothing(h: Harness) -> None:
    await h.client.agenerate(MODEL, "hi")
    await h.client.aclose()  # flush
    h.plugins.pm.hook.lluminary_shutdown()
    assert h.value("lluminary_requests_total", **CALL) == 1
    again = Client(plugins=h.plugins, providers={"openai": {"base_url": h.server.base_url, "api_key": API_KEY}})
    await again.agenerate(MODEL, "hi")
    await again.aclose()
    assert h.value("lluminary_requests_total", **CALL) == 2


async def test_the_asgi_app_serves_the_exposition(h: Harness) -> None:
    await h.client.agenerate(MODEL, "hi")
    app = lluminary_prometheus.asgi_app(h.registry)
    sent: list[dict[str, Any]] = []
    scope = {"type": "http", "method": "GET", "path": "/metrics", "query_string": b"", "headers": []}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    assert sent[0]["status"] == 200
    body = b"".join(m.get("body", b"") for m in sent[1:]).decode()
    assert (
        'lluminary_requests_total{model="gpt-4o-mini",operation="generate",provider="openai",status="ok"} 1.0' in body
    )


async def test_start_http_server_serves_metrics_on_loopback(h: Harness) -> None:
    await h.client.agenerate(MODEL, "hi")
    server, _thread = lluminary_prometheus.start_http_server(0, registry=h.registry)
    try:
        url = f"http://127.0.0.1:{server.server_port}/metrics"
        body = await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=5).read().decode())
    finally:
        server.shutdown()
        server.server_close()
    assert "lluminary_request_duration_seconds_bucket" in body


def test_a_multiprocess_directory_that_does_not_exist_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(lluminary.ConfigurationError, match="does not exist"):
        lluminary_prometheus.registry_to_serve(multiprocess_dir=str(tmp_path / "missing"))


WORKER = textwrap.dedent("""
    import asyncio, sys
    from lluminary import Client

    async def main():
        client = Client(exporters=["prometheus"], providers={"openai": {"base_url": sys.argv[1], "api_key": "k"}})
        for _ in range(int(sys.argv[2])):
            await client.agenerate("openai:gpt-4o-mini", "hi")
        await client.aclose()

    asyncio.run(main())
    """)


def _run_workers(tmp_path: Path, server: FakeOpenAIServer, calls: tuple[int, ...]) -> dict[str, str]:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "LLUMINARY_PLUGINS": "openai,prometheus"}
    env.pop("LLUMINARY_EXPORTERS", None)
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, server.base_url, str(n)], env=env, stderr=subprocess.PIPE)
        for n in calls
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err.decode()
    return env


def test_multiprocess_mode_adds_up_every_workers_calls(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    _run_workers(tmp_path, fake_openai, (3, 4))
    assert list(tmp_path.glob("*.db"))
    registry = lluminary_prometheus.registry_to_serve(multiprocess_dir=str(tmp_path))
    assert isinstance(registry, CollectorRegistry)
    assert registry is not REGISTRY
    assert registry.get_sample_value("lluminary_requests_total", CALL) == 7
    labels = {k: v for k, v in CALL.items() if k != "status"}
    assert registry.get_sample_value("lluminary_request_duration_seconds_count", labels) == 7
    assert registry.get_sample_value("lluminary_in_flight_requests", labels) == 0


def test_lluminary_metrics_serve_exposes_the_multiprocess_directory(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    env = _run_workers(tmp_path, fake_openai, (2,))
    port = free_port("127.0.0.1")
    lluminary_cli = str(Path(sys.executable).with_name("lluminary"))
    serving = subprocess.Popen(
        [lluminary_cli, "metrics", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        body = _get_until_up(f"http://127.0.0.1:{port}/metrics", serving)
    finally:
        serving.terminate()
        serving.wait(timeout=10)
    assert (
        'lluminary_requests_total{model="gpt-4o-mini",operation="generate",provider="openai",status="ok"} 2.0' in body
    )


def test_lluminary_metrics_serve_without_a_directory_says_what_to_do() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    lluminary_cli = str(Path(sys.executable).with_name("lluminary"))
    done = subprocess.run([lluminary_cli, "metrics", "serve"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "PROMETHEUS_MULTIPROC_DIR" in done.stderr


def _get_until_up(url: str, process: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.stderr.read().decode() if process.stderr else "exited")
        try:
            return urllib.request.urlopen(url, timeout=2).read().decode()
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer")
