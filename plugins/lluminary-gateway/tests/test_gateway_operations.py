"""Operations: health, metrics, request ids, access logs without content or keys, a client that
disconnects mid-stream (the upstream stream is closed), graceful shutdown."""

from __future__ import annotations

import json
import logging
import sys
import threading
import time

import httpx
import openai
import pytest

from lluminary_testing.scenario import Scenario
from lluminary_testing.server import Fault

pytestmark = pytest.mark.integration  # the gateway and the fake servers on loopback

HELLO = [{"role": "user", "content": "a very secret prompt"}]


def test_health(gateway):
    assert httpx.get(gateway.url + "/health/live").json() == {"status": "ok"}
    assert httpx.get(gateway.url + "/health/ready").status_code == 200


def test_ready_is_503_when_the_key_store_is_down(start_gateway, redis_server, master_key):
    with start_gateway(keys=redis_server.url) as running:
        assert httpx.get(running.url + "/health/ready").status_code == 200
        created = httpx.post(
            running.url + "/admin/keys", json={}, headers={"authorization": f"Bearer {master_key}"}
        ).json()
        redis_server.stop()
        response = httpx.get(running.url + "/health/ready", timeout=15)
        assert response.status_code == 503
        assert "key store" in response.json()["reason"]
        client = openai.OpenAI(base_url=running.url + "/v1", api_key=created["key"], max_retries=0, timeout=15)
        with pytest.raises(openai.InternalServerError) as caught:
            client.chat.completions.create(model="gpt", messages=HELLO)
        assert caught.value.status_code == 503
        assert caught.value.code == "keys_unavailable"
        redis_server.start()


def test_metrics_serve_the_prometheus_registry(gateway):
    import prometheus_client

    counter = prometheus_client.Counter("gateway_test_marker", "A metric this test registers.")
    counter.inc()
    try:
        response = httpx.get(gateway.url + "/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        assert "gateway_test_marker_total 1.0" in response.text
    finally:
        prometheus_client.REGISTRY.unregister(counter)


def test_metrics_without_prometheus_client_is_a_clear_404(gateway, monkeypatch):
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    response = httpx.get(gateway.url + "/metrics")
    assert response.status_code == 404
    assert "prometheus" in response.json()["error"]["message"]


def test_request_ids(gateway, master_key, upstreams):
    upstreams.openai.script(Scenario(text="a"), Scenario(text="b"))
    headers = {"authorization": f"Bearer {master_key}"}
    body = {"model": "gpt", "messages": HELLO}
    given = httpx.post(
        gateway.url + "/v1/chat/completions", json=body, headers={**headers, "x-request-id": "req-abc-1"}
    )
    assert given.headers["x-request-id"] == "req-abc-1"
    made = httpx.post(gateway.url + "/v1/chat/completions", json=body, headers=headers)
    assert len(made.headers["x-request-id"]) == 32
    assert httpx.get(gateway.url + "/nowhere").headers["x-request-id"]


def test_access_log_has_no_content_and_no_key(gateway, master_key, upstreams, caplog):
    created = httpx.post(
        gateway.url + "/admin/keys", json={"name": "logged"}, headers={"authorization": f"Bearer {master_key}"}
    ).json()
    upstreams.openai.script(Scenario(text="a very secret answer"))
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=created["key"], max_retries=0)
    with caplog.at_level(logging.INFO, logger="lluminary_gateway.access"):
        client.chat.completions.create(model="gpt", messages=HELLO, extra_headers={"x-request-id": "req-log-1"})
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(
                base_url=gateway.url + "/v1", api_key="sk-gw-wrong-key-123456789", max_retries=0
            ).models.list()
        deadline = time.monotonic() + 5
        while len(caplog.records) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    lines = [json.loads(record.getMessage()) for record in caplog.records if record.name == "lluminary_gateway.access"]
    served = next(line for line in lines if line["request_id"] == "req-log-1")
    assert served["status"] == 200
    assert served["model"] == "gpt"
    assert served["key"] == created["id"]
    assert served["upstream"] == "openai:gpt-4o-mini"
    assert served["input_tokens"] == 12
    assert served["cost"] > 0
    text = caplog.text
    for secret in ("secret prompt", "secret answer", created["key"], master_key, "sk-gw-wrong-key-123456789"):
        assert secret not in text
    assert any(line["status"] == 401 for line in lines)


def test_client_disconnect_mid_stream_closes_the_upstream(gateway, master_key, upstreams):
    pieces = [f"piece{i} " for i in range(200)]
    upstreams.openai.script(Scenario(text=pieces, fault=Fault(chunk_delay=0.02)))
    body = {"model": "gpt", "messages": HELLO, "stream": True}
    with httpx.stream(
        "POST", gateway.url + "/v1/chat/completions", json=body, headers={"authorization": f"Bearer {master_key}"}
    ) as response:
        lines = response.iter_lines()
        received = [next(lines) for _ in range(6)]
    assert any("piece" in line for line in received)
    # The gateway closes its upstream connection: the fake server's next writes fail.
    deadline = time.monotonic() + 5
    while upstreams.openai.closed_early == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert upstreams.openai.closed_early >= 1
    # And it goes on serving.
    upstreams.openai.script(Scenario(text="after"))
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=master_key, max_retries=0)
    assert client.chat.completions.create(model="gpt", messages=HELLO).choices[0].message.content == "after"


def test_graceful_shutdown_lets_streams_finish(start_gateway, master_key, upstreams):
    pieces = [f"p{i} " for i in range(15)]
    upstreams.openai.script(Scenario(text=pieces, fault=Fault(chunk_delay=0.05)))
    received: list[str] = []
    started = threading.Event()

    def read(url: str) -> None:
        client = openai.OpenAI(base_url=url + "/v1", api_key=master_key, max_retries=0)
        for chunk in client.chat.completions.create(model="gpt", messages=HELLO, stream=True):
            started.set()
            if chunk.choices and chunk.choices[0].delta.content:
                received.append(chunk.choices[0].delta.content)

    with start_gateway() as running:
        reader = threading.Thread(target=read, args=(running.url,))
        reader.start()
        assert started.wait(5)
        running.server.should_exit = True  # what SIGTERM does
        running.thread.join(timeout=10)
        reader.join(timeout=10)
        with pytest.raises(httpx.ConnectError):
            httpx.get(running.url + "/health/live")
    assert "".join(received) == "".join(pieces)


def test_no_key_in_reprs(start_gateway):
    from lluminary_gateway.config import parse_config

    config = parse_config(
        {
            "models": {"m": {"deployments": [{"model": "openai:x", "api_key_env": "K"}]}},
            "master_key_env": "M",
            "keys": "memory://",
        },
        {"K": "sk-deployment-secret-0123456789", "M": "master-secret-0123456789"},
    )
    shown = repr(config) + repr(config.aliases["m"].deployments[0])
    assert "sk-deployment-secret" not in shown
    assert "master-secret" not in shown
