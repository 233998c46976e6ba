"""Vertex AI: resource paths, bearer tokens from Google credentials (refreshed off the event loop),
project and location resolution, express mode, and Vertex's own embedding routes."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from lluminary import _errors as errors
from lluminary._transport import default_pools
from lluminary._types import Tool
from lluminary_google import VertexProvider
from lluminary_google.config import vertex_base_url, vertex_host, vertex_model_path
from lluminary_testing.scenario import ErrorScenario, Scenario

try:
    import google.auth  # noqa: F401

    HAS_GOOGLE_AUTH = True
except ImportError:
    HAS_GOOGLE_AUTH = False
needs_google_auth = pytest.mark.skipif(
    not HAS_GOOGLE_AUTH, reason="google-auth is not installed (pip install 'lluminary-google[vertex]')"
)
VERTEX_MODEL = "vertex:gemini-2.5-flash"
TOKEN = "ya29.test-access-token-0123456789"


class StaticCredentials:
    """Stands in for a google-auth credentials object: a token, validity, a quota project."""

    def __init__(self, token: str | None = TOKEN, *, valid: bool = True, quota_project_id: str | None = None) -> None:
        self.token = token
        self.valid = valid
        self.quota_project_id = quota_project_id
        self.refresh_threads: list[int] = []

    def refresh(self, request: Any) -> None:
        self.refresh_threads.append(threading.get_ident())
        self.token = f"ya29.refreshed-{len(self.refresh_threads)}"
        self.valid = True


@pytest_asyncio.fixture
async def vertex(harness: Any) -> AsyncIterator[Any]:
    harness.provider = VertexProvider(credentials=StaticCredentials(), project="proj-1", location="us-central1")
    harness.model = VERTEX_MODEL
    try:
        yield harness
    finally:
        await default_pools.aclose()


async def test_generate_path_and_bearer_token(vertex: Any) -> None:
    vertex.server.script(Scenario(text="Hi from Vertex"))
    response = await vertex.generate("Hello", model=VERTEX_MODEL)
    assert response.text == "Hi from Vertex"
    assert response.provider == "vertex"
    assert (
        vertex.path()
        == "/v1/projects/proj-1/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent"
    )
    headers = vertex.headers()
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert "x-goog-api-key" not in headers
    assert "x-goog-user-project" not in headers
    assert vertex.body() == {"contents": [{"role": "user", "parts": [{"text": "Hello"}]}]}


async def test_stream_path(vertex: Any) -> None:
    vertex.server.script(Scenario(text=["a", "b"]))
    _, response = await vertex.stream("Hello", model=VERTEX_MODEL)
    assert response.text == "ab"
    request = vertex.server.last_request
    assert request.path.endswith("/publishers/google/models/gemini-2.5-flash:streamGenerateContent")
    assert request.query == {"alt": ["sse"]}


async def test_project_and_location_from_options_and_environment(vertex: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    vertex.provider = VertexProvider(credentials=StaticCredentials())
    vertex.server.script(Scenario(text="1"), Scenario(text="2"))
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-project")
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "europe-west4")
    await vertex.generate("Hi", model=VERTEX_MODEL)
    assert vertex.path().startswith("/v1/projects/env-project/locations/europe-west4/")
    await vertex.generate("Hi", model=VERTEX_MODEL, options={"vertex": {"project": "p2", "location": "global"}})
    assert vertex.path().startswith("/v1/projects/p2/locations/global/")


async def test_default_location_is_global(vertex: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    vertex.provider = VertexProvider(credentials=StaticCredentials(), project="p")
    vertex.server.script(Scenario(text="ok"))
    await vertex.generate("Hi", model=VERTEX_MODEL)
    assert vertex.path().startswith("/v1/projects/p/locations/global/")


async def test_quota_project_header(vertex: Any) -> None:
    vertex.provider = VertexProvider(credentials=StaticCredentials(quota_project_id="billing-proj"), project="p")
    vertex.server.script(Scenario(text="ok"))
    await vertex.generate("Hi", model=VERTEX_MODEL)
    assert vertex.headers()["x-goog-user-project"] == "billing-proj"


async def test_missing_project_is_a_configuration_error(vertex: Any) -> None:
    vertex.provider = VertexProvider(credentials=StaticCredentials())
    with pytest.raises(errors.ConfigurationError, match="GOOGLE_CLOUD_PROJECT") as info:
        await vertex.generate("Hi", model=VERTEX_MODEL)
    assert info.value.env_var == "GOOGLE_CLOUD_PROJECT"
    assert vertex.server.requests == []


async def test_express_mode_with_an_api_key(vertex: Any) -> None:
    vertex.provider = VertexProvider()
    vertex.server.script(Scenario(text="express"))
    from lluminary._types import Secret

    response = await vertex.generate("Hi", model=VERTEX_MODEL, api_key=Secret("vertex-express-key-1"))
    assert response.text == "express"
    assert vertex.path() == "/v1/publishers/google/models/gemini-2.5-flash:generateContent"
    assert vertex.headers()["x-goog-api-key"] == "vertex-express-key-1"
    assert "authorization" not in vertex.headers()


async def test_vertex_authentication_error(vertex: Any) -> None:
    vertex.server.script(ErrorScenario("authentication"))
    with pytest.raises(errors.AuthenticationError) as info:
        await vertex.generate("Hi", model=VERTEX_MODEL)
    assert info.value.status == 401
    assert info.value.provider == "vertex"


@needs_google_auth
async def test_credentials_that_give_no_token(vertex: Any) -> None:
    class Empty(StaticCredentials):
        def refresh(self, request: Any) -> None:
            self.refresh_threads.append(threading.get_ident())

    vertex.provider = VertexProvider(credentials=Empty(token=None, valid=True), project="p")
    with pytest.raises(errors.AuthenticationError, match="no access token"):
        await vertex.generate("Hi", model=VERTEX_MODEL)
    assert vertex.server.requests == []


async def test_count_tokens_body_is_top_level(vertex: Any) -> None:
    total = await vertex.count("count these words", model=VERTEX_MODEL, system="sys", tools=[Tool("t", "d")])
    assert vertex.path().endswith("/publishers/google/models/gemini-2.5-flash:countTokens")
    assert vertex.body() == {
        "contents": [{"role": "user", "parts": [{"text": "count these words"}]}],
        "systemInstruction": {"parts": [{"text": "sys"}]},
        "tools": [{"functionDeclarations": [{"name": "t", "description": "d"}]}],
    }
    assert total > 3


async def test_embeddings_gemini_embedding_001_uses_predict_one_text_each(vertex: Any) -> None:
    response = await vertex.embed(
        ["a", "b", "c"], model="vertex:gemini-embedding-001", dimensions=6, input_type="query"
    )
    assert len(vertex.server.requests) == 3
    paths = {r.path for r in vertex.server.requests}
    assert paths == {"/v1/projects/proj-1/locations/us-central1/publishers/google/models/gemini-embedding-001:predict"}
    bodies = sorted((r.json() for r in vertex.server.requests), key=lambda b: b["instances"][0]["content"])
    assert bodies[0] == {
        "instances": [{"content": "a", "task_type": "RETRIEVAL_QUERY"}],
        "parameters": {"outputDimensionality": 6},
    }
    assert [len(v) for v in response.embeddings] == [6, 6, 6]
    assert response.usage.input_tokens == 3
    again = await vertex.embed(["c", "a"], model="vertex:gemini-embedding-001", dimensions=6, input_type="query")
    assert again.embeddings == [response.embeddings[2], response.embeddings[0]]


async def test_embeddings_text_embedding_batches_predict(vertex: Any) -> None:
    texts = [f"t{i}" for i in range(150)]
    response = await vertex.embed(texts, model="vertex:text-embedding-005")
    assert sorted(len(r.json()["instances"]) for r in vertex.server.requests) == [50, 100]
    assert len(response.embeddings) == 150


async def test_embeddings_newer_gemini_models_use_embed_content(vertex: Any) -> None:
    response = await vertex.embed(["x"], model="vertex:gemini-embedding-2", dimensions=5, input_type="document")
    assert vertex.path().endswith("/publishers/google/models/gemini-embedding-2:embedContent")
    assert vertex.body() == {
        "content": {"parts": [{"text": "x"}]},
        "embedContentConfig": {"taskType": "RETRIEVAL_DOCUMENT", "outputDimensionality": 5},
    }
    assert len(response.embeddings[0]) == 5


def test_hosts_and_paths() -> None:
    assert vertex_host("global") == "https://aiplatform.googleapis.com"
    assert vertex_host("us-central1") == "https://us-central1-aiplatform.googleapis.com"
    assert vertex_base_url(None, "europe-west1") == "https://europe-west1-aiplatform.googleapis.com/v1"
    assert vertex_base_url("http://proxy.local/", "global") == "http://proxy.local/v1"
    assert (
        vertex_model_path("p", "l", "gemini-2.5-pro")
        == "projects/p/locations/l/publishers/google/models/gemini-2.5-pro"
    )
    tuned = "projects/p/locations/l/endpoints/123"
    assert vertex_model_path("p", "l", tuned) == tuned
    assert (
        vertex_model_path("p", "l", "publishers/meta/models/llama")
        == "projects/p/locations/l/publishers/meta/models/llama"
    )


async def test_default_endpoint_without_a_base_url(vertex: Any) -> None:
    from lluminary._requests import build_chat_request

    request = build_chat_request(VERTEX_MODEL, "Hi")
    target = await vertex.provider.target(vertex.provider.endpoint(request), request, {})
    assert target.url("generateContent") == (
        "https://us-central1-aiplatform.googleapis.com/v1/projects/proj-1/locations/us-central1/"
        "publishers/google/models/gemini-2.5-flash:generateContent"
    )
    assert target.headers["authorization"] == f"Bearer {TOKEN}"


@needs_google_auth
async def test_expired_token_is_refreshed_in_a_worker_thread(vertex: Any) -> None:
    credentials = StaticCredentials(token=None, valid=False)
    vertex.provider = VertexProvider(credentials=credentials, project="p")
    vertex.server.script(Scenario(text="1"), Scenario(text="2"))
    await vertex.generate("Hi", model=VERTEX_MODEL)
    await vertex.generate("Hi", model=VERTEX_MODEL)
    assert len(credentials.refresh_threads) == 1  # still valid the second time
    assert credentials.refresh_threads[0] != threading.get_ident()
    assert vertex.headers()["authorization"] == "Bearer ya29.refreshed-1"


@needs_google_auth
async def test_with_google_auth_credentials(vertex: Any) -> None:
    from google.oauth2.credentials import Credentials

    credentials = Credentials(token="ya29.real-credentials-object")  # type: ignore[no-untyped-call]
    vertex.provider = VertexProvider(credentials=credentials, project="real-proj", location="asia-northeast1")
    vertex.server.script(Scenario(text="ok"))
    response = await vertex.generate("Hi", model=VERTEX_MODEL)
    assert response.text == "ok"
    assert vertex.headers()["authorization"] == "Bearer ya29.real-credentials-object"
    assert vertex.path().startswith("/v1/projects/real-proj/locations/asia-northeast1/")


@needs_google_auth
async def test_refresh_failure_is_an_authentication_error(vertex: Any) -> None:
    from google.auth.exceptions import RefreshError

    class Failing(StaticCredentials):
        def refresh(self, request: Any) -> None:
            raise RefreshError("invalid_grant: token revoked")

    vertex.provider = VertexProvider(credentials=Failing(token=None, valid=False), project="p")
    with pytest.raises(errors.AuthenticationError, match="token revoked"):
        await vertex.generate("Hi", model=VERTEX_MODEL)
    assert vertex.server.requests == []


@needs_google_auth
async def test_application_default_credentials(vertex: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    calls: list[Any] = []

    def found(scopes: Any = None) -> Any:
        calls.append((scopes, threading.get_ident()))
        return StaticCredentials(), "adc-project"

    monkeypatch.setattr(google.auth, "default", found)
    vertex.provider = VertexProvider()
    vertex.server.script(Scenario(text="ok"), Scenario(text="ok"))
    await vertex.generate("Hi", model=VERTEX_MODEL)
    await vertex.generate("Hi", model=VERTEX_MODEL)
    assert vertex.path().startswith("/v1/projects/adc-project/locations/global/")
    assert len(calls) == 1
    assert calls[0][0] == ["https://www.googleapis.com/auth/cloud-platform"]
    assert calls[0][1] != threading.get_ident()

    def missing(scopes: Any = None) -> Any:
        raise DefaultCredentialsError("Your default credentials were not found.")

    monkeypatch.setattr(google.auth, "default", missing)
    vertex.provider = VertexProvider(project="p")
    with pytest.raises(errors.ConfigurationError, match="application-default") as info:
        await vertex.generate("Hi", model=VERTEX_MODEL)
    assert info.value.env_var == "GOOGLE_APPLICATION_CREDENTIALS"


async def test_through_the_client_with_vertex_prices(vertex: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from lluminary._client import Client
    from lluminary._plugins import PluginManager

    monkeypatch.setenv("LLUMINARY_PLUGINS", "")  # only the provider registered here, not the entry point's

    plugins = PluginManager()
    plugins.register(vertex.provider, name="vertex-test")
    client = Client(cache=False, plugins=plugins)
    vertex.server.script(Scenario(text="ok"))
    response = await client.agenerate(VERTEX_MODEL, "Hi", base_url=vertex.server.base_url)
    assert response.provider == "vertex"
    assert response.cost is not None
    assert response.cost.total > 0


async def test_without_google_auth_the_error_says_what_to_install(vertex: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "google.auth", None)
    vertex.provider = VertexProvider(project="p")
    with pytest.raises(errors.ConfigurationError, match=r"lluminary-google\[vertex\]"):
        await vertex.generate("Hi", model=VERTEX_MODEL)
    assert vertex.server.requests == []
