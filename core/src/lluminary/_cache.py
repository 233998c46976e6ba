"""Response caching: the backend contract, the cache key, and the kernel's in-memory backend.

The key covers everything that determines the output and nothing else: never the API key, the
metadata or the timeout. Backends store lluminary values; byte-oriented backends (disk, Redis)
use :func:`dumps` and :func:`loads`.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from typing import Any, Protocol, Union, runtime_checkable

from ._convert import from_dict, to_dict
from ._types import ChatRequest, ChatResponse, EmbedRequest, EmbedResponse

CacheValue = Union[ChatResponse, EmbedResponse]
CacheRequest = Union[ChatRequest, EmbedRequest]
KEY_VERSION = "v2"  # v2: the key material is serialised by orjson

_CHAT_KEY_FIELDS = (
    "model",
    "messages",
    "system",
    "tools",
    "tool_choice",
    "temperature",
    "top_p",
    "max_tokens",
    "stop",
    "seed",
    "response_format",
    "reasoning",
    "options",
    "base_url",
)
_EMBED_KEY_FIELDS = ("model", "inputs", "dimensions", "input_type", "options", "base_url")


@runtime_checkable
class CacheBackend(Protocol):
    """What ``lluminary_cache`` returns. Failures should raise; the kernel then carries on
    uncached, and so it does when a backend takes longer than the client's ``cache_timeout``.

    ``request`` is the request being answered: an exact cache needs only ``key``; a semantic
    cache reads the conversation from it. A backend is used on the event loop that opened it.
    An optional async ``stats()`` returns figures (entries, bytes, settings) for
    ``lluminary cache stats``.
    """

    async def get(self, key: str, *, request: CacheRequest | None = None) -> CacheValue | None:
        """The value stored for ``key`` (or, for a semantic cache, a close enough ``request``)."""

    async def set(
        self, key: str, value: CacheValue, *, request: CacheRequest | None = None, ttl: float | None = None
    ) -> None:
        """Store ``value``; it expires after ``ttl`` seconds when given."""

    async def clear(self) -> None:
        """Drop every entry."""

    async def close(self) -> None:
        """Release connections."""


def cache_key(request: ChatRequest | EmbedRequest) -> str:
    """A stable SHA-256 of what determines the output of ``request``."""
    data = to_dict(request)
    fields = _CHAT_KEY_FIELDS if isinstance(request, ChatRequest) else _EMBED_KEY_FIELDS
    material = {name: data[name] for name in fields}
    material["kind"] = "chat" if isinstance(request, ChatRequest) else "embed"
    import orjson

    blob = orjson.dumps(material, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)
    return f"lluminary:{KEY_VERSION}:{hashlib.sha256(blob).hexdigest()}"


def dumps(value: CacheValue) -> bytes:
    """Serialise a cache value to compact UTF-8 JSON bytes, tagged with its kind (orjson: a
    quarter of a Redis hit went to stdlib ``json``). Floats round-trip exactly."""
    from ._json import dumps as json_dumps

    kind = "chat" if isinstance(value, ChatResponse) else "embed"
    return json_dumps({"kind": kind, "value": to_dict(value)})


def loads(data: bytes | str) -> CacheValue:
    """The inverse of :func:`dumps` (reads what the stdlib ``json`` version wrote, too)."""
    from ._json import loads as json_loads

    doc = json_loads(data)
    cls = ChatResponse if doc["kind"] == "chat" else EmbedResponse
    value: CacheValue = from_dict(doc["value"], cls)
    return value


class MemoryCache:
    """An in-process LRU cache with per-entry TTL. ``memory://?max_entries=1000&ttl=3600``."""

    #: No I/O: the kernel calls it without a timeout (a timer per call would cost more than it).
    in_process = True

    def __init__(self, max_entries: int = 1024, ttl: float | None = None) -> None:
        self.max_entries = max_entries
        self.default_ttl = ttl
        self._entries: OrderedDict[str, tuple[float | None, CacheValue]] = OrderedDict()

    @classmethod
    def from_url(cls, url: str) -> MemoryCache:
        from urllib.parse import parse_qs, urlsplit

        query = parse_qs(urlsplit(url).query)
        max_entries = int(query.get("max_entries", ["1024"])[0])
        ttl_text = query.get("ttl", [None])[0]
        return cls(max_entries, float(ttl_text) if ttl_text else None)

    async def get(self, key: str, *, request: CacheRequest | None = None) -> CacheValue | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires is not None and expires <= time.monotonic():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    async def set(
        self, key: str, value: CacheValue, *, request: CacheRequest | None = None, ttl: float | None = None
    ) -> None:
        ttl = self.default_ttl if ttl is None else ttl
        expires = time.monotonic() + ttl if ttl is not None else None
        self._entries[key] = (expires, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    async def clear(self) -> None:
        self._entries.clear()

    async def stats(self) -> dict[str, Any]:
        """What ``lluminary cache stats`` shows (expired entries not yet dropped included)."""
        return {"entries": len(self._entries), "max_entries": self.max_entries, "ttl": self.default_ttl}

    async def close(self) -> None:
        return None

    def __len__(self) -> int:
        return len(self._entries)
