"""The Cohere provider: ``/v2/chat`` (generated and streamed), ``/v2/embed`` and ``/v1/tokenize``
over the kernel's pooled transport (``lluminary.sdk``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Iterable, Mapping
from typing import Any, TypeVar

from lluminary import sdk

from .catalogue import MODELS
from .config import CLIENT_NAME, SPEC
from .errors import http_error
from .request import chat_body, embed_body, request_text
from .response import events_from_body, usage
from .stream import StreamParser

T = TypeVar("T")

CHAT_PATH = "/v2/chat"
EMBED_PATH = "/v2/embed"
TOKENIZE_PATH = "/v1/tokenize"
#: The Accept header of a streamed chat (see :meth:`CohereProvider.stream`).
STREAM_ACCEPT = "*/*"
#: Cohere's limits: texts per ``/v2/embed`` call, characters per ``/v1/tokenize`` call.
EMBED_BATCH = 96
TOKENIZE_CHARS = 65_536


class CohereProvider(sdk.HTTPProvider):
    """Cohere's API v2. Key, base URL and timeout come from the call (``api_key=``, ``base_url=``,
    ``timeout=``), the client's ``providers={"cohere": {...}}``, the arguments given here, then
    ``CO_API_KEY`` / ``COHERE_API_KEY`` and ``CO_API_URL``; the base URL defaults to
    ``https://api.cohere.com``. ``max_concurrency`` bounds the requests one embed or count call
    runs at once."""

    name = "cohere"
    spec = SPEC

    def __init__(self, name: str | None = None, *, max_concurrency: int = 8, **given: Any) -> None:
        """``given``: ``prefixes``, ``settings``, ``api_key``, ``base_url``, ``timeout`` and any
        setting of :class:`~lluminary.sdk.ProviderSettings` (``max_connections``, ...)."""
        super().__init__(name, **given)
        self.max_concurrency = max(1, max_concurrency)

    def build_headers(self, api_key: str | None, settings: sdk.ProviderSettings) -> dict[str, str]:
        headers = super().build_headers(api_key, settings)
        headers["x-client-name"] = CLIENT_NAME
        return headers

    def error_from_response(
        self, status: int, body: bytes, headers: Mapping[str, str], provider: str
    ) -> sdk.ProviderError:
        return http_error(status, body, headers, provider)

    # ------------------------------------------------------------------ chat

    async def generate(self, request: sdk.ChatRequest) -> sdk.ChatResponse:
        endpoint = self.endpoint(request)
        data = await _post(endpoint, CHAT_PATH, chat_body(request, stream=False, own=self.prefixes))
        acc = sdk.Accumulator(request.provider)
        for event in events_from_body(data, request.model_name, request.provider):
            acc.add(event)
        return acc.response()

    async def stream(self, request: sdk.ChatRequest) -> AsyncIterator[sdk.StreamEvent]:
        endpoint = self.endpoint(request)
        body = chat_body(request, stream=True, own=self.prefixes)
        # What Cohere's Python SDK sends for a streamed chat (it sets no Accept; httpx says */*):
        # Cohere's OpenAPI document lists only application/json for /v2/chat, so a validator of it
        # refuses text/event-stream alone with a 406.
        headers = {**endpoint.headers, "accept": STREAM_ACCEPT}
        name = request.provider
        parser = StreamParser(request.model_name, name)
        cut = False
        async with endpoint.stream(CHAT_PATH, body, headers=headers) as answer:
            if answer.content_type.partition(";")[0].strip().lower() == "application/json":
                # A whole answer where a stream was asked for (a buffering proxy): replay it.
                for event in _replay(await answer.read(), parser):
                    yield event
                return
            # The framing is told by the first bytes: SSE, or newline-delimited JSON (API v1's).
            chunks = answer.aiter_bytes()
            head = b""
            async for chunk in chunks:
                head += chunk
                if head.strip():
                    break
            if head.lstrip()[:1] == b"{":
                # The decoder raises MalformedResponseError on a line that is not UTF-8.
                lines = sdk.LineDecoder(name)
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
                decoder = sdk.SSEDecoder()
                for frame in decoder.feed(head):
                    for event in parser.feed(frame.data, frame.event):
                        yield event
                async for chunk in chunks:
                    for frame in decoder.feed(chunk):
                        for event in parser.feed(frame.data, frame.event):
                            yield event
                cut = decoder.flush()
        if not parser.finished:
            where = "in the middle of an event" if cut else "before its message-end event"
            raise sdk.APIConnectionError(f"the stream ended {where}", provider=name)

    # ------------------------------------------------------------------ embeddings

    async def embed(self, request: sdk.EmbedRequest) -> sdk.EmbedResponse:
        endpoint = self.endpoint(request)
        texts = list(request.inputs)
        batches = [texts[i : i + EMBED_BATCH] for i in range(0, len(texts), EMBED_BATCH)]
        limit = asyncio.Semaphore(self.max_concurrency)

        async def one(batch: list[str]) -> Any:
            async with limit:
                return await _post(endpoint, EMBED_PATH, embed_body(request, batch))

        answers = await _gather([one(batch) for batch in batches])
        vectors: list[list[float]] = []
        total = sdk.Usage()
        for batch, answer in zip(batches, answers, strict=True):
            got = _float_embeddings(answer, request.provider)
            if len(got) != len(batch):
                raise sdk.MalformedResponseError(
                    f"asked for {len(batch)} embeddings, got {len(got)}", provider=request.provider
                )
            vectors.extend(got)
            meta = answer.get("meta") if isinstance(answer, Mapping) else None
            total = total + usage(meta)
        return sdk.EmbedResponse(vectors, request.model_name, request.provider, total)

    # ------------------------------------------------------------------ tokens

    async def count_tokens(self, request: sdk.ChatRequest) -> int:
        """Tokens in the request's text (see :func:`lluminary_cohere.request.request_text`),
        counted by ``/v1/tokenize`` with the model's tokenizer."""
        endpoint = self.endpoint(request)
        text = request_text(request)
        if not text:
            return 0
        chunks = [text[i : i + TOKENIZE_CHARS] for i in range(0, len(text), TOKENIZE_CHARS)]
        limit = asyncio.Semaphore(self.max_concurrency)

        async def one(chunk: str) -> int:
            async with limit:
                answer = await _post(endpoint, TOKENIZE_PATH, {"text": chunk, "model": request.model_name})
            tokens = answer.get("tokens") if isinstance(answer, Mapping) else None
            if not isinstance(tokens, list):
                raise sdk.MalformedResponseError(
                    f"a tokenize answer without tokens: {str(answer)[:200]!r}", provider=request.provider
                )
            return len(tokens)

        return sum(await _gather([one(chunk) for chunk in chunks]))

    # ------------------------------------------------------------------ catalogue

    def models(self) -> Iterable[sdk.ModelInfo]:
        return MODELS


async def _post(endpoint: sdk.Endpoint, path: str, body: Mapping[str, Any]) -> Any:
    """POST ``body``; the answer's JSON (an error status raises through :func:`http_error`)."""
    answer = await endpoint.post_json(path, body)
    return answer.json()


def _replay(content: bytes, parser: StreamParser) -> Iterable[sdk.StreamEvent]:
    """The events of a whole JSON answer, or of newline-delimited frames sent as ``application/json``."""
    try:
        body = sdk.loads(content)
    except ValueError:
        lines = sdk.LineDecoder(parser.provider)
        return [event for line in (*lines.feed(content), *lines.flush()) for event in parser.feed(line)]
    if isinstance(body, Mapping) and "type" in body:
        return parser.feed(content.decode("utf-8"))
    events = list(events_from_body(body, parser.model, parser.provider))
    parser.finished = True
    return events


def _float_embeddings(answer: Any, provider: str) -> list[list[float]]:
    """``embeddings.float`` (``embeddings_by_type``), or a bare list (``embeddings_floats``)."""
    embeddings = answer.get("embeddings") if isinstance(answer, Mapping) else None
    if isinstance(embeddings, Mapping):
        embeddings = embeddings.get("float")
    if not isinstance(embeddings, list):
        raise sdk.MalformedResponseError(
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
