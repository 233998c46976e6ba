"""lluminary's provider conformance suite, run against the fake Anthropic server."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from lluminary import _errors as errors
from lluminary_testing.conformance import ProviderConformance, WireImage, WireToolResult
from lluminary_testing.server import RecordedRequest


def _blocks(body: Mapping[str, Any], role: str) -> Iterator[Mapping[str, Any]]:
    for message in body.get("messages", ()):
        content = message.get("content")
        if message.get("role") == role and isinstance(content, list):
            yield from content


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(b.get("text", "") for b in content or () if b.get("type") == "text")


class TestAnthropicConformance(ProviderConformance):
    provider = "anthropic"
    model = "anthropic:claude-sonnet-5-5"
    # A model that takes a thinking budget, so the fake server checks the thinking block is sent
    # back first in the tool-use loop (the API's rule for budgeted thinking).
    reasoning_model = "anthropic:claude-sonnet-4-5"
    server_fixture = "fake_anthropic"
    api_key_env = "ANTHROPIC_API_KEY"
    supports_reasoning = True
    supports_reasoning_signature = True
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
        "overloaded": errors.OverloadedError,
        "server": errors.ServerError,
        "rate_limit": errors.RateLimitError,
        "invalid_request": errors.InvalidRequestError,
    }

    def wire_api_key(self, request: RecordedRequest) -> str | None:
        return request.headers.get("x-api-key")

    def wire_system(self, body: Mapping[str, Any]) -> str | None:
        system = body.get("system")
        return None if system is None else _text(system)

    def wire_stop(self, body: Mapping[str, Any]) -> list[str]:
        return list(body.get("stop_sequences", ()))

    def wire_max_tokens(self, body: Mapping[str, Any]) -> int | None:
        return body.get("max_tokens")

    def wire_tool_names(self, body: Mapping[str, Any]) -> list[str]:
        return [tool["name"] for tool in body.get("tools", ())]

    def wire_tool_choice(self, body: Mapping[str, Any]) -> tuple[str, str | None] | None:
        choice = body.get("tool_choice")
        if choice is None:
            return None
        mode = {"auto": "auto", "none": "none", "any": "required", "tool": "tool"}[choice["type"]]
        return mode, choice.get("name")

    def wire_tool_calls(self, body: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
        return [(b["id"], b["name"], b["input"]) for b in _blocks(body, "assistant") if b.get("type") == "tool_use"]

    def wire_tool_results(self, body: Mapping[str, Any]) -> list[WireToolResult]:
        return [
            WireToolResult(b["tool_use_id"], _text(b.get("content")), bool(b.get("is_error", False)))
            for b in _blocks(body, "user")
            if b.get("type") == "tool_result"
        ]

    def wire_images(self, body: Mapping[str, Any]) -> list[WireImage]:
        images = []
        for block in _blocks(body, "user"):
            if block.get("type") == "image":
                source = block["source"]
                if source["type"] == "url":
                    images.append(WireImage(url=source["url"]))
                else:
                    images.append(WireImage(media_type=source["media_type"], data=source["data"]))
        return images

    def wire_json_schema(self, body: Mapping[str, Any]) -> Mapping[str, Any] | None:
        fmt = body.get("output_config", {}).get("format")
        return fmt.get("schema") if fmt else None

    def wire_reasoning_tokens(self, body: Mapping[str, Any]) -> list[str]:
        tokens = []
        for block in _blocks(body, "assistant"):
            if block.get("type") == "thinking":
                tokens.append(block["signature"])
            elif block.get("type") == "redacted_thinking":
                tokens.append(block["data"])
        return tokens
