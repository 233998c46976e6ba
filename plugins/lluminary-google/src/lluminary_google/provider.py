"""The Gemini API provider (prefixes ``google`` and ``gemini``) and the Vertex AI provider (``vertex``).

Both speak the same ``generateContent`` wire; they differ in where a call goes and how it
authenticates, which :meth:`_GoogleProvider.target` hides. Settings, the pooled transport and the
error answers go through :mod:`lluminary.sdk`; nothing is imported or connected until the first call.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any, ClassVar

from lluminary import sdk

from . import embeddings
from .auth import VertexCredentials
from .catalogue import catalogue
from .config import (
    API_KEY_HINT_ENV,
    GEMINI_API_VERSION,
    GEMINI_SPEC,
    USER_AGENT,
    VERTEX_API_VERSION,
    VERTEX_DEFAULT_LOCATION,
    VERTEX_GLOBAL_HOST,
    VERTEX_LOCATION_ENV,
    VERTEX_PROJECT_ENV,
    VERTEX_SPEC,
    Target,
    model_path,
    normalise_base_url,
    vertex_base_url,
    vertex_model_path,
)
from .errors import error_object, from_error_object, from_http
from .framing import stream_chunks
from .request import build_body, count_tokens_body
from .response import ResponseParser

#: Every prefix this plugin serves by default: reasoning made under one is sent back under all.
FAMILY = frozenset({"google", "gemini", "vertex"})
#: Concurrent requests when Vertex embeds texts one request each.
EMBED_CONCURRENCY = 8


class _GoogleProvider(sdk.HTTPProvider, abc.ABC):
    """What the Gemini API and Vertex AI share: the wire, the stream, the errors."""

    vertex = False
    #: The API version a base URL without a path gets.
    default_api_version: ClassVar[str]

    def __init__(
        self,
        *,
        api_key: str | sdk.Secret | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        api_version: str | None = None,
        name: str | None = None,
        prefixes: Iterable[str] | None = None,
        settings: sdk.ProviderSettings | Mapping[str, Any] | None = None,
        **more: Any,
    ) -> None:
        super().__init__(
            name, prefixes=prefixes, settings=settings, api_key=api_key, base_url=base_url, timeout=timeout, **more
        )
        self.api_version = api_version or self.default_api_version
        #: Prefixes whose reasoning parts (thoughts, signatures) this provider sends back.
        self.family = FAMILY | frozenset(self.prefixes)

    # ---- what the two deployments answer differently

    @abc.abstractmethod
    async def target(
        self, endpoint: sdk.Endpoint, request: sdk.ChatRequest | sdk.EmbedRequest, options: Mapping[str, Any]
    ) -> Target:
        """The model's URL and the headers of this call: the Gemini API and Vertex AI each say
        where their requests go and how they authenticate."""

    def options(self, request: sdk.ChatRequest | sdk.EmbedRequest) -> Mapping[str, Any]:
        return request.provider_options(request.provider)

    def build_headers(self, api_key: str | None, settings: sdk.ProviderSettings) -> dict[str, str]:
        headers = {"content-type": "application/json", "user-agent": USER_AGENT}
        if api_key:
            headers["x-goog-api-key"] = api_key
        return headers

    def error_from_response(
        self, status: int, body: bytes, headers: Mapping[str, str], provider: str
    ) -> sdk.ProviderError:
        return from_http(status, body, headers, provider)

    # ---- chat

    async def generate(self, request: sdk.ChatRequest) -> sdk.ChatResponse:
        endpoint = self.endpoint(request)
        options = self.options(request)
        body = build_body(request, options, self.family)
        target = await self.target(endpoint, request, options)
        data = await _post(endpoint, target, "generateContent", body)
        err = error_object(data)
        if err is not None:
            raise from_error_object(err, status=None, provider=request.provider)
        parser = ResponseParser(request.provider, request.model_name)
        acc = sdk.Accumulator(request.provider)
        for event in parser.feed(data):
            acc.add(event)
        for event in parser.close():
            acc.add(event)
        return acc.response()

    async def stream(self, request: sdk.ChatRequest) -> AsyncIterator[sdk.StreamEvent]:
        endpoint = self.endpoint(request)
        provider = request.provider
        options = self.options(request)
        body = build_body(request, options, self.family)
        target = await self.target(endpoint, request, options)
        parser = ResponseParser(provider, request.model_name)
        url = target.url("streamGenerateContent") + "?alt=sse"
        # Server-sent events as asked, or the JSON array the API sends when alt=sse is lost (a
        # proxy that drops it); an unreadable body is a MalformedResponseError.
        async with (
            endpoint.stream(url, body, headers=target.headers) as answer,
            contextlib.aclosing(stream_chunks(answer, provider)) as chunks,
        ):
            async for chunk in chunks:
                if isinstance(chunk, dict) and "error" in chunk:
                    err = error_object(chunk)
                    if err is not None:
                        raise from_error_object(err, status=None, provider=provider)
                for event in parser.feed(chunk):
                    yield event
        if not parser.finished:
            raise sdk.APIConnectionError(
                "the stream ended before the model finished (no finishReason)", provider=provider
            )
        for event in parser.close():
            yield event

    async def count_tokens(self, request: sdk.ChatRequest) -> int:
        endpoint = self.endpoint(request)
        options = self.options(request)
        body = count_tokens_body(
            request, options, self.family, vertex=self.vertex, model=model_path(request.model_name)
        )
        target = await self.target(endpoint, request, options)
        data = await _post(endpoint, target, "countTokens", body)
        total = data.get("totalTokens", 0) if isinstance(data, dict) else None
        if not isinstance(total, int):
            raise sdk.MalformedResponseError(f"countTokens answered {data!r}", provider=request.provider)
        return total

    # ---- embeddings

    async def embed(self, request: sdk.EmbedRequest) -> sdk.EmbedResponse:
        endpoint = self.endpoint(request)
        options = self.options(request)
        config = embeddings.embed_config(request, options)
        if not request.inputs:
            return sdk.EmbedResponse([], request.model_name, request.provider)
        target = await self.target(endpoint, request, options)
        vectors, usage = await self._embed(endpoint, target, request, config)
        if not usage.input_tokens:
            # The answers counted nothing (the Gemini API's never do): estimate offline, so the
            # call is priced and counted against a budget; details says it is an estimate.
            estimate = embeddings.estimate_tokens(request.inputs)
            details = {**usage.details, "estimated_input_tokens": estimate}
            usage = sdk.Usage(input_tokens=estimate, details=details)
        return sdk.EmbedResponse(vectors, request.model_name, request.provider, usage)

    async def _embed(
        self, endpoint: sdk.Endpoint, target: Target, request: sdk.EmbedRequest, config: Mapping[str, Any]
    ) -> tuple[list[list[float]], sdk.Usage]:
        provider, model = request.provider, model_path(request.model_name)
        texts = request.inputs
        if len(texts) == 1:
            data = await _post(endpoint, target, "embedContent", embeddings.gemini_single(model, texts[0], config))
            return embeddings.parse_gemini(data, 1, provider)
        vectors: list[list[float]] = []
        usage = sdk.Usage()
        for start in range(0, len(texts), embeddings.BATCH_LIMIT):
            batch = texts[start : start + embeddings.BATCH_LIMIT]
            data = await _post(endpoint, target, "batchEmbedContents", embeddings.gemini_batch(model, batch, config))
            got, used = embeddings.parse_gemini(data, len(batch), provider)
            vectors.extend(got)
            usage = usage + used
        return vectors, usage

    def models(self) -> Iterable[sdk.ModelInfo]:
        return catalogue(self.prefixes)


async def _post(endpoint: sdk.Endpoint, target: Target, method: str, body: Mapping[str, Any]) -> Any:
    """POST ``body`` to one of the model's methods; the answer's JSON (an error status raises
    through :meth:`_GoogleProvider.error_from_response`)."""
    answer = await endpoint.post_json(target.url(method), body, headers=target.headers)
    return answer.json()


class GeminiProvider(_GoogleProvider):
    """The Gemini API (``generativelanguage.googleapis.com``) with an API key.

    Key, base URL and timeout come from the call, the client's ``providers={"google": {...}}``
    (or ``"gemini"``), the arguments given here, then the environment (``GOOGLE_API_KEY`` /
    ``GEMINI_API_KEY``, ``GOOGLE_GEMINI_BASE_URL``). Provider options are read under
    ``"google"`` and, for ``gemini:`` calls, ``"gemini"`` on top.
    """

    name = "google"
    prefixes = ("google", "gemini")
    spec = GEMINI_SPEC
    default_api_version = GEMINI_API_VERSION

    def options(self, request: sdk.ChatRequest | sdk.EmbedRequest) -> Mapping[str, Any]:
        base = request.provider_options("google")
        own = request.provider_options(request.provider) if request.provider != "google" else {}
        return {**base, **own} if own else base

    async def target(
        self, endpoint: sdk.Endpoint, request: sdk.ChatRequest | sdk.EmbedRequest, options: Mapping[str, Any]
    ) -> Target:
        if not endpoint.api_key:
            raise sdk.ConfigurationError(
                "no Gemini API key: set the GEMINI_API_KEY (or GOOGLE_API_KEY) environment variable or pass api_key=...",
                env_var=API_KEY_HINT_ENV,
            )
        base = normalise_base_url(endpoint.base_url, self.api_version)
        return Target(f"{base}/models/{model_path(request.model_name)}", endpoint.headers)


class VertexProvider(_GoogleProvider):
    """Gemini on Vertex AI, authenticated with Google Cloud credentials (``lluminary-google[vertex]``).

    ``project`` / ``location`` come from the call's provider options, the client's
    ``providers={"vertex": {...}}``, the arguments given here, or ``GOOGLE_CLOUD_PROJECT`` /
    ``GOOGLE_CLOUD_LOCATION`` (default ``global``); the project falls back to the one of the
    application default credentials. ``credentials`` is any google-auth credentials object
    (default: application default credentials, found on first use). With an API key (here, from
    the client or per call) the provider uses Vertex AI express mode instead: no project, no
    credentials.
    """

    name = "vertex"
    prefixes = ("vertex",)
    spec = VERTEX_SPEC
    vertex = True
    default_api_version = VERTEX_API_VERSION

    def __init__(
        self, *, project: str | None = None, location: str | None = None, credentials: Any | None = None, **given: Any
    ) -> None:
        """``given``: ``api_key`` (express mode), ``base_url``, ``timeout``, ``api_version``,
        ``name``, ``prefixes`` and ``settings``, as for :class:`GeminiProvider`."""
        super().__init__(project=project, location=location, **given)
        self.credentials = VertexCredentials(credentials, provider=self.name)

    async def target(
        self, endpoint: sdk.Endpoint, request: sdk.ChatRequest | sdk.EmbedRequest, options: Mapping[str, Any]
    ) -> Target:
        extra = endpoint.extra
        model = request.model_name
        if endpoint.api_key:  # express mode
            base = normalise_base_url(endpoint.base_url or VERTEX_GLOBAL_HOST, self.api_version)
            return Target(f"{base}/publishers/google/models/{model_path(model)}", endpoint.headers)
        location = str(
            options.get("location")
            or extra.get("location")
            or os.environ.get(VERTEX_LOCATION_ENV)
            or VERTEX_DEFAULT_LOCATION
        )
        project = options.get("project") or extra.get("project") or os.environ.get(VERTEX_PROJECT_ENV)
        if not project:
            project = await self.credentials.project()
        if not project:
            raise sdk.ConfigurationError(
                "no Google Cloud project for Vertex AI: set GOOGLE_CLOUD_PROJECT or pass project=...",
                env_var=VERTEX_PROJECT_ENV,
            )
        headers = {**endpoint.headers, **await self.credentials.headers()}
        base = vertex_base_url(endpoint.base_url, location, self.api_version)
        return Target(f"{base}/{vertex_model_path(str(project), location, model)}", headers)

    async def _embed(
        self, endpoint: sdk.Endpoint, target: Target, request: sdk.EmbedRequest, config: Mapping[str, Any]
    ) -> tuple[list[list[float]], sdk.Usage]:
        provider, model = request.provider, model_path(request.model_name)
        texts = request.inputs
        gate = asyncio.Semaphore(EMBED_CONCURRENCY)

        async def one(body: Mapping[str, Any], method: str, count: int) -> tuple[list[list[float]], sdk.Usage]:
            async with gate:
                data = await _post(endpoint, target, method, body)
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
        usage = sdk.Usage()
        for _, used in results:
            usage = usage + used
        return vectors, usage
