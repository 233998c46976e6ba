"""The provider conformance suite, run three ways: OpenAI over Chat Completions, OpenAI over the
Responses API (a reasoning model), and an OpenAI-compatible server under its own prefix."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any, ClassVar

from lluminary import sdk as errors
from lluminary_openai import OpenAICompatible
from lluminary_testing.conformance import ProviderConformance, WireImage, WireToolResult
from lluminary_testing.server import RecordedRequest


def _data_url(url: str) -> WireImage:
    if url.startswith("data:"):
        head, _, data = url.partition(",")
        return WireImage(media_type=head[5:].split(";")[0], data=data)
    return WireImage(url=url)


class ChatCompletionsWire(ProviderConformance):
    """Where each feature lives in a Chat Completions body."""

    def wire_api_key(self, request: RecordedRequest) -> str | None:
        auth = request.headers.get("authorization", "")
        return auth.removeprefix("Bearer ") if auth else None

    def wire_system(self, body: Mapping[str, Any]) -> str | None:
        systems = [m["content"] for m in body["messages"] if m["role"] in ("system", "developer")]
        return "".join(systems) if systems else None

    def wire_stop(self, body: Mapping[str, Any]) -> list[str]:
        stop = body.get("stop") or []
        return [stop] if isinstance(stop, str) else list(stop)

    def wire_max_tokens(self, body: Mapping[str, Any]) -> int | None:
        value = body.get("max_completion_tokens", body.get("max_tokens"))
        return int(value) if value is not None else None

    def wire_tool_names(self, body: Mapping[str, Any]) -> list[str]:
        return [t["function"]["name"] for t in body.get("tools", [])]

    def wire_tool_choice(self, body: Mapping[str, Any]) -> tuple[str, str | None] | None:
        choice = body.get("tool_choice")
        if choice is None:
            return None
        if isinstance(choice, str):
            return choice, None
        return "tool", choice["function"]["name"]

    def wire_tool_calls(self, body: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
        return [
            (c["id"], c["function"]["name"], json.loads(c["function"]["arguments"]))
            for m in body["messages"]
            if m["role"] == "assistant"
            for c in m.get("tool_calls") or ()
        ]

    def wire_tool_results(self, body: Mapping[str, Any]) -> list[WireToolResult]:
        return [WireToolResult(m["tool_call_id"], m["content"]) for m in body["messages"] if m["role"] == "tool"]

    def wire_images(self, body: Mapping[str, Any]) -> list[WireImage]:
        return [
            _data_url(part["image_url"]["url"])
            for m in body["messages"]
            if isinstance(m.get("content"), list)
            for part in m["content"]
            if part.get("type") == "image_url"
        ]

    def wire_json_schema(self, body: Mapping[str, Any]) -> Mapping[str, Any] | None:
        fmt = body.get("response_format") or {}
        schema: Mapping[str, Any] | None = (fmt.get("json_schema") or {}).get("schema")
        return schema

    def wire_reasoning_tokens(self, body: Mapping[str, Any]) -> list[str]:
        return []  # Chat Completions has no way to send reasoning back

    def wire_embed_inputs(self, body: Mapping[str, Any]) -> list[str]:
        inputs = body["input"]
        return [inputs] if isinstance(inputs, str) else list(inputs)

    def wire_embed_dimensions(self, body: Mapping[str, Any]) -> int | None:
        value = body.get("dimensions")
        return int(value) if value is not None else None


class TestOpenAIConformance(ChatCompletionsWire):
    provider = "openai"
    model = "openai:gpt-4o-mini"
    server_fixture = "fake_openai"
    api_key_env = "OPENAI_API_KEY"
    supports_embeddings = True
    embedding_model = "openai:text-embedding-3-small"
    supports_reasoning = True
    supports_reasoning_signature = True
    reasoning_model = "openai:o4-mini"  # reasoning goes through the Responses API
    usage_fields = frozenset(
        {"input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens"}
    )
    error_kinds: ClassVar[Mapping[str, type[errors.ProviderError]]] = {
        "authentication": errors.AuthenticationError,
        "permission": errors.PermissionDeniedError,
        "not_found": errors.NotFoundError,
        "rate_limit": errors.RateLimitError,
        "context_length": errors.ContextLengthExceededError,
        "invalid_request": errors.InvalidRequestError,
        "request_too_large": errors.InvalidRequestError,
        "content_filter": errors.ContentFilteredError,
        "server": errors.ServerError,
        "overloaded": errors.OverloadedError,
    }
    in_stream_error_kinds: ClassVar[Mapping[str, type[errors.ProviderError]]] = {
        "server": errors.ServerError,
        "rate_limit": errors.RateLimitError,
        "context_length": errors.ContextLengthExceededError,
    }

    def wire_reasoning_tokens(self, body: Mapping[str, Any]) -> list[str]:
        # The reasoning test calls the Responses API (reasoning_model): read its input items.
        return [
            i["encrypted_content"]
            for i in body.get("input", ())
            if isinstance(i, dict) and i.get("type") == "reasoning"
        ]


class TestOpenAIResponsesConformance(TestOpenAIConformance):
    """Every test through the Responses API (``o4-mini`` is routed there)."""

    model = "openai:o4-mini"
    supports_stop_sequences = False  # the Responses API has no stop sequences
    in_stream_error_kinds: ClassVar[Mapping[str, type[errors.ProviderError]]] = {
        "server": errors.ServerError,
        "rate_limit": errors.RateLimitError,
    }

    def wire_system(self, body: Mapping[str, Any]) -> str | None:
        value = body.get("instructions")
        return str(value) if value is not None else None

    def wire_max_tokens(self, body: Mapping[str, Any]) -> int | None:
        value = body.get("max_output_tokens")
        return int(value) if value is not None else None

    def wire_tool_names(self, body: Mapping[str, Any]) -> list[str]:
        return [t["name"] for t in body.get("tools", [])]

    def wire_tool_choice(self, body: Mapping[str, Any]) -> tuple[str, str | None] | None:
        choice = body.get("tool_choice")
        if choice is None:
            return None
        if isinstance(choice, str):
            return choice, None
        return "tool", choice["name"]

    def wire_tool_calls(self, body: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
        return [
            (i["call_id"], i["name"], json.loads(i["arguments"]))
            for i in body["input"]
            if i.get("type") == "function_call"
        ]

    def wire_tool_results(self, body: Mapping[str, Any]) -> list[WireToolResult]:
        return [
            WireToolResult(i["call_id"], i["output"]) for i in body["input"] if i.get("type") == "function_call_output"
        ]

    def wire_images(self, body: Mapping[str, Any]) -> list[WireImage]:
        return [
            _data_url(part["image_url"])
            for i in body["input"]
            if isinstance(i.get("content"), list)
            for part in i["content"]
            if part.get("type") == "input_image"
        ]

    def wire_json_schema(self, body: Mapping[str, Any]) -> Mapping[str, Any] | None:
        fmt = (body.get("text") or {}).get("format") or {}
        schema: Mapping[str, Any] | None = fmt.get("schema")
        return schema


class TestOpenAICompatibleConformance(ChatCompletionsWire):
    """A compatible server registered at run time under its own prefix."""

    provider = "myvllm"
    model = "myvllm:meta-llama/Llama-3.1-8B-Instruct"
    server_fixture = "fake_openai"
    api_key_env = "MYVLLM_API_KEY"
    plugin = OpenAICompatible("myvllm", "http://127.0.0.1:9/v1", "MYVLLM_API_KEY")
    supports_embeddings = True
    embedding_model = "myvllm:BAAI/bge-small-en"
    usage_fields = frozenset({"input_tokens", "output_tokens", "cache_read_tokens", "reasoning_tokens"})
    in_stream_error_kinds: ClassVar[Mapping[str, type[errors.ProviderError]]] = {"server": errors.ServerError}
    error_kinds: ClassVar[Mapping[str, type[errors.ProviderError]]] = {
        **ProviderConformance.error_kinds,
        "content_filter": errors.ContentFilteredError,
    }


def test_data_url_helper() -> None:
    """The test helper splits data URLs the way the provider builds them."""
    encoded = base64.b64encode(b"x").decode()
    assert _data_url(f"data:image/png;base64,{encoded}") == WireImage(media_type="image/png", data=encoded)
