"""The request bodies the provider builds, held to Cohere's OpenAPI document (``cohere-openapi.yaml``,
which its licence keeps out of the repository: skipped unless a copy is in ``specs/`` or in
``shared/specs`` beside the repository; ``specs/README.md`` says where to get it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from lluminary._requests import build_chat_request, build_embed_request
from lluminary._types import (
    ImagePart,
    Message,
    ReasoningPart,
    ResponseFormat,
    TextPart,
    Tool,
    ToolCallPart,
    ToolResultPart,
)
from lluminary_cohere.request import chat_body, embed_body
from lluminary_testing.cohere_server import chat_problem, embed_problem, schema_problems
from lluminary_testing.openapi import load_spec

WEATHER = Tool("get_weather", "Weather.", {"type": "object", "properties": {"city": {"type": "string"}}}, strict=True)


@pytest.fixture(scope="module")
def spec() -> Mapping[str, Any]:
    return load_spec("cohere-openapi.yaml", __file__)


def request_schema(spec: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    schema: Mapping[str, Any] = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return schema


def rich_chat_bodies() -> list[dict[str, Any]]:
    call = ToolCallPart("c1", "get_weather", {"city": "Oslo"})
    history = [
        Message.user(
            [
                TextPart("Weather?"),
                ImagePart(url="https://x.test/a.png"),
                ImagePart(data=b"png", media_type="image/png"),
            ]
        ),
        Message.assistant([ReasoningPart("Plan.", provider="cohere"), TextPart("Checking."), call]),
        Message.tool("c1", '{"temp": 3}'),
        Message.assistant("Cold."),
        Message.user("And tomorrow?"),
    ]
    with_tools = build_chat_request(
        "cohere:command-a-03-2025",
        None,
        messages=history,
        system="Be brief.",
        tools=[WEATHER],
        tool_choice="get_weather",
        max_tokens=100,
        temperature=0.5,
        top_p=0.9,
        stop=["END"],
        seed=3,
        reasoning="high",
    )
    structured = build_chat_request(
        "cohere:command-a-03-2025", "Who?", response_format=ResponseFormat("json_schema", {"type": "object"})
    )
    error_result = build_chat_request(
        "cohere:command-a-03-2025",
        None,
        messages=[Message.user("x"), Message.assistant(call), Message("tool", (ToolResultPart("c1", "boom", True),))],
        tools=[WEATHER],
        tool_choice="none",
    )
    return [chat_body(r, stream=s) for r in (with_tools, structured, error_result) for s in (False, True)]


def test_chat_bodies_match_the_spec(spec: Mapping[str, Any]) -> None:
    target = request_schema(spec, "/v2/chat")
    for body in rich_chat_bodies():
        problems = schema_problems(body, target, spec)
        assert not problems, "\n".join(problems)


def test_chat_bodies_pass_the_fake_servers_checks() -> None:
    for body in rich_chat_bodies():
        assert chat_problem(body) is None


def test_embed_body_matches_the_spec(spec: Mapping[str, Any]) -> None:
    request = build_embed_request("cohere:embed-v4.0", ["a", "b"], dimensions=512, input_type="query")
    body = embed_body(request, list(request.inputs))
    assert not schema_problems(body, request_schema(spec, "/v2/embed"), spec)
    assert embed_problem(body) is None


def test_tokenize_body_matches_the_spec(spec: Mapping[str, Any]) -> None:
    body = {"text": "hello", "model": "command-a-03-2025"}
    assert not schema_problems(body, request_schema(spec, "/v1/tokenize"), spec)
