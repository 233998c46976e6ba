"""The client's lifecycle and its transport: per-client provider settings with pools of their
own, one pool for every timeout, and ``aclose()`` closing the connections, as a real loopback
server sees them."""

from __future__ import annotations

import asyncio
import json
import os
import select
from collections.abc import AsyncIterator
from typing import Any

import pytest

from lluminary import Client
from lluminary._plugins import PluginManager
from lluminary.sdk import (
    ChatRequest,
    ChatResponse,
    ConfigurationError,
    Finish,
    HTTPProvider,
    Message,
    ProviderSettings,
    ScriptedProvider,
    SettingsSpec,
    StreamEvent,
    TextDelta,
    TextPart,
    Usage,
    UsageEvent,
)


class Server:
    """A minimal HTTP/1.1 server on loopback that answers every POST with JSON and keeps count
    of the connections open right now and ever opened."""

    def __init__(self) -> None:
        self.open = 0
        self.opened = 0
        self.requests: list[tuple[str, dict[str, str], Any]] = []
        self.closed = asyncio.Event()
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> Server:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open += 1
        self.opened += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode().split("\r\n")
                path = lines[0].split()[1]
                headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
                body = json.loads(await reader.readexactly(int(headers.get("content-length", "0"))) or b"null")
                self.requests.append((path, headers, body))
                answer = json.dumps({"text": f"seen {path}"}).encode()
                if path.endswith("/stream"):
                    chunks = b"".join(f"data: {json.dumps({'text': w})}\n\n".encode() for w in ("a", "b"))
                    writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n")
                    writer.write(f"content-length: {len(chunks)}\r\n\r\n".encode() + chunks)
                else:
                    writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n")
                    writer.write(f"content-length: {len(answer)}\r\n\r\n".encode() + answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.open -= 1
            writer.close()
            if self.open == 0:
                self.closed.set()

    async def wait_closed(self) -> None:
        """Until every connection is closed by the client (EOF seen), at most two seconds."""
        async with asyncio.timeout(2.0):
            while self.open:
                self.closed.clear()
                await self.closed.wait()


class Echo(HTTPProvider):
    """A provider written on the SDK only, the way a plugin author writes one."""

    name = "echo"
    spec = SettingsSpec(
        provider="Echo", default_base_url="http://echo.invalid", api_key_env=("ECHO_TEST_KEY",), base_url_env=()
    )

    async def generate(self, request: ChatRequest) -> ChatResponse:
        endpoint = self.endpoint(request)
        answer = await endpoint.post_json("/chat", {"model": request.model_name})
        text = answer.json()["text"]
        return ChatResponse(Message("assistant", (TextPart(text),)), "stop", model=request.model_name)

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        endpoint = self.endpoint(request)
        async with endpoint.stream("/stream", {"model": request.model_name}) as answer:
            async for data in answer.sse_data():
                yield TextDelta(json.loads(data)["text"])
        yield UsageEvent(Usage(1, 2))
        yield Finish("stop", "stop", request.model_name)


def client_for(**kwargs: Any) -> tuple[Client, Echo]:
    pm = PluginManager()
    provider = Echo()
    pm.register(provider)
    return Client(plugins=pm, retries=1, **kwargs), provider


@pytest.fixture(autouse=True)
def _no_installed_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLUMINARY_PLUGINS", "")
    monkeypatch.delenv("ECHO_TEST_KEY", raising=False)


async def test_two_clients_talk_to_two_servers_with_their_own_keys_and_pools() -> None:
    async with Server() as one, Server() as two:
        pm = PluginManager()
        pm.register(Echo())
        first = Client(plugins=pm, providers={"echo": {"base_url": one.url, "api_key": "key-one-123456"}})
        second = Client(plugins=pm, providers={"echo": ProviderSettings(base_url=two.url, api_key="key-two-654321")})
        assert (await first.agenerate("echo:m", "hi")).text == "seen /chat"
        await second.agenerate("echo:m", "hi")
        await second.astream("echo:m", "hi").response()
        assert [h["authorization"] for _, h, _ in one.requests] == ["Bearer key-one-123456"]
        assert [h["authorization"] for _, h, _ in two.requests] == ["Bearer key-two-654321"] * 2
        assert len(first.pools) == len(second.pools) == 1
        await first.aclose()
        await second.aclose()


async def test_call_arguments_win_over_client_settings_which_win_over_the_provider() -> None:
    async with Server() as server, Server() as other:
        pm = PluginManager()
        pm.register(Echo(api_key="provider-key-0000", base_url=other.url))
        async with Client(plugins=pm, providers={"echo": {"base_url": server.url}}) as client:
            await client.agenerate("echo:m", "hi")
            await client.agenerate("echo:m", "hi", api_key="call-key-00000000")
        assert [h["authorization"] for _, h, _ in server.requests] == [
            "Bearer provider-key-0000",
            "Bearer call-key-00000000",
        ]
        assert other.requests == []


async def test_a_missing_key_names_every_place_to_put_it() -> None:
    client, _ = client_for()
    with pytest.raises(ConfigurationError, match="ECHO_TEST_KEY"):
        await client.agenerate("echo:m", "hi")


async def test_aclose_closes_the_pooled_connections() -> None:
    async with Server() as server:
        client, _ = client_for(providers={"echo": {"base_url": server.url, "api_key": "k-000000000"}})
        await client.agenerate("echo:m", "hi")
        await client.astream("echo:m", "hi").response()
        assert server.open == 1  # kept alive for the next call
        await client.aclose()
        await server.wait_closed()
        assert server.open == 0
        with pytest.raises(Exception, match="closed"):
            await client.agenerate("echo:m", "hi")


def test_the_sync_context_manager_closes_the_connections() -> None:
    async def scenario() -> Server:
        return await Server().__aenter__()

    from lluminary import _loop

    server = _loop.run(scenario())
    with Client(plugins=_registered(), providers={"echo": {"base_url": server.url, "api_key": "k-0000000"}}) as c:
        assert c.generate("echo:m", "hi").text == "seen /chat"
        assert server.open == 1
    _loop.run(server.wait_closed())
    assert server.open == 0


def _registered() -> PluginManager:
    pm = PluginManager()
    pm.register(Echo())
    return pm


async def test_one_pool_serves_calls_with_different_timeouts() -> None:
    async with Server() as server:
        client, _ = client_for(providers={"echo": {"base_url": server.url, "api_key": "k-000000000"}})
        for timeout in (5.0, 7.5, None, 5.0):
            await client.agenerate("echo:m", "hi", timeout=timeout)
        assert len(client.pools) == 1
        assert server.opened == 1  # the one connection served all four
        await client.aclose()


async def test_pool_settings_per_client_make_pools_of_their_own() -> None:
    async with Server() as server:
        client, _ = client_for(
            providers={"echo": {"base_url": server.url, "api_key": "k-00000000", "max_connections": 2}}
        )
        await asyncio.gather(*(client.agenerate("echo:m", "hi") for _ in range(6)))
        assert server.opened <= 2
        await client.aclose()


async def test_sync_close_from_a_running_loop_does_not_deadlock() -> None:
    """Pools opened on the caller's loop are handed back to it when the sync close() runs on the
    background loop, instead of waiting for a loop that is blocked in close() itself."""
    async with Server() as server:
        client, _ = client_for(providers={"echo": {"base_url": server.url, "api_key": "k-00000000"}})
        await client.agenerate("echo:m", "hi")
        client.close()  # blocks this loop until the background loop has closed what it can
        await server.wait_closed()
        assert client.closed


async def test_errors_name_the_prefix_called() -> None:
    import socket

    from lluminary.sdk import APIConnectionError

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    pm = PluginManager()
    pm.register(Echo(prefixes=("echo", "alias"), api_key="k-00000000", base_url=f"http://127.0.0.1:{port}"))
    async with Client(plugins=pm, retries=1) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.agenerate("alias:m", "hi")
    assert info.value.provider == "alias"


def test_breaking_out_of_a_sync_stream_stops_the_download() -> None:
    """No `with`, no close(): dropping the stream after `break` closes the provider's stream."""
    import gc
    import time as clock

    from lluminary.sdk import Provider

    state = {"sent": 0, "closed": False}

    class Endless(Provider):
        name = "endless"

        async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
            try:
                for _ in range(10_000):
                    state["sent"] += 1
                    yield TextDelta("x")
                    await asyncio.sleep(0.001)
                yield Finish("stop")
            finally:
                state["closed"] = True

    pm = PluginManager()
    pm.register(Endless())
    client = Client(plugins=pm)
    for _event in client.stream("endless:m", "go"):
        break
    gc.collect()
    deadline = clock.monotonic() + 2
    while not state["closed"] and clock.monotonic() < deadline:
        clock.sleep(0.01)
    assert state["closed"]
    sent = state["sent"]
    clock.sleep(0.1)
    assert state["sent"] == sent < 10_000  # nothing more is read after the close


async def test_a_stream_that_stops_at_its_end_marker_gives_the_connection_back() -> None:
    class Stopper(Echo):
        """Stops reading at the first frame, as providers stop at [DONE] before the body ends."""

        name = "stopper"

        async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
            endpoint = self.endpoint(request)
            async with endpoint.stream("/stream", {"model": request.model_name}) as answer:
                async for data in answer.sse_data():
                    yield TextDelta(json.loads(data)["text"])
                    break
            yield Finish("stop", "stop", request.model_name)

    async with Server() as server:
        pm = PluginManager()
        pm.register(Stopper())
        settings = {"base_url": server.url, "api_key": "k-00000000"}
        async with Client(plugins=pm, retries=1, providers={"stopper": settings}) as client:
            await client.astream("stopper:m", "hi").response()
            await client.agenerate("stopper:m", "hi")
            await client.astream("stopper:m", "hi").response()
        assert server.opened == 1  # one connection served the three calls


def test_a_cache_url_password_stays_out_of_the_repr() -> None:
    client = Client(cache="redis://app:hunter2-pass@cache.internal:6379/0")
    assert "hunter2" not in repr(client)
    assert "redis://app:***@cache.internal:6379/0" in repr(client)
    assert "memory://" in repr(Client(cache="memory://"))


@pytest.mark.integration
@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_the_sync_api_works_in_a_forked_child() -> None:
    """The background loop's thread does not survive a fork: the child starts its own."""
    pm = PluginManager()
    pm.register(ScriptedProvider("scripted"))
    client = Client(plugins=pm, cache=False)
    assert client.generate("scripted:m", "parent").text == "parent"  # the parent's loop is running
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        try:
            text = Client(plugins=pm, cache=False).generate("scripted:m", "child").text
            os.write(writer, text.encode())
        finally:
            os._exit(0)
    os.close(writer)
    try:
        ready, _, _ = select.select([reader], [], [], 20)
        assert ready, "the child's sync call did not return (it waited on the parent's loop)"
        assert os.read(reader, 100) == b"child"
    finally:
        os.close(reader)
        os.waitpid(pid, 0)
    client.close()
