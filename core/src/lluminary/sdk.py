"""The plugin SDK: everything a plugin author uses, in one public namespace.

Providers get the base classes, the pooled HTTP transport with per-request timeouts, settings
resolution (call → client → provider object → environment → default), the frame readers for
SSE and NDJSON, the status → typed error map, JSON in and out, and the stream helpers. Cache
backends, vector stores and exporters get their contracts. The rest of the kernel is private
(``lluminary._*``) and may change without notice; what is here follows semantic versioning.

Importing this module does not import ``httpx2``: the transport does that when it is first built.
"""

from __future__ import annotations

from ._cache import CacheBackend, cache_key, dumps as dump_cache_value, loads as load_cache_value
from ._convert import from_dict, from_json, to_dict, to_json
from ._errors import (
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
    UnpricedModelError,
    UnsupportedError,
    redact,
    register_secret,
)
from ._hookspecs import hookimpl
from ._http import (
    CONTEXT_LENGTH_MARKERS,
    default_error,
    error_class_for,
    error_details,
    json_or_text,
    request_id,
    retry_after,
    status_error,
    transport_error,
)
from ._http_provider import HTTPProvider
from ._json import dumps, dumps_str, loads
from ._provider import Provider
from ._requests import build_chat_request, build_embed_request
from ._scripted import ScriptedProvider
from ._settings import Endpoint, ProviderSettings, SettingsSpec
from ._sse import LineDecoder, SSEDecoder, SSEEvent
from ._store import Match, StoredVector, VectorStore
from ._streaming import (
    Accumulator,
    accumulate,
    aiter_events,
    events_from_response,
    finish_reason_of,
    parse_arguments,
    partial_object,
)
from ._transport import (
    Answer,
    DataFrameDecoder,
    ErrorMapper,
    PoolOptions,
    StreamAnswer,
    Transport,
    aclose_default_pools,
)
from ._types import (
    ChatRequest,
    ChatResponse,
    Citation,
    CitationEvent,
    Cost,
    EmbedInputType,
    EmbedRequest,
    EmbedResponse,
    Finish,
    FinishReason,
    ImagePart,
    Message,
    ModelInfo,
    Part,
    ReasoningConfig,
    ReasoningDelta,
    ReasoningEffort,
    ReasoningPart,
    ResponseFormat,
    Role,
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
    ToolChoiceMode,
    ToolResultPart,
    TraceEvent,
    Usage,
    UsageEvent,
)
from ._wire import image_base64, image_data_url, map_options

__all__ = [
    # base classes and hooks
    "Provider",
    "HTTPProvider",
    "ScriptedProvider",
    "hookimpl",
    # settings and transport
    "SettingsSpec",
    "ProviderSettings",
    "Endpoint",
    "PoolOptions",
    "Transport",
    "Answer",
    "StreamAnswer",
    "ErrorMapper",
    "aclose_default_pools",
    # frames and JSON
    "SSEDecoder",
    "SSEEvent",
    "LineDecoder",
    "DataFrameDecoder",
    "loads",
    "dumps",
    "dumps_str",
    # errors: mapping HTTP answers
    "status_error",
    "default_error",
    "error_class_for",
    "error_details",
    "json_or_text",
    "retry_after",
    "request_id",
    "transport_error",
    "CONTEXT_LENGTH_MARKERS",
    "register_secret",
    "redact",
    # streams
    "Accumulator",
    "accumulate",
    "aiter_events",
    "events_from_response",
    "finish_reason_of",
    "parse_arguments",
    "partial_object",
    # request bodies
    "map_options",
    "image_base64",
    "image_data_url",
    # requests (tests and tools)
    "build_chat_request",
    "build_embed_request",
    # caches and stores
    "CacheBackend",
    "cache_key",
    "dump_cache_value",
    "load_cache_value",
    "VectorStore",
    "StoredVector",
    "Match",
    # the error hierarchy
    "LluminaryError",
    "ConfigurationError",
    "RequestValidationError",
    "UnknownProviderError",
    "UnpricedModelError",
    "UnsupportedError",
    "PluginError",
    "BudgetExceededError",
    "ProviderError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "InvalidRequestError",
    "ContextLengthExceededError",
    "ContentFilteredError",
    "RateLimitError",
    "ServerError",
    "OverloadedError",
    "APITimeoutError",
    "APIConnectionError",
    "MalformedResponseError",
    # the types
    "ChatRequest",
    "ChatResponse",
    "Citation",
    "CitationEvent",
    "Cost",
    "EmbedInputType",
    "EmbedRequest",
    "EmbedResponse",
    "Finish",
    "FinishReason",
    "ImagePart",
    "Message",
    "ModelInfo",
    "Part",
    "ReasoningConfig",
    "ReasoningDelta",
    "ReasoningEffort",
    "ReasoningPart",
    "ResponseFormat",
    "Role",
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
    "ToolChoiceMode",
    "ToolResultPart",
    "TraceEvent",
    "Usage",
    "UsageEvent",
    "from_dict",
    "from_json",
    "to_dict",
    "to_json",
]
