"""The OpenAI provider: Chat Completions, the Responses API and embeddings over one pooled client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from lluminary._errors import MalformedResponseError
from lluminary._http import client, transport_error
from lluminary._provider import Provider
from lluminary._types import (
    ChatRequest,
    ChatResponse,
    EmbedRequest,
    EmbedResponse,
    ModelInfo,
    StreamEvent,
    Usage,
)

from ._json import dumps, loads
from .chat_request import chat_body
from .chat_response import parse_chat_completion
from .chat_stream import ChatStreamParser
from .config import Settings
from .dialect import OPENAI, Dialect
from .embeddings import batches, embed_body, parse_embeddings
from .errors import http_error
from .frames import FrameDecoder
from .models import catalogue, prefers_responses
from .responses_request import responses_body
from .responses_response import ResponsesStreamParser, parse_response
from .tokens import count_request_tokens
from .usage import embedding_usage

if TYPE_CHECKING:
    import httpx2

EMBED_CONCURRENCY = 4
_httpx2: Any = None


def _http() -> Any:
    """httpx2, imported on the first request (``import lluminary_openai`` stays cheap)."""
    global _httpx2
    if _httpx2 is None:
        import httpx2

        _httpx2 = httpx2
    return _httpx2


class OpenAIProvider(Provider):
    """OpenAI, or any server that speaks its protocol (see :class:`~lluminary_openai.OpenAICompatible`).

    Environment: ``OPENAI_API_KEY`` (required), ``OPENAI_BASE_URL``, ``OPENAI_ORGANIZATION``,
    ``OPENAI_PROJECT``. Per call, ``api_key=``, ``base_url=`` and ``timeout=`` override them.
    Reasoning models (o-series, GPT-5 family) go to the Responses API; ``options={"openai":
    {"api": "chat" | "responses"}}`` chooses explicitly. Other ``options[prefix]`` keys are sent
    as body fields unchanged.
    """

    name = "openai"

    def __init__(
        self,
        name: str = "openai",
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        api_key_env: str | None = "OPENAI_API_KEY",
        base_url_env: str | None = "OPENAI_BASE_URL",
        default_base_url: str = "https://api.openai.com/v1",
        headers: Mapping[str, str] | None = None,
        key_required: bool = True,
        organization_env: str | None = "OPENAI_ORGANIZATION",
        project_env: str | None = "OPENAI_PROJECT",
        dialect: Dialect = OPENAI,
        models: Iterable[ModelInfo] | None = None,
        prefixes: Iterable[str] | None = None,
    ) -> None:
        super().__init__(name, prefixes=prefixes)
        self.settings = Settings(
            name=name,
            default_base_url=default_base_url,
            api_key_env=api_key_env,
            base_url_env=base_url_env,
            api_key=api_key,
            base_url=base_url,
            headers=headers,
            key_required=key_required,
            organization_env=organization_env,
            project_env=project_env,
        )
        self.dialect = dialect
        self._models = catalogue(name) if models is None else tuple(models)

    # ------------------------------------------------------------------ routing

    def uses_responses(self, request: ChatRequest) -> bool:
        """Whether ``request`` goes to ``/responses`` rather than ``/chat/completions``."""
        api = request.provider_options(request.provider).get("api")
        if api == "responses":
            return True
        if api == "chat":
            return False
        return self.dialect.responses_api and prefers_responses(request.model_name)

    # ------------------------------------------------------------------ chat

    async def generate(self, request: ChatRequest) -> ChatResponse:
        prefix = request.provider
        endpoint = self.settings.endpoint(request.api_key, request.base_url)
        if self.uses_responses(request):
            body = responses_body(request, stream=False, prefix=prefix)
            data, request_id = await self._post(endpoint.responses_url, endpoint.headers, body, request.timeout, prefix)
            return parse_response(data, provider=prefix, request_id=request_id)
        body = chat_body(request, stream=False, dialect=self.dialect, prefix=prefix)
        data, request_id = await self._post(endpoint.chat_url, endpoint.headers, body, request.timeout, prefix)
        return parse_chat_completion(data, provider=prefix, dialect=self.dialect, request_id=request_id)

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        prefix = request.provider
        endpoint = self.settings.endpoint(request.api_key, request.base_url)
        parser: ChatStreamParser | ResponsesStreamParser
        if self.uses_responses(request):
            url = endpoint.responses_url
            payload = dumps(responses_body(request, stream=True, prefix=prefix))
            parser = ResponsesStreamParser(prefix)
        else:
            url = endpoint.chat_url
            payload = dumps(chat_body(request, stream=True, dialect=self.dialect, prefix=prefix))
            parser = ChatStreamParser(prefix, self.dialect.reasoning_fields)
        httpx = _http()
        http = client()
        timeout: Any = request.timeout if request.timeout is not None else httpx.USE_CLIENT_DEFAULT
        outgoing = http.build_request("POST", url, content=payload, headers=endpoint.headers, timeout=timeout)
        try:
            response = await http.send(outgoing, stream=True)
        except httpx.TransportError as exc:
            raise transport_error(exc, prefix) from exc
        try:
            request_id = response.headers.get("x-request-id")
            if response.status_code >= 400:
                raise http_error(response.status_code, await _read_quietly(response), response.headers, prefix)
            parser.request_id = request_id
            decoder = FrameDecoder()
            feed = parser.feed
            try:
                async for chunk in response.aiter_bytes():
                    for data in decoder.feed(chunk):
                        if data[:1] != "{":
                            if data == "[DONE]":
                                parser.done = True
                                continue
                            if not data.strip():
                                continue
                        for event in feed(loads(data)):
                            yield event
            except httpx.TransportError as exc:
                raise transport_error(exc, prefix) from exc
            except ValueError as exc:  # JSON or UTF-8
                raise MalformedResponseError(
                    f"a stream frame could not be decoded: {exc}: {data[:200]!r}",
                    provider=prefix,
                    request_id=request_id,
                ) from None
            for event in parser.close():
                yield event
        finally:
            await response.aclose()

    # ------------------------------------------------------------------ embeddings

    async def embed(self, request: EmbedRequest) -> EmbedResponse:
        prefix = request.provider
        endpoint = self.settings.endpoint(request.api_key, request.base_url)
        encoding = request.provider_options(prefix).get("encoding_format") or self.dialect.embedding_encoding

        async def one(texts: Sequence[str]) -> tuple[list[list[float]], Usage, str]:
            body = embed_body(request, texts, encoding=encoding, prefix=prefix)
            data, _ = await self._post(endpoint.embeddings_url, endpoint.headers, body, request.timeout, prefix)
            vectors = parse_embeddings(data, len(texts), prefix)
            return vectors, embedding_usage(data.get("usage")), data.get("model") or request.model_name

        groups = batches(request.inputs)
        if len(groups) == 1:
            results = [await one(groups[0])]
        else:
            limit = asyncio.Semaphore(EMBED_CONCURRENCY)

            async def limited(texts: Sequence[str]) -> tuple[list[list[float]], Usage, str]:
                async with limit:
                    return await one(texts)

            results = list(await asyncio.gather(*(limited(g) for g in groups)))
        vectors = [vector for batch, _, _ in results for vector in batch]
        usage = Usage()
        for _, batch_usage, _ in results:
            usage = usage + batch_usage
        return EmbedResponse(vectors, results[0][2], prefix, usage)

    # ------------------------------------------------------------------ catalogue and tokens

    def models(self) -> Iterable[ModelInfo]:
        return self._models

    async def count_tokens(self, request: ChatRequest) -> int:
        """The input tokens of ``request``, counted offline: exact with the ``tokens`` extra
        (OpenAI models only), an estimate otherwise (see :mod:`lluminary_openai.tokens`)."""
        return count_request_tokens(request)

    # ------------------------------------------------------------------ transport

    async def _post(
        self, url: str, headers: Mapping[str, str], body: Any, read_timeout: float | None, prefix: str
    ) -> tuple[Any, str | None]:
        """POST a JSON body, return the decoded JSON answer and the request id. ``read_timeout``
        (the call's ``timeout=``) applies to this request only; None keeps the pool's default."""
        httpx = _http()
        http: httpx2.AsyncClient = client()
        try:
            if read_timeout is None:
                response = await http.post(url, content=dumps(body), headers=headers)
            else:
                response = await http.post(url, content=dumps(body), headers=headers, timeout=read_timeout)
        except httpx.TransportError as exc:
            raise transport_error(exc, prefix) from exc
        if response.status_code >= 400:
            raise http_error(response.status_code, response.content, response.headers, prefix)
        request_id = response.headers.get("x-request-id")
        try:
            return loads(response.content), request_id
        except ValueError as exc:
            raise MalformedResponseError(
                f"the answer is not valid JSON: {exc}", provider=prefix, request_id=request_id
            ) from None


async def _read_quietly(response: Any) -> bytes:
    """The body of an error answer; what arrived if the connection breaks while reading it."""
    try:
        content: bytes = await response.aread()
    except Exception:  # noqa: BLE001 - the status already says what went wrong
        return b""
    return content
