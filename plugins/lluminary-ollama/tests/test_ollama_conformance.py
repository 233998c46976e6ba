"""The shared provider conformance suite, run against the fake Ollama server."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any, ClassVar

import lluminary
from lluminary_testing.conformance import ProviderConformance, WireImage, WireToolResult
from lluminary_testing.server import RecordedRequest

_IMAGE_TYPES = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg", b"GIF8": "image/gif", b"RIFF": "image/webp"}


class TestOllamaConformance(ProviderConformance):
    provider = "ollama"
    model = "ollama:llama3.2"
    server_fixture = "fake_ollama"
    api_key_env = None  # local Ollama needs no key (OLLAMA_API_KEY is optional, for Ollama's cloud)

    # Ollama has no tool_choice: "none" is sent as no tools, a named tool as only that tool.
    tool_choice_modes = ("auto", "none")
    supports_image_urls = False  # Ollama takes base64 images only
    supports_reasoning = True  # message.thinking; Ollama signs nothing
    supports_reasoning_signature = False
    reasoning_model = "ollama:qwen3:0.6b"
    supports_embeddings = True
    embedding_model = "ollama:nomic-embed-text"
    usage_fields = frozenset({"input_tokens", "output_tokens"})
    error_kinds: ClassVar[Mapping[str, type[lluminary.ProviderError]]] = {
        "authentication": lluminary.AuthenticationError,  # Ollama's cloud
        "not_found": lluminary.NotFoundError,
        "rate_limit": lluminary.RateLimitError,
        "context_length": lluminary.ContextLengthExceededError,
        "invalid_request": lluminary.InvalidRequestError,
        "server": lluminary.ServerError,
        "overloaded": lluminary.OverloadedError,
    }
    in_stream_error_kinds: ClassVar[Mapping[str, type[lluminary.ProviderError]]] = {
        "server": lluminary.ServerError,
        "context_length": lluminary.ContextLengthExceededError,
    }
    base_url_variants = ("{base}", "{base}/", "{base}/api", "{base}/api/")
    supports_response_ids = False  # Ollama answers carry no id: ChatResponse.id is None
    supports_content_filter_finish = False  # no safety stop: done_reason is only stop, length, load or unload

    # ---- wire hooks

    def wire_api_key(self, request: RecordedRequest) -> str | None:
        auth = request.headers.get("authorization", "")
        return auth[len("Bearer ") :] if auth.startswith("Bearer ") else None

    def wire_stream_requested(self, body: Mapping[str, Any]) -> bool:
        return body.get("stream", True) is not False  # Ollama streams unless told not to

    def wire_system(self, body: Mapping[str, Any]) -> str | None:
        texts = [m["content"] for m in body["messages"] if m.get("role") == "system"]
        return "".join(texts) if texts else None

    def wire_stop(self, body: Mapping[str, Any]) -> list[str]:
        stop = body.get("options", {}).get("stop", [])
        return [stop] if isinstance(stop, str) else list(stop)

    def wire_max_tokens(self, body: Mapping[str, Any]) -> int | None:
        value = body.get("options", {}).get("num_predict")
        return value if isinstance(value, int) else None

    def wire_tool_names(self, body: Mapping[str, Any]) -> list[str]:
        return [t["function"]["name"] for t in body.get("tools", [])]

    def wire_tool_choice(self, body: Mapping[str, Any]) -> tuple[str, str | None] | None:
        return ("auto", None) if body.get("tools") else ("none", None)

    def wire_tool_calls(self, body: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
        return [
            (c.get("id", ""), c["function"]["name"], c["function"]["arguments"])
            for m in body["messages"]
            if m.get("role") == "assistant"
            for c in m.get("tool_calls") or ()
        ]

    def wire_tool_results(self, body: Mapping[str, Any]) -> list[WireToolResult]:
        return [
            WireToolResult(m.get("tool_call_id", ""), m["content"], None)
            for m in body["messages"]
            if m.get("role") == "tool"
        ]

    def wire_images(self, body: Mapping[str, Any]) -> list[WireImage]:
        images = []
        for m in body["messages"]:
            for data in m.get("images") or ():
                head = base64.b64decode(data)[:4]
                media = next((t for magic, t in _IMAGE_TYPES.items() if head.startswith(magic)), None)
                images.append(WireImage(media_type=media, data=data))
        return images

    def wire_json_schema(self, body: Mapping[str, Any]) -> Mapping[str, Any] | None:
        fmt = body.get("format")
        return fmt if isinstance(fmt, Mapping) else None

    def wire_reasoning_tokens(self, body: Mapping[str, Any]) -> list[str]:
        return []  # Ollama's thinking carries no opaque token

    def wire_embed_inputs(self, body: Mapping[str, Any]) -> list[str]:
        value = body["input"]
        return [value] if isinstance(value, str) else list(value)

    def wire_embed_dimensions(self, body: Mapping[str, Any]) -> int | None:
        value = body.get("dimensions")
        return value if isinstance(value, int) else None
