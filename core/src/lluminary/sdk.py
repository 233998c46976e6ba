"""The plugin SDK: everything a plugin author uses, in one public namespace.

Providers get the base classes, the pooled HTTP transport with per-request timeouts, settings
resolution (call → client → provider object → environment → default), the frame readers for
SSE and NDJSON, the status → typed error map, JSON in and out, and the stream helpers. Cache
backends, vector stores and exporters get their contracts. The rest of the kernel is private
(``lluminary._*``) and may change without notice; what is here follows semantic versioning.

Importing this module does not import ``httpx2``: the transport does that when it is first built.
"""

from __future__ import annotations

import importlib

# Not `from typing import TYPE_CHECKING`: type checkers treat this name specially either way, and
# importing nothing here keeps a plugin's import as light as what it actually uses.
TYPE_CHECKING = False

#: public name -> (private module, name there), imported on first use
_EXPORTS: dict[str, tuple[str, str]] = {
    "CacheBackend": ("_cache", "CacheBackend"),
    "cache_key": ("_cache", "cache_key"),
    "dump_cache_value": ("_cache", "dumps"),
    "load_cache_value": ("_cache", "loads"),
    "from_dict": ("_convert", "from_dict"),
    "from_json": ("_convert", "from_json"),
    "to_dict": ("_convert", "to_dict"),
    "to_json": ("_convert", "to_json"),
    "APIConnectionError": ("_errors", "APIConnectionError"),
    "APITimeoutError": ("_errors", "APITimeoutError"),
    "AuthenticationError": ("_errors", "AuthenticationError"),
    "BudgetExceededError": ("_errors", "BudgetExceededError"),
    "ConfigurationError": ("_errors", "ConfigurationError"),
    "ContentFilteredError": ("_errors", "ContentFilteredError"),
    "ContextLengthExceededError": ("_errors", "ContextLengthExceededError"),
    "InvalidRequestError": ("_errors", "InvalidRequestError"),
    "LluminaryError": ("_errors", "LluminaryError"),
    "MalformedResponseError": ("_errors", "MalformedResponseError"),
    "NotFoundError": ("_errors", "NotFoundError"),
    "OverloadedError": ("_errors", "OverloadedError"),
    "PermissionDeniedError": ("_errors", "PermissionDeniedError"),
    "PluginError": ("_errors", "PluginError"),
    "ProviderError": ("_errors", "ProviderError"),
    "RateLimitError": ("_errors", "RateLimitError"),
    "RequestValidationError": ("_errors", "RequestValidationError"),
    "ServerError": ("_errors", "ServerError"),
    "UnknownProviderError": ("_errors", "UnknownProviderError"),
    "UnpricedModelError": ("_errors", "UnpricedModelError"),
    "UnsupportedError": ("_errors", "UnsupportedError"),
    "redact": ("_errors", "redact"),
    "register_secret": ("_errors", "register_secret"),
    "hookimpl": ("_hookspecs", "hookimpl"),
    "CONTEXT_LENGTH_MARKERS": ("_http", "CONTEXT_LENGTH_MARKERS"),
    "default_error": ("_http", "default_error"),
    "error_class_for": ("_http", "error_class_for"),
    "error_details": ("_http", "error_details"),
    "json_or_text": ("_http", "json_or_text"),
    "request_id": ("_http", "request_id"),
    "retry_after": ("_http", "retry_after"),
    "status_error": ("_http", "status_error"),
    "transport_error": ("_http", "transport_error"),
    "HTTPProvider": ("_http_provider", "HTTPProvider"),
    "dumps": ("_json", "dumps"),
    "dumps_str": ("_json", "dumps_str"),
    "loads": ("_json", "loads"),
    "ChatOptions": ("_options", "ChatOptions"),
    "EmbedOptions": ("_options", "EmbedOptions"),
    "Provider": ("_provider", "Provider"),
    "build_chat_request": ("_requests", "build_chat_request"),
    "build_embed_request": ("_requests", "build_embed_request"),
    "ScriptedProvider": ("_scripted", "ScriptedProvider"),
    "Endpoint": ("_settings", "Endpoint"),
    "ProviderSettings": ("_settings", "ProviderSettings"),
    "SettingsSpec": ("_settings", "SettingsSpec"),
    "LineDecoder": ("_sse", "LineDecoder"),
    "SSEDecoder": ("_sse", "SSEDecoder"),
    "SSEEvent": ("_sse", "SSEEvent"),
    "Match": ("_store", "Match"),
    "StoredVector": ("_store", "StoredVector"),
    "VectorStore": ("_store", "VectorStore"),
    "Accumulator": ("_streaming", "Accumulator"),
    "accumulate": ("_streaming", "accumulate"),
    "aiter_events": ("_streaming", "aiter_events"),
    "events_from_response": ("_streaming", "events_from_response"),
    "finish_reason_of": ("_streaming", "finish_reason_of"),
    "parse_arguments": ("_streaming", "parse_arguments"),
    "partial_object": ("_streaming", "partial_object"),
    "Answer": ("_transport", "Answer"),
    "DataFrameDecoder": ("_sse", "DataFrameDecoder"),
    "ErrorMapper": ("_transport", "ErrorMapper"),
    "PoolOptions": ("_transport", "PoolOptions"),
    "StreamAnswer": ("_transport", "StreamAnswer"),
    "Transport": ("_transport", "Transport"),
    "aclose_default_pools": ("_transport", "aclose_default_pools"),
    "ChatRequest": ("_types", "ChatRequest"),
    "ChatResponse": ("_types", "ChatResponse"),
    "Citation": ("_types", "Citation"),
    "CitationEvent": ("_types", "CitationEvent"),
    "Cost": ("_types", "Cost"),
    "EmbedInputType": ("_types", "EmbedInputType"),
    "EmbedRequest": ("_types", "EmbedRequest"),
    "EmbedResponse": ("_types", "EmbedResponse"),
    "Finish": ("_types", "Finish"),
    "FinishReason": ("_types", "FinishReason"),
    "ImagePart": ("_types", "ImagePart"),
    "Message": ("_types", "Message"),
    "ModelInfo": ("_types", "ModelInfo"),
    "Part": ("_types", "Part"),
    "ReasoningConfig": ("_types", "ReasoningConfig"),
    "ReasoningDelta": ("_types", "ReasoningDelta"),
    "ReasoningEffort": ("_types", "ReasoningEffort"),
    "ReasoningPart": ("_types", "ReasoningPart"),
    "ResponseFormat": ("_types", "ResponseFormat"),
    "Role": ("_types", "Role"),
    "Secret": ("_types", "Secret"),
    "StreamEvent": ("_types", "StreamEvent"),
    "TextDelta": ("_types", "TextDelta"),
    "TextPart": ("_types", "TextPart"),
    "Tool": ("_types", "Tool"),
    "ToolCallDelta": ("_types", "ToolCallDelta"),
    "ToolCallEnd": ("_types", "ToolCallEnd"),
    "ToolCallPart": ("_types", "ToolCallPart"),
    "ToolCallStart": ("_types", "ToolCallStart"),
    "ToolChoice": ("_types", "ToolChoice"),
    "ToolChoiceMode": ("_types", "ToolChoiceMode"),
    "ToolResultPart": ("_types", "ToolResultPart"),
    "TraceEvent": ("_types", "TraceEvent"),
    "Usage": ("_types", "Usage"),
    "UsageEvent": ("_types", "UsageEvent"),
    "image_base64": ("_wire", "image_base64"),
    "image_data_url": ("_wire", "image_data_url"),
    "map_options": ("_wire", "map_options"),
}


def __getattr__(name: str) -> object:
    found = _EXPORTS.get(name)
    if found is None:
        raise AttributeError(f"module 'lluminary.sdk' has no attribute {name!r}")
    module, attribute = found
    value = getattr(importlib.import_module(f"lluminary.{module}"), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:
    from ._cache import (
        CacheBackend as CacheBackend,
        cache_key as cache_key,
        dumps as dump_cache_value,
        loads as load_cache_value,
    )
    from ._convert import from_dict as from_dict, from_json as from_json, to_dict as to_dict, to_json as to_json
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
        redact as redact,
        register_secret as register_secret,
    )
    from ._hookspecs import hookimpl as hookimpl
    from ._http import (
        CONTEXT_LENGTH_MARKERS as CONTEXT_LENGTH_MARKERS,
        default_error as default_error,
        error_class_for as error_class_for,
        error_details as error_details,
        json_or_text as json_or_text,
        request_id as request_id,
        retry_after as retry_after,
        status_error as status_error,
        transport_error as transport_error,
    )
    from ._http_provider import HTTPProvider as HTTPProvider
    from ._json import dumps as dumps, dumps_str as dumps_str, loads as loads
    from ._options import ChatOptions as ChatOptions, EmbedOptions as EmbedOptions
    from ._provider import Provider as Provider
    from ._requests import build_chat_request as build_chat_request, build_embed_request as build_embed_request
    from ._scripted import ScriptedProvider as ScriptedProvider
    from ._settings import Endpoint as Endpoint, ProviderSettings as ProviderSettings, SettingsSpec as SettingsSpec
    from ._sse import (
        DataFrameDecoder as DataFrameDecoder,
        LineDecoder as LineDecoder,
        SSEDecoder as SSEDecoder,
        SSEEvent as SSEEvent,
    )
    from ._store import Match as Match, StoredVector as StoredVector, VectorStore as VectorStore
    from ._streaming import (
        Accumulator as Accumulator,
        accumulate as accumulate,
        aiter_events as aiter_events,
        events_from_response as events_from_response,
        finish_reason_of as finish_reason_of,
        parse_arguments as parse_arguments,
        partial_object as partial_object,
    )
    from ._transport import (
        Answer as Answer,
        ErrorMapper as ErrorMapper,
        PoolOptions as PoolOptions,
        StreamAnswer as StreamAnswer,
        Transport as Transport,
        aclose_default_pools as aclose_default_pools,
    )
    from ._types import (
        ChatRequest as ChatRequest,
        ChatResponse as ChatResponse,
        Citation as Citation,
        CitationEvent as CitationEvent,
        Cost as Cost,
        EmbedInputType as EmbedInputType,
        EmbedRequest as EmbedRequest,
        EmbedResponse as EmbedResponse,
        Finish as Finish,
        FinishReason as FinishReason,
        ImagePart as ImagePart,
        Message as Message,
        ModelInfo as ModelInfo,
        Part as Part,
        ReasoningConfig as ReasoningConfig,
        ReasoningDelta as ReasoningDelta,
        ReasoningEffort as ReasoningEffort,
        ReasoningPart as ReasoningPart,
        ResponseFormat as ResponseFormat,
        Role as Role,
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
        ToolChoiceMode as ToolChoiceMode,
        ToolResultPart as ToolResultPart,
        TraceEvent as TraceEvent,
        Usage as Usage,
        UsageEvent as UsageEvent,
    )
    from ._wire import image_base64 as image_base64, image_data_url as image_data_url, map_options as map_options

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
    "ChatOptions",
    "EmbedOptions",
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
