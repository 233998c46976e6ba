"""The Chat Completions request body for every feature, and the non-streamed answer's parsing."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from lluminary.sdk import (
    ImagePart,
    Message,
    ReasoningConfig,
    ReasoningPart,
    ResponseFormat,
    TextPart,
    Tool,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
    Usage,
)
from lluminary_openai.chat_request import chat_body
from lluminary_openai.dialect import COMPATIBLE, OPENAI
from lluminary_testing import Scenario, ToolCallSpec

WEATHER = Tool("get_weather", "Weather for a city.", {"type": "object", "properties": {"city": {"type": "string"}}})


async def test_minimal_body(harness: Any) -> None:
    harness.server.script(Scenario(text="hi"))
    await harness.generate("Hello")
    assert harness.body() == {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello"}]}
    request = harness.server.last_request
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-test-0123456789abcdef"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"].startswith("lluminary-openai/")


async def test_stream_body_asks_for_usage(harness: Any) -> None:
    harness.server.script(Scenario(text="hi"))
    await harness.stream("Hello")
    body = harness.body()
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


async def test_every_sampling_field(harness: Any) -> None:
    harness.server.script(Scenario(text="hi"))
    await harness.generate(
        "Hello",
        system="Be brief.",
        temperature=0.2,
        top_p=0.9,
        max_tokens=50,
        stop=["END"],
        seed=7,
        reasoning=ReasoningConfig(effort="low"),
        options={"openai": {"logprobs": True, "service_tier": "flex", "api": "chat"}, "anthropic": {"x": 1}},
    )
    body = harness.body()
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert body["temperature"] == 0.2
    assert body["top_p"] == 0.9
    assert body["max_completion_tokens"] == 50
    assert "max_tokens" not in body
    assert body["stop"] == ["END"]
    assert body["seed"] == 7
    assert body["reasoning_effort"] == "low"
    assert body["logprobs"] is True
    assert body["service_tier"] == "flex"
    assert "api" not in body
    assert "x" not in body


async def test_tools_and_choices(harness: Any) -> None:
    strict = Tool("lookup", "", {"type": "object", "properties": {}, "additionalProperties": False}, strict=True)
    for choice, expected in [
        ("auto", "auto"),
        ("none", "none"),
        ("required", "required"),
        (ToolChoice.tool("get_weather"), {"type": "function", "function": {"name": "get_weather"}}),
    ]:
        harness.server.script(Scenario(text="ok"))
        await harness.generate("Weather?", tools=[WEATHER, strict], tool_choice=choice)
        assert harness.body()["tool_choice"] == expected
    tools = harness.body()["tools"]
    assert tools[0] == {
        "type": "function",
        "function": {"name": "get_weather", "description": "Weather for a city.", "parameters": WEATHER.parameters},
    }
    assert tools[1]["function"] == {"name": "lookup", "parameters": strict.parameters, "strict": True}


async def test_history_with_tool_calls_results_and_reasoning(harness: Any) -> None:
    harness.server.script(Scenario(text="done"))
    messages = [
        Message.user("Weather in Paris and Rome?"),
        Message.assistant(
            [
                ReasoningPart("thinking", signature="sig", provider="anthropic"),
                TextPart("Checking."),
                ToolCallPart("call_1", "get_weather", {"city": "Paris"}),
                ToolCallPart("call_2", "get_weather", {"city": "Zürich"}),
            ]
        ),
        Message("tool", (ToolResultPart("call_1", "18C"), ToolResultPart("call_2", "timeout", is_error=True))),
        Message.user("Thanks"),
    ]
    await harness.generate(None, messages=messages, tools=[WEATHER])
    sent = harness.body()["messages"]
    assert sent[1] == {
        "role": "assistant",
        "content": "Checking.",
        "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}},
            {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Zürich"}'}},
        ],
    }
    assert sent[2] == {"role": "tool", "tool_call_id": "call_1", "content": "18C"}
    assert sent[3] == {"role": "tool", "tool_call_id": "call_2", "content": "Error: timeout"}
    assert sent[4] == {"role": "user", "content": "Thanks"}


async def test_assistant_tool_call_without_text_has_null_content(harness: Any) -> None:
    harness.server.script(Scenario(text="ok"))
    messages = [Message.user("x"), Message.assistant(ToolCallPart("c1", "get_weather", {})), Message.tool("c1", "r")]
    await harness.generate(None, messages=messages, tools=[WEATHER])
    assert harness.body()["messages"][1]["content"] is None


async def test_images(harness: Any) -> None:
    harness.server.script(Scenario(text="a cat"))
    png = b"\x89PNG\r\n\x1a\n"
    message = Message.user(
        [TextPart("What?"), ImagePart(url="https://x/cat.jpg"), ImagePart(data=png, media_type="image/png")]
    )
    await harness.generate(None, messages=[message])
    content = harness.body()["messages"][0]["content"]
    assert content == [
        {"type": "text", "text": "What?"},
        {"type": "image_url", "image_url": {"url": "https://x/cat.jpg"}},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64," + base64.b64encode(png).decode()}},
    ]


@pytest.mark.parametrize(
    ("response_format", "expected"),
    [
        (
            ResponseFormat("json_schema", {"type": "object"}, name="thing", strict=False),
            {"type": "json_schema", "json_schema": {"name": "thing", "schema": {"type": "object"}, "strict": False}},
        ),
        (ResponseFormat("json"), {"type": "json_object"}),
    ],
)
async def test_response_format(harness: Any, response_format: ResponseFormat, expected: dict[str, Any]) -> None:
    harness.server.script(Scenario(text="{}"))
    await harness.generate("JSON please", response_format=response_format)
    assert harness.body()["response_format"] == expected


def test_compatible_dialect_uses_max_tokens() -> None:
    from lluminary.sdk import build_chat_request

    request = build_chat_request("vllm:llama", "hi", max_tokens=5)
    assert chat_body(request, stream=True, dialect=COMPATIBLE, prefix="vllm")["max_tokens"] == 5
    assert "max_tokens" not in chat_body(request, stream=True, dialect=OPENAI, prefix="vllm")


async def test_parse_completion(harness: Any) -> None:
    usage = Usage(input_tokens=100, output_tokens=40, cache_read_tokens=60, cache_write_tokens=5, reasoning_tokens=25)
    harness.server.script(
        Scenario(
            text="Sure.",
            tool_calls=[ToolCallSpec("call_a", "get_weather", '{"city": "Oslo"}')],
            usage=usage,
            id="chatcmpl-42",
            model="gpt-4o-mini-2024-07-18",
        )
    )
    response = await harness.generate("Weather?", tools=[WEATHER])
    assert response.message.content == (TextPart("Sure."), ToolCallPart("call_a", "get_weather", {"city": "Oslo"}))
    assert response.usage == usage
    assert response.id == "chatcmpl-42"
    assert response.model == "gpt-4o-mini-2024-07-18"
    assert response.finish_reason == "tool_calls"
    assert response.raw_finish_reason == "tool_calls"


async def test_forced_tool_call_finishing_with_stop_is_tool_calls(harness: Any) -> None:
    harness.server.script(Scenario(tool_calls=[ToolCallSpec("c", "get_weather", "{}")], finish="stop"))
    response = await harness.generate("x", tools=[WEATHER], tool_choice="get_weather")
    assert response.finish_reason == "tool_calls"
    assert response.raw_finish_reason == "stop"


async def test_refusal_is_content_filter(harness: Any) -> None:
    from lluminary_testing.server import Reply

    body = {
        "id": "chatcmpl-r",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": None, "refusal": "I can't help with that."},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
    }
    harness.server.script(Reply.json(body))
    response = await harness.generate("Something bad", response_format=ResponseFormat("json"))
    assert response.text == "I can't help with that."
    assert response.finish_reason == "content_filter"
    assert response.raw_finish_reason == "refusal"
    assert response.usage == Usage()
