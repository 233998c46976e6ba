"""A virtual key's budget alerts as the kernel's budgets do: at 50, 80 and 100% (or the key's own
thresholds), once each per period, to the log and to the config's webhook, never showing the key.
The official OpenAI SDK calls the gateway, whose upstream is the testing kit's fake server."""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx
import openai
import pytest

from lluminary import ConfigurationError, Usage
from lluminary.sdk import period_id
from lluminary_testing.scenario import Scenario

pytestmark = pytest.mark.integration  # the gateway, the fake server and the webhook on loopback

HELLO = [{"role": "user", "content": "Hi"}]
#: $1 and $2 per million tokens (conftest's PRICE): 100k input and 100k output tokens cost $0.30
COSTLY = Usage(input_tokens=100_000, output_tokens=100_000)


def create_key(url: str, master: str, **spec: Any) -> dict[str, Any]:
    response = httpx.post(url + "/admin/keys", json=spec, headers={"authorization": f"Bearer {master}"})
    assert response.status_code == 200, response.text
    return dict(response.json())


def sdk(url: str, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=url + "/v1", api_key=key, max_retries=0, timeout=10)


def alert_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "lluminary.budget"]


def test_thresholds_fire_once_each_in_order_to_the_log_and_the_webhook(
    start_gateway: Any, master_key: str, upstreams: Any, webhook: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="lluminary.budget")
    with start_gateway(keys="memory://", budget_webhook=webhook.url) as running:
        created = create_key(running.url, master_key, name="team-a", budget=1.0, budget_period="day")
        client = sdk(running.url, created["key"])
        levels = []
        for _ in range(4):  # 30%, 60%, 90%, 120% (the last call's estimate still fit)
            upstreams.openai.script(Scenario(text="x", usage=COSTLY))
            client.chat.completions.create(model="gpt", messages=HELLO, max_tokens=1000)
            levels.append([line.split(" passed ")[1].split("%")[0] for line in alert_lines(caplog)])
        with pytest.raises(openai.RateLimitError):  # refused: 100% was already sent
            client.chat.completions.create(model="gpt", messages=HELLO, max_tokens=1000)
        bodies = webhook.wait_for(3)
        time.sleep(0.2)  # room for a wrong fourth POST to arrive
    assert levels == [[], ["50"], ["50", "80"], ["50", "80", "100"]]
    assert len(webhook.bodies) == 3
    period = period_id("day")
    assert sorted(b["threshold"] for b in bodies) == [0.5, 0.8, 1.0]
    by_threshold = {b["threshold"]: b for b in bodies}
    assert by_threshold[0.5] == {
        "event": "budget.threshold",
        "name": f"team-a (key {created['id']})",
        "scope": f"gateway:key:{created['id']}",
        "period": period,
        "threshold": 0.5,
        "spent_usd": pytest.approx(0.6),
        "limit_usd": 1.0,
    }
    assert by_threshold[1.0]["spent_usd"] == pytest.approx(1.2)
    lines = alert_lines(caplog)
    assert lines[0] == f"budget team-a (key {created['id']}) passed 50% in period {period}: $0.600000 of $1.000000"
    assert all(r.levelno == logging.WARNING for r in caplog.records if r.name == "lluminary.budget")
    secret = created["key"][len(created["prefix"]) :]
    everything = b"".join(webhook.raw).decode() + "\n".join(r.getMessage() for r in caplog.records)
    assert created["key"] not in everything
    assert secret not in everything


def test_a_refusal_counts_as_reaching_the_limit_and_a_key_sets_its_own_thresholds(
    start_gateway: Any, master_key: str, upstreams: Any, webhook: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="lluminary.budget")
    with start_gateway(keys="memory://", budget_webhook=webhook.url, budget_alerts=[0.9]) as running:
        own = create_key(running.url, master_key, budget=0.5, budget_alerts=[1.0, 0.25])
        assert own["budget_alerts"] == [0.25, 1.0]
        shown = httpx.get(
            f"{running.url}/admin/keys/{own['id']}", headers={"authorization": f"Bearer {master_key}"}
        ).json()
        assert shown["budget_alerts"] == [0.25, 1.0]
        client = sdk(running.url, own["key"])
        upstreams.openai.script(Scenario(text="x", usage=COSTLY))
        client.chat.completions.create(model="gpt", messages=HELLO, max_tokens=1000)  # 60%
        for _ in range(3):  # each would reserve $0.20 more: refused, which reaches 100% once
            with pytest.raises(openai.RateLimitError) as caught:
                client.chat.completions.create(model="gpt", messages=HELLO, max_tokens=100_000)
            assert caught.value.code == "budget_exceeded"
        # A key without thresholds of its own takes the config's: 90% only.
        default = create_key(running.url, master_key, budget=0.5)
        assert default["budget_alerts"] is None
        upstreams.openai.script(Scenario(text="y", usage=COSTLY))
        sdk(running.url, default["key"]).chat.completions.create(model="gpt", messages=HELLO, max_tokens=1000)
        bodies = webhook.wait_for(2)
        time.sleep(0.2)
    assert [(b["scope"], b["threshold"]) for b in sorted(bodies, key=lambda b: b["threshold"])] == [
        (f"gateway:key:{own['id']}", 0.25),
        (f"gateway:key:{own['id']}", 1.0),
    ]
    refused = next(b for b in bodies if b["threshold"] == 1.0)
    assert refused["spent_usd"] == pytest.approx(0.3)  # what was spent when the call was refused
    assert len(upstreams.openai.requests) == 2
    assert [line.split(" passed ")[1][:3] for line in alert_lines(caplog)] == ["25%", "100"]


def test_a_rate_limit_refusal_sends_no_budget_alert(
    start_gateway: Any, master_key: str, upstreams: Any, webhook: Any
) -> None:
    with start_gateway(keys="memory://", budget_webhook=webhook.url) as running:
        created = create_key(running.url, master_key, budget=10.0, rpm=1)
        client = sdk(running.url, created["key"])
        upstreams.openai.script(Scenario(text="x"))
        client.chat.completions.create(model="gpt", messages=HELLO, max_tokens=10)
        with pytest.raises(openai.RateLimitError) as caught:
            client.chat.completions.create(model="gpt", messages=HELLO, max_tokens=10)
        assert caught.value.code == "rate_limit_exceeded"
        time.sleep(0.2)
    assert webhook.bodies == []


@pytest.mark.parametrize("bad", [[0], [-0.5], ["half"], 0.5, [True]])
def test_bad_key_thresholds_are_a_400_naming_the_field(gateway: Any, master_key: str, bad: Any) -> None:
    response = httpx.post(
        gateway.url + "/admin/keys",
        json={"budget": 1.0, "budget_alerts": bad},
        headers={"authorization": f"Bearer {master_key}"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "budget_alerts"


def test_the_config_takes_thresholds_and_a_webhook(upstreams: Any) -> None:
    from lluminary_gateway.config import parse_config

    environ = {"GW_MASTER": "m" * 32, "GW_OPENAI_KEY": "k", "GW_ANTHROPIC_KEY": "k", "GW_GEMINI_KEY": "k"}
    document = upstreams.document(keys="memory://")
    config = parse_config(document, environ)
    assert config.budget_alerts == (0.5, 0.8, 1.0)
    assert config.budget_webhook is None
    url = "https://hooks.example.invalid/services/T0/B0/secret-path"
    config = parse_config({**document, "budget_alerts": [1, 0.75], "budget_webhook": url}, environ)
    assert config.budget_alerts == (0.75, 1.0)
    assert config.budget_webhook == url
    assert "secret-path" not in repr(config)
    bad: list[tuple[dict[str, Any], str]] = [
        ({"budget_alerts": [0]}, "budget_alerts"),
        ({"budget_alerts": 0.5}, "budget_alerts"),
        ({"budget_webhook": "ftp://example.invalid/x"}, "budget_webhook"),
        ({"budget_webhook": 7}, "budget_webhook"),
        ({"budget_webhook_timeout": 0}, "budget_webhook_timeout"),
    ]
    for extra, match in bad:
        with pytest.raises(ConfigurationError, match=match):
            parse_config({**document, **extra}, environ)
