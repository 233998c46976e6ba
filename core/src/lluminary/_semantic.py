"""A semantic cache: answer a question close enough to one already answered, in the same
conversation.

The entry's key is the whole conversation. Everything but the last user message — model, system
prompt, tools, parameters, every earlier turn — must match exactly (it is hashed into a context
id the store filters on); only the last user message is compared by meaning, through an embedding
model called on the client's normal ``embed`` path (so its cost and traces are the client's).
A hit also passes a guard (by default :func:`meaning_differs`), because "is it safe" and "is it
unsafe" embed close together.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ._cache import CacheRequest, CacheValue, cache_key, dumps, loads
from ._errors import ConfigurationError, RequestValidationError
from ._semantic_guard import meaning_differs
from ._store import Record, VectorStore
from ._types import ChatRequest, ChatResponse, TextPart

if TYPE_CHECKING:
    from ._client import Client

__all__ = ["SemanticCache"]

Guard = Callable[[str, str], bool]
_REMEMBERED_VECTORS = 256  # questions embedded by get() and not yet stored by set()


class SemanticCache:
    """``Client(cache=SemanticCache(embed="local:e5-small", store="faiss:///tmp/sc"))``.

    ``threshold``: the least similarity score (the store's, higher is closer; cosine for the
    kernel's ``memory://`` store) a hit needs. ``ttl``: seconds an entry lives (the client's
    ``cache_ttl`` wins when set). ``guard(question, cached_question)`` returns True to refuse a
    hit (``None`` turns the guard off). ``candidates``: how many nearest entries are checked.
    ``embed_options``: passed to the embedding call (e.g. ``{"input_type": "query"}``).
    """

    def __init__(
        self,
        embed: str,
        store: str | VectorStore = "memory://",
        *,
        threshold: float = 0.92,
        ttl: float | None = None,
        guard: Guard | None = meaning_differs,
        candidates: int = 4,
        embed_options: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(embed, str) or ":" not in embed:
            raise RequestValidationError(f"SemanticCache(embed=...) takes a 'provider:model' string, got {embed!r}")
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not -1.0 <= threshold <= 1.0:
            raise RequestValidationError(f"SemanticCache(threshold=...) must be between -1 and 1, got {threshold!r}")
        if isinstance(candidates, bool) or not isinstance(candidates, int) or candidates < 1:
            raise RequestValidationError(f"SemanticCache(candidates=...) must be a positive int, got {candidates!r}")
        self.embed = embed
        self.threshold = float(threshold)
        self.ttl = ttl
        self.guard = guard
        self.candidates = candidates
        self.embed_options = dict(embed_options or {})
        self._store_spec = store
        self._store: VectorStore | None = None if isinstance(store, str) else store
        self._client: Client | None = None
        self._vectors: OrderedDict[tuple[str, str], list[float]] = OrderedDict()

    def __repr__(self) -> str:
        store = self._store_spec if isinstance(self._store_spec, str) else type(self._store_spec).__name__
        return f"<SemanticCache embed={self.embed!r} store={store!r} threshold={self.threshold}>"

    def bind(self, client: Client) -> None:
        """Called by the client this cache serves: embeddings and the store go through it."""
        self._client = client

    # ------------------------------------------------------------------ the backend contract

    async def get(self, key: str, *, request: CacheRequest | None = None) -> CacheValue | None:
        question = _split(request)
        if question is None:
            return None
        context, text = question
        vector = await self._embed(text)
        self._remember((context, text), vector)
        store = self._open_store()
        found = await store.query(vector, top_k=self.candidates, filter={"context": context})
        now = time.time()
        stale: list[str] = []
        hit: CacheValue | None = None
        for match in found:  # best first
            if match.score < self.threshold:
                break
            metadata = match.metadata
            expires = metadata.get("expires")
            if isinstance(expires, (int, float)) and expires <= now:
                stale.append(match.id)
                continue
            cached_question = str(metadata.get("question", ""))
            if self.guard is not None and self.guard(text, cached_question):
                continue
            value = loads(str(metadata["response"]))
            if isinstance(value, ChatResponse):
                hit = attrs.evolve(value, similarity=match.score)
                break
        if stale:
            await store.delete(stale)
        return hit

    async def set(
        self, key: str, value: CacheValue, *, request: CacheRequest | None = None, ttl: float | None = None
    ) -> None:
        question = _split(request)
        if question is None or not isinstance(value, ChatResponse):
            return
        context, text = question
        vector = self._vectors.pop((context, text), None) or await self._embed(text)
        lifetime = self.ttl if ttl is None else ttl
        metadata: dict[str, Any] = {
            "context": context,
            "question": text,
            "response": dumps(attrs.evolve(value, similarity=None)).decode("utf-8"),
        }
        if lifetime is not None:
            metadata["expires"] = time.time() + lifetime  # stores without nulls (Pinecone) need the key absent
        entry = hashlib.sha256(f"{context}\n{text}".encode()).hexdigest()
        await self._open_store().upsert([Record(entry, vector, metadata, text)])

    async def clear(self) -> None:
        """Drop every entry (the store must be able to count or delete by filter; the kernel's can)."""
        store = self._open_store()
        clear = getattr(store, "clear", None)
        if clear is None:
            raise ConfigurationError(f"the semantic cache's store {type(store).__name__} cannot be cleared")
        await clear()

    async def close(self) -> None:
        """Closes a store given as an object; a store opened by URL is closed by its client."""
        if not isinstance(self._store_spec, str) and self._store is not None:
            await self._store.close()

    # ------------------------------------------------------------------ helpers

    def _client_or_raise(self) -> Client:
        if self._client is None:
            raise ConfigurationError("a SemanticCache works through a client: pass it as Client(cache=...)")
        return self._client

    def _open_store(self) -> VectorStore:
        if self._store is None:
            assert isinstance(self._store_spec, str)
            self._store = self._client_or_raise().open_store_backend(self._store_spec)
        return self._store

    async def _embed(self, text: str) -> list[float]:
        client = self._client_or_raise()
        response = await client.aembed(self.embed, [text], cache=False, **self.embed_options)
        return list(response.embeddings[0])

    def _remember(self, question: tuple[str, str], vector: list[float]) -> None:
        self._vectors[question] = vector
        self._vectors.move_to_end(question)
        while len(self._vectors) > _REMEMBERED_VECTORS:
            self._vectors.popitem(last=False)


def _split(request: CacheRequest | None) -> tuple[str, str] | None:
    """(context id, last user question) — or None when the last message is not a user's text
    (a tool result, an image: those are not compared by meaning)."""
    if not isinstance(request, ChatRequest) or not request.messages:
        return None
    last = request.messages[-1]
    if last.role != "user" or not last.content or not all(type(part) is TextPart for part in last.content):
        return None
    text = "\n".join(_texts(last.content))
    if not text.strip():
        return None
    context = cache_key(attrs.evolve(request, messages=request.messages[:-1]))
    return context.rpartition(":")[2], text


def _texts(parts: Sequence[Any]) -> list[str]:
    return [part.text for part in parts]
