"""The {{ cookiecutter.plugin_name }} provider, written from scratch on :class:`lluminary.Provider`.

This module is the HTTP side: where a call goes, with which key, through which pooled client, and
how a streamed answer is read frame by frame. :mod:`.wire` is the format side: request bodies,
answers and errors. As generated, the format is OpenAI's Chat Completions (``POST /v1/chat/completions``
with server-sent events when streaming, ``POST /v1/embeddings``), which is what the fake server of
``lluminary-testing`` speaks, so the conformance suite passes out of the box. To serve
{{ cookiecutter.plugin_name }}'s own API, change :mod:`.wire` and the paths below; the structure here fits almost
every HTTP provider.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterable
from urllib.parse import urlsplit, urlunsplit

from lluminary import _http as http
from lluminary._errors import APIConnectionError, ConfigurationError, register_secret
from lluminary._provider import Provider
from lluminary._sse import SSEDecoder
from lluminary._types import ChatRequest, ChatResponse, EmbedRequest, EmbedResponse, ModelInfo, Secret, StreamEvent

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


class {{ cookiecutter.__class_name }}(Provider):
    """``{{ cookiecutter.prefix }}:<model>``. The API key comes from the call (``api_key=``), else from this
    constructor, else from ``{{ cookiecutter.api_key_env }}``; the base URL from the call, the constructor,
    ``{{ cookiecutter.__env_prefix }}_BASE_URL`` or the default, in that order."""

    name = NAME

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        prefixes: Iterable[str] | None = None,
    ) -> None:
        super().__init__(NAME, prefixes=prefixes)
        self._api_key = Secret(api_key) if api_key else None
        self._base_url = base_url

    def _endpoint(self, api_key: Secret | None, base_url: str | None, path: str) -> tuple[str, dict[str, str]]:
        """The URL of ``path`` and the headers for one call. Fails before any I/O without a key."""
        key = (api_key or self._api_key or Secret(os.environ.get(API_KEY_ENV, ""))).get().strip()
        if not key:
            message = f"no API key for {NAME!r}: set the {API_KEY_ENV} environment variable or pass api_key=..."
            raise ConfigurationError(message, env_var=API_KEY_ENV)
        register_secret(key)  # from now on lluminary's errors redact it, wherever it shows up
        root = base_url or self._base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
        headers = {"authorization": f"Bearer {key}", "content-type": "application/json", "user-agent": USER_AGENT}
        return normalize_base_url(root) + path, headers

    # ------------------------------------------------------------------ chat

    async def generate(self, request: ChatRequest) -> ChatResponse:
        url, headers = self._endpoint(request.api_key, request.base_url, CHAT_PATH)
        pool = http.client(timeout=request.timeout)
        async with http.translate_errors(NAME):
            response = await pool.post(url, content=wire.dumps(wire.chat_body(request, stream=False)), headers=headers)
            raw = response.content  # read inside: a connection that breaks mid-body is an APIConnectionError
        if response.status_code >= 400:
            raise wire.error_from_response(response.status_code, raw, response.headers, provider=NAME)
        return wire.completion(wire.loads(raw, provider=NAME), provider=request.provider)

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        url, headers = self._endpoint(request.api_key, request.base_url, CHAT_PATH)
        headers["accept"] = "text/event-stream"
        body = wire.dumps(wire.chat_body(request, stream=True))
        pool = http.client(timeout=request.timeout)
        parser = wire.ChunkParser(NAME)
        decoder = SSEDecoder()
        done = False
        # Everything, reading the body included, inside translate_errors: timeouts and resets
        # become typed errors. Leaving the `async with` (also when the caller stops early and the
        # generator is closed) closes the connection.
        async with http.translate_errors(NAME), pool.stream("POST", url, content=body, headers=headers) as response:
            if response.status_code >= 400:
                raw = await response.aread()
                raise wire.error_from_response(response.status_code, raw, response.headers, provider=NAME)
            async for chunk in response.aiter_bytes():
                for frame in decoder.feed(chunk):  # complete frames only, however the bytes were split
                    if frame.data == wire.END_OF_STREAM:
                        done = True
                        break
                    for event in parser.feed(wire.loads(frame.data, provider=NAME)):
                        yield event
                if done:
                    break
        if not done:  # the body ended without the end marker: the answer is incomplete
            raise APIConnectionError("the stream ended before it was complete", provider=NAME)
        for event in parser.end():
            yield event

    # ------------------------------------------------------------------ embeddings and catalogue

    async def embed(self, request: EmbedRequest) -> EmbedResponse:
        url, headers = self._endpoint(request.api_key, request.base_url, EMBEDDINGS_PATH)
        pool = http.client(timeout=request.timeout)
        async with http.translate_errors(NAME):
            response = await pool.post(url, content=wire.dumps(wire.embed_body(request)), headers=headers)
            raw = response.content
        if response.status_code >= 400:
            raise wire.error_from_response(response.status_code, raw, response.headers, provider=NAME)
        vectors, usage, model = wire.embeddings(wire.loads(raw, provider=NAME), len(request.inputs), provider=NAME)
        return EmbedResponse(vectors, model or request.model_name, request.provider, usage)

    def models(self) -> Iterable[ModelInfo]:
        return MODELS
