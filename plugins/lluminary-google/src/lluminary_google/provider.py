"""The Gemini API provider (prefixes ``google`` and ``gemini``) and the Vertex AI provider (``vertex``).

Both speak the same ``generateContent`` wire; they differ in where a call goes and how it
authenticates, which :meth:`_GoogleProvider.target` hides. HTTP goes through the kernel's pooled
``httpx2`` client; nothing is imported or connected until the first call.
"""

from __future__ import annotations

import abc
import asyncio
import json
import os
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

from lluminary import _http as http
from lluminary._errors import APIConnectionError, ConfigurationError, MalformedResponseError, register_secret
from lluminary._provider import Provider
from lluminary._sse import SSEDecoder
from lluminary._streaming import Accumulator
from lluminary._types import (
    ChatRequest,
    ChatResponse,
    EmbedRequest,
    EmbedResponse,
    ModelInfo,
    Secret,
    StreamEvent,
    Usage,
)

from . import embeddings
from .auth import VertexCredentials
from .catalogue import catalogue
from .config import (
    GEMINI_API_VERSION,
    USER_AGENT,
    VERTEX_API_VERSION,
    VERTEX_PROJECT_ENV,
    Endpoint,
    gemini_endpoint,
    model_path,
    normalise_base_url,
    vertex_base_url,
    vertex_location,
    vertex_model_path,
)
from .errors import error_object, from_error_object, from_http
from .request import build_body, count_tokens_body
from .response import ResponseParser

#: Every prefix this plugin serves by default: reasoning made under one is sent back under all.
FAMILY = frozenset({"google", "gemini", "vertex"})
#: Concurrent requests when Vertex embeds texts one request each.
EMBED_CONCURRENCY = 8

Target = tuple[Endpoint, str]


def _encode(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class _GoogleProvider(Provider, abc.ABC):
    """What the Gemini API and Vertex AI share: the wire, the stream, the errors."""

    vertex = False

    def __init__(self, name: str | None = None, *, prefixes: Iterable[str] | None = None, timeout: float | None = None):
        super().__init__(name, prefixes=prefixes)
        self.timeout = timeout
        #: Prefixes whose reasoning parts (thoughts, signatures) this provider sends back.
        self.family = FAMILY | frozenset(self.prefixes)

    # ---- what the two deployments answer differently

    @abc.abstractmethod
    async def target(self, request: ChatRequest | EmbedRequest, options: Mapping[str, Any]) -> Target:
        """The endpoint (base URL, auth headers, timeout) and the model's resource path: the
        Gemini API and Vertex AI each say where their requests go."""

    def options(self, request: ChatRequest | EmbedRequest) -> Mapping[str, Any]:
        return request.provider_options(request.provider)

    # ---- chat

    async def generate(self, request: ChatRequest) -> ChatResponse:
        options = self.options(request)
        body = build_body(request, options, self.family)
        endpoint, path = await self.target(request, options)
        data = await self._post(endpoint, f"{path}:generateContent", body, request.provider)
        err = error_object(data)
        if err is not None:
            raise from_error_object(err, status=None, provider=request.provider)
        parser = ResponseParser(request.provider, request.model_name)
        acc = Accumulator(request.provider)
        for event in parser.feed(data):
            acc.add(event)
        for event in parser.close():
            acc.add(event)
        return acc.response()

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        provider = request.provider
        options = self.options(request)
        body = build_body(request, options, self.family)
        endpoint, path = await self.target(request, options)
        kwargs = self._request_kwargs(endpoint)
        client = http.client()
        async with (
            http.translate_errors(provider),
            client.stream(
                "POST",
                endpoint.url(f"{path}:streamGenerateContent"),
                params={"alt": "sse"},
                content=_encode(body),
                **kwargs,
            ) as response,
        ):
            if response.status_code >= 400:
                raise from_http(response.status_code, await response.aread(), response.headers, provider)
            decoder = SSEDecoder()
            parser = ResponseParser(provider, request.model_name)
            loads = json.loads
            async for raw in response.aiter_bytes():
                for frame in decoder.feed(raw):
                    data = frame.data
                    if not data:
                        continue
                    try:
                        chunk = loads(data)
                    except ValueError:
                        raise MalformedResponseError(
                            f"a stream frame is not JSON: {data[:200]!r}", provider=provider
                        ) from None
                    if isinstance(chunk, dict) and "error" in chunk:
                        err = error_object(chunk)
                        if err is not None:
                            raise from_error_object(err, status=None, provider=provider)
                    for event in parser.feed(chunk):
                        yield event
            if decoder.flush():
                raise APIConnectionError("the stream was cut off in the middle of an event", provider=provider)
            if not parser.finished:
                raise APIConnectionError(
                    "the stream ended before the model finished (no finishReason)", provider=provider
                )
            for event in parser.close():
                yield event

    async def count_tokens(self, request: ChatRequest) -> int:
        options = self.options(request)
        body = count_tokens_body(
            request, options, self.family, vertex=self.vertex, model=model_path(request.model_name)
        )
        endpoint, path = await self.target(request, options)
        data = await self._post(endpoint, f"{path}:countTokens", body, request.provider)
        total = data.get("totalTokens", 0) if isinstance(data, dict) else None
        if not isinstance(total, int):
            raise MalformedResponseError(f"countTokens answered {data!r}", provider=request.provider)
        return total

    # ---- embeddings

    async def embed(self, request: EmbedRequest) -> EmbedResponse:
        options = self.options(request)
        config = embeddings.embed_config(request, options)
        if not request.inputs:
            return EmbedResponse([], request.model_name, request.provider)
        endpoint, path = await self.target(request, options)
        vectors, tokens = await self._embed(endpoint, path, request, config)
        return EmbedResponse(vectors, request.model_name, request.provider, Usage(input_tokens=tokens))

    async def _embed(
        self, endpoint: Endpoint, path: str, request: EmbedRequest, config: Mapping[str, Any]
    ) -> tuple[list[list[float]], int]:
        provider, model = request.provider, model_path(request.model_name)
        texts = request.inputs
        if len(texts) == 1:
            data = await self._post(
                endpoint, f"{path}:embedContent", embeddings.gemini_single(model, texts[0], config), provider
            )
            return embeddings.parse_gemini(data, 1, provider)
        vectors: list[list[float]] = []
        tokens = 0
        for start in range(0, len(texts), embeddings.BATCH_LIMIT):
            batch = texts[start : start + embeddings.BATCH_LIMIT]
            body = embeddings.gemini_batch(model, batch, config)
            data = await self._post(endpoint, f"{path}:batchEmbedContents", body, provider)
            got, used = embeddings.parse_gemini(data, len(batch), provider)
            vectors.extend(got)
            tokens += used
        return vectors, tokens

    def models(self) -> Iterable[ModelInfo]:
        return catalogue(self.prefixes)

    # ---- HTTP

    def _request_kwargs(self, endpoint: Endpoint) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"headers": endpoint.headers}
        if endpoint.timeout is not None:
            kwargs["timeout"] = endpoint.timeout
        return kwargs

    async def _post(self, endpoint: Endpoint, path: str, body: Mapping[str, Any], provider: str) -> Any:
        client = http.client()
        async with http.translate_errors(provider):
            response = await client.post(endpoint.url(path), content=_encode(body), **self._request_kwargs(endpoint))
        if response.status_code >= 400:
            raise from_http(response.status_code, response.content, response.headers, provider)
        try:
            return json.loads(response.content)
        except ValueError:
            raise MalformedResponseError(
                f"the answer is not JSON: {response.content[:200]!r}", provider=provider
            ) from None


class GeminiProvider(_GoogleProvider):
    """The Gemini API (``generativelanguage.googleapis.com``) with an API key.

    Settings given here win over the environment (``GOOGLE_API_KEY`` / ``GEMINI_API_KEY``,
    ``GOOGLE_GEMINI_BASE_URL``); a call's ``api_key``, ``base_url`` and ``timeout`` win over both.
    Provider options are read under ``"google"`` and, for ``gemini:`` calls, ``"gemini"`` on top.
    """

    name = "google"
    prefixes = ("google", "gemini")

    def __init__(
        self,
        *,
        api_key: str | Secret | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        api_version: str = GEMINI_API_VERSION,
        name: str | None = None,
        prefixes: Iterable[str] | None = None,
    ) -> None:
        super().__init__(name, prefixes=prefixes, timeout=timeout)
        if isinstance(api_key, str):
            register_secret(api_key)
            api_key = Secret(api_key)
        self._api_key = api_key
        self.base_url = base_url
        self.api_version = api_version

    def __repr__(self) -> str:
        return f"<GeminiProvider {self.name!r} prefixes={list(self.prefixes)}>"

    def options(self, request: ChatRequest | EmbedRequest) -> Mapping[str, Any]:
        base = request.provider_options("google")
        own = request.provider_options(request.provider) if request.provider != "google" else {}
        return {**base, **own} if own else base

    async def target(self, request: ChatRequest | EmbedRequest, options: Mapping[str, Any]) -> Target:
        endpoint = gemini_endpoint(
            request.api_key,
            request.base_url,
            request.timeout,
            default_key=self._api_key,
            default_base_url=self.base_url,
            default_timeout=self.timeout,
            version=self.api_version,
        )
        return endpoint, f"models/{model_path(request.model_name)}"


class VertexProvider(_GoogleProvider):
    """Gemini on Vertex AI, authenticated with Google Cloud credentials (``lluminary-google[vertex]``).

    ``project`` / ``location`` come from here, the call's provider options, or
    ``GOOGLE_CLOUD_PROJECT`` / ``GOOGLE_CLOUD_LOCATION`` (default ``global``); the project falls back
    to the one of the application default credentials. ``credentials`` is any google-auth
    credentials object (default: application default credentials, found on first use). With an API
    key (here or per call) the provider uses Vertex AI express mode instead: no project, no
    credentials.
    """

    name = "vertex"
    prefixes = ("vertex",)
    vertex = True

    def __init__(
        self,
        *,
        project: str | None = None,
        location: str | None = None,
        credentials: Any | None = None,
        api_key: str | Secret | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        api_version: str = VERTEX_API_VERSION,
        name: str | None = None,
        prefixes: Iterable[str] | None = None,
    ) -> None:
        super().__init__(name, prefixes=prefixes, timeout=timeout)
        self.project = project
        self.location = location
        self.credentials = VertexCredentials(credentials, provider=self.name)
        if isinstance(api_key, str):
            register_secret(api_key)
            api_key = Secret(api_key)
        self._api_key = api_key
        self.base_url = base_url
        self.api_version = api_version

    def __repr__(self) -> str:
        return f"<VertexProvider {self.name!r} prefixes={list(self.prefixes)}>"

    async def target(self, request: ChatRequest | EmbedRequest, options: Mapping[str, Any]) -> Target:
        location = vertex_location(options.get("location") or self.location)
        base = vertex_base_url(request.base_url or self.base_url, location, self.api_version)
        timeout = request.timeout if request.timeout is not None else self.timeout
        key = request.api_key or self._api_key
        if key:  # express mode
            register_secret(key.get())
            headers = {"x-goog-api-key": key.get(), "content-type": "application/json", "user-agent": USER_AGENT}
            if not (request.base_url or self.base_url):
                base = normalise_base_url("https://aiplatform.googleapis.com", self.api_version)
            return Endpoint(base, headers, timeout), f"publishers/google/models/{model_path(request.model_name)}"
        project = options.get("project") or self.project or os.environ.get(VERTEX_PROJECT_ENV)
        if not project:
            project = await self.credentials.project()
        if not project:
            raise ConfigurationError(
                "no Google Cloud project for Vertex AI: set GOOGLE_CLOUD_PROJECT or pass project=...",
                env_var=VERTEX_PROJECT_ENV,
            )
        headers = await self.credentials.headers()
        headers.update({"content-type": "application/json", "user-agent": USER_AGENT})
        return Endpoint(base, headers, timeout), vertex_model_path(project, location, request.model_name)

    async def _embed(
        self, endpoint: Endpoint, path: str, request: EmbedRequest, config: Mapping[str, Any]
    ) -> tuple[list[list[float]], int]:
        provider, model = request.provider, model_path(request.model_name)
        texts = request.inputs
        gate = asyncio.Semaphore(EMBED_CONCURRENCY)

        async def one(body: Mapping[str, Any], method: str, count: int) -> tuple[list[list[float]], int]:
            async with gate:
                data = await self._post(endpoint, f"{path}:{method}", body, provider)
            if method == "predict":
                return embeddings.parse_vertex_predict(data, count, provider)
            return embeddings.parse_gemini(data, count, provider)

        if embeddings.vertex_uses_predict(model):
            size = embeddings.vertex_predict_limit(model)
            batches = [texts[i : i + size] for i in range(0, len(texts), size)]
            jobs = [one(embeddings.vertex_predict(batch, config), "predict", len(batch)) for batch in batches]
        else:
            jobs = [one(embeddings.vertex_embed_content(text, config), "embedContent", 1) for text in texts]
        results = await asyncio.gather(*jobs)
        vectors = [vector for got, _ in results for vector in got]
        return vectors, sum(used for _, used in results)
