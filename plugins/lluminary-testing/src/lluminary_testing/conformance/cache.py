"""The cache backend conformance suite: what every ``lluminary_cache`` backend owes the kernel.

A backend plugin subclasses :class:`CacheBackendTests` in a test module and provides one fixture,
``cache_url``, the URL of a store of its own for the test (a file under ``tmp_path``, a Redis
database on the test's server, ...)::

    class TestAcmeCache(CacheBackendTests):
        @pytest.fixture
        def cache_url(self, tmp_path):
            return f"acme:///{tmp_path}/cache"

The suite opens backends the way users do, through a :class:`lluminary.Client` and the
``lluminary_cache`` hook (override :meth:`CacheBackendTests.open_backend` to build one otherwise),
adds query options to the URL where a test needs them (``?ttl=0.25``), and closes every backend it
opened. Values are real :class:`~lluminary.ChatResponse` and :class:`~lluminary.EmbedResponse`
objects, keys come from :func:`lluminary.sdk.cache_key`, and the expiry tests sleep well under a
second and a half in all.

Capability flags skip what a backend does not do, with the reason; the standard tests cannot be
deleted or quietly replaced (an override needs ``@pytest.mark.xfail(reason=...)``), as in the
provider suite.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, ClassVar

import pytest
import pytest_asyncio

from lluminary import Client
from lluminary.sdk import (
    CacheBackend,
    ChatResponse,
    Citation,
    Cost,
    EmbedResponse,
    Message,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    Usage,
    build_chat_request,
    build_embed_request,
    cache_key,
)

from ._guard import GuardTests, covered_by

#: Opens a backend on the test's URL with extra query options: ``await open_cache(ttl="0.25")``.
OpenCache = Callable[..., Awaitable[CacheBackend]]


def with_query(url: str, **options: str) -> str:
    """``url`` with ``options`` added to (or replacing those in) its query string."""
    base, _, fragment = url.partition("#")
    base, _, query = base.partition("?")
    pairs = [pair for pair in query.split("&") if pair and pair.partition("=")[0] not in options]
    pairs += [f"{name}={value}" for name, value in options.items()]
    joined = f"{base}?{'&'.join(pairs)}" if pairs else base
    return f"{joined}#{fragment}" if fragment else joined


def unique_key(label: str = "k") -> str:
    """A key no other test uses, shaped like the kernel's."""
    return f"lluminary:conformance:{label}:{uuid.uuid4().hex}"


def chat_response(text: str = "The weather in Zürich is mild.", *, model: str = "conformance-model") -> ChatResponse:
    """A response with every part a cache must keep: reasoning with its signature, text, tool
    calls with nested arguments, citations, usage with every counter and the provider's details,
    cost, model, provider, id and the provider's raw finish reason."""
    return ChatResponse(
        Message(
            "assistant",
            (
                ReasoningPart("The user wants the weather; call the tool.", signature="sig-Zm9vYmFy", id="rs_1"),
                ReasoningPart(redacted="b3BhcXVl", provider="anthropic"),
                TextPart(text),
                ToolCallPart("call_1", "get_weather", {"city": "Zürich", "units": ["c", None], "days": 3}),
                ToolCallPart("call_2", "get_time", {}),
            ),
        ),
        "tool_calls",
        "tool_use",
        Usage(
            input_tokens=120,
            output_tokens=48,
            cache_read_tokens=100,
            cache_write_tokens=7,
            reasoning_tokens=21,
            details={"prompt_tokens_details": {"cached_tokens": 100}, "service_tier": "default"},
        ),
        cost=Cost(input=0.00012, output=0.00048, cache_read=0.00001, cache_write=0.000002),
        model=model,
        provider="conformance",
        id="resp_conformance_1",
        citations=(Citation("mild", 24, 28, ({"url": "https://example.invalid/weather", "title": "Weather"},)),),
    )


def embed_response() -> EmbedResponse:
    """Two vectors whose floats do not survive a lossy encoding (tiny, negative, many digits)."""
    return EmbedResponse(
        [[0.1, -0.2, 1e-30, 3.141592653589793], [-1.5, 0.0, 2.5e17, -7.000000000000001]],
        model="conformance-embed",
        provider="conformance",
        usage=Usage(input_tokens=9, details={"billed": 9}),
        cost=Cost(input=0.0000009),
    )


def assert_same_response(got: Any, want: ChatResponse | EmbedResponse) -> None:
    """Equal, and equal in what ``==`` leaves out (the provider's usage details)."""
    assert got is not None, "the value stored a moment ago is missing"
    assert type(got) is type(want), f"stored a {type(want).__name__}, got back a {type(got).__name__}"
    assert got == want
    assert dict(got.usage.details) == dict(want.usage.details), "usage.details was lost"


class CacheBackendTests(GuardTests):
    """Every behaviour a cache backend owes the kernel. See the module docstring to subclass it."""

    standard_suite = True

    # ------------------------------------------------------------------ what a subclass sets

    #: The URL takes ``?ttl=<seconds>``, the default lifetime of entries stored without a ttl.
    supports_default_ttl: ClassVar[bool] = True
    #: Two backends opened on one URL see the same entries (a file, a server; the kernel's
    #: ``memory://`` too, as it keeps one store per URL).
    shares_entries_by_url: ClassVar[bool] = True
    #: Seconds of the short ttl the expiry tests use, and the margin slept past it.
    short_ttl: ClassVar[float] = 0.25
    ttl_margin: ClassVar[float] = 0.15
    #: Coroutines in flight at once in the concurrency test.
    concurrency: ClassVar[int] = 200

    # ------------------------------------------------------------------ fixtures

    @pytest.fixture
    def cache_url(self) -> str:
        """The URL of a store for this test only; a subclass overrides this fixture."""
        pytest.fail(f"{type(self).__name__} must define a `cache_url` fixture (the URL of a store for this test)")

    def open_backend(self, client: Client, url: str) -> CacheBackend:
        """A backend for ``url``, through the ``lluminary_cache`` hook as users get one. Override
        to build it another way; the suite closes it either way."""
        return client.open_cache(url)

    @pytest_asyncio.fixture
    async def open_cache(self, cache_url: str) -> AsyncIterator[OpenCache]:
        """Opens backends on ``cache_url`` plus query options; closes them (and the client) after."""
        client = Client(cache=False, exporters=[])
        opened: list[CacheBackend] = []

        async def open_cache(**options: str) -> CacheBackend:
            backend = self.open_backend(client, with_query(cache_url, **options))
            opened.append(backend)
            return backend

        try:
            yield open_cache
        finally:
            try:
                for backend in opened:
                    await backend.close()
            finally:
                await client.aclose()

    @pytest_asyncio.fixture
    async def backend(self, open_cache: OpenCache) -> CacheBackend:
        """A backend on ``cache_url``, emptied first."""
        backend = await open_cache()
        await backend.clear()
        return backend

    # ------------------------------------------------------------------ the tests

    @pytest.mark.asyncio
    async def test_missing_key_is_none(self, backend: CacheBackend) -> None:
        """A key never stored reads as None, not an error.

        Troubleshooting: ``get`` returns None for a miss; raising is for failures only (the kernel
        turns a raise into a CacheWarning on every call)."""
        assert await backend.get(unique_key("missing")) is None

    @pytest.mark.asyncio
    async def test_chat_response_round_trip(self, backend: CacheBackend) -> None:
        """A ChatResponse comes back equal: reasoning and its signature, tool calls, citations,
        usage with every counter and its details, cost, model, id.

        Troubleshooting: store ``lluminary.sdk.dump_cache_value(value)`` and read back with
        ``load_cache_value(data)``; do not pickle, and do not rebuild the response by hand."""
        key = unique_key("chat")
        value = chat_response()
        await backend.set(key, value)
        assert_same_response(await backend.get(key), value)

    @pytest.mark.asyncio
    async def test_embed_response_round_trip(self, backend: CacheBackend) -> None:
        """An EmbedResponse comes back equal, every float exact.

        Troubleshooting: an encoding that rounds floats (float32, a fixed number of digits)
        changes the vectors; the SDK's ``dump_cache_value`` keeps them exact."""
        key = unique_key("embed")
        value = embed_response()
        await backend.set(key, value)
        assert_same_response(await backend.get(key), value)

    @pytest.mark.asyncio
    async def test_set_overwrites(self, backend: CacheBackend) -> None:
        """A second ``set`` of a key replaces its value; other keys keep theirs.

        Troubleshooting: write with an upsert (``INSERT ... ON CONFLICT DO UPDATE``, Redis
        ``SET``), not an insert that keeps the first value or fails on the second."""
        key, other = unique_key("overwrite"), unique_key("other")
        await backend.set(key, chat_response("first"))
        await backend.set(other, chat_response("other"))
        await backend.set(key, chat_response("second"))
        assert_same_response(await backend.get(key), chat_response("second"))
        assert_same_response(await backend.get(other), chat_response("other"))

    @pytest.mark.asyncio
    async def test_ttl_expires(self, backend: CacheBackend) -> None:
        """An entry stored with ``ttl`` is there before it runs out and gone after; one stored
        without a ttl stays.

        Troubleshooting: ``ttl`` is seconds as a float (0.25 is a quarter second, not zero):
        keep sub-second precision (Redis ``PX``, a float expiry time), and never return an
        expired entry even if it is not purged yet."""
        short, forever = unique_key("short"), unique_key("forever")
        await backend.set(short, chat_response("short"), ttl=self.short_ttl)
        await backend.set(forever, chat_response("forever"))
        assert_same_response(await backend.get(short), chat_response("short"))
        await asyncio.sleep(self.short_ttl + self.ttl_margin)
        assert await backend.get(short) is None, f"an entry with ttl={self.short_ttl} is still there"
        assert_same_response(await backend.get(forever), chat_response("forever"))

    @covered_by("supports_default_ttl")
    @pytest.mark.asyncio
    async def test_default_ttl_from_url(self, open_cache: OpenCache) -> None:
        """``?ttl=`` in the URL is the lifetime of entries stored without one; a ``ttl`` given to
        ``set`` (the client's ``cache_ttl``) wins over it.

        Troubleshooting: read ``ttl`` from the URL's query and use it when ``set`` gets
        ``ttl=None``; if the backend has no default lifetime, set ``supports_default_ttl = False``."""
        if not self.supports_default_ttl:
            pytest.skip("the backend's URL takes no default ttl (supports_default_ttl = False)")
        backend = await open_cache(ttl=str(self.short_ttl))
        await backend.clear()
        default, explicit = unique_key("default"), unique_key("explicit")
        await backend.set(default, chat_response("default"))
        await backend.set(explicit, chat_response("explicit"), ttl=60.0)
        assert_same_response(await backend.get(default), chat_response("default"))
        await asyncio.sleep(self.short_ttl + self.ttl_margin)
        assert await backend.get(default) is None, f"the URL's ttl={self.short_ttl} was not applied"
        assert_same_response(await backend.get(explicit), chat_response("explicit"))

    @pytest.mark.asyncio
    async def test_clear(self, backend: CacheBackend) -> None:
        """``clear`` drops every entry, and the backend keeps working after it.

        Troubleshooting: delete the backend's own entries (all of them, not only those this
        process wrote) and leave the store usable: no closed connection, no dropped table."""
        keys = [unique_key("clear") for _ in range(5)]
        for key in keys:
            await backend.set(key, chat_response(key))
        await backend.clear()
        assert [await backend.get(key) for key in keys] == [None] * len(keys)
        await backend.set(keys[0], chat_response("after clear"))
        assert_same_response(await backend.get(keys[0]), chat_response("after clear"))

    @pytest.mark.asyncio
    async def test_close_is_idempotent(self, open_cache: OpenCache) -> None:
        """``close`` may be called twice, on a backend that was used and on one that never was.

        Troubleshooting: ``Client.aclose()`` closes every backend it opened, and users close
        theirs too: remember that the backend is closed and return; a backend never used has
        nothing open (connections are opened lazily, on first use)."""
        used = await open_cache()
        key = unique_key("close")
        await used.set(key, chat_response())
        assert_same_response(await used.get(key), chat_response())
        await used.close()
        await used.close()
        unused = await open_cache()
        await unused.close()
        await unused.close()

    @pytest.mark.asyncio
    async def test_unicode_round_trip(self, backend: CacheBackend) -> None:
        """Text outside ASCII comes back as it went in: accents, CJK, right-to-left, emoji with
        joiners, combining marks, a NUL and line separators, in text and tool arguments.

        Troubleshooting: store bytes (UTF-8 of the SDK's encoding), not text through a codec that
        replaces or normalises characters, and do not stop at a NUL byte."""
        text = "Grüße — 東京の天気 — مرحبا — 👩‍👩‍👧‍👦 — e\u0301 — a\x00b — \u2028\u2029 — 𝄞"
        value = chat_response(text)
        key = unique_key("unicode")
        await backend.set(key, value)
        assert_same_response(await backend.get(key), value)
        got = await backend.get(key)
        assert isinstance(got, ChatResponse)
        assert got.text == text

    @pytest.mark.asyncio
    async def test_large_value_round_trip(self, backend: CacheBackend) -> None:
        """A response of about 1 MB (a long generation) is stored and read back whole.

        Troubleshooting: raise any size limit below a few MB (Redis ``proto-max-bulk-len``, a
        size cap in the URL's defaults) and read the value in full, not a first chunk."""
        body = "".join(f"line {i:06d}: {'lorem ipsum dolor sit amet ' * 3}\n" for i in range(11_000))
        assert len(body.encode()) >= 1_000_000
        value = chat_response(body)
        key = unique_key("large")
        await backend.set(key, value)
        assert_same_response(await backend.get(key), value)

    @pytest.mark.asyncio
    async def test_concurrent_gets_and_sets(self, backend: CacheBackend) -> None:
        """Hundreds of gets and sets in flight at once on one event loop all complete, and every
        read sees a value that was written for its key.

        Troubleshooting: share one connection (pool) safely between coroutines: no per-call
        connection that exhausts the server, no state shared across awaits without a lock, no
        blocking call on the event loop."""
        keys = [unique_key(f"many{i}") for i in range(self.concurrency)]
        await asyncio.gather(*(backend.set(key, chat_response(f"v1 {key}")) for key in keys))
        firsts = await asyncio.gather(*(backend.get(key) for key in keys))
        for key, got in zip(keys, firsts, strict=True):
            assert_same_response(got, chat_response(f"v1 {key}"))

        # reads and overwrites of the same keys interleaved: each read sees one of the two values
        async def overwrite(key: str) -> None:
            await backend.set(key, chat_response(f"v2 {key}"))

        async def read(key: str) -> Any:
            return await backend.get(key)

        mixed = await asyncio.gather(*(f(key) for key in keys for f in (read, overwrite)))
        reads = mixed[0::2]
        for key, got in zip(keys, reads, strict=True):
            assert got in (chat_response(f"v1 {key}"), chat_response(f"v2 {key}")), f"{key}: {got!r}"
        finals = await asyncio.gather(*(backend.get(key) for key in keys))
        for key, got in zip(keys, finals, strict=True):
            assert_same_response(got, chat_response(f"v2 {key}"))

    @pytest.mark.asyncio
    async def test_keys_from_cache_key(self, backend: CacheBackend) -> None:
        """Keys made by ``lluminary.sdk.cache_key`` from chat and embedding requests work, with the
        request passed along as the kernel passes it; different requests are different entries.

        Troubleshooting: the key is an opaque string (``lluminary:v2:<sha256>``) with colons:
        use it as it is (or hash it), and accept the ``request=`` keyword on ``get`` and ``set``."""
        chat = build_chat_request("conformance:model", "What is the weather in Zürich?", temperature=0.0)
        warmer = build_chat_request("conformance:model", "What is the weather in Zürich?", temperature=0.7)
        embed = build_embed_request("conformance:embed", ["Zürich", "weather"])
        keys = {name: cache_key(request) for name, request in (("chat", chat), ("warmer", warmer), ("embed", embed))}
        assert len(set(keys.values())) == 3
        await backend.set(keys["chat"], chat_response("cold"), request=chat)
        await backend.set(keys["warmer"], chat_response("warm"), request=warmer)
        await backend.set(keys["embed"], embed_response(), request=embed)
        assert_same_response(await backend.get(keys["chat"], request=chat), chat_response("cold"))
        assert_same_response(await backend.get(keys["warmer"], request=warmer), chat_response("warm"))
        assert_same_response(await backend.get(keys["embed"], request=embed), embed_response())

    @covered_by("shares_entries_by_url")
    @pytest.mark.asyncio
    async def test_backends_on_one_url_share_entries(self, open_cache: OpenCache) -> None:
        """What one backend stores, another opened on the same URL reads: the kernel opens one
        backend per event loop, and a new client must hit what an old one stored.

        Troubleshooting: keep entries in the store the URL names (a file, a server), not in the
        backend object; a backend that is private by design sets ``shares_entries_by_url = False``."""
        if not self.shares_entries_by_url:
            pytest.skip("each backend has entries of its own (shares_entries_by_url = False)")
        writer, reader = await open_cache(), await open_cache()
        key = unique_key("shared")
        await writer.set(key, chat_response("shared"))
        assert_same_response(await reader.get(key), chat_response("shared"))
        await writer.close()
        assert_same_response(await reader.get(key), chat_response("shared"))
