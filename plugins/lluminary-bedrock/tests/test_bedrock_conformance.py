"""The shared provider conformance suite, run against the fake Bedrock Runtime.

The suite sends ``api_key=`` on every call, which for Bedrock is an API key sent as
``Authorization: Bearer``; SigV4 is covered by ``test_bedrock_auth.py``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

import pytest

from lluminary import _errors as lerrors
from lluminary_testing.conformance import ProviderConformance, WireImage, WireToolResult
from lluminary_testing.conformance._base import DEFAULT_ERROR_KINDS
from lluminary_testing.server import RecordedRequest


class TestBedrockConformance(ProviderConformance):
    provider = "bedrock"
    # Converse does not echo the model: a response names the model the call asked for, so the
    # suite's model id is the scenario's.
    model = "bedrock:fake-model-1"
    server_fixture = "fake_bedrock"
    api_key_env = "AWS_BEARER_TOKEN_BEDROCK"

    supports_image_urls = False  # bytes, data: URLs and s3:// only; an http(s) URL is refused before any I/O
    supports_reasoning = True
    supports_reasoning_signature = True
    reasoning_model = "bedrock:us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    supports_embeddings = True
    embedding_model = "bedrock:cohere.embed-v4:0"
    embedding_dimensions = 256
    usage_fields = frozenset({"input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"})
    error_kinds: ClassVar[Mapping[str, type[lerrors.ProviderError]]] = {
        **DEFAULT_ERROR_KINDS,
        "content_filter": lerrors.ContentFilteredError,
    }
    in_stream_error_kinds: ClassVar[Mapping[str, type[lerrors.ProviderError]]] = {
        "rate_limit": lerrors.RateLimitError,
        "invalid_request": lerrors.InvalidRequestError,
        "context_length": lerrors.ContextLengthExceededError,
        "server": lerrors.ServerError,
        "overloaded": lerrors.OverloadedError,
    }
    base_url_variants = ("{base}", "{base}/")
    supports_retry_after = False  # a ThrottlingException carries no Retry-After header

    @pytest.fixture(autouse=True)
    def _bedrock_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        # A region, so a call without a key gets as far as the credential chain (which, with no
        # credentials anywhere and instance metadata off, names the variables to set).
        monkeypatch.setenv("AWS_REGION", "us-east-1")

    # ------------------------------------------------------------------ wire hooks

    def wire_api_key(self, request: RecordedRequest) -> str | None:
        auth = request.headers.get("authorization", "")
        return auth[len("Bearer ") :] if auth.startswith("Bearer ") else None

    def wire_stream_requested(self, body: Mapping[str, Any]) -> bool:
        # The operation, not the body, says so: /converse-stream.
        return self.last_path.endswith("/converse-stream")

    def wire_system(self, body: Mapping[str, Any]) -> str | None:
        blocks = body.get("system")
        if not blocks:
            return None
        return "".join(b["text"] for b in blocks if "text" in b)

    def wire_stop(self, body: Mapping[str, Any]) -> list[str]:
        return list(body.get("inferenceConfig", {}).get("stopSequences", []))

    def wire_max_tokens(self, body: Mapping[str, Any]) -> int | None:
        value = body.get("inferenceConfig", {}).get("maxTokens")
        return int(value) if value is not None else None

    def wire_tool_names(self, body: Mapping[str, Any]) -> list[str]:
        tools = body.get("toolConfig", {}).get("tools", [])
        return [t["toolSpec"]["name"] for t in tools if "toolSpec" in t]

    def wire_tool_choice(self, body: Mapping[str, Any]) -> tuple[str, str | None] | None:
        config = body.get("toolConfig")
        if config is None:
            return ("none", None)  # Converse has no "none": the tools are left out
        choice = config.get("toolChoice")
        if choice is None:
            return None
        if "auto" in choice:
            return ("auto", None)
        if "any" in choice:
            return ("required", None)
        return ("tool", choice["tool"]["name"])

    def wire_tool_calls(self, body: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
        return [
            (b["toolUse"]["toolUseId"], b["toolUse"]["name"], b["toolUse"]["input"])
            for m in body.get("messages", [])
            if m["role"] == "assistant"
            for b in m["content"]
            if "toolUse" in b
        ]

    def wire_tool_results(self, body: Mapping[str, Any]) -> list[WireToolResult]:
        found = []
        for message in body.get("messages", []):
            for block in message["content"]:
                if "toolResult" in block:
                    result = block["toolResult"]
                    content = "".join(
                        c["text"] if "text" in c else json.dumps(c.get("json")) for c in result.get("content", [])
                    )
                    status = result.get("status")
                    found.append(
                        WireToolResult(result["toolUseId"], content, None if status is None else status == "error")
                    )
        return found

    def wire_images(self, body: Mapping[str, Any]) -> list[WireImage]:
        images = []
        for message in body.get("messages", []):
            for block in message["content"]:
                if "image" in block:
                    image = block["image"]
                    source = image["source"]
                    if "bytes" in source:
                        images.append(WireImage(media_type=f"image/{image['format']}", data=source["bytes"]))
                    else:
                        images.append(WireImage(url=source["s3Location"]["uri"]))
        return images

    def wire_json_schema(self, body: Mapping[str, Any]) -> Mapping[str, Any] | None:
        text_format = body.get("outputConfig", {}).get("textFormat")
        if text_format is None:
            return None
        schema: Mapping[str, Any] = json.loads(text_format["structure"]["jsonSchema"]["schema"])
        return schema

    def wire_reasoning_tokens(self, body: Mapping[str, Any]) -> list[str]:
        tokens = []
        for message in body.get("messages", []):
            for block in message["content"]:
                reasoning = block.get("reasoningContent")
                if reasoning is None:
                    continue
                if "reasoningText" in reasoning and reasoning["reasoningText"].get("signature"):
                    tokens.append(reasoning["reasoningText"]["signature"])
                elif "redactedContent" in reasoning:
                    tokens.append(reasoning["redactedContent"])
        return tokens

    def wire_embed_inputs(self, body: Mapping[str, Any]) -> list[str]:
        return list(body["texts"]) if "texts" in body else [body["inputText"]]

    def wire_embed_dimensions(self, body: Mapping[str, Any]) -> int | None:
        value = body.get("output_dimension", body.get("dimensions"))
        return int(value) if value is not None else None

    # ------------------------------------------------------------------ helpers

    last_path = ""

    def body(self, server: Any, index: int = -1) -> Mapping[str, Any]:
        self.last_path = server.requests[index].path
        return super().body(server, index)
