"""The Anthropic provider: the Messages API over the kernel's pooled transport (``lluminary.sdk``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

from lluminary import sdk

from . import config
from .errors import http_error, stream_error
from .models import catalogue
from .payload import build_body, count_tokens_body
from .response import parse_message
from .stream import StreamParser

_EMPTY: Mapping[str, Any] = {}
OPTIONS_NAME = "anthropic"
MESSAGES_PATH = "/v1/messages"
COUNT_TOKENS_PATH = "/v1/messages/count_tokens"


class AnthropicProvider(sdk.HTTPProvider):
    """Claude through the Messages API (``POST /v1/messages``).

    Key, base URL and timeout come from the call (``api_key=``, ``base_url=``, ``timeout=``), the
    client's ``providers={"anthropic": {...}}``, the arguments given here, then
    ``ANTHROPIC_API_KEY`` and ``ANTHROPIC_BASE_URL``. ``beta`` in the client's settings sends
    ``anthropic-beta`` with every call. Another prefix for an Anthropic-compatible endpoint, with
    its own environment variables, is one line::

        lluminary.register(AnthropicProvider("claude-proxy", base_url="https://proxy.example", key_env="PROXY_KEY"))
    """

    name = "anthropic"
    spec = config.SPEC

    def __init__(
        self,
        name: str | None = None,
        *,
        key_env: str = config.KEY_ENV,
        base_url_env: str = config.BASE_URL_ENV,
        **given: Any,
    ) -> None:
        """``given``: ``prefixes``, ``settings``, ``api_key``, ``base_url``, ``timeout`` and any
        setting of :class:`~lluminary.sdk.ProviderSettings` (``beta``, ``max_connections``, ...)."""
        super().__init__(name, **given)
        if (key_env, base_url_env) != (config.KEY_ENV, config.BASE_URL_ENV):
            # The SDK declares ``spec`` per class; a provider reading other variables has its own.
            self.spec = config.spec(key_env, base_url_env)
        self._models: list[sdk.ModelInfo] | None = None

    def build_headers(self, api_key: str | None, settings: sdk.ProviderSettings) -> dict[str, str]:
        return config.headers(api_key, settings.extra.get("beta"))

    def error_from_response(
        self, status: int, body: bytes, headers: Mapping[str, str], provider: str
    ) -> sdk.ProviderError:
        return http_error(status, body, headers, provider)

    # ------------------------------------------------------------------ catalogue

    def models(self) -> Iterable[sdk.ModelInfo]:
        if self._models is None:
            self._models = catalogue(self.prefixes)
        return self._models

    # ------------------------------------------------------------------ calls

    def _options(self, request: sdk.ChatRequest) -> Mapping[str, Any]:
        options = request.options
        if not options:
            return _EMPTY
        # A second prefix (a proxy speaking this API) also takes the options written for "anthropic".
        found = options.get(request.provider)
        if found is None:
            found = options.get(OPTIONS_NAME)
        return found if found is not None else _EMPTY

    async def generate(self, request: sdk.ChatRequest) -> sdk.ChatResponse:
        endpoint = self.endpoint(request)
        options = self._options(request)
        body, plan = build_body(request, options, self.prefixes)
        answer = await endpoint.post_json(MESSAGES_PATH, body, headers=config.call_headers(endpoint.headers, options))
        data = answer.json()
        if isinstance(data, Mapping) and data.get("type") == "error":  # an error body behind a 200 (proxies)
            raise stream_error(data, request.provider, answer.request_id)
        return parse_message(data, plan, request.provider)

    async def stream(self, request: sdk.ChatRequest) -> AsyncIterator[sdk.StreamEvent]:
        endpoint = self.endpoint(request)
        options = self._options(request)
        body, plan = build_body(request, options, self.prefixes, stream=True)
        headers = config.call_headers(endpoint.headers, options)
        async with endpoint.stream(MESSAGES_PATH, body, headers=headers) as answer:
            parser = StreamParser(request.provider, plan, answer.request_id)
            handle = parser.handle
            async for frame in answer.sse():
                out = handle(frame)
                if out is None:
                    continue
                if type(out) is tuple:
                    for event in out:
                        yield event
                else:
                    yield out
            parser.end(answer.truncated)

    async def count_tokens(self, request: sdk.ChatRequest | str, prompt: str | None = None, **kwargs: Any) -> int:
        """Input tokens of a request, counted by Anthropic (``POST /v1/messages/count_tokens``).

        Takes a :class:`ChatRequest` or the same arguments as ``lluminary.generate``::

            n = await provider.count_tokens("anthropic:claude-sonnet-5-5", "Hello", system="Be brief")
        """
        if not isinstance(request, sdk.ChatRequest):
            request = sdk.build_chat_request(request, prompt, **kwargs)
        endpoint = self.endpoint(request)
        options = self._options(request)
        body = count_tokens_body(request, options, self.prefixes)
        answer = await endpoint.post_json(
            COUNT_TOKENS_PATH, body, headers=config.call_headers(endpoint.headers, options)
        )
        data = answer.json()
        tokens = data.get("input_tokens") if isinstance(data, Mapping) else None
        if type(tokens) is not int:
            raise sdk.MalformedResponseError(
                f"count_tokens answered without input_tokens: {data!r:.200}", provider=request.provider
            )
        return tokens
