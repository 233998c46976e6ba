"""The cache conformance suite, proven on the kernel's own backend (``memory://``), and shown to
fail on backends that break the contract it checks."""

from __future__ import annotations

import inspect
import uuid
from typing import Any

import pytest

import lluminary
from lluminary import Client, MemoryCache
from lluminary.sdk import CacheBackend, dump_cache_value, load_cache_value
from lluminary_testing.conformance import CacheBackendTests, standard_tests, violations
from lluminary_testing.conformance.cache import chat_response, embed_response, with_query


class TestMemoryCacheThroughTheHook(CacheBackendTests):
    """``memory://`` URLs, opened by a client through the hook (one store per URL)."""

    @pytest.fixture
    def cache_url(self) -> str:
        return f"memory://?conformance={uuid.uuid4().hex}"


class TestMemoryCacheObject(CacheBackendTests):
    """A ``MemoryCache`` built directly: entries belong to the object, not to its URL."""

    shares_entries_by_url = False

    @pytest.fixture
    def cache_url(self) -> str:
        return "memory://"

    def open_backend(self, client: Client, url: str) -> CacheBackend:
        return MemoryCache.from_url(url)


# --------------------------------------------------------------------------- the suite's own rules


def test_every_standard_test_has_a_troubleshooting_note() -> None:
    tests = standard_tests(CacheBackendTests)
    assert len(tests) >= 14
    missing = [name for name, fn in tests.items() if "Troubleshooting:" not in (inspect.getdoc(fn) or "")]
    assert missing == []


def test_deleting_or_replacing_a_standard_test_is_a_violation() -> None:
    class Deleted(CacheBackendTests):
        test_clear = None  # type: ignore[assignment]

    class Replaced(CacheBackendTests):
        async def test_ttl_expires(self, backend: CacheBackend) -> None:  # type: ignore[override]
            """Weaker."""

    class XFailedForAFlag(CacheBackendTests):
        @pytest.mark.xfail(reason="no default ttl", strict=True)
        async def test_default_ttl_from_url(self, open_cache: Any) -> None:  # type: ignore[override]
            """Where a flag says it."""

    assert violations(Deleted, CacheBackendTests) == [
        "test_clear was deleted (set to None); mark it xfail with a reason instead"
    ]
    (replaced,) = violations(Replaced, CacheBackendTests)
    assert "test_ttl_expires is overridden" in replaced
    (flagged,) = violations(XFailedForAFlag, CacheBackendTests)
    assert "supports_default_ttl = False" in flagged
    with pytest.raises(pytest.fail.Exception, match="test_clear was deleted"):
        Deleted().test_no_standard_test_removed()
    with pytest.raises(TypeError, match="test_no_standard_test_removed"):
        type("NoGuard", (CacheBackendTests,), {"test_no_standard_test_removed": None})


def test_with_query_adds_and_replaces_options() -> None:
    assert with_query("sqlite:///tmp/a.db", ttl="1") == "sqlite:///tmp/a.db?ttl=1"
    assert with_query("memory://?x=1&ttl=5", ttl="1") == "memory://?x=1&ttl=1"
    assert with_query("redis://h:1/0#frag", ttl="2") == "redis://h:1/0?ttl=2#frag"
    assert with_query("memory://?x=1") == "memory://?x=1"


# --------------------------------------------------------------------------- the suite can fail


class Forgetful(MemoryCache):
    """Ignores every ttl: entries live for ever."""

    async def set(self, key: str, value: Any, *, request: Any = None, ttl: float | None = None) -> None:
        await super().set(key, value, request=request, ttl=None)


class Lossy(MemoryCache):
    """Round-trips through the SDK's encoding but drops the provider's usage details."""

    async def set(self, key: str, value: Any, *, request: Any = None, ttl: float | None = None) -> None:
        import attrs

        stripped = attrs.evolve(value, usage=attrs.evolve(value.usage, details={}))
        await super().set(key, load_cache_value(dump_cache_value(stripped)), request=request, ttl=ttl)


class Sticky(MemoryCache):
    """``clear`` does nothing."""

    async def clear(self) -> None:
        return None


class Hostile(MemoryCache):
    """``close`` works once."""

    closed = False

    async def close(self) -> None:
        if self.closed:
            raise RuntimeError("already closed")
        self.closed = True


async def test_the_suite_catches_an_ignored_ttl() -> None:
    suite = TestMemoryCacheObject()
    with pytest.raises(AssertionError, match="still there"):
        await suite.test_ttl_expires(Forgetful())


async def test_the_suite_catches_lost_usage_details() -> None:
    suite = TestMemoryCacheObject()
    with pytest.raises(AssertionError, match=r"usage\.details was lost"):
        await suite.test_chat_response_round_trip(Lossy())
    assert chat_response() == load_cache_value(dump_cache_value(chat_response()))
    assert embed_response() == load_cache_value(dump_cache_value(embed_response()))


async def test_the_suite_catches_a_clear_that_keeps_entries() -> None:
    suite = TestMemoryCacheObject()
    with pytest.raises(AssertionError):
        await suite.test_clear(Sticky())


async def test_the_suite_catches_a_close_that_is_not_idempotent() -> None:
    suite = TestMemoryCacheObject()

    async def open_cache(**options: str) -> CacheBackend:
        return Hostile()

    with pytest.raises(RuntimeError, match="already closed"):
        await suite.test_close_is_idempotent(open_cache)


async def test_the_suite_opens_backends_through_the_hook() -> None:
    """The default ``open_backend`` goes through ``lluminary_cache``: an unknown scheme is the
    kernel's typed error, naming what to install."""
    suite = TestMemoryCacheThroughTheHook()
    async with Client(cache=False, exporters=[]) as client:
        with pytest.raises(lluminary.PluginError, match="nosuchscheme"):
            suite.open_backend(client, "nosuchscheme://x")
