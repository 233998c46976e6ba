"""The client: generate, stream and embed, async and sync, through one middleware chain; its
configuration (cache, retries, fallbacks, budget, exporters, per-provider settings) and its
lifecycle (``aclose`` closes its pools, caches, stores and exporters)."""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Unpack, cast

from ._alerts import AlertCallback, Alerts
from ._arguments import _real
from ._cache import CacheBackend
from ._call import Call, Handler, Middleware, Result, compose
from ._cost import Catalogue, prices_entry
from ._cost_record import CostLedger
from ._errors import (
    LluminaryError,
    RequestValidationError,
    UnsupportedError,
)
from ._ledger import DEFAULT_RESERVED_OUTPUT, Ledger
from ._middleware.budget import BudgetStep, ScopedBudgetStep
from ._middleware.cache import CacheStep, CacheWarning
from ._middleware.cost import CostStep, RecordStep
from ._middleware.deadline import DeadlineStep, within
from ._middleware.fallback import FallbackStep
from ._middleware.output import parse_into
from ._middleware.provider import ProviderCall
from ._middleware.retry import RetryStep
from ._middleware.trace import TraceStep
from ._options import CacheMode, ChatOptions, EmbedOptions
from ._plugins import PluginManager, plugin_manager
from ._provider import Provider
from ._requests import build_chat_request, build_embed_request
from ._resources import Resources
from ._retry import RetryPolicy
from ._settings import ClientScope, ProviderSettings, _scope
from ._store import VectorStore
from ._stream import AsyncStream, SyncStream
from ._sync_api import SyncAPI
from ._tracing import Exporter, TraceWarning, current_parent, emit, exporters_of, new_call_id
from ._transport import Pools
from ._types import ChatRequest, ChatResponse, Cost, EmbedRequest, EmbedResponse, ModelInfo, TraceEvent, Usage

if TYPE_CHECKING:
    from ._budget_book import BudgetBook
    from ._budgets import Budget
    from ._counters import CounterStore

__all__ = ["AsyncStream", "CacheWarning", "Client", "SyncStream", "TraceWarning", "plugin_manager"]

CACHE_ENV = "LLUMINARY_CACHE"
COST_LEDGER_ENV = "LLUMINARY_COST_LEDGER"
EXPORTERS_ENV = "LLUMINARY_EXPORTERS"
#: Seconds a cache backend may take before the call goes on without it.
DEFAULT_CACHE_TIMEOUT = 2.0
#: Seconds a whole call may take, every attempt and fallback included (a stream: until its first
#: event). Each attempt's silences are bounded by the read ``timeout`` too.
DEFAULT_DEADLINE = 900.0


class Client(SyncAPI, Resources):
    """A configured entry point; use it as a context manager, or ``aclose()`` / ``close()`` it.

    ``cache``: a URL (``memory://``, ``redis://localhost:6379/0``), a backend object, ``False`` for
    none, or None to read ``LLUMINARY_CACHE``; ``cache_ttl`` seconds an entry lives;
    ``cache_timeout`` seconds a backend may take before the call goes on uncached.
    ``retries``: attempts per model (default 3), or a :class:`RetryPolicy`. ``fallbacks``: models
    tried in order when a model fails for good. ``budget``: dollars this client may spend.
    ``exporters``: plugin names to load for tracing (default ``LLUMINARY_EXPORTERS``).
    ``providers``: settings per provider name, e.g. ``{"openai": {"base_url": ..., "api_key": ...,
    "timeout": 30, "max_connections": 50}}``; they apply to every call of this client, which
    gets connection pools of its own. ``middleware``: steps run before the kernel's own, in order.
    ``prices``: US dollars per million tokens for models the catalogue does not price (or to
    override it): ``{"groq:llama-3.3-70b-versatile": {"input": 0.59, "output": 0.79}}``. With a
    ``budget``, every call reserves a worst-case estimate first (see :meth:`Ledger.reserve
    <lluminary._ledger.Ledger.reserve>`); a model
    without a price is refused unless ``allow_unpriced=True``.
    ``deadline``: seconds a whole call may take, all attempts and fallbacks together (a stream:
    until its first event); None for no limit. A call's own ``deadline=`` overrides it.

    ``budgets``: :class:`~lluminary.Budget` s per tag, per period or per named scope, counted in
    ``counters`` (a counter-store URL such as ``redis://host:6379/0`` that many processes share,
    a :class:`CounterStore`, or None for counters of this client only). ``on_budget_alert``: a
    callable (or several, sync or async) called with a :class:`~lluminary.BudgetAlert` when a
    budget passes one of its thresholds; ``budget_webhook``: a URL that receives it as a JSON
    POST. ``budget_fail_open``: when the counter store is down, let calls through uncounted
    instead of raising ``CounterUnavailableError``. ``cost_ledger``: where every call's cost is
    recorded for ``lluminary costs`` (``sqlite:///~/.lluminary/costs.db``, ``redis://...``, a
    :class:`CostLedger`, False for none; None reads ``LLUMINARY_COST_LEDGER``).
    """

    def __init__(
        self,
        *,
        cache: str | CacheBackend | bool | None = None,
        cache_ttl: float | None = None,
        cache_timeout: float | None = DEFAULT_CACHE_TIMEOUT,
        retries: int | RetryPolicy | None = None,
        fallbacks: Sequence[str] = (),
        budget: float | None = None,
        exporters: Sequence[str] | None = None,
        plugins: PluginManager | None = None,
        providers: Mapping[str, ProviderSettings | Mapping[str, Any]] | None = None,
        middleware: Iterable[Middleware] = (),
        deadline: float | None = DEFAULT_DEADLINE,
        prices: Mapping[str, Mapping[str, float] | ModelInfo] | None = None,
        allow_unpriced: bool = False,
        reserve_output_tokens: int = DEFAULT_RESERVED_OUTPUT,
        budgets: Sequence[Budget] = (),
        counters: str | CounterStore | None = None,
        on_budget_alert: AlertCallback | Iterable[AlertCallback] = (),
        budget_webhook: str | None = None,
        budget_fail_open: bool = False,
        cost_ledger: str | CostLedger | bool | None = None,
    ) -> None:
        self.plugins = plugins or plugin_manager()
        if retries is None:
            self.retry = RetryPolicy()
        elif isinstance(retries, RetryPolicy):
            self.retry = retries
        else:
            self.retry = RetryPolicy(max_attempts=max(1, retries))
        self.fallbacks = tuple(fallbacks)
        self.cache_ttl = cache_ttl
        self.cache_timeout = cache_timeout
        self.deadline = deadline
        self.prices = tuple(prices_entry(model, given) for model, given in (prices or {}).items())
        self.ledger = Ledger(
            budget, self._models, allow_unpriced=allow_unpriced, reserve_output_tokens=reserve_output_tokens
        )
        self.alerts = Alerts(on_budget_alert, budget_webhook)
        self.budgets = tuple(budgets)
        if self.budgets:
            from ._budgets import Budget
        for scoped in self.budgets:
            if not isinstance(scoped, Budget):
                raise RequestValidationError(f"budgets takes lluminary.Budget objects, not {scoped!r}")
        self._counters_spec = counters
        self._budget_fail_open = budget_fail_open
        self._budget_book: BudgetBook | None = None
        if cache is None:
            cache = os.environ.get(CACHE_ENV) or False
        if cache is True:
            cache = "memory://"
        self._cache_spec: str | CacheBackend | bool = cache
        bind = getattr(cache, "bind", None)
        if callable(bind):  # a cache that works through its client (the semantic cache)
            bind(self)
        self._caches: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CacheBackend] = weakref.WeakKeyDictionary()
        self._opened: list[CacheBackend | VectorStore] = []
        self._ledger_given = cost_ledger is not None and not isinstance(cost_ledger, (str, bool))
        self.cost_ledger = self._open_cost_ledger(cost_ledger)
        self.middleware: tuple[Middleware, ...] = tuple(middleware)
        self.pools = Pools()
        self.scope = ClientScope({name: ProviderSettings.of(s) for name, s in (providers or {}).items()}, self.pools)
        self.exporters = tuple(exporters if exporters is not None else _env_list(EXPORTERS_ENV))
        for name in self.exporters:
            if self.plugins.load(name) is None:
                raise self.plugins.missing(name, f"exporter {name!r} is not installed")
        self._catalogue: Catalogue | None = None
        self._catalogue_generation = -1
        self._chain: Handler | None = None
        self._fallback_chain: Handler | None = None
        self._chain_generation = -1
        self._tracing = False
        self._exporters: tuple[Exporter, ...] = ()
        self._exporters_generation = -1
        self.closed = False

    def __repr__(self) -> str:
        cache = _without_password(self._cache_spec) if isinstance(self._cache_spec, str) else self._cache_spec
        return f"<Client providers={sorted(self.scope.settings)} cache={cache!r} calls={self.calls}>"

    # ------------------------------------------------------------------ async API

    async def agenerate(
        self,
        model: str | ChatRequest,
        prompt: str | None = None,
        *,
        fallbacks: Sequence[str] | None = None,
        cache: CacheMode = True,
        cache_ttl: float | None = None,
        parent_id: str | None = None,
        deadline: float | None = None,
        **kwargs: Unpack[ChatOptions],
    ) -> ChatResponse:
        """One chat call; see :func:`lluminary._requests.build_chat_request` for the arguments."""
        request = build_chat_request(model, prompt, **kwargs)
        call = self._new_call("generate", request, fallbacks, cache, parent_id, deadline, cache_ttl)
        _want_output(call, kwargs.get("response_format"))
        return cast(ChatResponse, await self.run(call))

    def astream(
        self,
        model: str | ChatRequest,
        prompt: str | None = None,
        *,
        fallbacks: Sequence[str] | None = None,
        cache: CacheMode = True,
        cache_ttl: float | None = None,
        parent_id: str | None = None,
        deadline: float | None = None,
        **kwargs: Unpack[ChatOptions],
    ) -> AsyncStream:
        """A streamed chat call. Iterate it for events; ``await stream.response()`` for the result."""
        request = build_chat_request(model, prompt, **kwargs)
        call = self._new_call("stream", request, fallbacks, cache, parent_id, deadline, cache_ttl)
        _want_output(call, kwargs.get("response_format"))
        return AsyncStream(self, call)

    async def aembed(
        self,
        model: str | EmbedRequest,
        inputs: str | Sequence[str] | None = None,
        *,
        cache: CacheMode = True,
        cache_ttl: float | None = None,
        parent_id: str | None = None,
        deadline: float | None = None,
        **kwargs: Unpack[EmbedOptions],
    ) -> EmbedResponse:
        """Embed one text or many; one vector per input, in order."""
        request = build_embed_request(model, inputs, **kwargs)
        call = self._new_call("embed", request, (), cache, parent_id, deadline, cache_ttl)
        return cast(EmbedResponse, await self.run(call))

    async def acount_tokens(
        self, model: str | ChatRequest, prompt: str | None = None, **kwargs: Unpack[ChatOptions]
    ) -> int:
        """Input tokens the request would use, counted by its provider (an endpoint or a local
        tokenizer); raises :class:`UnsupportedError` where the provider cannot count."""
        request = build_chat_request(model, prompt, **kwargs)
        self.plugins.load(request.provider)
        token = _scope.set(self.scope)
        try:
            awaitable = self.plugins.hook.lluminary_count_tokens(request=request)
            if awaitable is None:
                if request.provider in self.plugins.provider_prefixes():
                    raise UnsupportedError(f"provider {request.provider!r} cannot count tokens")
                raise self.plugins.unknown(request.provider, "chat")
            count: int = await awaitable
            return count
        finally:
            _scope.reset(token)

    async def run(self, call: Call) -> Result:
        """Send ``call`` through the middleware chain (what the API methods and streams do)."""
        if self.closed:
            raise LluminaryError("this client is closed")
        chain = self._chain
        if chain is None or self._chain_generation != self.plugins.generation:
            chain = self._build_chain()
        if call.fallbacks:
            fallback = self._fallback_chain
            assert fallback is not None
            chain = fallback
        state = call.state
        if not state:
            return await chain(call)
        work = chain(call)
        if self.deadline is None and "deadline" in state:  # the client's chain has no deadline step
            work = within(state["deadline"], call, work)
        output_type = state.get("output_type")
        if output_type is not None:
            return await parse_into(output_type, await work)
        return await work

    def _new_call(
        self,
        operation: str,
        request: Any,
        fallbacks: Sequence[str] | None,
        cache: CacheMode,
        parent_id: str | None,
        deadline: float | None = None,
        cache_ttl: float | None = None,
    ) -> Call:
        seconds = _real("deadline", deadline, positive=True)
        state: dict[str, Any] | None = None if seconds is None else {"deadline": float(seconds)}
        if cache is not True and cache is not False and cache != "refresh":
            raise RequestValidationError(f"cache must be True, False or 'refresh', got {cache!r}")
        if cache_ttl is not None:
            state = state or {}
            state["cache_ttl"] = _real("cache_ttl", cache_ttl, positive=True)
        return Call(
            operation,
            request,
            self,
            id=new_call_id() if self.tracing else "",
            parent_id=parent_id if parent_id is not None else current_parent(),
            use_cache=cache,
            fallbacks=self.fallbacks if fallbacks is None else tuple(fallbacks),
            state=state,
        )

    # ------------------------------------------------------------------ the chain

    def _build_chain(self) -> Handler:
        steps: list[Middleware] = list(self.middleware)
        for contributed in self.plugins.hook.lluminary_middleware(client=self):
            steps.extend(contributed)
        if self.deadline is not None:
            steps.append(DeadlineStep(self.deadline))
        if self.ledger.budget is not None:
            steps.append(BudgetStep())
        if self.budgets:
            steps.append(ScopedBudgetStep())
        if self._cache_spec is not False:
            if self.cost_ledger is not None:
                steps.append(RecordStep())
            steps.append(CacheStep(self.cache_ttl, self.cache_timeout))
        # The fallback step is in a second chain, used by calls that have fallbacks.
        inner: list[Middleware] = []
        if self.retry.max_attempts > 1:
            inner.append(RetryStep(self.retry))
        if self.tracing:
            inner.append(TraceStep())
        inner.append(CostStep())
        self._chain = compose([*steps, *inner], ProviderCall())
        self._fallback_chain = compose([*steps, FallbackStep(), *inner], ProviderCall())
        self._chain_generation = self.plugins.generation
        return self._chain

    @property
    def tracing(self) -> bool:
        """Whether an exporter is listening; until one is, no trace event is even built."""
        if self._chain_generation != self.plugins.generation or self._chain is None:
            self._tracing = self.plugins.has_impls("lluminary_trace")
        return self._tracing

    def emit(self, event: TraceEvent) -> None:
        """Send a trace event to every exporter (steps and extensions use this)."""
        plugins = self.plugins
        if self._exporters_generation != plugins.generation:
            self._exporters = exporters_of(plugins.hook.lluminary_trace)
            self._exporters_generation = plugins.generation
        emit(self._exporters, event)

    def account(self, model: str, usage: Usage) -> Cost | None:
        """Add a finished call to this client's totals (see :class:`~lluminary._ledger.Ledger`)."""
        return self.ledger.account(model, usage)

    @property
    def usage(self) -> Usage:
        """Tokens used by every call this client finished."""
        return self.ledger.usage

    @property
    def cost(self) -> Cost:
        """What this client spent, in US dollars (calls whose model has a price)."""
        return self.ledger.cost

    @property
    def calls(self) -> int:
        """Provider calls this client finished (cache hits are not calls)."""
        return self.ledger.calls

    @property
    def budget(self) -> float | None:
        """US dollars this client may spend (None: no budget)."""
        return self.ledger.budget

    @property
    def reserved(self) -> float:
        """Dollars reserved against the budget by calls in flight."""
        return self.ledger.reserved

    def budget_book(self) -> BudgetBook:
        """The scoped budgets and the counter store they are counted in (opened on first use)."""
        book = self._budget_book
        if book is None:
            from ._budget_book import BudgetBook
            from ._counters import MemoryCounters

            spec = self._counters_spec
            if spec is None:
                store: CounterStore = MemoryCounters()
            elif isinstance(spec, str):
                store = self.open_counters(spec)
            else:
                store = spec
            book = self._budget_book = BudgetBook(self.budgets, store, self.alerts, fail_open=self._budget_fail_open)
        return book

    def _open_cost_ledger(self, spec: str | CostLedger | bool | None) -> CostLedger | None:
        if spec is None:
            spec = os.environ.get(COST_LEDGER_ENV) or False
        if spec is False:
            return None
        if spec is True:
            raise RequestValidationError("cost_ledger takes a URL (sqlite:///path, redis://...), a ledger or False")
        if not isinstance(spec, str):
            return spec
        from ._cost_ledger import open_cost_ledger

        ledger = open_cost_ledger(spec, self.plugins)
        self._opened.append(cast(Any, ledger))  # closed with the client
        return ledger

    async def aclose(self) -> None:
        """Close what this client opened (see :meth:`Resources.aclose
        <lluminary._resources.Resources.aclose>`); a cost ledger given as an object is flushed,
        not closed (it may serve other clients), and webhook POSTs under way are given a moment."""
        if not self.closed and self._ledger_given and self.cost_ledger is not None:
            await self.cost_ledger.flush()
        await super().aclose()
        if self.alerts.posting:
            await asyncio.to_thread(self.alerts.wait, self.alerts.webhook_timeout)

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
            entries.extend(self.prices)  # the client's own prices win
            self._catalogue = Catalogue(entries, self._model_info_from_plugins)
            self._catalogue_generation = self.plugins.generation
        return self._catalogue

    def _model_info_from_plugins(self, model: str) -> ModelInfo | None:
        info: ModelInfo | None = self.plugins.hook.lluminary_model_info(model=model)
        return info

    def provider_for(self, prefix: str) -> Provider:
        """The loaded :class:`Provider` object serving ``prefix``."""
        self.plugins.load(prefix)
        for plugin in self.plugins.plugins():
            if isinstance(plugin, Provider) and prefix in plugin.prefixes:
                return plugin
        raise self.plugins.unknown(prefix, "chat")


def _want_output(call: Call, response_format: object) -> None:
    """With ``response_format=`` a type, the answer is parsed into it (``reply.parsed``)."""
    if isinstance(response_format, type):
        call.state["output_type"] = response_format


def _env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def _without_password(url: str) -> str:
    """``redis://user:secret@host`` as ``redis://user:***@host``: a URL may carry a password."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in credentials:
        return url
    user = credentials.partition(":")[0]
    return f"{scheme}://{user}:***@{host}"
