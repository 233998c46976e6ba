"""The Mistral provider: chat (streamed or not), embeddings, token counting, catalogue."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable
from typing import Any

from lluminary import http
from lluminary.errors import APIConnectionError, MalformedResponseError, RequestValidationError
from lluminary.provider import Provider
from lluminary.sse import SSEDecoder
from lluminary.streaming import Accumulator
from lluminary.types import (
    ChatRequest,
    ChatResponse,
    EmbedRequest,
    EmbedResponse,
    ModelInfo,
    Secret,
    StreamEvent,
    Usage,
)

from . import catalogue, errors, tokens, wire
from .config import NAME, Endpoint, resolve
from .parse import ChunkParser, usage_of

CHAT_PATH = "/v1/chat/completions"
EMBED_PATH = "/v1/embeddings"
EMBED_BATCH = 128
EMBED_CONCURRENCY = 4


class MistralProvider(Provider):
    """Mistral AI (``mistral:<model>``). Arguments override the environment for every call;
    a request's own ``api_key``/``base_url``/``timeout`` override both."""

    name = NAME

    def __init__(
        self,
        *,
        api_key: str | Secret | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        prefixes: Iterable[str] | None = None,
    ) -> None:
        super().__init__(NAME, prefixes=prefixes)
        self._api_key = Secret(api_key) if isinstance(api_key, str) else api_key
        self._base_url = base_url
        self._timeout = timeout

    def _endpoint(self, api_key: Secret | None, base_url: str | None, timeout: float | None) -> Endpoint:
        return resolve(
            api_key,
            base_url,
            timeout,
            default_key=self._api_key,
            default_base_url=self._base_url,
            default_timeout=self._timeout,
        )

    # ------------------------------------------------------------------ chat

    async def generate(self, request: ChatRequest) -> ChatResponse:
        endpoint = self._endpoint(request.api_key, request.base_url, request.timeout)
        body = _dumps(wire.chat_body(request, stream=False))
        client = http.client(timeout=endpoint.timeout)
        async with http.translate_errors(NAME):
            response = await client.post(endpoint.base_url + CHAT_PATH, content=body, headers=endpoint.headers)
            raw = response.content
        if response.status_code >= 400:
            raise errors.from_response(response.status_code, raw, response.headers)
        return _response_from_json(_loads(raw), request.provider)

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        endpoint = self._endpoint(request.api_key, request.base_url, request.timeout)
        body = _dumps(wire.chat_body(request, stream=True))
        headers = {**endpoint.headers, "accept": "text/event-stream"}
        client = http.client(timeout=endpoint.timeout)
        parser = ChunkParser()
        out: list[StreamEvent] = []
        done = False
        async with (
            http.translate_errors(NAME),
            client.stream("POST", endpoint.base_url + CHAT_PATH, content=body, headers=headers) as response,
        ):
            if response.status_code >= 400:
                raise errors.from_response(response.status_code, await response.aread(), response.headers)
            if response.headers.get("content-type", "").startswith("application/json"):
                # A server that ignored stream=true answered with one JSON document.
                answer = _response_from_json(_loads(await response.aread()), request.provider)
                from lluminary.streaming import events_from_response

                for event in events_from_response(answer):
                    yield event
                return
            decoder = SSEDecoder()
            async for chunk in response.aiter_bytes():
                for sse in decoder.feed(chunk):
                    data = sse.data
                    if data == "[DONE]":
                        done = True
                        break
                    if not data or sse.event == "ping":
                        continue
                    obj = _loads(data)
                    if isinstance(obj, dict) and "choices" not in obj and _is_error(obj):
                        raise errors.from_stream_event(obj)
                    parser.chunk(obj, out)
                    if out:
                        for event in out:
                            yield event
                        out.clear()
                if done:
                    break
            if not done and decoder.flush() and parser.finish_raw is None:
                raise APIConnectionError("the stream was cut off mid-event", provider=NAME)
        if not done and parser.finish_raw is None:
            raise APIConnectionError(
                "the stream ended before the answer finished (no finish_reason and no [DONE])", provider=NAME
            )
        parser.finish(out)
        for event in out:
            yield event

    # ------------------------------------------------------------------ embeddings

    async def embed(self, request: EmbedRequest) -> EmbedResponse:
        endpoint = self._endpoint(request.api_key, request.base_url, request.timeout)
        options = request.provider_options(NAME)
        batch = int(options.get("batch_size", EMBED_BATCH))
        if batch < 1:
            raise RequestValidationError("option 'batch_size' must be at least 1")
        limit = asyncio.Semaphore(int(options.get("concurrency", EMBED_CONCURRENCY)))
        inputs = list(request.inputs)
        batches = [inputs[i : i + batch] for i in range(0, len(inputs), batch)]
        client = http.client(timeout=endpoint.timeout)

        async def one(texts: list[str]) -> tuple[list[list[float]], Usage, str]:
            body = _dumps(wire.embed_body(request.model_name, texts, request.dimensions, options))
            async with limit, http.translate_errors(NAME):
                response = await client.post(endpoint.base_url + EMBED_PATH, content=body, headers=endpoint.headers)
                raw = response.content
            if response.status_code >= 400:
                raise errors.from_response(response.status_code, raw, response.headers)
            return _embeddings_from_json(_loads(raw), len(texts))

        results = await asyncio.gather(*(one(b) for b in batches))
        vectors: list[list[float]] = []
        usage = Usage()
        model = request.model_name
        for batch_vectors, batch_usage, batch_model in results:
            vectors.extend(batch_vectors)
            usage = usage + batch_usage
            model = batch_model or model
        return EmbedResponse(vectors, model, request.provider, usage)

    # ------------------------------------------------------------------ tokens and catalogue

    async def count_tokens(self, request: ChatRequest) -> int:
        """Input tokens, counted offline (see :mod:`lluminary_mistral.tokens` for how exact)."""
        if tokens.have_tokenizer():
            return await asyncio.to_thread(tokens.count, request)
        return tokens.estimate(request)

    def models(self) -> Iterable[ModelInfo]:
        return catalogue.models()


# ---------------------------------------------------------------------- helpers


def _dumps(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _loads(raw: bytes | str) -> Any:
    try:
        return json.loads(raw)
    except ValueError as exc:
        text = raw if isinstance(raw, str) else raw[:200].decode("utf-8", "replace")
        raise MalformedResponseError(f"invalid JSON from Mistral: {exc}: {text[:200]!r}", provider=NAME) from None


def _is_error(obj: dict[str, Any]) -> bool:
    return obj.get("object") == "error" or "error" in obj or ("message" in obj and "id" not in obj)


def _response_from_json(data: Any, provider: str) -> ChatResponse:
    if isinstance(data, dict) and "choices" not in data and _is_error(data):
        raise errors.from_stream_event(data)
    parser = ChunkParser()
    out: list[StreamEvent] = []
    parser.chunk(data, out, delta_key="message")
    if not parser.seen_choice:
        raise MalformedResponseError("the response has no choices", provider=NAME)
    parser.finish(out)
    acc = Accumulator(provider)
    for event in out:
        acc.add(event)
    return acc.response()


def _embeddings_from_json(data: Any, expected: int) -> tuple[list[list[float]], Usage, str]:
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise MalformedResponseError("the embeddings response has no data list", provider=NAME)
    items = sorted(data["data"], key=lambda item: item.get("index", 0) if isinstance(item, dict) else 0)
    vectors = [list(item["embedding"]) for item in items if isinstance(item, dict) and "embedding" in item]
    if len(vectors) != expected:
        raise MalformedResponseError(f"asked for {expected} embeddings, got {len(vectors)}", provider=NAME)
    usage = usage_of(data.get("usage")) or Usage()
    return vectors, usage, str(data.get("model") or "")
