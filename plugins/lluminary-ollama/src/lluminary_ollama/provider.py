"""The Ollama provider: chat (streamed or not) over ``/api/chat``, embeddings over ``/api/embed``,
and the installed models as the catalogue.

Settings, the pooled connections (one pool, with each call's own timeout) and the HTTP error
answers come from the kernel's SDK; this module holds what is Ollama's own: the NDJSON answers,
the errors inside them, and the hint to start a server that does not answer.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Iterable, Mapping
from contextlib import AsyncExitStack
from typing import Any, TypeVar

from lluminary.sdk import (
    Accumulator,
    APIConnectionError,
    ChatRequest,
    ChatResponse,
    EmbedRequest,
    EmbedResponse,
    Endpoint,
    HTTPProvider,
    LineDecoder,
    LluminaryError,
    MalformedResponseError,
    ModelInfo,
    ProviderError,
    ProviderSettings,
    StreamEvent,
    loads,
)

from . import catalogue, errors, wire
from .config import DEFAULT_HOST, HOST_ENV, NAME, SPEC, USER_AGENT, normalise_base_url
from .parse import LineParser, usage_of

CHAT_PATH = "/api/chat"
EMBED_PATH = "/api/embed"

T = TypeVar("T")


class OllamaProvider(HTTPProvider):
    """Ollama (``ollama:<model>``). The base URL, key and timeout come from the call, the calling
    client's ``providers={"ollama": {...}}``, this object's arguments, then ``OLLAMA_HOST`` and
    ``OLLAMA_API_KEY`` (sent as a bearer token, for Ollama's cloud); a local server needs no key."""

    name = NAME
    spec = SPEC

    def build_headers(self, api_key: str | None, settings: ProviderSettings) -> dict[str, str]:
        headers = super().build_headers(api_key, settings)
        headers["user-agent"] = USER_AGENT
        return headers

    def error_from_response(self, status: int, body: bytes, headers: Mapping[str, str], provider: str) -> ProviderError:
        return errors.from_response(status, body, headers, provider)

    # ------------------------------------------------------------------ chat

    async def generate(self, request: ChatRequest) -> ChatResponse:
        endpoint = self.endpoint(request)
        wire.check(request)  # what Ollama cannot take, rejected before any I/O
        answer = await _reach(endpoint, endpoint.post_json(CHAT_PATH, wire.chat_body(request, stream=False)))
        parser = LineParser()
        out: list[StreamEvent] = []
        # One object, or (a server that streamed anyway) every line of an NDJSON body; a line that
        # is not UTF-8 is a MalformedResponseError, raised by the decoder.
        lines = LineDecoder(NAME)
        for line in (*lines.feed(answer.content), *lines.flush()):
            parser.line(_loads(line), out, line)
        if not parser.done:
            raise MalformedResponseError("the answer never said done: true", provider=NAME)
        parser.finish(out)
        acc = Accumulator(request.provider)
        for event in out:
            acc.add(event)
        return acc.response()

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        endpoint = self.endpoint(request)
        wire.check(request)  # what Ollama cannot take, rejected before any I/O
        body = wire.chat_body(request, stream=True)
        headers = {**endpoint.headers, "accept": "application/x-ndjson"}
        parser = LineParser()
        out: list[StreamEvent] = []
        async with AsyncExitStack() as stack:
            answer = await _reach(
                endpoint, stack.enter_async_context(endpoint.stream(CHAT_PATH, body, headers=headers))
            )
            async for line in answer.lines():
                parser.line(_loads(line), out, line)
                if out:
                    for event in out:
                        yield event
                    out.clear()
                if parser.done:
                    break
        if not parser.done:
            raise APIConnectionError("the stream ended before Ollama said done: true", provider=NAME)
        parser.finish(out)
        for event in out:
            yield event

    # ------------------------------------------------------------------ embeddings

    async def embed(self, request: EmbedRequest) -> EmbedResponse:
        endpoint = self.endpoint(request)
        options = request.provider_options(NAME)
        body = wire.embed_body(request.model_name, list(request.inputs), request.dimensions, options)
        answer = await _reach(endpoint, endpoint.post_json(EMBED_PATH, body))
        data = _loads(answer.content)
        vectors = data.get("embeddings") if isinstance(data, dict) else None
        if not isinstance(vectors, list) or len(vectors) != len(request.inputs):
            count = len(vectors) if isinstance(vectors, list) else 0
            raise MalformedResponseError(f"asked for {len(request.inputs)} embeddings, got {count}", provider=NAME)
        return EmbedResponse(
            [list(v) for v in vectors], str(data.get("model") or request.model_name), request.provider, usage_of(data)
        )

    # ------------------------------------------------------------------ catalogue

    def models(self) -> Iterable[ModelInfo]:
        """``ollama:*`` at zero cost, plus the models installed on the configured server (asked with
        a short bounded request, remembered for a while; nothing more when the server is not up)."""
        # Outside a call there is no client in scope: this object's base URL, else OLLAMA_HOST.
        base_url = normalise_base_url(self.settings.base_url or os.environ.get(HOST_ENV) or DEFAULT_HOST)
        return (catalogue.ZERO, *catalogue.installed(base_url, lambda url: catalogue.run(self._tags(url))))

    async def _tags(self, base_url: str) -> Any:
        """``/api/tags`` on the default pools of a loop that ends with this lookup, so its
        connection is closed here; None when the server does not answer well in time."""
        request = ChatRequest(f"{self.prefixes[0]}:*", base_url=base_url, timeout=catalogue.TAGS_TIMEOUT)
        endpoint = self.endpoint(request)
        try:
            return (await endpoint.get(catalogue.TAGS_PATH)).json()
        except LluminaryError:
            return None
        finally:
            await endpoint.transport.aclose()


async def _reach(endpoint: Endpoint, sending: Awaitable[T]) -> T:
    """Await a request; one that got no answer at all says how to start Ollama."""
    try:
        return await sending
    except APIConnectionError as exc:
        raise errors.not_running(endpoint.base_url, exc) from exc


def _loads(raw: bytes | str) -> Any:
    try:
        return loads(raw)
    except ValueError as exc:
        text = raw if isinstance(raw, str) else raw[:200].decode("utf-8", "replace")
        raise MalformedResponseError(f"invalid JSON from Ollama: {exc}: {text[:200]!r}", provider=NAME) from None
