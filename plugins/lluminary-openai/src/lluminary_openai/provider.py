"""The OpenAI provider: Chat Completions, the Responses API and embeddings, on the SDK's pooled transport."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from typing import Any

from lluminary.sdk import (
    ChatRequest,
    ChatResponse,
    EmbedRequest,
    EmbedResponse,
    HTTPProvider,
    MalformedResponseError,
    ModelInfo,
    ProviderError,
    ProviderSettings,
    StreamEvent,
    Usage,
    loads,
)

from . import config
from .chat_request import chat_body
from .chat_response import parse_chat_completion
from .chat_stream import ChatStreamParser
from .config import DEFAULT_BASE_URL, NAME, SPEC, USER_AGENT, OpenAISpec
from .dialect import OPENAI, Dialect
from .embeddings import batches, embed_body, parse_embeddings
from .errors import http_error
from .models import catalogue, prefers_responses
from .responses_request import responses_body
from .responses_response import ResponsesStreamParser, parse_response
from .tokens import count_request_tokens
from .usage import embedding_usage

CHAT_PATH = "/chat/completions"
RESPONSES_PATH = "/responses"
EMBEDDINGS_PATH = "/embeddings"
EMBED_CONCURRENCY = 4


class OpenAIProvider(HTTPProvider):
    """OpenAI, or any server that speaks its protocol (see :class:`~lluminary_openai.OpenAICompatible`).

    Settings, first found wins: the call's ``api_key=`` / ``base_url=`` / ``timeout=``; the
    client's ``providers={"openai": {...}}``; this object's arguments (``settings=`` too, where
    ``organization`` and ``project`` go); the environment (``OPENAI_API_KEY``, required,
    ``OPENAI_BASE_URL``, ``OPENAI_ORGANIZATION``, ``OPENAI_PROJECT``); the default URL.
    Reasoning models (o-series, GPT-5 family) go to the Responses API; ``options={"openai":
    {"api": "chat" | "responses"}}`` chooses explicitly. Other ``options[prefix]`` keys are sent
    as body fields unchanged.
    """

    name = NAME
    spec: OpenAISpec = SPEC  # each instance sets its own: a compatible server reads its own variables

    def __init__(
        self,
        name: str = NAME,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        api_key_env: str | None = "OPENAI_API_KEY",
        base_url_env: str | None = "OPENAI_BASE_URL",
        default_base_url: str = DEFAULT_BASE_URL,
        headers: Mapping[str, str] | None = None,
        key_required: bool = True,
        organization_env: str | None = "OPENAI_ORGANIZATION",
        project_env: str | None = "OPENAI_PROJECT",
        dialect: Dialect = OPENAI,
        models: Iterable[ModelInfo] | None = None,
        prefixes: Iterable[str] | None = None,
        settings: ProviderSettings | Mapping[str, Any] | None = None,
        timeout: float | None = None,
        **more: Any,
    ) -> None:
        super().__init__(
            name,
            prefixes=prefixes,
            settings=settings,
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            headers=headers,
            **more,
        )
        self.spec = config.spec(
            name,
            default_base_url,
            api_key_env=api_key_env,
            base_url_env=base_url_env,
            key_required=key_required,
            organization_env=organization_env,
            project_env=project_env,
        )
        self.dialect = dialect
        self._models = catalogue(name) if models is None else tuple(models)

    def build_headers(self, api_key: str | None, settings: ProviderSettings) -> dict[str, str]:
        headers = super().build_headers(api_key, settings)
        headers["user-agent"] = USER_AGENT
        headers.update(config.account_headers(self.spec, settings.extra))
        return headers

    def error_from_response(self, status: int, body: bytes, headers: Mapping[str, str], provider: str) -> ProviderError:
        return http_error(status, body, headers, provider)

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
        endpoint = self.endpoint(request)
        prefix = request.provider
        if self.uses_responses(request):
            answer = await endpoint.post_json(RESPONSES_PATH, responses_body(request, stream=False, prefix=prefix))
            return parse_response(answer.json(), provider=prefix, request_id=answer.request_id)
        body = chat_body(request, stream=False, dialect=self.dialect, prefix=prefix)
        answer = await endpoint.post_json(CHAT_PATH, body)
        return parse_chat_completion(answer.json(), provider=prefix, dialect=self.dialect, request_id=answer.request_id)

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        endpoint = self.endpoint(request)
        prefix = request.provider
        parser: ChatStreamParser | ResponsesStreamParser
        if self.uses_responses(request):
            path, body = RESPONSES_PATH, responses_body(request, stream=True, prefix=prefix)
            parser = ResponsesStreamParser(prefix)
        else:
            path, body = CHAT_PATH, chat_body(request, stream=True, dialect=self.dialect, prefix=prefix)
            parser = ChatStreamParser(prefix, self.dialect.reasoning_fields)
        async with endpoint.stream(path, body) as answer:
            parser.request_id = answer.request_id
            feed = parser.feed
            data = ""
            try:
                async for data in answer.sse_data():
                    if data[:1] != "{":
                        if data == "[DONE]":
                            parser.done = True
                            continue
                        if not data.strip():
                            continue
                    for event in feed(loads(data)):
                        yield event
            except ValueError as exc:  # JSON or UTF-8
                raise MalformedResponseError(
                    f"a stream frame could not be decoded: {exc}: {data[:200]!r}",
                    provider=prefix,
                    request_id=parser.request_id,
                ) from None
            for event in parser.close():
                yield event

    # ------------------------------------------------------------------ embeddings

    async def embed(self, request: EmbedRequest) -> EmbedResponse:
        endpoint = self.endpoint(request)
        prefix = request.provider
        encoding = request.provider_options(prefix).get("encoding_format") or self.dialect.embedding_encoding

        async def one(texts: Sequence[str]) -> tuple[list[list[float]], Usage, str]:
            answer = await endpoint.post_json(
                EMBEDDINGS_PATH, embed_body(request, texts, encoding=encoding, prefix=prefix)
            )
            data = answer.json()
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
