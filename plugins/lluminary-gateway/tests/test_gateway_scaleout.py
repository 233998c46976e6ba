"""Two gateway processes (``lluminary serve``) on two ports sharing one real redis-server: one
key's budget and rate limit hold across both under 200 concurrent requests, its budget alerts
reach the webhook once each in all, and killing one process loses no accounting."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from lluminary_testing.scenario import Scenario
from lluminary_testing.server import Fault

pytestmark = pytest.mark.integration

MASTER = "gw-master-scaleout-0123456789abcdef"
PRICE = {"input": 1.0, "output": 2.0}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Process:
    def __init__(self, config: Path, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        command = [
            str(Path(sys.executable).with_name("lluminary")),
            "serve",
            "--config",
            str(config),
            "--port",
            str(port),
        ]
        environment = {**os.environ, "GW_MASTER": MASTER, "GW_OPENAI_KEY": "sk-upstream-0123456789abcdef"}
        self.process = subprocess.Popen(
            command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the gateway exited: {self.process.stderr.read() if self.process.stderr else ''}")
            try:
                if httpx.get(self.url + "/health/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError("the gateway did not become ready")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def pair(tmp_path: Path, redis_server: Any, fake_openai: Any, webhook: Any) -> Iterator[list[Process]]:
    config = {
        "models": {
            "gpt": {
                "deployments": [
                    {"model": "openai:gpt-4o-mini", "base_url": fake_openai.base_url, "api_key_env": "GW_OPENAI_KEY"}
                ]
            }
        },
        "prices": {"openai:gpt-4o-mini": PRICE},
        "keys": redis_server.url,
        "master_key_env": "GW_MASTER",
        "retries": 1,
        "budget_webhook": webhook.url,
    }
    path = tmp_path / "gateway.yaml"
    path.write_text(yaml.safe_dump(config))
    processes = [Process(path, free_port()), Process(path, free_port())]
    try:
        for process in processes:
            process.wait_ready()
        yield processes
    finally:
        for process in processes:
            process.stop()


def create_key(process: Process, **spec: Any) -> dict[str, Any]:
    response = httpx.post(process.url + "/admin/keys", json=spec, headers={"authorization": f"Bearer {MASTER}"})
    assert response.status_code == 200, response.text
    return dict(response.json())


def spend(process: Process, key_id: str) -> float:
    response = httpx.get(f"{process.url}/admin/keys/{key_id}", headers={"authorization": f"Bearer {MASTER}"})
    return float(response.json()["spend"]["total"])


async def fire(processes: list[Process], key: str, count: int, **body: Any) -> list[httpx.Response | BaseException]:
    """``count`` requests at once, alternating between the processes."""
    payload = {"model": "gpt", "messages": [{"role": "user", "content": "hello there world"}], "max_tokens": 10, **body}
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=count), timeout=30) as client:
        requests = [
            client.post(
                processes[i % len(processes)].url + "/v1/chat/completions",
                json=payload,
                headers={"authorization": f"Bearer {key}"},
            )
            for i in range(count)
        ]
        return list(await asyncio.gather(*requests, return_exceptions=True))


def cost_of(response: httpx.Response) -> float:
    usage = response.json()["usage"]
    return (usage["prompt_tokens"] * PRICE["input"] + usage["completion_tokens"] * PRICE["output"]) / 1e6


def wait_for_a_quiet_minute() -> None:
    """A request-per-minute window that turns over mid-test lets the next window's share in:
    start well inside a minute (the Redis server's clock is this machine's)."""
    if time.time() % 60 > 50:
        time.sleep(61 - time.time() % 60)


def test_budget_and_rate_limit_hold_across_two_processes(pair, fake_openai, webhook):
    # Each call reserves about $0.000025 (4 input + 10 output tokens) and really costs ~$0.00001.
    budget = 0.0012
    budgeted = create_key(pair[0], budget=budget)
    results = asyncio.run(fire(pair, budgeted["key"], 200))
    ok = [r for r in results if isinstance(r, httpx.Response) and r.status_code == 200]
    refused = [r for r in results if isinstance(r, httpx.Response) and r.status_code == 429]
    assert len(ok) + len(refused) == 200, [r for r in results if r not in ok and r not in refused][:3]
    assert refused
    assert all(r.json()["error"]["code"] == "budget_exceeded" for r in refused)
    real = sum(cost_of(r) for r in ok)
    # Every admitted call is counted exactly once, in the one shared counter, and the spend stays
    # within the budget (the estimates are worst cases, so the bound is the budget itself here).
    assert spend(pair[0], budgeted["id"]) == pytest.approx(real, abs=1e-9)
    assert spend(pair[1], budgeted["id"]) == pytest.approx(real, abs=1e-9)
    assert real <= budget
    assert len(fake_openai.requests) == len(ok)
    # Both processes answered (which one spent the budget first is a race).
    assert {r.url.port for r in ok + refused} == {pair[0].port, pair[1].port}
    # Each threshold was sent exactly once across both processes (refusals count as 100%).
    bodies = webhook.wait_for(3)
    time.sleep(0.5)  # room for a duplicate to arrive
    assert sorted(b["threshold"] for b in webhook.bodies) == [0.5, 0.8, 1.0]
    assert {b["scope"] for b in bodies} == {f"gateway:key:{budgeted['id']}"}
    assert budgeted["key"] not in b"".join(webhook.raw).decode()

    wait_for_a_quiet_minute()
    limited = create_key(pair[1], rpm=120)
    before = len(fake_openai.requests)
    results = asyncio.run(fire(pair, limited["key"], 200))
    statuses = [r.status_code for r in results if isinstance(r, httpx.Response)]
    assert statuses.count(200) == 120
    assert statuses.count(429) == 80
    assert len(fake_openai.requests) - before == 120
    assert len(webhook.bodies) == 3  # a key without a budget never alerts


def test_killing_one_process_loses_no_accounting(pair, fake_openai):
    key = create_key(pair[0], budget=1.0)
    fake_openai.responder = lambda request: Scenario(text="slow", fault=Fault(delay_headers=1.0))

    async def run() -> tuple[list[Any], list[Any]]:
        doomed = asyncio.ensure_future(fire([pair[0]], key["key"], 20))
        survivors = asyncio.ensure_future(fire([pair[1]], key["key"], 20))
        await asyncio.sleep(0.5)  # every request is admitted and waits on the upstream
        pair[0].process.send_signal(signal.SIGKILL)
        return await doomed, await survivors

    doomed, survivors = asyncio.run(run())
    assert all(isinstance(r, httpx.HTTPError) for r in doomed)
    assert all(isinstance(r, httpx.Response) and r.status_code == 200 for r in survivors)
    completed = sum(cost_of(r) for r in survivors)  # type: ignore[arg-type]
    counted = spend(pair[1], key["id"])
    # Every completed call is counted; the killed process's calls stay counted at their
    # reserved estimate (never less than what they could have cost).
    per_call_estimate = (5 * PRICE["input"] + 10 * PRICE["output"]) / 1e6
    assert completed <= counted <= completed + 20 * per_call_estimate + 1e-12
    assert counted > completed
