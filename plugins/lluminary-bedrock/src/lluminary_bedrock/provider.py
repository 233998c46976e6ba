"""The Bedrock provider: Converse and ConverseStream, CountTokens, InvokeModel embeddings.

Every call is one POST through the kernel's pooled ``httpx2`` client, authenticated with a Bedrock
API key (``Authorization: Bearer``) or signed with SigV4 over the exact URL, headers and body bytes
it sends.
"""

from __future__ import annotations

import asyncio
import json
import struct
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from lluminary import _http as http
from lluminary._errors import APIConnectionError, MalformedResponseError
from lluminary._provider import Provider
from lluminary._streaming import Accumulator
from lluminary._types import (
    ChatRequest,
    ChatResponse,
    EmbedRequest,
    EmbedResponse,
    ModelInfo,
    StreamEvent,
    Usage,
)

from . import embeddings
from .config import Settings, Target, model_path
from .convert import converse_body, count_tokens_body
from .errors import http_error
from .modelids import base_model
from .models import catalogue
from .response import converse_events
from .stream import ConverseStreamParser

if TYPE_CHECKING:
    import httpx2

JSON = "application/json"
EVENT_STREAM = "application/vnd.amazon.eventstream"


class BedrockProvider(Provider):
    """Amazon Bedrock Runtime. ``region``, ``endpoint_url``, ``profile`` and ``api_key`` fix the
    configuration for every call; otherwise it comes from the call and the environment (see
    :mod:`lluminary_bedrock.config`)."""

    name = "bedrock"

    def __init__(
        self,
        name: str | None = None,
        *,
        prefixes: Iterable[str] | None = None,
        region: str | None = None,
        endpoint_url: str | None = None,
        profile: str | None = None,
        api_key: str | None = None,
        embed_concurrency: int = embeddings.TITAN_CONCURRENCY,
    ) -> None:
        super().__init__(name, prefixes=prefixes)
        self.settings = Settings(region=region, endpoint_url=endpoint_url, profile=profile, api_key=api_key)
        self.embed_concurrency = max(1, embed_concurrency)

    # ------------------------------------------------------------------ chat

    async def generate(self, request: ChatRequest) -> ChatResponse:
        provider = request.provider
        options = request.provider_options(provider)
        prepared = converse_body(request, options, provider)
        target = await self._target(request, options)
        response = await self._post(target, model_path(request.model_name, "converse"), prepared.body, request, JSON)
        answer = await self._json(response, provider)
        accumulator = Accumulator(provider)
        for event in converse_events(
            answer,
            provider=provider,
            model=request.model_name,
            request_id=http.request_id(response.headers),
            json_tool=prepared.json_tool,
        ):
            accumulator.add(event)
        return accumulator.response()

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        import httpx2

        provider = request.provider
        options = request.provider_options(provider)
        prepared = converse_body(request, options, provider)
        target = await self._target(request, options)
        path = model_path(request.model_name, "converse-stream")
        response = await self._post(target, path, prepared.body, request, EVENT_STREAM)
        parser = ConverseStreamParser(provider, request.model_name, response.headers, prepared.json_tool)
        frames = _Frames(provider)
        try:
            try:
                async for chunk in response.aiter_bytes():
                    for headers, payload in frames.feed(chunk):
                        for event in parser.handle(headers, payload):
                            yield event
            except httpx2.TransportError as exc:
                raise http.transport_error(exc, provider) from exc
            frames.check_complete(response.headers)
            for event in parser.close():
                yield event
        finally:
            await response.aclose()

    async def count_tokens(self, request: ChatRequest) -> int:
        """Input tokens through ``/model/{id}/count-tokens`` (a foundation model id: an
        inference-profile prefix or ARN is reduced to the model it names)."""
        provider = request.provider
        options = request.provider_options(provider)
        body = count_tokens_body(request, options, provider)
        target = await self._target(request, options)
        path = model_path(base_model(request.model_name), "count-tokens")
        response = await self._post(target, path, body, request, JSON)
        answer = await self._json(response, provider)
        count = answer.get("inputTokens") if isinstance(answer, Mapping) else None
        if not isinstance(count, int):
            raise MalformedResponseError("the count-tokens answer has no inputTokens", provider=provider)
        return count

    # ------------------------------------------------------------------ embeddings

    async def embed(self, request: EmbedRequest) -> EmbedResponse:
        provider = request.provider
        options = request.provider_options(provider)
        plan = embeddings.calls(request, options)
        target = await self._target(request, options)
        path = model_path(request.model_name, "invoke")
        limit = asyncio.Semaphore(int(options.get("concurrency", self.embed_concurrency)))

        async def run(call: embeddings.Call) -> tuple[embeddings.Call, list[list[float]], int]:
            async with limit:
                response = await self._post(target, path, call.body, request, JSON)
                answer = await self._json(response, provider)
            found = embeddings.vectors(request.model_name, call, answer, provider)
            return call, found, embeddings.tokens(answer, response.headers)

        if len(plan) == 1:
            results = [await run(plan[0])]
        else:
            tasks = [asyncio.ensure_future(run(call)) for call in plan]
            try:
                results = list(await asyncio.gather(*tasks))
            except BaseException:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise
        vectors: list[list[float]] = [[] for _ in request.inputs]
        tokens = 0
        for call, found, used in results:
            tokens += used
            for position, vector in zip(call.positions, found, strict=True):
                vectors[position] = vector
        return EmbedResponse(vectors, request.model_name, provider, Usage(input_tokens=tokens))

    # ------------------------------------------------------------------ catalogue

    def models(self) -> Iterable[ModelInfo]:
        return catalogue(self.prefixes)

    # ------------------------------------------------------------------ HTTP

    async def _target(self, request: ChatRequest | EmbedRequest, options: Mapping[str, Any]) -> Target:
        return await self.settings.target(options, api_key=request.api_key, base_url=request.base_url)

    async def _post(
        self,
        target: Target,
        path: str,
        body: Mapping[str, Any],
        request: ChatRequest | EmbedRequest,
        accept: str,
    ) -> httpx2.Response:
        """POST ``body`` (signed as sent) and return the response, streaming; an error status is
        read and raised as its typed error."""
        provider = request.provider
        url = target.base_url + path
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = await target.headers(url, data, accept)
        client = http.client(timeout=request.timeout)
        outgoing = client.build_request("POST", url, content=data, headers=headers)
        async with http.translate_errors(provider):
            response = await client.send(outgoing, stream=True)
        if response.status_code >= 400:
            try:
                async with http.translate_errors(provider):
                    raw = await response.aread()
            finally:
                await response.aclose()
            raise http_error(response.status_code, response.headers, http.json_or_text(raw), provider)
        return response

    async def _json(self, response: httpx2.Response, provider: str) -> Any:
        try:
            async with http.translate_errors(provider):
                raw = await response.aread()
        finally:
            await response.aclose()
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise MalformedResponseError(
                f"the answer is not JSON: {exc}: {raw[:200]!r}",
                provider=provider,
                request_id=http.request_id(response.headers),
            ) from None


class _Frames:
    """Feeds botocore's event-stream decoder and counts what it consumed, so a body that ends
    inside a frame is reported instead of dropped."""

    __slots__ = ("provider", "_buffer", "_errors", "_fed", "_consumed")

    def __init__(self, provider: str) -> None:
        from botocore.eventstream import EventStreamBuffer, ParserError  # type: ignore[import-untyped, unused-ignore]

        self.provider = provider
        self._buffer = EventStreamBuffer()
        if hasattr(self._buffer, "_header_parser"):
            # Every frame of one event type has the same header bytes: parse each distinct block once.
            self._buffer._header_parser = _header_parser()
        # A CRC mismatch, a header of unknown type, lengths that do not add up.
        self._errors: tuple[type[BaseException], ...] = (
            ParserError,
            KeyError,
            ValueError,
            IndexError,
            UnicodeDecodeError,
            struct.error,
        )
        self._fed = 0
        self._consumed = 0

    def feed(self, chunk: bytes) -> Iterator[tuple[Mapping[str, Any], bytes]]:
        buffer = self._buffer
        buffer.add_data(chunk)
        self._fed += len(chunk)
        while True:
            try:
                message = buffer.next()
            except StopIteration:
                return
            except self._errors as exc:
                raise MalformedResponseError(
                    f"broken event-stream frame: {type(exc).__name__}: {exc}", provider=self.provider
                ) from None
            self._consumed += message.prelude.total_length
            yield message.headers, message.payload

    def check_complete(self, headers: Mapping[str, str]) -> None:
        if self._fed != self._consumed:
            raise APIConnectionError(
                f"the event stream ended inside a frame ({self._fed - self._consumed} bytes left over)",
                provider=self.provider,
                request_id=http.request_id(headers),
            )


_HEADER_PARSER: Any = None


def _header_parser() -> Any:
    """botocore's event-stream header parser, remembering what it parsed: a stream has a handful
    of distinct header blocks (one per event type), repeated on every frame."""
    global _HEADER_PARSER
    if _HEADER_PARSER is None:
        from botocore.eventstream import EventStreamHeaderParser  # type: ignore[import-untyped, unused-ignore]

        class CachingHeaderParser(EventStreamHeaderParser):  # type: ignore[misc, unused-ignore]
            def __init__(self) -> None:
                super().__init__()
                self._seen: dict[bytes, Any] = {}

            def parse(self, data: bytes) -> Any:
                found = self._seen.get(data)
                if found is None:
                    found = super().parse(data)
                    if len(self._seen) < 64:
                        self._seen[bytes(data)] = found
                return found

        _HEADER_PARSER = CachingHeaderParser
    return _HEADER_PARSER()
