"""lluminary's provider conformance suite, run against the fake OpenAI server of lluminary-testing
(set up in conftest.py).
{% if cookiecutter.kind == "openai-compatible" %}
{{ cookiecutter.plugin_name }} speaks the OpenAI API, so the fake OpenAI server stands in for it. The
provider is loaded through its entry point, as users get it: install the project
(``pip install -e ".[test]"``) before running the tests.
{%- else %}
As generated, the provider speaks the Chat Completions wire, which the fake OpenAI server serves.
When you change it to {{ cookiecutter.plugin_name }}'s own API, give the suite a fake server that speaks that
API (subclass ``lluminary_testing.server.FakeServer``, see the lluminary-testing README), return
it from the fixture in conftest.py, and update the ``wire_*`` hooks, which read each feature back
out of the request body. The provider is loaded through its entry point,
as users get it: install the project (``pip install -e ".[test]"``) before running the tests.
{%- endif %}

Capability flags declare what the provider does; a False skips the tests that need the capability,
with the reason in the report. A standard test that cannot pass is not deleted: override it with
``@pytest.mark.xfail(reason="why", strict=True)`` calling the base test, or the suite's guard fails.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

import lluminary
from lluminary_testing.conformance import ProviderConformance, WireImage, WireToolResult
from lluminary_testing.server import RecordedRequest


class Test{{ cookiecutter.__title }}Conformance(ProviderConformance):
    provider = "{{ cookiecutter.prefix }}"
    model = "{{ cookiecutter.prefix }}:{{ cookiecutter.model }}"
    server_fixture = "fake_{{ cookiecutter.__snake }}"  # tests/conftest.py
    api_key_env = "{{ cookiecutter.api_key_env }}"

    # ---- what the provider does (everything else keeps the suite's default: supported)

    supports_reasoning = True  # reasoning text from `reasoning_content`; it carries no signature
    supports_embeddings = True
    embedding_model = "{{ cookiecutter.prefix }}:{{ cookiecutter.prefix }}-embed"  # any id works against the fake server
    #: Usage fields read from the answers (cache writes are not reported by this wire).
    usage_fields = frozenset({"input_tokens", "output_tokens", "cache_read_tokens", "reasoning_tokens"})
    #: The HTTP errors the provider answers with, and the typed error each must become.
    error_kinds: ClassVar[Mapping[str, type[lluminary.ProviderError]]] = {
        **ProviderConformance.error_kinds,
        "content_filter": lluminary.ContentFilteredError,
    }
    #: Errors sent inside a 200 stream.
    in_stream_error_kinds: ClassVar[Mapping[str, type[lluminary.ProviderError]]] = {
        "server": lluminary.ServerError,
        "rate_limit": lluminary.RateLimitError,
        "context_length": lluminary.ContextLengthExceededError,
    }

    # ---- wire hooks: where each feature is found in the request the provider sent

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
        return [tool["function"]["name"] for tool in body.get("tools", [])]

    def wire_tool_choice(self, body: Mapping[str, Any]) -> tuple[str, str | None] | None:
        choice = body.get("tool_choice")
        if choice is None:
            return None
        if isinstance(choice, str):
            return choice, None
        return "tool", choice["function"]["name"]

    def wire_tool_calls(self, body: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
        return [
            (call["id"], call["function"]["name"], json.loads(call["function"]["arguments"]))
            for message in body["messages"]
            if message["role"] == "assistant"
            for call in message.get("tool_calls") or ()
        ]

    def wire_tool_results(self, body: Mapping[str, Any]) -> list[WireToolResult]:
        return [WireToolResult(m["tool_call_id"], m["content"]) for m in body["messages"] if m["role"] == "tool"]

    def wire_images(self, body: Mapping[str, Any]) -> list[WireImage]:
        images = []
        for message in body["messages"]:
            content = message.get("content")
            for part in content if isinstance(content, list) else ():
                if part.get("type") != "image_url":
                    continue
                url = part["image_url"]["url"]
                if url.startswith("data:"):
                    head, _, data = url.partition(",")
                    images.append(WireImage(media_type=head[5:].split(";")[0], data=data))
                else:
                    images.append(WireImage(url=url))
        return images

    def wire_json_schema(self, body: Mapping[str, Any]) -> Mapping[str, Any] | None:
        response_format = body.get("response_format") or {}
        schema: Mapping[str, Any] | None = (response_format.get("json_schema") or {}).get("schema")
        return schema

    def wire_reasoning_tokens(self, body: Mapping[str, Any]) -> list[str]:
        return []  # reasoning without a signature is not sent back

    def wire_embed_inputs(self, body: Mapping[str, Any]) -> list[str]:
        inputs = body["input"]
        return [inputs] if isinstance(inputs, str) else list(inputs)

    def wire_embed_dimensions(self, body: Mapping[str, Any]) -> int | None:
        value = body.get("dimensions")
        return int(value) if value is not None else None
