"""The shared provider conformance suite, run against the fake Cohere v2 server."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from lluminary import _errors as lerrors
from lluminary_testing.conformance import ProviderConformance, WireImage, WireToolResult
from lluminary_testing.server import RecordedRequest


class TestCohereConformance(ProviderConformance):
    provider = "cohere"
    # Cohere's answers do not name the model, so a response's model is the one asked for: the
    # suite's scenarios answer as "fake-model-1", hence this model name.
    model = "cohere:fake-model-1"
    server_fixture = "fake_cohere"
    api_key_env = "CO_API_KEY"

    supports_reasoning = True  # thinking blocks and tool plans; Cohere signs neither
    supports_reasoning_signature = False
    reasoning_model = "cohere:command-a-reasoning-08-2025"
    supports_embeddings = True
    embedding_model = "cohere:embed-v4.0"
    usage_fields = frozenset({"input_tokens", "output_tokens", "cache_read_tokens"})
    in_stream_error_kinds: ClassVar[Mapping[str, type[lerrors.ProviderError]]] = {"server": lerrors.ServerError}
    base_url_variants = ("{base}", "{base}/", "{base}/v1", "{base}/v2/")

    # ---- wire hooks

    def wire_api_key(self, request: RecordedRequest) -> str | None:
        auth = request.headers.get("authorization", "")
        return auth[len("Bearer ") :] if auth.startswith("Bearer ") else None

    def wire_system(self, body: Mapping[str, Any]) -> str | None:
        texts = [_text(m.get("content")) for m in body["messages"] if m.get("role") == "system"]
        return "".join(texts) if texts else None

    def wire_stop(self, body: Mapping[str, Any]) -> list[str]:
        return list(body.get("stop_sequences", []))

    def wire_max_tokens(self, body: Mapping[str, Any]) -> int | None:
        value = body.get("max_tokens")
        return value if isinstance(value, int) else None

    def wire_tool_names(self, body: Mapping[str, Any]) -> list[str]:
        return [t["function"]["name"] for t in body.get("tools", [])]

    def wire_tool_choice(self, body: Mapping[str, Any]) -> tuple[str, str | None] | None:
        tools = self.wire_tool_names(body)
        choice = body.get("tool_choice")
        if choice is None:
            return ("auto", None) if tools else None
        if choice == "NONE":
            return ("none", None)
        # A named tool is REQUIRED with only that tool sent.
        return ("tool", tools[0]) if len(tools) == 1 else ("required", None)

    def wire_tool_calls(self, body: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
        return [
            (c["id"], c["function"]["name"], json.loads(c["function"]["arguments"]))
            for m in body["messages"]
            if m.get("role") == "assistant"
            for c in m.get("tool_calls", [])
        ]

    def wire_tool_results(self, body: Mapping[str, Any]) -> list[WireToolResult]:
        results = []
        for m in body["messages"]:
            if m.get("role") != "tool":
                continue
            content = m["content"]
            if isinstance(content, list):
                content = "".join(
                    json.dumps(b["document"]["data"]) if b.get("type") == "document" else b.get("text", "")
                    for b in content
                )
            results.append(WireToolResult(m["tool_call_id"], content, None))
        return results

    def wire_images(self, body: Mapping[str, Any]) -> list[WireImage]:
        images = []
        for m in body["messages"]:
            content = m.get("content")
            for block in content if isinstance(content, list) else ():
                if block.get("type") != "image_url":
                    continue
                url = block["image_url"]["url"]
                if url.startswith("data:"):
                    head, _, data = url.partition(",")
                    images.append(WireImage(media_type=head[5:].split(";")[0], data=data))
                else:
                    images.append(WireImage(url=url))
        return images

    def wire_json_schema(self, body: Mapping[str, Any]) -> Mapping[str, Any] | None:
        fmt = body.get("response_format")
        return fmt.get("json_schema") if isinstance(fmt, Mapping) else None

    def wire_reasoning_tokens(self, body: Mapping[str, Any]) -> list[str]:
        return []  # Cohere has no opaque reasoning tokens to carry

    def wire_embed_inputs(self, body: Mapping[str, Any]) -> list[str]:
        return list(body["texts"])

    def wire_embed_dimensions(self, body: Mapping[str, Any]) -> int | None:
        value = body.get("output_dimension")
        return value if isinstance(value, int) else None


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(b.get("text", "") for b in content or () if isinstance(b, Mapping))
