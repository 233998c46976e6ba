"""lluminary: one API over every LLM provider.

Everything here is imported on first use, so ``import lluminary`` costs next to nothing and loads
no plugin and no HTTP library::

    import lluminary
    reply = lluminary.generate("openai:gpt-4o-mini", "Say hi")
    print(reply.text)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    # client
    "Client": "client",
    "AsyncStream": "client",
    "SyncStream": "client",
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
    # extension points
    "Provider": "provider",
    "hookimpl": "hookspecs",
    "tool": "tools",
    "RetryPolicy": "retry",
    "Accumulator": "streaming",
    "CacheBackend": "cache",
    "VectorStore": "store",
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
    "UnsupportedError",
]
_EXPORTS.update(dict.fromkeys(_TYPE_NAMES, "types"))
_EXPORTS.update(dict.fromkeys(_ERROR_NAMES, "errors"))

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lluminary' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"lluminary.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:
    from .api import aembed, agenerate, astream, default_client, embed, generate, models, register, stream, unregister
    from .cache import CacheBackend
    from .client import AsyncStream, Client, SyncStream
    from .errors import (
        APIConnectionError,
        APITimeoutError,
        AuthenticationError,
        BudgetExceededError,
        ConfigurationError,
        ContentFilteredError,
        ContextLengthExceededError,
        InvalidRequestError,
        LluminaryError,
        MalformedResponseError,
        NotFoundError,
        OverloadedError,
        PermissionDeniedError,
        PluginError,
        ProviderError,
        RateLimitError,
        RequestValidationError,
        ServerError,
        UnknownProviderError,
        UnsupportedError,
    )
    from .hookspecs import hookimpl
    from .provider import Provider
    from .retry import RetryPolicy
    from .store import VectorStore
    from .streaming import Accumulator
    from .tools import tool
    from .types import (
        ChatRequest,
        ChatResponse,
        Citation,
        CitationEvent,
        Cost,
        EmbedRequest,
        EmbedResponse,
        Finish,
        ImagePart,
        Message,
        ModelInfo,
        ReasoningConfig,
        ReasoningDelta,
        ReasoningPart,
        ResponseFormat,
        Secret,
        StreamEvent,
        TextDelta,
        TextPart,
        Tool,
        ToolCallDelta,
        ToolCallEnd,
        ToolCallPart,
        ToolCallStart,
        ToolChoice,
        ToolResultPart,
        TraceEvent,
        Usage,
        UsageEvent,
    )
