"""The {{ cookiecutter.plugin_name }} provider, written on lluminary's plugin SDK (:mod:`lluminary.sdk`).

This module is the HTTP side: where a call goes and with which key, and how a streamed answer is
read. The SDK's :class:`~lluminary.sdk.HTTPProvider` does the rest: each call's key, base URL and
timeout come from the call, the calling client's ``providers={"{{ cookiecutter.prefix }}": {...}}``, this object,
the environment and the defaults, in that order; requests go over the client's pooled connections
(one pool, each request with its own timeout); transport failures become lluminary's typed errors;
server-sent events are read frame by frame. :mod:`.wire` is the format side: request bodies,
answers and errors. As generated, the format is OpenAI's Chat Completions (``POST /v1/chat/completions``
with server-sent events when streaming, ``POST /v1/embeddings``), which is what the fake server of
``lluminary-testing`` speaks, so the conformance suite passes out of the box. To serve
{{ cookiecutter.plugin_name }}'s own API, change :mod:`.wire` and the paths below; the structure here fits almost
every HTTP provider.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from urllib.parse import urlsplit, urlunsplit

from lluminary.sdk import (
    APIConnectionError,
    ChatRequest,
    ChatResponse,
    EmbedRequest,
    EmbedResponse,
    HTTPProvider,
    ModelInfo,
    ProviderError,
    ProviderSettings,
    SettingsSpec,
    StreamEvent,
)

from . import wire
from ._version import __version__

#: The provider prefix (``"{{ cookiecutter.prefix }}:<model>"``), also the entry-point name.
NAME = "{{ cookiecutter.prefix }}"
API_KEY_ENV = "{{ cookiecutter.api_key_env }}"
BASE_URL_ENV = "{{ cookiecutter.__env_prefix }}_BASE_URL"
DEFAULT_BASE_URL = "{{ cookiecutter.base_url }}"
#: The path a bare host (``https://host``) gets, so that a base URL works with or without it.
API_ROOT = "/v1"
CHAT_PATH = "/chat/completions"
EMBEDDINGS_PATH = "/embeddings"
USER_AGENT = f"lluminary-{NAME}/{__version__}"

#: The model catalogue. Context windows and prices (US dollars per million tokens) let lluminary
#: compute the cost of each call; None means unknown. Fill them in from the provider's price list.
MODELS = (
    ModelInfo(
        f"{NAME}:{{ cookiecutter.model }}",
        context_window=None,
        input_price=None,
        output_price=None,
    ),
)


def normalize_base_url(url: str) -> str:
    """``https://host``, ``https://host/`` and ``https://host/v1/`` all become ``https://host/v1``;
    a URL with another path keeps it."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/") or API_ROOT
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


#: Where the settings come from when neither the call, the client nor this object gives them.
SPEC = SettingsSpec(
    provider=NAME,
    default_base_url=DEFAULT_BASE_URL,
    api_key_env=(API_KEY_ENV,),
    base_url_env=(BASE_URL_ENV,),
    normalize_base_url=normalize_base_url,
)


class {{ cookiecutter.__class_name }}(HTTPProvider):
    """``{{ cookiecutter.prefix }}:<model>``. The API key comes from the call (``api_key=``), the calling client's
    ``providers={"{{ cookiecutter.prefix }}": {"api_key": ...}}``, this constructor, else ``{{ cookiecutter.api_key_env }}``; the base URL
    likewise, then ``{{ cookiecutter.__env_prefix }}_BASE_URL``, then the default. A call without a key fails before any I/O."""

    name = NAME
    spec = SPEC

    def build_headers(self, api_key: str | None, settings: ProviderSettings) -> dict[str, str]:
        """Sent with every request: JSON, the key as a Bearer token, and who is calling. Change
        the auth scheme here (``x-api-key``, ...)."""
        headers = super().build_headers(api_key, settings)
        headers["user-agent"] = USER_AGENT
        return headers

    def error_from_response(self, status: int, body: bytes, headers: Mapping[str, str], provider: str) -> ProviderError:
        """The typed error for an HTTP error answer (the SDK calls this for every status >= 400)."""
        return wire.error_from_response(status, body, headers, provider=provider)

    # ------------------------------------------------------------------ chat

    async def generate(self, request: ChatRequest) -> ChatResponse:
        endpoint = self.endpoint(request)
        answer = await endpoint.post_json(CHAT_PATH, wire.chat_body(request, stream=False))
        return wire.completion(wire.loads(answer.content, provider=NAME), provider=request.provider)

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        # Resolve the endpoint before the first event: the calling client's settings are in scope.
        endpoint = self.endpoint(request)
        headers = {**endpoint.headers, "accept": "text/event-stream"}
        parser = wire.ChunkParser(NAME)
        done = False
        # Leaving the `async with` (also when the caller stops early and the generator is closed)
        # releases the connection; a broken or stalled body raises a typed error.
        async with endpoint.stream(CHAT_PATH, wire.chat_body(request, stream=True), headers=headers) as answer:
            async for data in answer.sse_data():  # complete events only, however the bytes were split
                if data == wire.END_OF_STREAM:
                    done = True
                    break
                for event in parser.feed(wire.loads(data, provider=NAME)):
                    yield event
        if not done:  # the body ended without the end marker: the answer is incomplete
            raise APIConnectionError("the stream ended before it was complete", provider=NAME)
        for event in parser.end():
            yield event

    # ------------------------------------------------------------------ embeddings and catalogue

    async def embed(self, request: EmbedRequest) -> EmbedResponse:
        endpoint = self.endpoint(request)
        answer = await endpoint.post_json(EMBEDDINGS_PATH, wire.embed_body(request))
        data = wire.loads(answer.content, provider=NAME)
        vectors, usage, model = wire.embeddings(data, len(request.inputs), provider=NAME)
        return EmbedResponse(vectors, model or request.model_name, request.provider, usage)

    def models(self) -> Iterable[ModelInfo]:
        return MODELS
