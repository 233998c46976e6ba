"""What every conformance test class shares: configuration, fixtures, call helpers and the wire hooks.

Nothing here knows a provider. A plugin's test subclasses :class:`~lluminary_testing.conformance.ProviderConformance`,
sets the class attributes and implements the ``wire_*`` hooks, which read one feature back out of the
JSON body its provider sent (where the system prompt went, how tool results were encoded, ...).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, ClassVar, NamedTuple, TypeVar

import pytest
import pytest_asyncio

import lluminary
from lluminary import ChatResponse, Client, ReasoningConfig, ReasoningPart, RetryPolicy, StreamEvent, Tool, UsageEvent

# Private, and kept: a plugin manager of the suite's own, so that a test registers exactly the
# provider under test (``plugin``) without touching the process-wide one. lluminary has no public
# way to build a Client over an isolated set of plugins.
from lluminary.sdk import PluginManager
from lluminary_testing.server import FakeServer, RecordedRequest

T = TypeVar("T")

#: The key every conformance call sends. It looks like a real key, so a leak would show.
TEST_API_KEY = "sk-test-0123456789abcdef"

WEATHER_TOOL = Tool(
    "get_weather",
    "Current weather for a city.",
    {"type": "object", "properties": {"city": {"type": "string", "description": "City name"}}, "required": ["city"]},
)
TIME_TOOL = Tool("get_time", "The current time (takes no arguments).")


class WireToolResult(NamedTuple):
    """A tool result as found on the wire. ``is_error`` is None when the wire has no such flag."""

    tool_call_id: str
    content: str
    is_error: bool | None = None


class WireImage(NamedTuple):
    """An image as found on the wire: either ``url`` or ``media_type`` + base64 ``data``."""

    url: str | None = None
    media_type: str | None = None
    data: str | None = None


DEFAULT_ERROR_KINDS: Mapping[str, type[lluminary.ProviderError]] = {
    "authentication": lluminary.AuthenticationError,
    "permission": lluminary.PermissionDeniedError,
    "not_found": lluminary.NotFoundError,
    "rate_limit": lluminary.RateLimitError,
    "context_length": lluminary.ContextLengthExceededError,
    "invalid_request": lluminary.InvalidRequestError,
    "request_too_large": lluminary.InvalidRequestError,
    "server": lluminary.ServerError,
    "overloaded": lluminary.OverloadedError,
}


class ConformanceBase:
    """Configuration, fixtures and helpers. See ``ProviderConformance`` for the tests."""

    # ------------------------------------------------------------------ what a subclass sets

    #: The provider prefix under test, ``"openai"``.
    provider: ClassVar[str] = ""
    #: The chat model the tests call, ``"openai:gpt-4o-mini"``.
    model: ClassVar[str] = ""
    #: The pytest fixture that starts the provider's fake server, ``"fake_openai"``.
    server_fixture: ClassVar[str] = ""
    #: The API key sent with every call (never a real one).
    api_key: ClassVar[str] = TEST_API_KEY
    #: The environment variable the provider reads its key from (None: the provider needs no key).
    api_key_env: ClassVar[str | None] = None
    #: A plugin object to register instead of loading ``provider`` through its entry point
    #: (for providers built at run time, such as an OpenAI-compatible server).
    plugin: ClassVar[object | None] = None

    # capability flags: a False skips the tests that need the capability, with the reason
    supports_streaming: ClassVar[bool] = True
    supports_system_prompt: ClassVar[bool] = True
    supports_stop_sequences: ClassVar[bool] = True
    supports_max_tokens: ClassVar[bool] = True
    supports_tools: ClassVar[bool] = True
    supports_tool_choice: ClassVar[bool] = True
    #: Which ``tool_choice`` modes the provider has (``"auto"``, ``"none"``, ``"required"``, ``"tool"``).
    tool_choice_modes: ClassVar[Sequence[str]] = ("auto", "none", "required", "tool")
    supports_parallel_tools: ClassVar[bool] = True
    supports_images: ClassVar[bool] = True
    supports_image_urls: ClassVar[bool] = True
    supports_structured_output: ClassVar[bool] = True
    supports_reasoning: ClassVar[bool] = False
    supports_reasoning_signature: ClassVar[bool] = False
    #: The model the reasoning tests call (default: :attr:`model`).
    reasoning_model: ClassVar[str | None] = None
    supports_embeddings: ClassVar[bool] = False
    embedding_model: ClassVar[str | None] = None
    embedding_dimensions: ClassVar[int] = 16
    #: The provider's answers carry an id (ChatResponse.id) / its errors a request id.
    supports_response_ids: ClassVar[bool] = True
    supports_request_ids: ClassVar[bool] = True
    #: The provider has a safety stop that maps to finish "content_filter".
    supports_content_filter_finish: ClassVar[bool] = True
    #: Rate-limit answers say how long to wait (a ``Retry-After`` header or its like).
    supports_retry_after: ClassVar[bool] = True
    #: Streamed tool-call arguments are the provider's raw JSON text (False: it sends parsed
    #: objects, which the provider re-serialises, so only the parsed arguments can be compared).
    streams_raw_tool_arguments: ClassVar[bool] = True
    #: Every stream reports usage (checked on every stream the suite drains).
    supports_stream_usage: ClassVar[bool] = True
    #: Embedding answers report token usage.
    supports_embedding_usage: ClassVar[bool] = True
    #: The provider's own usage object comes back as it was sent, in ``usage.details``.
    supports_usage_details: ClassVar[bool] = True
    #: Usage fields the provider reports (compared field by field with the scenario's usage).
    usage_fields: ClassVar[frozenset[str]] = frozenset({"input_tokens", "output_tokens"})
    #: Error kinds (see ``ErrorScenario.kind``) the provider has, and the typed error each becomes.
    error_kinds: ClassVar[Mapping[str, type[lluminary.ProviderError]]] = DEFAULT_ERROR_KINDS
    #: Error kinds the provider can send inside a 200 stream (``ErrorScenario(in_stream=True)``).
    in_stream_error_kinds: ClassVar[Mapping[str, type[lluminary.ProviderError]]] = {}
    #: The base-URL spellings the provider must accept for its fake server (``{base}`` is replaced).
    base_url_variants: ClassVar[Sequence[str]] = ("{base}", "{base}/v1", "{base}/v1/")

    # timing (seconds): short, so the failure tests are quick; generous ceilings, so they are not flaky
    request_timeout: ClassVar[float] = 0.3
    hang_limit: ClassVar[float] = 10.0

    # ------------------------------------------------------------------ fixtures

    @pytest.fixture
    def server(self, request: pytest.FixtureRequest) -> FakeServer:
        """The provider's fake server, started for this test."""
        if not self.server_fixture:
            pytest.fail(f"{type(self).__name__} must set server_fixture (e.g. 'fake_openai')")
        value: FakeServer = request.getfixturevalue(self.server_fixture)
        return value

    @pytest_asyncio.fixture
    async def client(self) -> AsyncIterator[Client]:
        """A :class:`lluminary.Client` with small, fast retries and no cache."""
        client = self.make_client()
        try:
            yield client
        finally:
            await client.aclose()

    def make_client(self, **kwargs: Any) -> Client:
        """The client under test. Override to add middleware a provider needs."""
        plugins: PluginManager | None = None
        if self.plugin is not None:
            plugins = PluginManager()
            plugins.register(self.plugin, name=f"conformance-{self.provider}")
        options: dict[str, Any] = {
            "retries": RetryPolicy(max_attempts=3, initial_delay=0.01, max_delay=0.05),
            "cache": False,
            "exporters": [],
            "plugins": plugins,
        }
        options.update(kwargs)
        return Client(**options)

    # ------------------------------------------------------------------ call helpers

    def base_url(self, server: FakeServer) -> str:
        """The base URL the provider is given for ``server``."""
        return server.base_url

    def call_options(self, server: FakeServer, **kwargs: Any) -> dict[str, Any]:
        options: dict[str, Any] = {"base_url": self.base_url(server), "api_key": self.api_key}
        options.update(kwargs)
        return options

    async def generate(
        self,
        client: Client,
        server: FakeServer,
        prompt: str | None = "Hello",
        *,
        model: str | None = None,
        **kwargs: Any,
    ) -> ChatResponse:
        """One non-streamed call to the fake server, failing (not hanging) past :attr:`hang_limit`."""
        return await self.within(client.agenerate(model or self.model, prompt, **self.call_options(server, **kwargs)))

    async def stream(
        self,
        client: Client,
        server: FakeServer,
        prompt: str | None = "Hello",
        *,
        model: str | None = None,
        **kwargs: Any,
    ) -> tuple[list[StreamEvent], ChatResponse]:
        """One streamed call: every event, and the accumulated response."""
        stream = client.astream(model or self.model, prompt, **self.call_options(server, **kwargs))

        async def drain() -> tuple[list[StreamEvent], ChatResponse]:
            events = [event async for event in stream]
            response = await stream.response()
            if self.supports_stream_usage:
                assert any(isinstance(e, UsageEvent) for e in events), "the stream reported no usage"
            return events, response

        try:
            return await self.within(drain())
        finally:
            await stream.aclose()

    async def call(
        self, streamed: bool, client: Client, server: FakeServer, prompt: str | None = "Hello", **kwargs: Any
    ) -> ChatResponse:
        """:meth:`generate` or :meth:`stream`, by ``streamed``."""
        if streamed:
            self.need_streaming()
            return (await self.stream(client, server, prompt, **kwargs))[1]
        return await self.generate(client, server, prompt, **kwargs)

    async def within(self, awaitable: Awaitable[T], seconds: float | None = None) -> T:
        """Await ``awaitable``, failing the test if it takes longer than ``seconds``."""
        limit = self.hang_limit if seconds is None else seconds
        try:
            return await asyncio.wait_for(awaitable, limit)
        except TimeoutError:
            pytest.fail(f"the call hung: no answer and no error within {limit:.1f}s")

    async def eventually(self, condition: Callable[[], bool], seconds: float = 3.0) -> bool:
        """Poll ``condition`` until it holds or ``seconds`` pass."""
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.02)
        return True

    def chat_requests(self, server: FakeServer) -> list[RecordedRequest]:
        """The requests the server received, in order."""
        return list(server.requests)

    def body(self, server: FakeServer, index: int = -1) -> Mapping[str, Any]:
        """The JSON body of a request the server received (the last one by default)."""
        value = server.requests[index].json()
        assert isinstance(value, Mapping), f"the request body is not a JSON object: {value!r}"
        return value

    def reasoning_kwargs(self) -> dict[str, Any]:
        """Call arguments that turn reasoning on (an effort and a budget; providers take what they use)."""
        return {"reasoning": ReasoningConfig(effort="medium", budget_tokens=1024), "max_tokens": 4096}

    def reasoning_token(self, part: ReasoningPart) -> str | None:
        """The opaque token that carries ``part`` into the next turn (signature or encrypted data)."""
        return part.signature or part.redacted

    # ------------------------------------------------------------------ capability gates

    def need(self, flag: bool, reason: str) -> None:
        if not flag:
            pytest.skip(reason)

    def need_streaming(self) -> None:
        self.need(self.supports_streaming, f"{self.provider}: supports_streaming = False (the provider cannot stream)")

    def need_tools(self) -> None:
        self.need(self.supports_tools, f"{self.provider}: supports_tools = False (the provider has no tool calling)")

    # ------------------------------------------------------------------ wire hooks (override per provider)

    def wire_api_key(self, request: RecordedRequest) -> str | None:
        """The API key as the request carried it (from its auth header)."""
        raise NotImplementedError(f"{type(self).__name__} must implement wire_api_key")

    def wire_stream_requested(self, body: Mapping[str, Any]) -> bool:
        """Whether the request asked for a streamed answer."""
        return bool(body.get("stream"))

    def wire_system(self, body: Mapping[str, Any]) -> str | None:
        """The system prompt as sent (all its text joined), or None."""
        raise NotImplementedError(f"{type(self).__name__} must implement wire_system")

    def wire_stop(self, body: Mapping[str, Any]) -> list[str]:
        """The stop sequences as sent."""
        raise NotImplementedError(f"{type(self).__name__} must implement wire_stop")

    def wire_max_tokens(self, body: Mapping[str, Any]) -> int | None:
        """The output-token limit as sent."""
        raise NotImplementedError(f"{type(self).__name__} must implement wire_max_tokens")

    def wire_tool_names(self, body: Mapping[str, Any]) -> list[str]:
        """The names of the tools offered, in order."""
        raise NotImplementedError(f"{type(self).__name__} must implement wire_tool_names")

    def wire_tool_choice(self, body: Mapping[str, Any]) -> tuple[str, str | None] | None:
        """The tool choice as sent, normalised to ``(mode, tool name)`` with mode one of ``auto``,
        ``none``, ``required``, ``tool``; None when the request has none."""
        raise NotImplementedError(f"{type(self).__name__} must implement wire_tool_choice")

    def wire_tool_calls(self, body: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
        """Tool calls of earlier assistant turns as sent back: ``(id, name, arguments)``."""
        raise NotImplementedError(f"{type(self).__name__} must implement wire_tool_calls")

    def wire_tool_results(self, body: Mapping[str, Any]) -> list[WireToolResult]:
        """The tool results sent, in order."""
        raise NotImplementedError(f"{type(self).__name__} must implement wire_tool_results")

    def wire_images(self, body: Mapping[str, Any]) -> list[WireImage]:
        """The images sent, in order."""
        raise NotImplementedError(f"{type(self).__name__} must implement wire_images")

    def wire_json_schema(self, body: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The JSON schema the answer is constrained to, or None."""
        raise NotImplementedError(f"{type(self).__name__} must implement wire_json_schema")

    def wire_reasoning_tokens(self, body: Mapping[str, Any]) -> list[str]:
        """The opaque reasoning tokens (signatures, encrypted content) sent back in the history."""
        raise NotImplementedError(f"{type(self).__name__} must implement wire_reasoning_tokens")

    def wire_embed_inputs(self, body: Mapping[str, Any]) -> list[str]:
        """The texts of an embedding request."""
        raise NotImplementedError(f"{type(self).__name__} must implement wire_embed_inputs")

    def wire_embed_dimensions(self, body: Mapping[str, Any]) -> int | None:
        """The dimensions an embedding request asked for."""
        raise NotImplementedError(f"{type(self).__name__} must implement wire_embed_dimensions")

    # ------------------------------------------------------------------ parametrisation

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """Parametrise the error tests over the kinds this provider declares."""
        if "error_kind" in metafunc.fixturenames:
            kinds = sorted(self.error_kinds)
            metafunc.parametrize("error_kind", kinds or [None], ids=[str(k) for k in kinds] or ["none"])
        if "in_stream_error_kind" in metafunc.fixturenames:
            kinds = sorted(self.in_stream_error_kinds)
            metafunc.parametrize("in_stream_error_kind", kinds or [None], ids=[str(k) for k in kinds] or ["none"])
