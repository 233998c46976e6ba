"""lluminary's provider conformance suite, run against the fake Gemini server."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import pytest

from lluminary import _errors as errors
from lluminary_testing.conformance import ProviderConformance, WireImage, WireToolResult
from lluminary_testing.server import FakeServer, RecordedRequest


class WireBody(dict[str, Any]):
    """A request body that remembers its URL: Gemini asks for a stream in the path
    (``:streamGenerateContent?alt=sse``), not in the body."""

    path: str = ""
    query: Mapping[str, list[str]] = {}


def _parts(body: Mapping[str, Any], role: str | None = None) -> Iterator[Mapping[str, Any]]:
    for content in body.get("contents", ()):
        if role is None or content.get("role") == role:
            yield from content.get("parts", ())


class TestGoogleConformance(ProviderConformance):
    provider = "google"
    model = "google:gemini-2.5-flash"
    server_fixture = "fake_gemini"
    api_key_env = "GEMINI_API_KEY"
    supports_reasoning = True
    # Gemini 2.5 may sign the thought part itself; the fake server does that for 2.5 models (the
    # Gemini 3 placement, on the first function call, is covered in test_google_signatures.py).
    supports_reasoning_signature = True
    supports_embeddings = True
    embedding_model = "google:gemini-embedding-001"
    usage_fields = frozenset({"input_tokens", "output_tokens", "cache_read_tokens", "reasoning_tokens"})
    # Google's error answers carry no request id (no header, nothing in the body).
    supports_request_ids = False
    # A function call's arguments come as a JSON object; the one ToolCallDelta re-serialises them.
    streams_raw_tool_arguments = False
    # embedContent / batchEmbedContents answer vectors only, without token counts: the plugin
    # estimates them (so supports_embedding_usage keeps its default, True).
    base_url_variants = ("{base}", "{base}/v1beta", "{base}/v1beta/")
    error_kinds: ClassVar[Mapping[str, type[errors.ProviderError]]] = {
        "authentication": errors.AuthenticationError,
        "permission": errors.PermissionDeniedError,
        "not_found": errors.NotFoundError,
        "rate_limit": errors.RateLimitError,
        "context_length": errors.ContextLengthExceededError,
        "invalid_request": errors.InvalidRequestError,
        "request_too_large": errors.InvalidRequestError,
        "server": errors.ServerError,
        "overloaded": errors.OverloadedError,
    }
    in_stream_error_kinds: ClassVar[Mapping[str, type[errors.ProviderError]]] = {
        "server": errors.ServerError,
        "overloaded": errors.OverloadedError,
        "rate_limit": errors.RateLimitError,
    }

    # ------------------------------------------------------------------ wire hooks

    @pytest.fixture(autouse=True)
    def _no_google_key(self, monkeypatch: pytest.MonkeyPatch) -> None:
        # Either variable would satisfy the provider; the suite removes only api_key_env.
        monkeypatch.delenv("GOOGLE_API_KEY", raising=False)

    def body(self, server: FakeServer, index: int = -1) -> Mapping[str, Any]:
        request = server.requests[index]
        body = WireBody(request.json())
        body.path = request.path
        body.query = request.query
        return body

    def wire_api_key(self, request: RecordedRequest) -> str | None:
        return request.headers.get("x-goog-api-key")

    def wire_stream_requested(self, body: Mapping[str, Any]) -> bool:
        assert isinstance(body, WireBody)
        return body.path.endswith(":streamGenerateContent") and "sse" in body.query.get("alt", [])

    def wire_system(self, body: Mapping[str, Any]) -> str | None:
        instruction = body.get("systemInstruction")
        if instruction is None:
            return None
        return "".join(part.get("text", "") for part in instruction.get("parts", ()))

    def wire_stop(self, body: Mapping[str, Any]) -> list[str]:
        return list(body.get("generationConfig", {}).get("stopSequences", ()))

    def wire_max_tokens(self, body: Mapping[str, Any]) -> int | None:
        return body.get("generationConfig", {}).get("maxOutputTokens")

    def wire_tool_names(self, body: Mapping[str, Any]) -> list[str]:
        return [d["name"] for tool in body.get("tools", ()) for d in tool.get("functionDeclarations", ())]

    def wire_tool_choice(self, body: Mapping[str, Any]) -> tuple[str, str | None] | None:
        config = body.get("toolConfig", {}).get("functionCallingConfig")
        if config is None:
            return None
        mode = config.get("mode")
        names = config.get("allowedFunctionNames") or []
        if mode == "ANY":
            return ("tool", names[0]) if len(names) == 1 else ("required", None)
        return {"AUTO": "auto", "NONE": "none"}[mode], None

    def wire_tool_calls(self, body: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
        return [
            (p["functionCall"].get("id", ""), p["functionCall"]["name"], p["functionCall"].get("args", {}))
            for p in _parts(body, "model")
            if "functionCall" in p
        ]

    def wire_tool_results(self, body: Mapping[str, Any]) -> list[WireToolResult]:
        results = []
        for part in _parts(body, "user"):
            response = part.get("functionResponse")
            if response is None:
                continue
            payload = response.get("response", {})
            is_error = "error" in payload
            content = payload.get("error") if is_error else payload.get("output")
            results.append(WireToolResult(response.get("id", ""), str(content), is_error))
        return results

    def wire_images(self, body: Mapping[str, Any]) -> list[WireImage]:
        images = []
        for part in _parts(body):
            if "inlineData" in part:
                images.append(WireImage(media_type=part["inlineData"]["mimeType"], data=part["inlineData"]["data"]))
            elif "fileData" in part:
                images.append(WireImage(url=part["fileData"]["fileUri"], media_type=part["fileData"].get("mimeType")))
        return images

    def wire_json_schema(self, body: Mapping[str, Any]) -> Mapping[str, Any] | None:
        config = body.get("generationConfig", {})
        schema: Mapping[str, Any] | None = config.get("responseJsonSchema")
        return schema

    def wire_reasoning_tokens(self, body: Mapping[str, Any]) -> list[str]:
        return [p["thoughtSignature"] for p in _parts(body, "model") if "thoughtSignature" in p]

    def wire_embed_inputs(self, body: Mapping[str, Any]) -> list[str]:
        requests = body.get("requests") or [body]
        return ["".join(p.get("text", "") for p in r["content"]["parts"]) for r in requests]

    def wire_embed_dimensions(self, body: Mapping[str, Any]) -> int | None:
        requests = body.get("requests") or [body]
        dimensions: int | None = requests[0].get("outputDimensionality")
        return dimensions
