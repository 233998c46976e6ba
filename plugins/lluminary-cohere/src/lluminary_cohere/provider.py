"""The Cohere provider: ``/v2/chat`` (generated and streamed), ``/v2/embed`` and ``/v1/tokenize``
over the kernel's pooled ``httpx2`` client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from lluminary import _http as http
from lluminary._errors import APIConnectionError, MalformedResponseError, register_secret
from lluminary._provider import Provider
from lluminary._sse import LineDecoder, SSEDecoder
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

from . import config
from .catalogue import MODELS
from .errors import http_error
from .request import chat_body, embed_body, request_text
from .response import events_from_body, usage
from .stream import StreamParser

if TYPE_CHECKING:
    import httpx2

T = TypeVar("T")

#: Cohere's limits: texts per ``/v2/embed`` call, characters per ``/v1/tokenize`` call.
EMBED_BATCH = 96
TOKENIZE_CHARS = 65_536


class CohereProvider(Provider):
    """Cohere's API v2. The key comes from ``api_key=``, else ``CO_API_KEY`` / ``COHERE_API_KEY``;
    the base URL from ``base_url=``, else ``CO_API_URL``, else ``https://api.cohere.com``. A
    request's own ``api_key``, ``base_url`` and ``timeout`` win over both."""

    name = "cohere"

    def __init__(
        self,
        name: str | None = None,
        *,
        prefixes: Iterable[str] | None = None,
        api_key: str | Secret | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        max_concurrency: int = 8,
    ) -> None:
        super().__init__(name, prefixes=prefixes)
        self._api_key = Secret(api_key) if isinstance(api_key, str) else api_key
        if self._api_key:
            register_secret(self._api_key.get())
        self.base_url = base_url
        self.timeout = timeout
        self.max_concurrency = max(1, max_concurrency)

    # ------------------------------------------------------------------ chat

    async def generate(self, request: ChatRequest) -> ChatResponse:
        data = await self._post_json(request, "/v2/chat", chat_body(request, stream=False, own=self.prefixes))
        acc = Accumulator(request.provider)
        for event in events_from_body(data, request.model_name, request.provider):
            acc.add(event)
        return acc.response()

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        key = config.resolve_api_key(request.api_key, self._api_key)
        url = config.resolve_base_url(request.base_url, self.base_url) + "/v2/chat"
        content = _dumps(chat_body(request, stream=True, own=self.prefixes))
        client = http.client(timeout=self.timeout)
        name = request.provider
        parser = StreamParser(request.model_name, name)
        cut = False
        async with (
            http.translate_errors(name),
            client.stream(
                "POST",
                url,
                content=content,
                headers=config.headers(key, stream=True),
                timeout=_timeout(request, client),
            ) as response,
        ):
            if response.status_code >= 400:
                raise http_error(response.status_code, response.headers, await response.aread(), name)
            try:
                media_type = response.headers.get("content-type", "").partition(";")[0].strip().lower()
                if media_type == "application/json":
                    # A whole answer where a stream was asked for (a buffering proxy): replay it.
                    for event in _replay(await response.aread(), parser):
                        yield event
                    return
                chunks = response.aiter_bytes()
                head = b""
                async for chunk in chunks:
                    head += chunk
                    if head.strip():
                        break
                if head.lstrip()[:1] == b"{":  # newline-delimited JSON frames (API v1's framing)
                    lines = LineDecoder()
                    for line in lines.feed(head):
                        for event in parser.feed(line):
                            yield event
                    async for chunk in chunks:
                        for line in lines.feed(chunk):
                            for event in parser.feed(line):
                                yield event
                    for line in lines.flush():
                        for event in parser.feed(line):
                            yield event
                else:
                    decoder = SSEDecoder()
                    for frame in decoder.feed(head):
                        for event in parser.feed(frame.data, frame.event):
                            yield event
                    async for chunk in chunks:
                        for frame in decoder.feed(chunk):
                            for event in parser.feed(frame.data, frame.event):
                                yield event
                    cut = decoder.flush()
            except UnicodeDecodeError as exc:
                raise MalformedResponseError(f"the stream is not valid UTF-8: {exc}", provider=name) from None
        if not parser.finished:
            where = "in the middle of an event" if cut else "before its message-end event"
            raise APIConnectionError(f"the stream ended {where}", provider=name)

    # ------------------------------------------------------------------ embeddings

    async def embed(self, request: EmbedRequest) -> EmbedResponse:
        texts = list(request.inputs)
        batches = [texts[i : i + EMBED_BATCH] for i in range(0, len(texts), EMBED_BATCH)]
        limit = asyncio.Semaphore(self.max_concurrency)

        async def one(batch: list[str]) -> Any:
            async with limit:
                return await self._post_json(request, "/v2/embed", embed_body(request, batch))

        answers = await _gather([one(batch) for batch in batches])
        vectors: list[list[float]] = []
        total = Usage()
        for batch, answer in zip(batches, answers, strict=True):
            got = _float_embeddings(answer, request.provider)
            if len(got) != len(batch):
                raise MalformedResponseError(
                    f"asked for {len(batch)} embeddings, got {len(got)}", provider=request.provider
                )
            vectors.extend(got)
            meta = answer.get("meta") if isinstance(answer, Mapping) else None
            total = total + usage(meta)
        return EmbedResponse(vectors, request.model_name, request.provider, total)

    # ------------------------------------------------------------------ tokens

    async def count_tokens(self, request: ChatRequest) -> int:
        """Tokens in the request's text (see :func:`lluminary_cohere.request.request_text`),
        counted by ``/v1/tokenize`` with the model's tokenizer."""
        text = request_text(request)
        if not text:
            return 0
        chunks = [text[i : i + TOKENIZE_CHARS] for i in range(0, len(text), TOKENIZE_CHARS)]
        limit = asyncio.Semaphore(self.max_concurrency)

        async def one(chunk: str) -> int:
            async with limit:
                answer = await self._post_json(request, "/v1/tokenize", {"text": chunk, "model": request.model_name})
            tokens = answer.get("tokens") if isinstance(answer, Mapping) else None
            if not isinstance(tokens, list):
                raise MalformedResponseError(
                    f"a tokenize answer without tokens: {str(answer)[:200]!r}", provider=request.provider
                )
            return len(tokens)

        return sum(await _gather([one(chunk) for chunk in chunks]))

    # ------------------------------------------------------------------ catalogue

    def models(self) -> Iterable[ModelInfo]:
        return MODELS

    # ------------------------------------------------------------------ HTTP

    async def _post_json(self, request: ChatRequest | EmbedRequest, path: str, body: Mapping[str, Any]) -> Any:
        key = config.resolve_api_key(request.api_key, self._api_key)
        url = config.resolve_base_url(request.base_url, self.base_url) + path
        client = http.client(timeout=self.timeout)
        async with http.translate_errors(request.provider):
            response = await client.post(
                url, content=_dumps(body), headers=config.headers(key), timeout=_timeout(request, client)
            )
        if response.status_code >= 400:
            raise http_error(response.status_code, response.headers, response.content, request.provider)
        return _loads(response.content, request.provider)


def _timeout(request: ChatRequest | EmbedRequest, client: httpx2.AsyncClient) -> httpx2.Timeout:
    """The call's own timeout (read and connect), or the pooled client's."""
    if request.timeout is None:
        return client.timeout
    import httpx2

    return httpx2.Timeout(request.timeout, connect=min(request.timeout, http.DEFAULT_CONNECT_TIMEOUT))


def _replay(content: bytes, parser: StreamParser) -> Iterable[StreamEvent]:
    """The events of a whole JSON answer, or of newline-delimited frames sent as ``application/json``."""
    try:
        body = json.loads(content)
    except ValueError:
        return [event for line in content.splitlines() if line.strip() for event in parser.feed(line.decode("utf-8"))]
    if isinstance(body, Mapping) and "type" in body:
        return parser.feed(content.decode("utf-8"))
    events = list(events_from_body(body, parser.model, parser.provider))
    parser.finished = True
    return events


def _dumps(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _loads(content: bytes, provider: str) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        raise MalformedResponseError(
            f"the answer is not JSON: {content[:200].decode('utf-8', 'replace')!r}", provider=provider
        ) from None


def _float_embeddings(answer: Any, provider: str) -> list[list[float]]:
    """``embeddings.float`` (``embeddings_by_type``), or a bare list (``embeddings_floats``)."""
    embeddings = answer.get("embeddings") if isinstance(answer, Mapping) else None
    if isinstance(embeddings, Mapping):
        embeddings = embeddings.get("float")
    if not isinstance(embeddings, list):
        raise MalformedResponseError(
            f"an embed answer without float embeddings: {str(answer)[:200]!r}", provider=provider
        )
    return embeddings


async def _gather(calls: list[Awaitable[T]]) -> list[T]:
    """Run ``calls`` concurrently, results in order; the first failure cancels the rest."""
    if len(calls) == 1:
        return [await calls[0]]
    tasks = [asyncio.ensure_future(call) for call in calls]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
