"""The Bedrock provider: Converse and ConverseStream, CountTokens, InvokeModel embeddings.

Every call is one POST over the SDK's pooled transport (the calling client's pool, per-request
timeouts), authenticated with a Bedrock API key (``Authorization: Bearer``) or signed with SigV4
over the exact URL, headers and body bytes it sends.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from typing import Any

from lluminary import sdk

from . import embeddings
from .config import SPEC, Target, Targets, model_path
from .convert import converse_body, count_tokens_body
from .errors import http_error
from .modelids import base_model
from .models import catalogue, price_entry
from .response import converse_events
from .stream import ConverseStreamParser

JSON = "application/json"
EVENT_STREAM = "application/vnd.amazon.eventstream"


class BedrockProvider(sdk.HTTPProvider):
    """Amazon Bedrock Runtime. ``region``, ``endpoint_url``, ``profile``, ``api_key`` and
    ``timeout`` given here apply to every call unless the call or the calling client's
    ``providers={"bedrock": {...}}`` (``region``, ``base_url``, ``profile``, ``api_key``,
    ``timeout``) says otherwise; what none of them sets comes from the environment (see
    :mod:`lluminary_bedrock.config`)."""

    name = "bedrock"
    spec = SPEC

    def __init__(
        self,
        name: str | None = None,
        *,
        prefixes: Iterable[str] | None = None,
        region: str | None = None,
        endpoint_url: str | None = None,
        profile: str | None = None,
        api_key: str | sdk.Secret | None = None,
        timeout: float | None = None,
        settings: sdk.ProviderSettings | Mapping[str, Any] | None = None,
        embed_concurrency: int = embeddings.TITAN_CONCURRENCY,
    ) -> None:
        super().__init__(
            name,
            prefixes=prefixes,
            settings=settings,
            api_key=api_key,
            base_url=endpoint_url,
            timeout=timeout,
            region=region,
            profile=profile,
        )
        self.targets = Targets()
        self.embed_concurrency = max(1, embed_concurrency)

    def error_from_response(
        self, status: int, body: bytes, headers: Mapping[str, str], provider: str
    ) -> sdk.ProviderError:
        return http_error(status, headers, sdk.json_or_text(body), provider)

    async def target(self, endpoint: sdk.Endpoint, request: sdk.ChatRequest | sdk.EmbedRequest) -> Target:
        """Where this call goes and how it is signed (see :class:`~lluminary_bedrock.config.Targets`)."""
        options = request.provider_options(request.provider)
        return await self.targets.find(endpoint, options, call_base_url=request.base_url)

    # ------------------------------------------------------------------ chat

    async def generate(self, request: sdk.ChatRequest) -> sdk.ChatResponse:
        endpoint = self.endpoint(request)
        provider = request.provider
        prepared = converse_body(request, request.provider_options(provider), provider)
        target = await self.target(endpoint, request)
        answer = await _post(endpoint, target, model_path(request.model_name, "converse"), prepared.body)
        accumulator = sdk.Accumulator(provider)
        for event in converse_events(
            answer.json(),
            provider=provider,
            model=request.model_name,
            request_id=answer.request_id,
            json_tool=prepared.json_tool,
        ):
            accumulator.add(event)
        return accumulator.response()

    async def stream(self, request: sdk.ChatRequest) -> AsyncIterator[sdk.StreamEvent]:
        endpoint = self.endpoint(request)
        provider = request.provider
        prepared = converse_body(request, request.provider_options(provider), provider)
        target = await self.target(endpoint, request)
        url = target.base_url + model_path(request.model_name, "converse-stream")
        body = sdk.dumps(prepared.body)
        headers = await target.headers(endpoint, url, body, EVENT_STREAM)
        async with endpoint.stream(url, body, headers=headers) as answer:
            parser = ConverseStreamParser(provider, request.model_name, answer.headers, prepared.json_tool)
            frames = _Frames(provider)
            async for chunk in answer.aiter_bytes():
                for message_headers, payload in frames.feed(chunk):
                    for event in parser.handle(message_headers, payload):
                        yield event
            frames.check_complete(answer.headers)
            for event in parser.close():
                yield event

    async def count_tokens(self, request: sdk.ChatRequest) -> int:
        """Input tokens through ``/model/{id}/count-tokens`` (a foundation model id: an
        inference-profile prefix or ARN is reduced to the model it names)."""
        endpoint = self.endpoint(request)
        provider = request.provider
        body = count_tokens_body(request, request.provider_options(provider), provider)
        target = await self.target(endpoint, request)
        answer = await _post(endpoint, target, model_path(base_model(request.model_name), "count-tokens"), body)
        data = answer.json()
        count = data.get("inputTokens") if isinstance(data, Mapping) else None
        if not isinstance(count, int):
            raise sdk.MalformedResponseError("the count-tokens answer has no inputTokens", provider=provider)
        return count

    # ------------------------------------------------------------------ embeddings

    async def embed(self, request: sdk.EmbedRequest) -> sdk.EmbedResponse:
        endpoint = self.endpoint(request)
        provider = request.provider
        options = request.provider_options(provider)
        plan = embeddings.calls(request, options)
        target = await self.target(endpoint, request)
        path = model_path(request.model_name, "invoke")
        limit = asyncio.Semaphore(int(options.get("concurrency", self.embed_concurrency)))

        async def run(call: embeddings.Call) -> tuple[embeddings.Call, list[list[float]], sdk.Usage]:
            async with limit:
                answer = await _post(endpoint, target, path, call.body)
            data = answer.json()
            found = embeddings.vectors(request.model_name, call, data, provider)
            return call, found, embeddings.usage(data, answer.headers)

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
        usage = sdk.Usage()
        for call, found, used in results:
            usage = usage + used
            for position, vector in zip(call.positions, found, strict=True):
                vectors[position] = vector
        return sdk.EmbedResponse(vectors, request.model_name, provider, usage)

    # ------------------------------------------------------------------ catalogue

    def models(self) -> Iterable[sdk.ModelInfo]:
        return catalogue(self.prefixes)

    def model_info(self, model: str) -> sdk.ModelInfo | None:
        """ARNs and profile prefixes the catalogue does not list cost what the model they name costs."""
        return price_entry(model)


async def _post(endpoint: sdk.Endpoint, target: Target, path: str, body: Mapping[str, Any]) -> sdk.Answer:
    """POST ``body`` (signed over the bytes sent) and read the whole answer; an error status raises
    through :meth:`BedrockProvider.error_from_response`."""
    url = target.base_url + path
    data = sdk.dumps(body)
    return await endpoint.post_json(url, data, headers=await target.headers(endpoint, url, data, JSON))


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
                raise sdk.MalformedResponseError(
                    f"broken event-stream frame: {type(exc).__name__}: {exc}", provider=self.provider
                ) from None
            self._consumed += message.prelude.total_length
            yield message.headers, message.payload

    def check_complete(self, headers: Mapping[str, str]) -> None:
        if self._fed != self._consumed:
            raise sdk.APIConnectionError(
                f"the event stream ended inside a frame ({self._fed - self._consumed} bytes left over)",
                provider=self.provider,
                request_id=sdk.request_id(headers),
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
