"""lluminary: one API over every LLM provider.

Everything here is imported on first use, so ``import lluminary`` costs next to nothing and loads
no plugin and no HTTP library::

    import lluminary
    reply = lluminary.generate("openai:gpt-4o-mini", "Say hi")
    print(reply.text)
"""

from __future__ import annotations

import importlib

# Not `from typing import TYPE_CHECKING`: importing typing is most of what `import lluminary`
# would otherwise cost. Type checkers treat this name specially either way.
TYPE_CHECKING = False

__version__ = "0.1.0"

_EXPORTS = {
    # client
    "Client": "client",
    "AsyncStream": "stream",
    "SyncStream": "stream",
    # functions defined in this package's api module
    "agenerate": "api",
    "astream": "api",
    "aembed": "api",
    "generate": "api",
    "stream": "api",
    "embed": "api",
    "default_client": "api",
    "register": "api",
    "unregister": "api",
    "models": "api",
    "open_cache": "api",
    "open_store": "api",
    "aclose": "api",
    "close": "api",
    # middleware and tracing
    "Attempt": "call",
    "Call": "call",
    "EventStream": "call",
    "Middleware": "call",
    "then": "call",
    "trace_parent": "tracing",
    "TraceWarning": "tracing",
    "CacheWarning": "middleware.cache",
    "PluginLoadWarning": "plugins",
    "OutputValidationError": "structured",
    "ProviderSettings": "settings",
    "ChatOptions": "options",
    "EmbedOptions": "options",
    # extension points
    "Provider": "provider",
    "hookimpl": "hookspecs",
    "tool": "tools",
    "RetryPolicy": "retry",
    "MemoryCache": "cache",
    "SemanticCache": "semantic",
    "MemoryStore": "memory_store",
    "Collection": "collection",
    "split_text": "retrieval",
    "Record": "store",
    "Match": "store",
    "FilterError": "filters",
    "Accumulator": "streaming",
    "CacheBackend": "cache",
    "VectorStore": "store",
    # budgets and the cost ledger
    "Budget": "budgets",
    "BudgetAlert": "budgets",
    "CostRecord": "cost_record",
    "CostLedger": "cost_record",
    "MemoryCostLedger": "cost_record",
    "CounterUnavailableError": "counters",
}
_TYPE_NAMES = [
    "ChatRequest",
    "ChatResponse",
    "Citation",
    "CitationEvent",
    "Cost",
    "EmbedRequest",
    "EmbedResponse",
    "Finish",
    "ImagePart",
    "Message",
    "ModelInfo",
    "PriceTier",
    "ReasoningConfig",
    "ReasoningDelta",
    "ReasoningPart",
    "ResponseFormat",
    "Secret",
    "StreamEvent",
    "TextDelta",
    "TextPart",
    "Tool",
    "ToolCallDelta",
    "ToolCallEnd",
    "ToolCallPart",
    "ToolCallStart",
    "ToolChoice",
    "ToolResultPart",
    "TraceEvent",
    "Usage",
    "UsageEvent",
]
_ERROR_NAMES = [
    "APIConnectionError",
    "APITimeoutError",
    "AuthenticationError",
    "BudgetExceededError",
    "ConfigurationError",
    "ContentFilteredError",
    "ContextLengthExceededError",
    "InvalidRequestError",
    "LluminaryError",
    "MalformedResponseError",
    "NotFoundError",
    "OverloadedError",
    "PermissionDeniedError",
    "PluginError",
    "ProviderError",
    "RateLimitError",
    "RequestValidationError",
    "ServerError",
    "UnknownProviderError",
    "UnpricedModelError",
    "UnsupportedError",
]
_EXPORTS.update(dict.fromkeys(_TYPE_NAMES, "types"))
_EXPORTS.update(dict.fromkeys(_ERROR_NAMES, "errors"))

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lluminary' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"lluminary._{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:
    from ._api import (
        aclose as aclose,
        aembed as aembed,
        agenerate as agenerate,
        astream as astream,
        close as close,
        default_client as default_client,
        embed as embed,
        generate as generate,
        models as models,
        open_cache as open_cache,
        open_store as open_store,
        register as register,
        stream as stream,
        unregister as unregister,
    )
    from ._budgets import Budget as Budget, BudgetAlert as BudgetAlert
    from ._cache import CacheBackend as CacheBackend, MemoryCache as MemoryCache
    from ._call import (
        Attempt as Attempt,
        Call as Call,
        EventStream as EventStream,
        Middleware as Middleware,
        then as then,
    )
    from ._client import Client as Client
    from ._collection import Collection as Collection
    from ._cost_record import CostLedger as CostLedger, CostRecord as CostRecord, MemoryCostLedger as MemoryCostLedger
    from ._counters import CounterUnavailableError as CounterUnavailableError
    from ._errors import (
        APIConnectionError as APIConnectionError,
        APITimeoutError as APITimeoutError,
        AuthenticationError as AuthenticationError,
        BudgetExceededError as BudgetExceededError,
        ConfigurationError as ConfigurationError,
        ContentFilteredError as ContentFilteredError,
        ContextLengthExceededError as ContextLengthExceededError,
        InvalidRequestError as InvalidRequestError,
        LluminaryError as LluminaryError,
        MalformedResponseError as MalformedResponseError,
        NotFoundError as NotFoundError,
        OverloadedError as OverloadedError,
        PermissionDeniedError as PermissionDeniedError,
        PluginError as PluginError,
        ProviderError as ProviderError,
        RateLimitError as RateLimitError,
        RequestValidationError as RequestValidationError,
        ServerError as ServerError,
        UnknownProviderError as UnknownProviderError,
        UnpricedModelError as UnpricedModelError,
        UnsupportedError as UnsupportedError,
    )
    from ._filters import FilterError as FilterError
    from ._hookspecs import hookimpl as hookimpl
    from ._memory_store import MemoryStore as MemoryStore
    from ._middleware.cache import CacheWarning as CacheWarning
    from ._options import ChatOptions as ChatOptions, EmbedOptions as EmbedOptions
    from ._plugins import PluginLoadWarning as PluginLoadWarning
    from ._provider import Provider as Provider
    from ._retrieval import split_text as split_text
    from ._retry import RetryPolicy as RetryPolicy
    from ._semantic import SemanticCache as SemanticCache
    from ._settings import ProviderSettings as ProviderSettings
    from ._store import Match as Match, Record as Record, VectorStore as VectorStore
    from ._stream import AsyncStream as AsyncStream, SyncStream as SyncStream
    from ._streaming import Accumulator as Accumulator
    from ._structured import OutputValidationError as OutputValidationError
    from ._tools import tool as tool
    from ._tracing import TraceWarning as TraceWarning, trace_parent as trace_parent
    from ._types import (
        ChatRequest as ChatRequest,
        ChatResponse as ChatResponse,
        Citation as Citation,
        CitationEvent as CitationEvent,
        Cost as Cost,
        EmbedRequest as EmbedRequest,
        EmbedResponse as EmbedResponse,
        Finish as Finish,
        ImagePart as ImagePart,
        Message as Message,
        ModelInfo as ModelInfo,
        PriceTier as PriceTier,
        ReasoningConfig as ReasoningConfig,
        ReasoningDelta as ReasoningDelta,
        ReasoningPart as ReasoningPart,
        ResponseFormat as ResponseFormat,
        Secret as Secret,
        StreamEvent as StreamEvent,
        TextDelta as TextDelta,
        TextPart as TextPart,
        Tool as Tool,
        ToolCallDelta as ToolCallDelta,
        ToolCallEnd as ToolCallEnd,
        ToolCallPart as ToolCallPart,
        ToolCallStart as ToolCallStart,
        ToolChoice as ToolChoice,
        ToolResultPart as ToolResultPart,
        TraceEvent as TraceEvent,
        Usage as Usage,
        UsageEvent as UsageEvent,
    )
