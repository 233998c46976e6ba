"""Bad input and failing upstreams: each a clear error in OpenAI's shape with the right status,
raised by the official SDK as its own typed error, and never a key in the answer."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest

from lluminary_testing.scenario import ErrorScenario, Scenario
from lluminary_testing.server import Fault

pytestmark = pytest.mark.integration  # the gateway and the fake servers on loopback

HELLO = [{"role": "user", "content": "Hi"}]


def raw(gateway: Any, path: str, body: bytes, key: str) -> httpx.Response:
    return httpx.post(
        gateway.url + path, content=body, headers={"authorization": f"Bearer {key}", "content-type": "application/json"}
    )


def shape(response: httpx.Response) -> dict[str, Any]:
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    return dict(error)


def test_malformed_json_is_400(gateway, master_key):
    response = raw(gateway, "/v1/chat/completions", b'{"model": "gpt", "messages": [', master_key)
    assert response.status_code == 400
    assert shape(response)["code"] == "invalid_json"


def test_a_body_that_is_not_an_object_is_400(gateway, master_key):
    response = raw(gateway, "/v1/chat/completions", b"[1, 2]", master_key)
    assert response.status_code == 400


@pytest.mark.parametrize(
    "body, param",
    [
        ({"messages": HELLO}, "model"),
        ({"model": "gpt", "messages": []}, "messages"),
        ({"model": "gpt", "messages": [{"role": "wizard", "content": "x"}]}, "messages[0]"),
        ({"model": "gpt", "messages": HELLO, "n": 3}, "n"),
        ({"model": "gpt", "messages": HELLO, "bogus": 1}, "bogus"),
    ],
)
def test_bad_requests_name_the_field(gateway, master_key, upstreams, body, param):
    response = raw(gateway, "/v1/chat/completions", json.dumps(body).encode(), master_key)
    assert response.status_code == 400
    assert shape(response)["param"] == param
    assert upstreams.openai.requests == []


def test_kernel_validation_is_400_before_the_upstream(openai_client, upstreams):
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.chat.completions.create(model="gpt", messages=HELLO, temperature=-1)
    assert "temperature" in caught.value.message
    assert upstreams.openai.requests == []


def test_unknown_model_is_404(openai_client):
    with pytest.raises(openai.NotFoundError) as caught:
        openai_client.chat.completions.create(model="no-such-alias", messages=HELLO)
    assert caught.value.code == "model_not_found"


def test_unknown_route_is_404_and_wrong_method_405(gateway, master_key):
    assert httpx.get(gateway.url + "/v1/nothing").status_code == 404
    assert (
        httpx.get(gateway.url + "/v1/chat/completions", headers={"authorization": f"Bearer {master_key}"}).status_code
        == 405
    )


def test_bad_key_is_401(gateway, upstreams):
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key="sk-gw-not-a-real-key", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as caught:
        client.chat.completions.create(model="gpt", messages=HELLO)
    assert "sk-gw-not-a-real-key" not in str(caught.value)
    assert upstreams.openai.requests == []


def test_missing_key_is_401(gateway):
    response = httpx.post(gateway.url + "/v1/chat/completions", json={"model": "gpt", "messages": HELLO})
    assert response.status_code == 401
    assert shape(response)["type"] == "authentication_error"


def test_body_over_the_limit_is_413(start_gateway, master_key, upstreams):
    with start_gateway(max_body_bytes=2000) as running:
        client = openai.OpenAI(base_url=running.url + "/v1", api_key=master_key, max_retries=0)
        with pytest.raises(openai.APIStatusError) as caught:
            client.chat.completions.create(model="gpt", messages=[{"role": "user", "content": "x" * 5000}])
        assert caught.value.status_code == 413
        assert caught.value.code == "request_too_large"
        # A body sent in chunks, without a Content-Length, is cut off at the limit all the same.
        chunks = iter([b'{"model": "gpt", "messages": [{"role": "user", "content": "', b"y" * 3000, b'"}]}'])
        response = httpx.post(
            running.url + "/v1/chat/completions", content=chunks, headers={"authorization": f"Bearer {master_key}"}
        )
        assert response.status_code == 413
    assert upstreams.openai.requests == []


def test_upstream_server_error_is_502(openai_client, upstreams):
    upstreams.openai.script(ErrorScenario("server", message="boom"))
    with pytest.raises(openai.InternalServerError) as caught:
        openai_client.chat.completions.create(model="gpt", messages=HELLO)
    assert caught.value.status_code == 502
    assert "boom" in caught.value.message


def test_upstream_overload_is_503(openai_client, upstreams):
    upstreams.anthropic.script(ErrorScenario("overloaded"))
    with pytest.raises(openai.InternalServerError) as caught:
        openai_client.chat.completions.create(model="claude", messages=HELLO)
    assert caught.value.status_code == 503


def test_upstream_rate_limit_is_429_with_retry_after(openai_client, upstreams):
    upstreams.openai.script(ErrorScenario("rate_limit", retry_after=7))
    with pytest.raises(openai.RateLimitError) as caught:
        openai_client.chat.completions.create(model="gpt", messages=HELLO)
    assert caught.value.response.headers["retry-after"] in ("7", "8")


def test_upstream_rejecting_the_gateway_key_is_502_and_shows_no_key(openai_client, upstreams):
    from lluminary_testing.server import Reply

    leaked = "sk-upstream-openai-0123456789abcdef"
    upstreams.openai.script(
        Reply.json(
            {"error": {"message": f"Incorrect API key provided: {leaked}", "type": "invalid_request_error"}}, 401
        )
    )
    with pytest.raises(openai.InternalServerError) as caught:
        openai_client.chat.completions.create(model="gpt", messages=HELLO)
    assert caught.value.status_code == 502
    assert leaked not in caught.value.response.text


def test_error_after_the_stream_began_is_an_error_frame(openai_client, upstreams):
    upstreams.openai.script(Scenario(text=["a", "b", "c", "d", "e", "f"], fault=Fault(truncate_after=3)))
    stream = openai_client.chat.completions.create(model="gpt", messages=HELLO, stream=True)
    received: list[Any] = []
    with pytest.raises(openai.APIError) as caught:
        received.extend(stream)
    assert any(c.choices and c.choices[0].delta.content for c in received)
    assert "connection" in caught.value.message


def test_stream_error_before_the_first_event_is_a_status(openai_client, upstreams):
    upstreams.gemini.script(ErrorScenario("server"))
    with pytest.raises(openai.InternalServerError) as caught:
        openai_client.chat.completions.create(model="gemini", messages=HELLO, stream=True)
    assert caught.value.status_code == 502


def test_embeddings_with_token_arrays_are_400(openai_client):
    with pytest.raises(openai.BadRequestError):
        openai_client.embeddings.create(model="embed", input=[[1, 2, 3]])


def test_a_working_call_after_errors(openai_client, upstreams):
    upstreams.openai.script(Scenario(text="fine"))
    assert openai_client.chat.completions.create(model="gpt", messages=HELLO).choices[0].message.content == "fine"
