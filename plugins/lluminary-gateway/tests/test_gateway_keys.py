"""Virtual keys: the admin API behind the master key, keys hashed at rest, allowed models, and
budgets and rate limits refused with 429 before the upstream is contacted."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import httpx
import openai
import pytest

from lluminary import Usage
from lluminary_testing.scenario import Scenario

pytestmark = pytest.mark.integration  # the gateway and the fake servers on loopback

HELLO = [{"role": "user", "content": "Hi"}]


class Admin:
    def __init__(self, url: str, master: str) -> None:
        self.url = url
        self.headers = {"authorization": f"Bearer {master}"}

    def create(self, **spec: Any) -> dict[str, Any]:
        response = httpx.post(self.url + "/admin/keys", json=spec, headers=self.headers)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def list(self) -> list[dict[str, Any]]:
        return list(httpx.get(self.url + "/admin/keys", headers=self.headers).json()["data"])

    def read(self, key_id: str) -> dict[str, Any]:
        return dict(httpx.get(f"{self.url}/admin/keys/{key_id}", headers=self.headers).json())

    def revoke(self, key_id: str) -> httpx.Response:
        return httpx.delete(f"{self.url}/admin/keys/{key_id}", headers=self.headers)


@pytest.fixture
def admin(gateway, master_key):
    return Admin(gateway.url, master_key)


def sdk(gateway: Any, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.url + "/v1", api_key=key, max_retries=0, timeout=10)


def test_create_list_read_and_revoke(gateway, admin, upstreams):
    created = admin.create(name="team-a", models=["gpt"], budget=5.0, budget_period="month", rpm=100, tpm=10_000)
    key = created["key"]
    assert key.startswith("sk-gw-")
    assert len(key) > 40
    assert created["prefix"] == key[:10]
    assert created["id"] == hashlib.sha256(key.encode()).hexdigest()[:16]

    listed = admin.list()
    assert [k["id"] for k in listed] == [created["id"]]
    assert key not in str(listed)
    assert "hash" not in listed[0]
    assert listed[0]["models"] == ["gpt"]
    assert listed[0]["budget"] == 5.0
    assert listed[0]["rpm"] == 100

    upstreams.openai.script(Scenario(text="ok"))
    assert sdk(gateway, key).chat.completions.create(model="gpt", messages=HELLO).choices[0].message.content == "ok"

    assert admin.revoke(created["id"]).json()["revoked"] is True
    with pytest.raises(openai.AuthenticationError) as caught:
        sdk(gateway, key).chat.completions.create(model="gpt", messages=HELLO)
    assert "revoked" in caught.value.message
    assert admin.revoke("0000000000000000").status_code == 404


def test_keys_are_stored_hashed(gateway, admin):
    created = admin.create(name="hashed")
    stored = [record.to_json() for record in gateway.app.keys._keys.values()]  # the store's own records
    assert created["key"] not in str(stored)
    assert stored[0]["hash"] == hashlib.sha256(created["key"].encode()).hexdigest()


def test_admin_api_needs_the_master_key(gateway, admin):
    key = admin.create()["key"]
    assert httpx.get(gateway.url + "/admin/keys").status_code == 401
    assert httpx.get(gateway.url + "/admin/keys", headers={"authorization": f"Bearer {key}"}).status_code == 403
    bad = httpx.post(gateway.url + "/admin/keys", json={"rpm": 0}, headers=admin.headers)
    assert bad.status_code == 400
    assert bad.json()["error"]["param"] == "rpm"


def test_a_key_uses_only_its_models(gateway, admin, upstreams):
    key = admin.create(models=["gpt"])["key"]
    with pytest.raises(openai.PermissionDeniedError):
        sdk(gateway, key).chat.completions.create(model="claude", messages=HELLO)
    assert [m.id for m in sdk(gateway, key).models.list()] == ["gpt"]
    assert upstreams.anthropic.requests == []


def test_requests_per_minute_are_refused_with_429_before_the_upstream(gateway, admin, upstreams):
    key = admin.create(rpm=2)["key"]
    upstreams.openai.script(Scenario(text="1"), Scenario(text="2"))
    client = sdk(gateway, key)
    if time.monotonic() % 60 > 50:  # keep the three requests inside one 60 s bucket of the window
        time.sleep(60.5 - time.monotonic() % 60)
    started = time.monotonic() % 60
    for _ in range(2):
        client.chat.completions.create(model="gpt", messages=HELLO)
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="gpt", messages=HELLO)
    ended = time.monotonic() % 60
    assert caught.value.code == "rate_limit_exceeded"
    # A sliding window of 60 s, limit 2, both requests in the current bucket, `elapsed` seconds
    # into it: the third fits once the bucket has become the previous one and half of it has
    # slid out, 60 - elapsed + 30 seconds away (never a whole second window). The header rounds
    # up to whole seconds.
    earliest, latest = (max(1, round(90 - elapsed + 0.5)) for elapsed in (ended, started))
    assert earliest <= int(caught.value.response.headers["retry-after"]) <= latest
    assert len(upstreams.openai.requests) == 2


def test_tokens_per_minute_count_the_real_usage(gateway, admin, upstreams):
    key = admin.create(tpm=300)["key"]
    client = sdk(gateway, key)
    upstreams.openai.script(Scenario(text="a", usage=Usage(input_tokens=100, output_tokens=100)))
    client.chat.completions.create(model="gpt", messages=HELLO, max_tokens=50)
    # 200 counted; the next reservation (input estimate + 150 max_tokens) does not fit in 300.
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="gpt", messages=HELLO, max_tokens=150)
    upstreams.openai.script(Scenario(text="b", usage=Usage(input_tokens=10, output_tokens=10)))
    client.chat.completions.create(model="gpt", messages=HELLO, max_tokens=50)
    assert len(upstreams.openai.requests) == 2


def test_budget_settles_the_real_cost_and_refuses_when_spent(gateway, admin, upstreams):
    # $1 and $2 per million tokens: a call of 100k input and 100k output tokens costs $0.30.
    created = admin.create(budget=0.5, budget_period="day")
    client = sdk(gateway, created["key"])
    upstreams.openai.script(Scenario(text="x", usage=Usage(input_tokens=100_000, output_tokens=100_000)))
    client.chat.completions.create(model="gpt", messages=HELLO, max_tokens=1000)
    spend = admin.read(created["id"])["spend"]
    assert spend["total"] == pytest.approx(0.3)
    assert spend["period"] == pytest.approx(0.3)
    # The next call reserves its worst case (max_tokens 100k: $0.20 + input): it does not fit.
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="gpt", messages=HELLO, max_tokens=100_000)
    assert caught.value.code == "budget_exceeded"
    assert caught.value.type == "insufficient_quota"
    assert len(upstreams.openai.requests) == 1
    # A small one still fits.
    upstreams.openai.script(Scenario(text="y", usage=Usage(input_tokens=10, output_tokens=10)))
    client.chat.completions.create(model="gpt", messages=HELLO, max_tokens=100)
    assert admin.read(created["id"])["spend"]["total"] == pytest.approx(0.30003)


def test_a_streamed_call_settles_its_cost(gateway, admin, upstreams):
    created = admin.create(budget=10.0)
    upstreams.anthropic.script(Scenario(text=["a", "b"], usage=Usage(input_tokens=1000, output_tokens=500)))
    chunks = list(
        sdk(gateway, created["key"]).chat.completions.create(
            model="claude", messages=HELLO, stream=True, max_tokens=600
        )
    )
    assert chunks
    assert admin.read(created["id"])["spend"]["total"] == pytest.approx(0.002)


def test_a_failed_call_gives_its_reservation_back(gateway, admin, upstreams):
    from lluminary_testing.scenario import ErrorScenario

    created = admin.create(budget=1.0)
    upstreams.openai.script(ErrorScenario("server"))
    with pytest.raises(openai.InternalServerError):
        sdk(gateway, created["key"]).chat.completions.create(model="gpt", messages=HELLO, max_tokens=1000)
    assert admin.read(created["id"])["spend"]["total"] == 0.0


def test_a_budget_on_an_unpriced_model_is_refused(start_gateway, master_key, upstreams):
    odd = {"model": "google:gemini-no-price-1", "base_url": upstreams.gemini.base_url, "api_key_env": "GW_GEMINI_KEY"}
    with start_gateway(keys="memory://", models={"odd": {"deployments": [odd]}}) as running:
        key = Admin(running.url, master_key).create(budget=1.0)["key"]
        with pytest.raises(openai.BadRequestError) as caught:
            sdk(running, key).chat.completions.create(model="odd", messages=HELLO)
        assert caught.value.code == "unpriced_model"
        assert upstreams.gemini.requests == []


def test_sqlite_keys_survive_a_restart(start_gateway, master_key, upstreams, tmp_path):
    url = f"sqlite://{tmp_path / 'keys.db'}"
    with start_gateway(keys=url) as running:
        key = Admin(running.url, master_key).create(name="kept")["key"]
    upstreams.openai.script(Scenario(text="still here"))
    with start_gateway(keys=url) as running:
        reply = sdk(running, key).chat.completions.create(model="gpt", messages=HELLO)
        assert reply.choices[0].message.content == "still here"
        assert [k["name"] for k in Admin(running.url, master_key).list()] == ["kept"]
