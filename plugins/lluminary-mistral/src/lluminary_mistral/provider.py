"""The Mistral provider: chat (streamed or not), embeddings, token counting, catalogue."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

from lluminary.sdk import (
    Accumulator,
    APIConnectionError,
    ChatRequest,
    ChatResponse,
    EmbedRequest,
    EmbedResponse,
    HTTPProvider,
    MalformedResponseError,
    ModelInfo,
    ProviderError,
    ProviderSettings,
    RequestValidationError,
    StreamEvent,
    Usage,
    dumps,
    events_from_response,
    loads,
)

from . import catalogue, errors, tokens, wire
from .config import NAME, SPEC, USER_AGENT
from .parse import ChunkParser, usage_of

CHAT_PATH = "/v1/chat/completions"
EMBED_PATH = "/v1/embeddings"
EMBED_BATCH = 128
EMBED_CONCURRENCY = 4


class MistralProvider(HTTPProvider):
    """Mistral AI (``mistral:<model>``). Key, base URL and timeout come from the call, the
    client's ``providers={"mistral": {...}}``, this object's arguments, then ``MISTRAL_API_KEY``
    and ``MISTRAL_BASE_URL``."""

    name = NAME
    spec = SPEC

    def build_headers(self, api_key: str | None, settings: ProviderSettings) -> dict[str, str]:
        headers = super().build_headers(api_key, settings)
        headers["user-agent"] = USER_AGENT
        return headers

    def error_from_response(self, status: int, body: bytes, headers: Mapping[str, str], provider: str) -> ProviderError:
        return errors.from_response(status, body, headers)

    # ------------------------------------------------------------------ chat

    async def generate(self, request: ChatRequest) -> ChatResponse:
        endpoint = self.endpoint(request)
        answer = await endpoint.post_json(CHAT_PATH, _dumps(wire.chat_body(request, stream=False)))
        return _response_from_json(_loads(answer.content), request.provider)

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        endpoint = self.endpoint(request)
        body = _dumps(wire.chat_body(request, stream=True))
        headers = {**endpoint.headers, "accept": "text/event-stream"}
        parser = ChunkParser()
        out: list[StreamEvent] = []
        done = False
        async with endpoint.stream(CHAT_PATH, body, headers=headers) as answer:
            if answer.content_type.startswith("application/json"):
                # A server that ignored stream=true answered with one JSON document.
                for event in events_from_response(_response_from_json(_loads(await answer.read()), request.provider)):
                    yield event
                return
            async for data in answer.sse_data():
                if data == "[DONE]":
                    done = True
                    break
                if not data:
                    continue
                obj = _loads(data)
                if isinstance(obj, dict) and "choices" not in obj and _is_error(obj):
                    raise errors.from_stream_event(obj)
                parser.chunk(obj, out)
                if out:
                    for event in out:
                        yield event
                    out.clear()
            if not done and answer.truncated and parser.finish_raw is None:
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
        endpoint = self.endpoint(request)
        options = request.provider_options(NAME)
        batch = int(options.get("batch_size", EMBED_BATCH))
        if batch < 1:
            raise RequestValidationError("option 'batch_size' must be at least 1")
        limit = asyncio.Semaphore(int(options.get("concurrency", EMBED_CONCURRENCY)))
        inputs = list(request.inputs)
        batches = [inputs[i : i + batch] for i in range(0, len(inputs), batch)]

        async def one(texts: list[str]) -> tuple[list[list[float]], Usage, str]:
            body = _dumps(wire.embed_body(request.model_name, texts, request.dimensions, options))
            async with limit:
                answer = await endpoint.post_json(EMBED_PATH, body)
            return _embeddings_from_json(_loads(answer.content), len(texts))

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
    return dumps(body)


def _loads(raw: bytes | str) -> Any:
    try:
        return loads(raw)
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
