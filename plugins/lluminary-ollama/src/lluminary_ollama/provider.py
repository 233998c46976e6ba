"""The Ollama provider: chat (streamed or not) over ``/api/chat``, embeddings over ``/api/embed``,
and the installed models as the catalogue."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from lluminary import _http as http
from lluminary._errors import APIConnectionError, MalformedResponseError
from lluminary._provider import Provider
from lluminary._sse import LineDecoder
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

from . import catalogue, errors, wire
from .config import NAME, Endpoint, resolve
from .parse import LineParser

CHAT_PATH = "/api/chat"
EMBED_PATH = "/api/embed"


class OllamaProvider(Provider):
    """Ollama (``ollama:<model>``). Arguments override the environment for every call; a request's
    own ``base_url``/``api_key``/``timeout`` override both."""

    name = NAME

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | Secret | None = None,
        timeout: float | None = None,
        prefixes: Iterable[str] | None = None,
    ) -> None:
        super().__init__(NAME, prefixes=prefixes)
        self._base_url = base_url
        self._api_key = Secret(api_key) if isinstance(api_key, str) else api_key
        self._timeout = timeout

    def _endpoint(
        self, api_key: Secret | None = None, base_url: str | None = None, timeout: float | None = None
    ) -> Endpoint:
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
        wire.check(request)
        endpoint = self._endpoint(request.api_key, request.base_url, request.timeout)
        body = _dumps(wire.chat_body(request, stream=False))
        client = http.client(timeout=endpoint.timeout)
        async with _transport(endpoint):
            response = await client.post(endpoint.base_url + CHAT_PATH, content=body, headers=endpoint.headers)
            raw = response.content
        if response.status_code >= 400:
            raise errors.from_response(response.status_code, raw, response.headers, model=request.model_name)
        parser = LineParser()
        out: list[StreamEvent] = []
        text = raw.decode("utf-8", "replace").strip()
        # A server that streamed anyway: read every line.
        for line in text.splitlines() if "\n" in text else (text,):
            if line.strip():
                parser.line(_loads(line), out, line)
        if not parser.done:
            raise MalformedResponseError("the answer never said done: true", provider=NAME)
        parser.finish(out)
        acc = Accumulator(request.provider)
        for event in out:
            acc.add(event)
        return acc.response()

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        wire.check(request)
        endpoint = self._endpoint(request.api_key, request.base_url, request.timeout)
        body = _dumps(wire.chat_body(request, stream=True))
        headers = {**endpoint.headers, "accept": "application/x-ndjson"}
        client = http.client(timeout=endpoint.timeout)
        parser = LineParser()
        out: list[StreamEvent] = []
        async with (
            _transport(endpoint),
            client.stream("POST", endpoint.base_url + CHAT_PATH, content=body, headers=headers) as response,
        ):
            if response.status_code >= 400:
                raw = await response.aread()
                raise errors.from_response(response.status_code, raw, response.headers, model=request.model_name)
            decoder = LineDecoder()
            async for chunk in response.aiter_bytes():
                for line in decoder.feed(chunk):
                    parser.line(_loads(line), out, line)
                    if out:
                        for event in out:
                            yield event
                        out.clear()
                if parser.done:
                    break
            if not parser.done:
                for line in decoder.flush():
                    parser.line(_loads(line), out, line)
                for event in out:
                    yield event
                out.clear()
        if not parser.done:
            raise APIConnectionError("the stream ended before Ollama said done: true", provider=NAME)
        parser.finish(out)
        for event in out:
            yield event

    # ------------------------------------------------------------------ embeddings

    async def embed(self, request: EmbedRequest) -> EmbedResponse:
        endpoint = self._endpoint(request.api_key, request.base_url, request.timeout)
        body = _dumps(
            wire.embed_body(
                request.model_name, list(request.inputs), request.dimensions, request.provider_options(NAME)
            )
        )
        client = http.client(timeout=endpoint.timeout)
        async with _transport(endpoint):
            response = await client.post(endpoint.base_url + EMBED_PATH, content=body, headers=endpoint.headers)
            raw = response.content
        if response.status_code >= 400:
            raise errors.from_response(response.status_code, raw, response.headers, model=request.model_name)
        data = _loads(raw)
        vectors = data.get("embeddings") if isinstance(data, dict) else None
        if not isinstance(vectors, list) or len(vectors) != len(request.inputs):
            count = len(vectors) if isinstance(vectors, list) else 0
            raise MalformedResponseError(f"asked for {len(request.inputs)} embeddings, got {count}", provider=NAME)
        usage = Usage(input_tokens=int(data.get("prompt_eval_count") or 0))
        return EmbedResponse(
            [list(v) for v in vectors], str(data.get("model") or request.model_name), request.provider, usage
        )

    # ------------------------------------------------------------------ catalogue

    def models(self) -> Iterable[ModelInfo]:
        """``ollama:*`` at zero cost, plus the models installed on the configured server (asked with
        a short bounded request, remembered for a while; nothing more when the server is not up)."""
        endpoint = self._endpoint()
        return (catalogue.ZERO, *catalogue.installed(endpoint.base_url, endpoint.headers))


@asynccontextmanager
async def _transport(endpoint: Endpoint) -> AsyncIterator[None]:
    """Transport failures as typed errors; a refused connection says how to start Ollama."""
    import httpx2

    try:
        async with http.translate_errors(NAME):
            yield
    except APIConnectionError as exc:
        cause = exc.__cause__
        if isinstance(cause, httpx2.ConnectError):
            raise errors.not_running(endpoint.base_url, cause) from cause
        raise


def _dumps(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _loads(raw: bytes | str) -> Any:
    try:
        return json.loads(raw)
    except ValueError as exc:
        text = raw if isinstance(raw, str) else raw[:200].decode("utf-8", "replace")
        raise MalformedResponseError(f"invalid JSON from Ollama: {exc}: {text[:200]!r}", provider=NAME) from None
