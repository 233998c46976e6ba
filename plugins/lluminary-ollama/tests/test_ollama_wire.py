"""Focused wire tests for the Ollama provider: exact request bodies, NDJSON oddities, errors, host parsing."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pytest

import lluminary
from lluminary import (
    Client,
    ImagePart,
    Message,
    ReasoningConfig,
    ReasoningPart,
    ResponseFormat,
    TextDelta,
    TextPart,
    Tool,
    ToolCallDelta,
    ToolCallPart,
    ToolCallStart,
    ToolChoice,
    Usage,
)
from lluminary._plugins import PluginManager  # a manager of its own: only the provider under test
from lluminary._settings import ClientScope, ProviderSettings, _scope
from lluminary._transport import Pools
from lluminary.sdk import LineDecoder, build_chat_request, build_embed_request
from lluminary_ollama import OllamaProvider, catalogue
from lluminary_ollama.config import normalise_base_url, parse_host
from lluminary_testing import ErrorScenario, Fault, Reply, Scenario, ToolCallSpec, ndjson
from lluminary_testing.ollama_server import FakeOllamaServer

MODEL = "ollama:llama3.2"
WEATHER = Tool("get_weather", "Weather", {"type": "object", "properties": {"city": {"type": "string"}}})
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def server(fake_ollama: FakeOllamaServer) -> FakeOllamaServer:
    return fake_ollama


def opts(server: FakeOllamaServer, **kwargs: Any) -> dict[str, Any]:
    return {"base_url": server.base_url, **kwargs}


async def stream(
    client: Client, server: FakeOllamaServer, prompt: str | None = "Hi", **kwargs: Any
) -> tuple[list[Any], Any]:
    s = client.astream(MODEL, prompt, **opts(server, **kwargs))
    events = [e async for e in s]
    return events, await s.response()


async def call(
    client: Client, server: FakeOllamaServer | None, streamed: bool, prompt: str | None, **kwargs: Any
) -> Any:
    """One call, streamed or not; the accumulated response."""
    options = opts(server, **kwargs) if server is not None else kwargs
    if not streamed:
        return await client.agenerate(MODEL, prompt, **options)
    s = client.astream(MODEL, prompt, **options)
    [e async for e in s]
    return await s.response()


def line(content: str = "", done: bool = False, **extra: Any) -> dict[str, Any]:
    return {
        "model": "llama3.2",
        "created_at": "2025-01-01T00:00:00Z",
        "message": {"role": "assistant", "content": content},
        "done": done,
        **extra,
    }


def raw_lines(*objects: Any) -> Reply:
    return Reply(200, {"content-type": "application/x-ndjson"}, ndjson(objects), stream=True)


# --------------------------------------------------------------------------- request bodies


async def test_request_body_every_feature(client: Client, server: FakeOllamaServer) -> None:
    server.script(Scenario(text="ok"))
    await client.agenerate(
        MODEL,
        "Hi",
        **opts(
            server,
            system="Be brief.",
            temperature=0.2,
            top_p=0.8,
            max_tokens=50,
            stop=["END"],
            seed=3,
            tools=[WEATHER],
            response_format=ResponseFormat("json_schema", {"type": "object"}),
            reasoning="high",
            options={"ollama": {"num_ctx": 8192, "keep_alive": "10m", "top_k": 20, "options": {"min_p": 0.05}}},
        ),
    )
    assert server.last_request.path == "/api/chat"
    assert server.last_request.json() == {
        "model": "llama3.2",
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
        "stream": False,
        "tools": [
            {
                "type": "function",
                "function": {"name": "get_weather", "description": "Weather", "parameters": WEATHER.parameters},
            }
        ],
        "format": {"type": "object"},
        "think": "high",
        "keep_alive": "10m",
        "options": {
            "temperature": 0.2,
            "top_p": 0.8,
            "seed": 3,
            "stop": ["END"],
            "num_predict": 50,
            "num_ctx": 8192,
            "top_k": 20,
            "min_p": 0.05,
        },
    }
    assert "authorization" not in server.last_request.headers


@pytest.mark.parametrize(
    ("reasoning", "think"),
    [(ReasoningConfig(), True), (ReasoningConfig(effort="minimal"), "low"), (ReasoningConfig(budget_tokens=100), True)],
)
async def test_think(client: Client, server: FakeOllamaServer, reasoning: ReasoningConfig, think: Any) -> None:
    server.script(Scenario(text="ok"))
    await client.agenerate(MODEL, "Hi", **opts(server, reasoning=reasoning))
    assert server.last_request.json()["think"] == think


async def test_json_mode_and_tool_choice_emulation(client: Client, server: FakeOllamaServer) -> None:
    time_tool = Tool("get_time")
    server.script(Scenario(text="{}"), Scenario(text="ok"), Scenario(text="ok"))
    await client.agenerate(
        MODEL, "Hi", **opts(server, response_format="json", tools=[WEATHER, time_tool], tool_choice="none")
    )
    assert server.last_request.json()["format"] == "json"
    assert "tools" not in server.last_request.json()
    await client.agenerate(
        MODEL, "Hi", **opts(server, tools=[WEATHER, time_tool], tool_choice=ToolChoice.tool("get_time"))
    )
    assert [t["function"]["name"] for t in server.last_request.json()["tools"]] == ["get_time"]
    await client.agenerate(MODEL, "Hi", **opts(server, tools=[WEATHER, time_tool], tool_choice="required"))
    assert len(server.last_request.json()["tools"]) == 2


async def test_history_with_images_thinking_and_tool_results(client: Client, server: FakeOllamaServer) -> None:
    server.script(Scenario(text="done"))
    messages = [
        Message.user([TextPart("What is this?"), ImagePart(data=PNG, media_type="image/png")]),
        Message.assistant(
            [
                ReasoningPart("look", provider="ollama"),
                ReasoningPart("x", provider="openai"),
                TextPart("A"),
                ToolCallPart("c1", "get_weather", {"city": "Oslo"}),
            ]
        ),
        Message.tool("c1", "cold"),
    ]
    await client.agenerate(MODEL, None, **opts(server, messages=messages, tools=[WEATHER]))
    assert server.last_request.json()["messages"] == [
        {"role": "user", "content": "What is this?", "images": ["iVBORw0KGgo="]},
        {
            "role": "assistant",
            "content": "A",
            "thinking": "look",
            "tool_calls": [{"id": "c1", "function": {"name": "get_weather", "arguments": {"city": "Oslo"}}}],
        },
        {"role": "tool", "content": "cold", "tool_name": "get_weather", "tool_call_id": "c1"},
    ]


@pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
async def test_url_images_rejected_before_io(client: Client, server: FakeOllamaServer, streamed: bool) -> None:
    message = Message.user([TextPart("What?"), ImagePart(url="https://example.com/cat.png")])
    with pytest.raises(lluminary.RequestValidationError, match="not URLs"):
        await call(client, server, streamed, None, messages=[message])
    assert not server.requests


async def test_api_key_for_ollama_cloud(
    client: Client, server: FakeOllamaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_API_KEY", "ollama-cloud-key-123456")
    server.script(Scenario(text="ok"))
    await client.agenerate(MODEL, "Hi", **opts(server))
    assert server.last_request.headers["authorization"] == "Bearer ollama-cloud-key-123456"


async def test_host_from_environment(client: Client, server: FakeOllamaServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", f"0.0.0.0:{server.port}")
    server.script(Scenario(text="ok"))
    assert (await client.agenerate(MODEL, "Hi")).text == "ok"


@pytest.mark.parametrize(
    ("value", "url"),
    [
        (None, "http://127.0.0.1:11434"),
        ("", "http://127.0.0.1:11434"),
        ("0.0.0.0", "http://127.0.0.1:11434"),
        ("0.0.0.0:8080", "http://127.0.0.1:8080"),
        (":11435", "http://127.0.0.1:11435"),
        ("gpu-box", "http://gpu-box:11434"),
        ("gpu-box:9000", "http://gpu-box:9000"),
        ("http://gpu-box", "http://gpu-box:80"),
        ("https://gpu-box", "https://gpu-box:443"),
        ("https://gpu-box:8443/ollama/", "https://gpu-box:8443/ollama"),
        ("[::]:8080", "http://[::1]:8080"),
        ("ollama.com", "https://ollama.com:443"),
        ("'localhost:11434'", "http://localhost:11434"),
    ],
)
def test_parse_host_like_ollama(value: str | None, url: str) -> None:
    assert parse_host(value) == url


@pytest.mark.parametrize(
    ("value", "url"),
    [
        ("http://h:1/", "http://h:1"),
        ("http://h:1/api", "http://h:1"),
        ("http://h:1/v1/", "http://h:1"),
        ("h:2", "http://h:2"),
    ],
)
def test_normalise_base_url(value: str, url: str) -> None:
    assert normalise_base_url(value) == url


@pytest.mark.parametrize(
    ("value", "url"),
    [
        ("http://0.0.0.0:8080", "http://127.0.0.1:8080"),  # OLLAMA_HOST as `ollama serve` is told to listen
        (" 'gpu-box:9000/api' ", "http://gpu-box:9000"),
        ("https://user:secret@gpu-box/api", "https://user:secret@gpu-box"),  # credentials: kept as they are
    ],
)
def test_normalise_base_url_reads_hosts_like_ollama(value: str, url: str) -> None:
    assert normalise_base_url(value) == url


# --------------------------------------------------------------------------- settings and connections


@contextmanager
def client_scope(settings: Mapping[str, Mapping[str, Any]] | None = None) -> Iterator[Pools]:
    """What a Client lends the provider around each call: its settings per provider, its pools."""
    pools = Pools()
    scoped = {name: ProviderSettings.of(value) for name, value in (settings or {}).items()}
    token = _scope.set(ClientScope(scoped, pools))
    try:
        yield pools
    finally:
        _scope.reset(token)


async def test_settings_of_the_calling_client(server: FakeOllamaServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The client's ``providers={"ollama": {...}}`` win over the provider object's settings and the
    environment; the call's own win over the client's."""
    monkeypatch.setenv("OLLAMA_HOST", "127.0.0.1:9")  # nothing listens on either
    provider = OllamaProvider(base_url="http://127.0.0.1:9", api_key="provider-key-0123456789")
    server.script(Scenario(text="one"), Scenario(text=["tw", "o"]), Scenario(text="three"))
    settings = {"ollama": {"base_url": f"{server.base_url}/api/", "api_key": "client-key-0123456789"}}
    with client_scope(settings) as pools:
        try:
            assert (await provider.generate(build_chat_request(MODEL, "Hi"))).text == "one"
            assert server.last_request.path == "/api/chat"
            assert server.last_request.headers["authorization"] == "Bearer client-key-0123456789"

            events = [e async for e in provider.stream(build_chat_request(MODEL, "Hi"))]
            assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "two"
            assert server.last_request.headers["authorization"] == "Bearer client-key-0123456789"

            await provider.generate(build_chat_request(MODEL, "Hi", api_key="call-key-0123456789"))
            assert server.last_request.headers["authorization"] == "Bearer call-key-0123456789"

            embedded = await provider.embed(build_embed_request("ollama:nomic-embed-text", ["x"]))
            assert len(embedded.embeddings) == 1
            assert server.last_request.path == "/api/embed"
            assert len(pools) == 1  # the client's pool, not the process-wide one
        finally:
            await pools.aclose()
    assert len(pools) == 0


async def test_two_clients_on_two_servers(server: FakeOllamaServer) -> None:
    """Two clients configured with ``providers=`` talk to two Ollama servers, with no base_url per call."""
    plugins = PluginManager()
    plugins.register(OllamaProvider(), name="ollama-under-test")
    with FakeOllamaServer() as other:
        server.script(Scenario(text="from the first"))
        other.script(Scenario(text="from the second"))
        first = Client(plugins=plugins, cache=False, exporters=[], providers={"ollama": {"base_url": server.base_url}})
        host = f"127.0.0.1:{other.port}"  # a bare host, as OLLAMA_HOST takes it
        second = Client(plugins=plugins, cache=False, exporters=[], providers={"ollama": {"base_url": host}})
        async with first, second:
            assert (await first.agenerate(MODEL, "Hi")).text == "from the first"
            assert (await second.agenerate(MODEL, "Hi")).text == "from the second"
        assert len(server.requests) == len(other.requests) == 1


async def test_one_pool_serves_every_timeout(server: FakeOllamaServer) -> None:
    """Calls with different ``timeout=`` share one transport (one pool); each timeout is the call's own."""
    provider = OllamaProvider(base_url=server.base_url)
    hung = Reply.json({}, 200).with_fault(Fault(delay_headers=2.0))
    server.script(Scenario(text="a"), Scenario(text="b"), Scenario(text="c"), hung, Scenario(text="d"))
    with client_scope() as pools:
        try:
            assert (await provider.generate(build_chat_request(MODEL, "Hi", timeout=30))).text == "a"
            assert (await provider.generate(build_chat_request(MODEL, "Hi", timeout=45.5))).text == "b"
            events = [e async for e in provider.stream(build_chat_request(MODEL, "Hi", timeout=60))]
            assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "c"
            assert server.connections == 1  # one pooled connection served all three
            with pytest.raises(lluminary.APITimeoutError):
                await provider.generate(build_chat_request(MODEL, "Hi", timeout=0.3))
            assert (await provider.generate(build_chat_request(MODEL, "Hi"))).text == "d"  # the default timeout
            assert len(pools) == 1
        finally:
            await pools.aclose()


# --------------------------------------------------------------------------- answers


async def test_tool_calls_without_ids_get_stable_ids(client: Client, server: FakeOllamaServer) -> None:
    server.tool_call_ids = False
    scenario = Scenario(
        tool_calls=[
            ToolCallSpec("x", "get_weather", '{"city": "Paris"}'),
            ToolCallSpec("y", "get_weather", '{"city": "Rome"}'),
        ]
    )
    server.script(scenario, scenario)
    generated = await client.agenerate(MODEL, "Hi", **opts(server, tools=[WEATHER]))
    events, streamed = await stream(client, server, tools=[WEATHER])
    assert generated == streamed
    ids = [c.id for c in generated.tool_calls]
    assert ids[0] != ids[1]
    assert all(i.startswith("call_") for i in ids)
    assert generated.finish_reason == "tool_calls"
    assert generated.raw_finish_reason == "stop"
    starts = [e for e in events if isinstance(e, ToolCallStart)]
    assert [s.index for s in starts] == [0, 1]
    deltas = [e for e in events if isinstance(e, ToolCallDelta)]
    assert [d.arguments for d in deltas] == ['{"city": "Paris"}', '{"city": "Rome"}']


async def test_thinking_and_usage(client: Client, server: FakeOllamaServer) -> None:
    scenario = Scenario(reasoning=["a", "b"], text="c", usage=Usage(30, 9))
    server.script(scenario, scenario)
    generated = await client.agenerate(MODEL, "Hi", **opts(server))
    _, streamed = await stream(client, server)
    assert generated == streamed
    assert generated.reasoning == "ab"
    assert generated.text == "c"
    assert generated.usage == Usage(30, 9)
    assert generated.cost is not None
    assert generated.cost.total == 0.0


@pytest.mark.parametrize(
    ("raw", "reason"), [("length", "length"), ("stop", "stop"), ("load", "stop"), ("unload", "stop"), ("odd", "other")]
)
async def test_done_reasons(client: Client, server: FakeOllamaServer, raw: str, reason: str) -> None:
    server.script(raw_lines(line("Hi"), line("", True, done_reason=raw, prompt_eval_count=1, eval_count=1)))
    _, response = await stream(client, server)
    assert (response.finish_reason, response.raw_finish_reason) == (reason, raw)


async def test_string_arguments_tolerated(client: Client, server: FakeOllamaServer) -> None:
    call = {"function": {"name": "get_weather", "arguments": '{"city": "Lima"}'}}
    server.script(
        raw_lines(
            {**line(), "message": {"role": "assistant", "content": "", "tool_calls": [call]}},
            line("", True, done_reason="stop"),
        )
    )
    _, response = await stream(client, server, tools=[WEATHER])
    assert response.tool_calls[0].arguments == {"city": "Lima"}


@pytest.mark.parametrize("arguments", [["Lima"], 42, True], ids=["list", "number", "bool"])
async def test_arguments_that_are_not_an_object_keep_their_text(
    client: Client, server: FakeOllamaServer, arguments: Any
) -> None:
    """Arguments that are JSON but not an object: a typed error whose raw_arguments is their text."""
    call = {"function": {"name": "get_weather", "arguments": arguments}}
    server.script(
        raw_lines(
            {**line(), "message": {"role": "assistant", "content": "", "tool_calls": [call]}},
            line("", True, done_reason="stop"),
        )
    )
    with pytest.raises(lluminary.MalformedResponseError) as info:
        await stream(client, server, tools=[WEATHER])
    assert info.value.raw_arguments == json.dumps(arguments)


async def test_generate_reads_an_ndjson_body(client: Client, server: FakeOllamaServer) -> None:
    """A proxy that streams even though stream=false was asked."""
    body = b"".join(ndjson([line("Hel"), line("lo"), line("", True, done_reason="stop", eval_count=2)]))
    server.script(Reply(200, {"content-type": "application/x-ndjson"}, (body,)))
    assert (await client.agenerate(MODEL, "Hi", **opts(server))).text == "Hello"


# --------------------------------------------------------------------------- errors


def test_the_shared_line_decoder_raises_the_typed_error() -> None:
    """A line that is not UTF-8 is a MalformedResponseError from the decoder itself, so no
    provider can let a bare UnicodeDecodeError escape; a character split across chunks is fine."""
    decoder = LineDecoder("ollama")
    assert list(decoder.feed(b'{"a": "caf\xc3')) == []
    assert list(decoder.feed(b'\xa9"}\n')) == ['{"a": "caf\u00e9"}']
    with pytest.raises(lluminary.MalformedResponseError, match="not valid UTF-8") as info:
        list(decoder.feed(b'{"a": "caf\xe9"}\n'))
    assert info.value.provider == "ollama"
    unterminated = LineDecoder()
    assert list(unterminated.feed(b'{"a": "\xff"}')) == []
    with pytest.raises(lluminary.MalformedResponseError):
        list(unterminated.flush())


@pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
async def test_a_line_that_is_not_utf8_is_malformed(client: Client, server: FakeOllamaServer, streamed: bool) -> None:
    """Latin-1 bytes in an NDJSON line (a proxy that re-encodes) raise the typed error on both
    paths, never a bare UnicodeDecodeError nor a silently replaced character."""
    bad = b'{"model":"llama3.2","message":{"role":"assistant","content":"caf\xe9"},"done":false}\n'
    chunks = [*ndjson([line("Hel")]), bad, *ndjson([line("", True, done_reason="stop", eval_count=2)])]
    server.script(Reply(200, {"content-type": "application/x-ndjson"}, chunks, stream=streamed))
    with pytest.raises(lluminary.MalformedResponseError, match="not valid UTF-8") as info:
        await call(client, server, streamed, "Hi")
    assert info.value.provider == "ollama"


async def test_model_not_pulled(client: Client, server: FakeOllamaServer) -> None:
    server.only_installed = True
    with pytest.raises(lluminary.NotFoundError) as info:
        await client.agenerate("ollama:mistral-nemo", "Hi", **opts(server))
    assert "ollama pull mistral-nemo" in str(info.value)
    assert info.value.status == 404


async def test_mid_stream_error_line(client: Client, server: FakeOllamaServer) -> None:
    server.script(ErrorScenario("server", message="llama runner process has terminated", in_stream=True))
    with pytest.raises(lluminary.ServerError, match="llama runner"):
        await stream(client, server)
    server.script(raw_lines(line("a"), {"error": "model 'phi' not found"}))
    with pytest.raises(lluminary.NotFoundError, match="ollama pull phi"):
        await stream(client, server)


@pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
async def test_server_not_running(client: Client, streamed: bool) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(lluminary.APIConnectionError) as info:
        await call(client, None, streamed, "Hi", base_url=f"127.0.0.1:{port}")
    assert "ollama serve" in str(info.value)
    assert f"127.0.0.1:{port}" in str(info.value)


async def test_embed_context_error(client: Client, server: FakeOllamaServer) -> None:
    server.script(Reply.json({"error": "the input length exceeds the context length"}, 400))
    with pytest.raises(lluminary.ContextLengthExceededError):
        await client.aembed(
            "ollama:nomic-embed-text", ["x"], base_url=server.base_url, options={"ollama": {"truncate": False}}
        )
    assert server.last_request.json() == {"model": "nomic-embed-text", "input": ["x"], "truncate": False}


@pytest.mark.parametrize("fault", [Fault(truncate_after=2), Fault(end_after=2), Fault(reset_after=2)])
async def test_cut_streams(client: Client, server: FakeOllamaServer, fault: Fault) -> None:
    server.script(Scenario(text=["a", "b", "c", "d"], fault=fault))
    with pytest.raises(lluminary.APIConnectionError):
        await stream(client, server)


async def test_rechunked(client: Client, server: FakeOllamaServer) -> None:
    server.script(Scenario(text=["Grüße ", "東京 🎉"], reasoning="ü", fault=Fault(rechunk=1)))
    _, response = await stream(client, server)
    assert response.text == "Grüße 東京 🎉"


# --------------------------------------------------------------------------- embeddings and catalogue


async def test_embed_body(client: Client, server: FakeOllamaServer) -> None:
    response = await client.aembed(
        "ollama:nomic-embed-text",
        ["a", "b"],
        base_url=server.base_url,
        dimensions=16,
        options={"ollama": {"keep_alive": 0, "num_ctx": 512}},
    )
    assert server.last_request.path == "/api/embed"
    assert server.last_request.json() == {
        "model": "nomic-embed-text",
        "input": ["a", "b"],
        "dimensions": 16,
        "keep_alive": 0,
        "options": {"num_ctx": 512},
    }
    assert len(response.embeddings) == 2
    assert len(response.embeddings[0]) == 16
    assert response.cost is not None
    assert response.cost.total == 0.0


def test_models_from_tags(server: FakeOllamaServer, monkeypatch: pytest.MonkeyPatch) -> None:
    catalogue.clear()
    monkeypatch.setenv("OLLAMA_HOST", server.base_url)
    ids = [m.id for m in OllamaProvider().models()]
    assert ids == ["ollama:*", "ollama:llama3.2:latest", "ollama:qwen3:0.6b", "ollama:nomic-embed-text:latest"]
    assert server.last_request.path == "/api/tags"
    kinds = {m.id: m.kind for m in OllamaProvider().models()}
    assert kinds["ollama:nomic-embed-text:latest"] == "embedding"
    assert len([r for r in server.requests if r.path == "/api/tags"]) == 1  # remembered


async def test_models_asked_from_inside_a_running_loop(server: FakeOllamaServer) -> None:
    """The catalogue hook is synchronous; called where a loop runs, it still asks the server (the
    provider object's base URL here, over OLLAMA_HOST) and closes the connection it opened."""
    catalogue.clear()
    ids = [m.id for m in OllamaProvider(base_url=f"{server.base_url}/api").models()]
    assert ids == ["ollama:*", "ollama:llama3.2:latest", "ollama:qwen3:0.6b", "ollama:nomic-embed-text:latest"]
    assert server.last_request.path == "/api/tags"
    assert "user-agent" in server.last_request.headers


def test_models_when_server_is_down(monkeypatch: pytest.MonkeyPatch) -> None:
    catalogue.clear()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("OLLAMA_HOST", f"127.0.0.1:{port}")
    models = list(OllamaProvider().models())
    assert [m.id for m in models] == ["ollama:*"]
    assert models[0].input_price == 0.0
    assert models[0].output_price == 0.0


def test_models_bounded_when_server_hangs(server: FakeOllamaServer, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    catalogue.clear()
    monkeypatch.setenv("OLLAMA_HOST", server.base_url)
    server.script(
        Reply(200, {"content-type": "application/json"}, (b'{"models": []}',), fault=Fault(delay_headers=3.0))
    )
    started = time.monotonic()
    assert [m.id for m in OllamaProvider().models()] == ["ollama:*"]
    assert time.monotonic() - started < 2.0


def test_tags_entries_parsed() -> None:
    parsed = catalogue.from_tags(
        json.loads('{"models": [{"name": "gpt-oss:120b-cloud", "remote_host": "https://ollama.com:443"}, {"x": 1}]}')
    )
    assert [m.id for m in parsed] == ["ollama:gpt-oss:120b-cloud"]
    assert "cloud" in parsed[0].capabilities
