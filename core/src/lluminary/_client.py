"""The client: generate, stream and embed, async and sync, with the kernel middleware around
every provider call — cache, retries, fallbacks, cost, budget and tracing — the same for all.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import queue
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from typing import Any, TypeVar

import attrs

from . import _loop
from ._cache import CacheBackend, cache_key
from ._cost import Catalogue, compute_cost
from ._errors import LluminaryError, PluginError, ProviderError, UnknownProviderError, UnsupportedError
from ._plugins import PluginManager
from ._provider import Provider
from ._requests import build_chat_request, build_embed_request
from ._retry import RetryPolicy
from ._streaming import Accumulator, events_from_response
from ._types import (
    ChatRequest,
    ChatResponse,
    Cost,
    EmbedRequest,
    EmbedResponse,
    ModelInfo,
    StreamEvent,
    TraceEvent,
    Usage,
)

T = TypeVar("T")
CACHE_ENV = "LLUMINARY_CACHE"
EXPORTERS_ENV = "LLUMINARY_EXPORTERS"
_call_ids = itertools.count(1)


class CacheWarning(UserWarning):
    """The cache failed; the call went on uncached."""


class TraceWarning(UserWarning):
    """An exporter raised; the call was not affected."""


_manager: PluginManager | None = None


def plugin_manager() -> PluginManager:
    """The process-wide plugin manager."""
    global _manager
    if _manager is None:
        _manager = PluginManager()
    return _manager


class Client:
    """A configured entry point. Cheap to create; holds no connections itself (providers pool them).

    ``cache``: a URL (``memory://``, ``redis://localhost:6379/0``), a backend object, ``False`` for
    none, or None to read ``LLUMINARY_CACHE``. ``retries``: attempts per model (default 3), or a
    :class:`RetryPolicy`. ``fallbacks``: models tried in order when a model fails for good.
    ``budget``: dollars this client may spend; calls beyond it raise. ``exporters``: plugin names
    to load for tracing (default ``LLUMINARY_EXPORTERS``).
    """

    def __init__(
        self,
        *,
        cache: str | CacheBackend | bool | None = None,
        cache_ttl: float | None = None,
        retries: int | RetryPolicy | None = None,
        fallbacks: Sequence[str] = (),
        budget: float | None = None,
        exporters: Sequence[str] | None = None,
        plugins: PluginManager | None = None,
    ) -> None:
        self.plugins = plugins or plugin_manager()
        if retries is None:
            self.retry = RetryPolicy()
        elif isinstance(retries, RetryPolicy):
            self.retry = retries
        else:
            self.retry = RetryPolicy(max_attempts=max(1, retries))
        self.fallbacks = tuple(fallbacks)
        self.budget = budget
        self.cache_ttl = cache_ttl
        self.usage = Usage()
        self.cost = Cost()
        self.calls = 0
        if cache is None:
            cache = os.environ.get(CACHE_ENV) or False
        self._cache_spec: str | CacheBackend | bool = cache
        self._cache: CacheBackend | None = None if isinstance(cache, (str, bool)) else cache
        names = exporters if exporters is not None else _env_list(EXPORTERS_ENV)
        for name in names:
            if self.plugins.load(name) is None:
                raise self._missing_plugin(name, f"exporter {name!r} is not installed")
        self._catalogue: Catalogue | None = None
        self._catalogue_generation = -1
        self._trace_generation = -1
        self._tracing = False

    # ------------------------------------------------------------------ async API

    async def agenerate(
        self,
        model: str | ChatRequest,
        prompt: str | None = None,
        *,
        fallbacks: Sequence[str] | None = None,
        cache: bool = True,
        **kwargs: Any,
    ) -> ChatResponse:
        """One chat call; see :func:`lluminary._requests.build_chat_request` for the arguments."""
        request = build_chat_request(model, prompt, **kwargs)
        return await self._generate(request, self.fallbacks if fallbacks is None else tuple(fallbacks), cache)

    def astream(
        self,
        model: str | ChatRequest,
        prompt: str | None = None,
        *,
        fallbacks: Sequence[str] | None = None,
        cache: bool = True,
        **kwargs: Any,
    ) -> AsyncStream:
        """A streamed chat call. Iterate it for events; ``await stream.response()`` for the result."""
        request = build_chat_request(model, prompt, **kwargs)
        return AsyncStream(self, request, self.fallbacks if fallbacks is None else tuple(fallbacks), cache)

    async def aembed(
        self, model: str | EmbedRequest, inputs: str | Sequence[str] | None = None, *, cache: bool = True, **kwargs: Any
    ) -> EmbedResponse:
        """Embed one text or many; one vector per input, in order."""
        request = build_embed_request(model, inputs, **kwargs)
        return await self._embed(request, cache)

    async def acount_tokens(self, model: str | ChatRequest, prompt: str | None = None, **kwargs: Any) -> int:
        """Input tokens the request would use, counted by its provider (an endpoint or a local
        tokenizer); raises :class:`UnsupportedError` where the provider cannot count."""
        request = build_chat_request(model, prompt, **kwargs)
        provider = self.provider_for(request.provider)
        return await provider.count_tokens(request)

    def provider_for(self, prefix: str) -> Provider:
        """The loaded :class:`Provider` object serving ``prefix``."""
        self._resolve(prefix)
        for plugin in self.plugins.plugins():
            if isinstance(plugin, Provider) and prefix in plugin.prefixes:
                return plugin
        raise self._unknown(prefix, "chat")

    # ------------------------------------------------------------------ sync API

    def generate(self, model: str | ChatRequest, prompt: str | None = None, **kwargs: Any) -> ChatResponse:
        """The sync twin of :meth:`agenerate` (runs on the shared background loop)."""
        return _loop.run(self.agenerate(model, prompt, **kwargs))

    def stream(self, model: str | ChatRequest, prompt: str | None = None, **kwargs: Any) -> SyncStream:
        """The sync twin of :meth:`astream`."""
        return SyncStream(self.astream(model, prompt, **kwargs))

    def embed(
        self, model: str | EmbedRequest, inputs: str | Sequence[str] | None = None, **kwargs: Any
    ) -> EmbedResponse:
        return _loop.run(self.aembed(model, inputs, **kwargs))

    # ------------------------------------------------------------------ catalogue

    def models(self) -> Catalogue:
        """Every model of every loaded plugin."""
        self.plugins.load_all()
        return self._models()

    def model_info(self, model: str) -> ModelInfo | None:
        self.plugins.load(model.partition(":")[0])
        return self._models().get(model)

    def _models(self) -> Catalogue:
        if self._catalogue is None or self._catalogue_generation != self.plugins.generation:
            entries: list[ModelInfo] = []
            for result in self.plugins.hook.lluminary_models():
                entries.extend(result)
            self._catalogue = Catalogue(entries)
            self._catalogue_generation = self.plugins.generation
        return self._catalogue

    # ------------------------------------------------------------------ middleware

    def _account(self, model: str, usage: Usage) -> Cost | None:
        info = self._models().get(model)
        cost = compute_cost(usage, info)
        self.usage = self.usage + usage
        if cost is not None:
            self.cost = self.cost + cost
        self.calls += 1
        return cost

    def _check_budget(self) -> None:
        if self.budget is not None and self.cost.total >= self.budget:
            from ._errors import BudgetExceededError

            raise BudgetExceededError(self.cost.total, self.budget)

    def _resolve(self, provider: str) -> None:
        self.plugins.load(provider)

    def _missing_plugin(self, name: str, what: str) -> PluginError:
        load_error = self.plugins.load_error(name)
        if load_error is not None:
            return PluginError(f"the plugin {name!r} is installed but failed to load: {load_error}")
        return PluginError(f"{what} (try `pip install lluminary-{name}`)")

    def _unknown(self, provider: str, capability: str) -> LluminaryError:
        if self.plugins.load_error(provider) is not None:
            return self._missing_plugin(provider, "")
        prefixes = self.plugins.provider_prefixes()
        if provider in prefixes:
            return UnsupportedError(f"provider {provider!r} does not offer {capability}")
        return UnknownProviderError(provider, prefixes)

    async def _cache_backend(self) -> CacheBackend | None:
        if self._cache is not None or self._cache_spec is False:
            return self._cache
        spec = self._cache_spec
        if spec is True:
            spec = self._cache_spec = "memory://"
        assert isinstance(spec, str)
        scheme = spec.partition(":")[0]
        self.plugins.load(scheme)
        backend: CacheBackend | None = self.plugins.hook.lluminary_cache(url=spec)
        if backend is None:
            raise self._missing_plugin(scheme, f"no cache backend serves {spec!r}")
        self._cache = backend
        return backend

    async def _cache_get(self, backend: CacheBackend, key: str) -> Any:
        try:
            return await backend.get(key)
        except Exception as exc:  # noqa: BLE001 - a cache outage must not fail the call
            warnings.warn(
                f"cache read failed, calling uncached: {type(exc).__name__}: {exc}", CacheWarning, stacklevel=2
            )
            return None

    async def _cache_set(self, backend: CacheBackend, key: str, value: Any) -> None:
        try:
            await backend.set(key, value, self.cache_ttl)
        except Exception as exc:  # noqa: BLE001
            warnings.warn(f"cache write failed: {type(exc).__name__}: {exc}", CacheWarning, stacklevel=2)

    @property
    def tracing(self) -> bool:
        """Whether an exporter is listening; until one is, no trace event is even built."""
        if self._trace_generation != self.plugins.generation:
            self._tracing = self.plugins.has_impls("lluminary_trace")
            self._trace_generation = self.plugins.generation
        return self._tracing

    def _trace(self, kind: Any, call_id: str, op: Any, model: str, started: float, **fields: Any) -> None:
        now = time.perf_counter()
        event = TraceEvent(kind, call_id, op, model, now, None if kind == "start" else now - started, **fields)
        # Each exporter on its own: pluggy stops a broadcast at the first exception, and one broken
        # exporter must neither break the call nor starve the others.
        for impl in self.plugins.hook.lluminary_trace.get_hookimpls():
            if impl.hookwrapper or impl.wrapper:
                continue
            try:
                impl.function(event) if impl.argnames else impl.function()
            except Exception as exc:  # noqa: BLE001 - an exporter must never break a call
                warnings.warn(
                    f"trace exporter {impl.plugin_name!r} failed: {type(exc).__name__}: {exc}",
                    TraceWarning,
                    stacklevel=2,
                )

    async def _with_retries(
        self, request: Any, op: Any, call: Callable[[Any], Awaitable[T] | None], call_id: str, capability: str
    ) -> T:
        attempt = 1
        tracing = self.tracing
        while True:
            started = time.perf_counter()
            if tracing:
                self._trace("start", call_id, op, request.model, started, attempt=attempt, metadata=_meta(request))
            try:
                awaitable = call(request)
                if awaitable is None:
                    raise self._unknown(request.provider, capability)
                return await awaitable
            except ProviderError as exc:
                if tracing:
                    self._trace("error", call_id, op, request.model, started, attempt=attempt, **_err(exc))
                if not self.retry.should_retry(exc, attempt):
                    raise
                await asyncio.sleep(self.retry.delay(exc, attempt))
                attempt += 1

    async def _generate(self, request: ChatRequest, fallbacks: Sequence[str], use_cache: bool) -> ChatResponse:
        self._check_budget()
        backend = await self._cache_backend() if use_cache and self._cache_spec is not False else None
        key = ""
        if backend is not None:
            key = cache_key(request)
            hit = await self._cache_get(backend, key)
            if isinstance(hit, ChatResponse):
                if self.tracing:
                    self._trace("cache_hit", _new_call_id(), "generate", request.model, time.perf_counter())
                return attrs.evolve(hit, cached=True)
        call_id = _new_call_id() if self.tracing else ""
        hook = self.plugins.hook.lluminary_generate
        started = time.perf_counter()
        last_error: ProviderError | None = None
        for current in _candidates(request, fallbacks):
            self._resolve(current.provider)
            try:
                response: ChatResponse = await self._with_retries(
                    current, "generate", lambda r: hook(request=r), call_id, "chat"
                )
            except ProviderError as exc:
                last_error = exc
                continue
            cost = self._account(current.model, response.usage)
            if cost is not None or response.provider != current.provider:
                response = attrs.evolve(response, cost=cost, provider=current.provider)
            if self.tracing:
                self._trace(
                    "end", call_id, "generate", current.model, started, usage=response.usage, cost=response.cost
                )
            if backend is not None:
                await self._cache_set(backend, key, response)
            return response
        assert last_error is not None
        raise last_error

    async def _embed(self, request: EmbedRequest, use_cache: bool) -> EmbedResponse:
        self._check_budget()
        backend = await self._cache_backend() if use_cache and self._cache_spec is not False else None
        key = ""
        if backend is not None:
            key = cache_key(request)
            hit = await self._cache_get(backend, key)
            if isinstance(hit, EmbedResponse):
                if self.tracing:
                    self._trace("cache_hit", _new_call_id(), "embed", request.model, time.perf_counter())
                return attrs.evolve(hit, cached=True)
        self._resolve(request.provider)
        hook = self.plugins.hook.lluminary_embed
        call_id = _new_call_id() if self.tracing else ""
        started = time.perf_counter()
        response: EmbedResponse = await self._with_retries(
            request, "embed", lambda r: hook(request=r), call_id, "embeddings"
        )
        cost = self._account(request.model, response.usage)
        response = attrs.evolve(response, cost=cost, provider=request.provider)
        if self.tracing:
            self._trace("end", call_id, "embed", request.model, started, usage=response.usage, cost=cost)
        if backend is not None:
            await self._cache_set(backend, key, response)
        return response

    async def _stream_events(
        self, request: ChatRequest, fallbacks: Sequence[str], use_cache: bool, owner: AsyncStream
    ) -> AsyncIterator[StreamEvent]:
        """The stream middleware. Retries and fallbacks apply until the first event arrives;
        after that, events have reached the caller and an error is raised as it is."""
        self._check_budget()
        backend = await self._cache_backend() if use_cache and self._cache_spec is not False else None
        key = ""
        if backend is not None:
            key = cache_key(request)
            hit = await self._cache_get(backend, key)
            if isinstance(hit, ChatResponse):
                if self.tracing:
                    self._trace("cache_hit", _new_call_id(), "stream", request.model, time.perf_counter())
                owner._accumulator = acc = Accumulator(hit.provider)
                for event in events_from_response(hit):
                    acc.add(event)
                    yield event
                owner._final = attrs.evolve(hit, cached=True)
                return
        tracing = self.tracing
        call_id = _new_call_id() if tracing else ""
        hook = self.plugins.hook.lluminary_stream
        last_error: ProviderError | None = None
        for current in _candidates(request, fallbacks):
            self._resolve(current.provider)
            attempt = 1
            while True:
                started = time.perf_counter()
                if tracing:
                    self._trace(
                        "start", call_id, "stream", current.model, started, attempt=attempt, metadata=_meta(current)
                    )
                iterator: AsyncIterator[StreamEvent] | None = None
                try:
                    iterator = hook(request=current)
                    if iterator is None:
                        raise self._unknown(current.provider, "chat")
                    first = await iterator.__anext__()
                except StopAsyncIteration:
                    first = None
                except ProviderError as exc:
                    await _aclose(iterator)
                    if tracing:
                        self._trace("error", call_id, "stream", current.model, started, attempt=attempt, **_err(exc))
                    last_error = exc
                    if self.retry.should_retry(exc, attempt):
                        await asyncio.sleep(self.retry.delay(exc, attempt))
                        attempt += 1
                        continue
                    break  # next fallback
                except BaseException:
                    await _aclose(iterator)
                    raise
                # Committed to this provider: events flow to the caller from here on.
                assert iterator is not None
                owner._accumulator = acc = Accumulator(current.provider)
                completed = False
                try:
                    if first is not None:
                        if tracing:
                            self._trace("first_chunk", call_id, "stream", current.model, started, attempt=attempt)
                        acc.add(first)
                        yield first
                        add = acc.add
                        async for event in iterator:
                            add(event)
                            yield event
                    completed = True
                    await self._complete_stream(acc, current, owner, call_id, started, attempt, backend, key)
                except ProviderError as exc:
                    if tracing:
                        self._trace("error", call_id, "stream", current.model, started, attempt=attempt, **_err(exc))
                    raise
                finally:
                    await _aclose(iterator)
                    if not completed and acc.finish is not None and owner._final is None:
                        # The caller stopped right after Finish: the answer is whole, so it is
                        # still accounted, traced and cached — best effort, since the caller has
                        # left and an error here would surface from their `aclose()`.
                        try:
                            await self._complete_stream(acc, current, owner, call_id, started, attempt, backend, key)
                        except LluminaryError:
                            pass
                return
        assert last_error is not None
        raise last_error

    async def _complete_stream(
        self,
        acc: Accumulator,
        request: ChatRequest,
        owner: AsyncStream,
        call_id: str,
        started: float,
        attempt: int,
        backend: CacheBackend | None,
        key: str,
    ) -> None:
        response = acc.response()
        cost = self._account(request.model, response.usage)
        if cost is not None:
            response = attrs.evolve(response, cost=cost)
        owner._final = response
        if self.tracing:
            self._trace(
                "end", call_id, "stream", request.model, started, attempt=attempt, usage=response.usage, cost=cost
            )
        if backend is not None:
            await self._cache_set(backend, key, response)


class AsyncStream:
    """An async iterator of :mod:`stream events <lluminary._types>` with the final response.

    ``async for event in stream`` yields events as they arrive; ``await stream.response()``
    drains what is left and returns the response the non-streaming call would have returned.
    Use ``async with`` (or ``aclose``) to close the connection when stopping early.
    """

    def __init__(self, client: Client, request: ChatRequest, fallbacks: Sequence[str], use_cache: bool) -> None:
        self.request = request
        self._accumulator: Accumulator | None = None
        self._final: ChatResponse | None = None
        self._events = client._stream_events(request, fallbacks, use_cache, self)

    def __aiter__(self) -> AsyncStream:
        return self

    def __anext__(self) -> Awaitable[StreamEvent]:
        return self._events.__anext__()

    async def response(self) -> ChatResponse:
        """The final response (drains the stream if it has not been fully read)."""
        async for _ in self._events:
            pass
        if self._final is None:
            raise LluminaryError("the stream was closed before it finished")
        return self._final

    async def text_stream(self) -> AsyncIterator[str]:
        """Only the text, as it arrives."""
        from ._types import TextDelta

        async for event in self._events:
            if type(event) is TextDelta:
                yield event.text

    @property
    def text(self) -> str:
        """The text received so far."""
        return self._accumulator.text if self._accumulator is not None else ""

    async def aclose(self) -> None:
        await self._events.aclose()  # type: ignore[attr-defined]

    async def __aenter__(self) -> AsyncStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


_DONE = object()


class SyncStream:
    """The sync face of :class:`AsyncStream`: a pump on the background loop feeds a queue, so the
    caller's thread pays one queue read per event, not one cross-thread round trip."""

    def __init__(self, stream: AsyncStream) -> None:
        self._stream = stream
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._future: Any = None
        self._task: asyncio.Task[None] | None = None
        self._done = False

    async def _pump(self) -> None:
        self._task = asyncio.current_task()
        put = self._queue.put
        try:
            async for event in self._stream:
                put(event)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer thread
            put(_Failure(exc))
        else:
            put(_DONE)

    def __iter__(self) -> Iterator[StreamEvent]:
        return self

    def __next__(self) -> StreamEvent:
        if self._done:
            raise StopIteration
        if self._future is None:
            self._future = asyncio.run_coroutine_threadsafe(self._pump(), _loop.loop())
        item = self._queue.get()
        if item is _DONE:
            self._done = True
            raise StopIteration
        if type(item) is _Failure:
            self._done = True
            raise item.error
        return item  # type: ignore[no-any-return]

    def response(self) -> ChatResponse:
        """Drain what is left and return the final response."""
        for _ in self:
            pass
        if self._stream._final is None:
            raise LluminaryError("the stream was closed before it finished")
        return self._stream._final

    @property
    def text(self) -> str:
        return self._stream.text

    def close(self) -> None:
        """Stop early and close the connection."""
        if self._done:
            return
        self._done = True
        _loop.run(self._shutdown())

    async def _shutdown(self) -> None:
        # Cancel the pump and wait until it has unwound: closing the stream while the pump is still
        # inside it (awaiting the provider's own clean-up) would fail with "already running".
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait((task,))
        await self._stream.aclose()

    def __enter__(self) -> SyncStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@attrs.frozen
class _Failure:
    error: BaseException


def _candidates(request: ChatRequest, fallbacks: Sequence[str]) -> Iterator[ChatRequest]:
    yield request
    for model in fallbacks:
        if model != request.model:
            yield attrs.evolve(request, model=model)


async def _aclose(iterator: Any) -> None:
    close = getattr(iterator, "aclose", None)
    if close is not None:
        try:
            await close()
        except Exception:  # noqa: BLE001 - closing a broken stream must not mask its error
            pass


def _new_call_id() -> str:
    return f"call-{os.getpid()}-{next(_call_ids)}"


def _meta(request: Any) -> Any:
    return getattr(request, "metadata", {})


def _err(exc: BaseException) -> dict[str, Any]:
    return {"error": str(exc), "error_type": type(exc).__name__}


def _env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]
