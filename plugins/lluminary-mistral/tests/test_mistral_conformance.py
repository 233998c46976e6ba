"""The shared provider conformance suite, run against the fake Mistral server."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from lluminary import _errors as lerrors
from lluminary_testing.conformance import ProviderConformance, WireImage, WireToolResult
from lluminary_testing.server import RecordedRequest


class TestMistralConformance(ProviderConformance):
    provider = "mistral"
    model = "mistral:mistral-small-latest"
    server_fixture = "fake_mistral"
    api_key_env = "MISTRAL_API_KEY"

    supports_reasoning = True  # Magistral thinking chunks; Mistral signs nothing
    supports_reasoning_signature = False
    reasoning_model = "mistral:magistral-medium-latest"
    supports_embeddings = True
    embedding_model = "mistral:mistral-embed"
    usage_fields = frozenset({"input_tokens", "output_tokens", "cache_read_tokens"})
    in_stream_error_kinds: ClassVar[Mapping[str, type[lerrors.ProviderError]]] = {
        "server": lerrors.ServerError,
        "rate_limit": lerrors.RateLimitError,
    }
    base_url_variants = ("{base}", "{base}/", "{base}/v1", "{base}/v1/")
    # No safety finish reason (stop, length, model_length, error, tool_calls): guardrails block the
    # request with an error instead.
    supports_content_filter_finish = False

    # ---- wire hooks

    def wire_api_key(self, request: RecordedRequest) -> str | None:
        auth = request.headers.get("authorization", "")
        return auth[len("Bearer ") :] if auth.startswith("Bearer ") else None

    def wire_system(self, body: Mapping[str, Any]) -> str | None:
        texts = [_text(m.get("content")) for m in body["messages"] if m.get("role") == "system"]
        return "".join(texts) if texts else None

    def wire_stop(self, body: Mapping[str, Any]) -> list[str]:
        stop = body.get("stop", [])
        return [stop] if isinstance(stop, str) else list(stop)

    def wire_max_tokens(self, body: Mapping[str, Any]) -> int | None:
        value = body.get("max_tokens")
        return value if isinstance(value, int) else None

    def wire_tool_names(self, body: Mapping[str, Any]) -> list[str]:
        return [t["function"]["name"] for t in body.get("tools", [])]

    def wire_tool_choice(self, body: Mapping[str, Any]) -> tuple[str, str | None] | None:
        choice = body.get("tool_choice")
        if choice is None:
            return None
        if isinstance(choice, dict):
            return ("tool", choice["function"]["name"])
        return ("required", None) if choice in ("any", "required") else (str(choice), None)

    def wire_tool_calls(self, body: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
        calls = []
        for m in body["messages"]:
            if m.get("role") != "assistant":
                continue
            for c in m.get("tool_calls") or ():
                arguments = c["function"]["arguments"]
                calls.append(
                    (c["id"], c["function"]["name"], json.loads(arguments) if isinstance(arguments, str) else arguments)
                )
        return calls

    def wire_tool_results(self, body: Mapping[str, Any]) -> list[WireToolResult]:
        return [
            WireToolResult(m["tool_call_id"], _text(m["content"]), None)
            for m in body["messages"]
            if m.get("role") == "tool"
        ]

    def wire_images(self, body: Mapping[str, Any]) -> list[WireImage]:
        images = []
        for m in body["messages"]:
            content = m.get("content")
            for block in content if isinstance(content, list) else ():
                if block.get("type") != "image_url":
                    continue
                url = block["image_url"]
                url = url["url"] if isinstance(url, Mapping) else url
                if url.startswith("data:"):
                    head, _, data = url.partition(",")
                    images.append(WireImage(media_type=head[5:].split(";")[0], data=data))
                else:
                    images.append(WireImage(url=url))
        return images

    def wire_json_schema(self, body: Mapping[str, Any]) -> Mapping[str, Any] | None:
        fmt = body.get("response_format")
        if not isinstance(fmt, Mapping) or fmt.get("type") != "json_schema":
            return None
        schema = fmt["json_schema"]["schema"]
        return schema if isinstance(schema, Mapping) else None

    def wire_reasoning_tokens(self, body: Mapping[str, Any]) -> list[str]:
        return []  # Mistral's thinking carries no opaque token

    def wire_embed_inputs(self, body: Mapping[str, Any]) -> list[str]:
        value = body["input"]
        return [value] if isinstance(value, str) else list(value)

    def wire_embed_dimensions(self, body: Mapping[str, Any]) -> int | None:
        value = body.get("output_dimension")
        return value if isinstance(value, int) else None


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(b.get("text", "") for b in content or () if isinstance(b, Mapping))
