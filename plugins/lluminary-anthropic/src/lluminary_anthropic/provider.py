"""The Anthropic provider: the Messages API over one pooled ``httpx2`` client."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

from lluminary import _http as http
from lluminary._errors import MalformedResponseError
from lluminary._provider import Provider
from lluminary._requests import build_chat_request
from lluminary._sse import SSEDecoder
from lluminary._types import ChatRequest, ChatResponse, ModelInfo, StreamEvent

from .config import BASE_URL_ENV, KEY_ENV, Settings
from .errors import http_error, stream_error
from .models import catalogue
from .payload import build_body, count_tokens_body
from .response import parse_message
from .stream import StreamParser

_EMPTY: Mapping[str, Any] = {}
OPTIONS_NAME = "anthropic"


class AnthropicProvider(Provider):
    """Claude through the Messages API (``POST /v1/messages``).

    Configuration comes from ``ANTHROPIC_API_KEY`` and ``ANTHROPIC_BASE_URL`` unless given here;
    a call's ``api_key=``, ``base_url=`` and ``timeout=`` override both. Another prefix for an
    Anthropic-compatible endpoint is one line::

        lluminary.register(AnthropicProvider("claude-proxy", base_url="https://proxy.example", key_env="PROXY_KEY"))
    """

    name = "anthropic"

    def __init__(
        self,
        name: str | None = None,
        *,
        prefixes: Iterable[str] | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        key_env: str = KEY_ENV,
        base_url_env: str = BASE_URL_ENV,
    ) -> None:
        super().__init__(name, prefixes=prefixes)
        self.settings = Settings(api_key=api_key, base_url=base_url, key_env=key_env, base_url_env=base_url_env)
        self._models: list[ModelInfo] | None = None

    # ------------------------------------------------------------------ catalogue

    def models(self) -> Iterable[ModelInfo]:
        if self._models is None:
            self._models = catalogue(self.prefixes)
        return self._models

    # ------------------------------------------------------------------ calls

    def _options(self, request: ChatRequest) -> Mapping[str, Any]:
        options = request.options
        if not options:
            return _EMPTY
        # A second prefix (a proxy speaking this API) also takes the options written for "anthropic".
        found = options.get(request.provider)
        if found is None:
            found = options.get(OPTIONS_NAME)
        return found if found is not None else _EMPTY

    async def generate(self, request: ChatRequest) -> ChatResponse:
        options = self._options(request)
        endpoint = self.settings.endpoint(request, options)
        body, plan = build_body(request, options, self.prefixes)
        provider = request.provider
        client = http.client()
        async with http.translate_errors(provider):
            response = await client.post(
                endpoint.messages_url, content=_dumps(body), headers=endpoint.headers, timeout=_timeout(request)
            )
        if response.status_code >= 400:
            raise http_error(response.status_code, response.content, response.headers, provider)
        data = _parse_json(response.content, provider)
        if isinstance(data, Mapping) and data.get("type") == "error":  # an error body behind a 200 (proxies)
            raise stream_error(data, provider, http.request_id(response.headers))
        return parse_message(data, plan, provider)

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        options = self._options(request)
        endpoint = self.settings.endpoint(request, options)
        body, plan = build_body(request, options, self.prefixes, stream=True)
        provider = request.provider
        client = http.client()
        outgoing = client.build_request(
            "POST", endpoint.messages_url, content=_dumps(body), headers=endpoint.headers, timeout=_timeout(request)
        )
        async with http.translate_errors(provider):
            response = await client.send(outgoing, stream=True)
        try:
            if response.status_code >= 400:
                async with http.translate_errors(provider):
                    raw = await response.aread()
                raise http_error(response.status_code, raw, response.headers, provider)
            parser = StreamParser(provider, plan, http.request_id(response.headers))
            decoder = SSEDecoder()
            handle = parser.handle
            async with http.translate_errors(provider):
                async for chunk in response.aiter_bytes():
                    for frame in decoder.feed(chunk):
                        out = handle(frame)
                        if out is None:
                            continue
                        if type(out) is tuple:
                            for event in out:
                                yield event
                        else:
                            yield out
            parser.end(decoder.flush())
        finally:
            await response.aclose()

    async def count_tokens(self, request: ChatRequest | str, prompt: str | None = None, **kwargs: Any) -> int:
        """Input tokens of a request, counted by Anthropic (``POST /v1/messages/count_tokens``).

        Takes a :class:`ChatRequest` or the same arguments as ``lluminary.generate``::

            n = await provider.count_tokens("anthropic:claude-sonnet-5-5", "Hello", system="Be brief")
        """
        if not isinstance(request, ChatRequest):
            request = build_chat_request(request, prompt, **kwargs)
        options = self._options(request)
        endpoint = self.settings.endpoint(request, options)
        body = count_tokens_body(request, options, self.prefixes)
        provider = request.provider
        client = http.client()
        async with http.translate_errors(provider):
            response = await client.post(
                endpoint.count_tokens_url, content=_dumps(body), headers=endpoint.headers, timeout=_timeout(request)
            )
        if response.status_code >= 400:
            raise http_error(response.status_code, response.content, response.headers, provider)
        data = _parse_json(response.content, provider)
        tokens = data.get("input_tokens") if isinstance(data, Mapping) else None
        if type(tokens) is not int:
            raise MalformedResponseError(
                f"count_tokens answered without input_tokens: {data!r:.200}", provider=provider
            )
        return tokens


def _dumps(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _parse_json(raw: bytes, provider: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise MalformedResponseError(f"the answer is not JSON: {raw[:200]!r}", provider=provider) from None


_timeouts: dict[float, Any] = {}


def _timeout(request: ChatRequest) -> Any:
    """The per-call timeout, or the client's default."""
    seconds = request.timeout
    if seconds is None:
        import httpx2

        return httpx2.USE_CLIENT_DEFAULT
    found = _timeouts.get(seconds)
    if found is None:
        import httpx2

        found = httpx2.Timeout(seconds, connect=min(seconds, http.DEFAULT_CONNECT_TIMEOUT))
        if len(_timeouts) < 256:
            _timeouts[seconds] = found
    return found
