"""The exact /v2/chat request body for every feature, and the headers a call carries."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from lluminary._requests import build_chat_request
from lluminary._types import (
    ImagePart,
    Message,
    ReasoningConfig,
    ReasoningPart,
    ResponseFormat,
    TextDelta,
    TextPart,
    Tool,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
)
from lluminary_cohere.request import chat_body, request_text, tool_result_content
from lluminary_testing import Scenario

MODEL = "cohere:command-a-03-2025"
WEATHER = Tool("get_weather", "Weather for a city.", {"type": "object", "properties": {"city": {"type": "string"}}})
CLOCK = Tool("get_time")


def body(prompt: str | None = "Hi", **kwargs: Any) -> dict[str, Any]:
    return chat_body(build_chat_request(MODEL, prompt, **kwargs), stream=False)


def test_minimal_body() -> None:
    assert body() == {"model": "command-a-03-2025", "messages": [{"role": "user", "content": "Hi"}], "stream": False}
    request = build_chat_request(MODEL, "Hi")
    assert chat_body(request, stream=True)["stream"] is True


def test_system_prompt_is_the_first_message() -> None:
    assert body(system="Be brief.")["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
    ]


def test_sampling_and_limits() -> None:
    sent = body(max_tokens=64, temperature=0.2, top_p=0.9, stop=["END", "STOP"], seed=7)
    assert sent["max_tokens"] == 64
    assert sent["temperature"] == 0.2
    assert sent["p"] == 0.9
    assert sent["stop_sequences"] == ["END", "STOP"]
    assert sent["seed"] == 7
    assert "top_p" not in sent
    assert "stop" not in sent


def test_images_by_url_and_bytes() -> None:
    png = b"\x89PNG\r\n\x1a\nfake"
    message = Message.user(
        [TextPart("What?"), ImagePart(url="https://x.test/a.png"), ImagePart(data=png, media_type="image/png")]
    )
    assert body(None, messages=[message])["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What?"},
                {"type": "image_url", "image_url": {"url": "https://x.test/a.png"}},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64," + base64.b64encode(png).decode()}},
            ],
        }
    ]


def test_several_text_parts_join_into_one_string() -> None:
    message = Message.user([TextPart("a "), TextPart("b")])
    assert body(None, messages=[message])["messages"] == [{"role": "user", "content": "a b"}]


def test_tools_and_strictness() -> None:
    strict = Tool("get_weather", "Weather.", {"type": "object", "properties": {}}, strict=True)
    sent = body(tools=[WEATHER, CLOCK])
    assert sent["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather for a city.",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            },
        },
        {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}}},
    ]
    assert "strict_tools" not in sent
    assert "tool_choice" not in sent
    assert body(tools=[strict, CLOCK])["strict_tools"] is True


@pytest.mark.parametrize(
    ("choice", "expected_choice", "expected_tools"),
    [
        ("auto", None, ["get_weather", "get_time"]),
        ("none", "NONE", ["get_weather", "get_time"]),
        ("required", "REQUIRED", ["get_weather", "get_time"]),
        (ToolChoice.tool("get_time"), "REQUIRED", ["get_time"]),
    ],
)
def test_tool_choice(choice: Any, expected_choice: str | None, expected_tools: list[str]) -> None:
    sent = body(tools=[WEATHER, CLOCK], tool_choice=choice)
    assert sent.get("tool_choice") == expected_choice
    assert [t["function"]["name"] for t in sent["tools"]] == expected_tools


def test_response_format() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    assert body(response_format="json")["response_format"] == {"type": "json_object"}
    assert body(response_format=ResponseFormat("json_schema", schema))["response_format"] == {
        "type": "json_object",
        "json_schema": schema,
    }


def test_reasoning_becomes_thinking() -> None:
    assert body(reasoning="high")["thinking"] == {"type": "enabled"}
    assert body(reasoning=ReasoningConfig(budget_tokens=2048))["thinking"] == {"type": "enabled", "token_budget": 2048}
    assert "thinking" not in body()


def test_provider_options_pass_through_and_win() -> None:
    sent = body(
        options={
            "cohere": {"safety_mode": "OFF", "documents": [{"data": {"text": "x"}}], "thinking": {"type": "disabled"}},
            "openai": {"logprobs": True},
        },
        reasoning="high",
    )
    assert sent["safety_mode"] == "OFF"
    assert sent["documents"] == [{"data": {"text": "x"}}]
    assert sent["thinking"] == {"type": "disabled"}
    assert "logprobs" not in sent
    # ... but never the stream switch
    assert (
        chat_body(build_chat_request(MODEL, "Hi", options={"cohere": {"stream": True}}), stream=False)["stream"]
        is False
    )


def test_tool_loop_history() -> None:
    call = ToolCallPart("call_1", "get_weather", {"city": "Zürich"})
    messages = [
        Message.user("Weather?"),
        Message.assistant([ReasoningPart("I will look it up.", provider="cohere"), call]),
        Message.tool("call_1", '{"temp": 18, "sky": "clear"}'),
        Message.assistant("It is 18C."),
        Message.user("Thanks"),
    ]
    assert body(None, messages=messages, tools=[WEATHER])["messages"] == [
        {"role": "user", "content": "Weather?"},
        {
            "role": "assistant",
            "tool_plan": "I will look it up.",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Zürich"}'},
                }
            ],
        },
        {
            "role": "tool",
            "tool_call_id": "call_1",
            "content": [{"type": "document", "document": {"data": {"temp": 18, "sky": "clear"}}}],
        },
        {"role": "assistant", "content": "It is 18C."},
        {"role": "user", "content": "Thanks"},
    ]


def test_assistant_text_with_tool_calls_and_foreign_reasoning() -> None:
    call = ToolCallPart("c1", "get_time", {})
    messages = [
        Message.user("Time?"),
        Message.assistant(
            [ReasoningPart("anthropic thoughts", signature="sig", provider="anthropic"), TextPart("Checking."), call]
        ),
        Message.tool("c1", "12:00"),
    ]
    sent = body(None, messages=messages, tools=[CLOCK])["messages"]
    assert sent[1] == {
        "role": "assistant",
        "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}],
        "content": "Checking.",
    }
    assert sent[2] == {"role": "tool", "tool_call_id": "c1", "content": "12:00"}


def test_reasoning_of_a_plain_answer_is_not_sent_back() -> None:
    messages = [
        Message.user("Q"),
        Message.assistant([ReasoningPart("thinking", provider="cohere"), TextPart("A")]),
        Message.user("Q2"),
    ]
    assert body(None, messages=messages)["messages"][1] == {"role": "assistant", "content": "A"}


@pytest.mark.parametrize(
    ("content", "is_error", "expected"),
    [
        ("plain text", False, "plain text"),
        ('{"a": 1}', False, [{"type": "document", "document": {"data": {"a": 1}}}]),
        (
            '[{"a": 1}, {"b": 2}]',
            False,
            [
                {"type": "document", "document": {"data": {"a": 1}}},
                {"type": "document", "document": {"data": {"b": 2}}},
            ],
        ),
        ("[1, 2]", False, "[1, 2]"),
        ("[]", False, "[]"),
        ("42", False, "42"),
        ("{not json", False, "{not json"),
        ('{"error": "boom"}', True, '{"error": "boom"}'),
    ],
)
def test_tool_result_content(content: str, is_error: bool, expected: Any) -> None:
    assert tool_result_content(ToolResultPart("c", content, is_error)) == expected


def test_tool_results_inside_a_user_message_come_first() -> None:
    call = ToolCallPart("c1", "get_time", {})
    messages = [
        Message.user("Time?"),
        Message.assistant(call),
        Message.user([TextPart("and now?"), ToolResultPart("c1", "12:00")]),
    ]
    sent = body(None, messages=messages, tools=[CLOCK])["messages"]
    assert sent[2:] == [
        {"role": "tool", "tool_call_id": "c1", "content": "12:00"},
        {"role": "user", "content": "and now?"},
    ]


def test_request_text_for_token_counting() -> None:
    call = ToolCallPart("c1", "get_weather", {"city": "Oslo"})
    request = build_chat_request(
        MODEL,
        None,
        system="Sys",
        messages=[
            Message.user([TextPart("Hi"), ImagePart(url="https://x/y.png")]),
            Message.assistant(call),
            Message.tool("c1", "cold"),
        ],
    )
    assert request_text(request) == 'Sys\nHi\nget_weather {"city": "Oslo"}\ncold'


# --------------------------------------------------------------------------- on the wire


@pytest.mark.asyncio
async def test_headers_and_path(fake_cohere: Any, provider: Any, chat: Any) -> None:
    fake_cohere.script(Scenario(text="ok"))
    await provider.generate(chat())
    sent = fake_cohere.last_request
    assert sent.method == "POST"
    assert sent.path == "/v2/chat"
    assert sent.headers["authorization"] == "Bearer co-test-key-0123456789abcdef"
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["accept"] == "application/json"
    assert sent.headers["x-client-name"] == "lluminary"
    assert json.loads(sent.body)["stream"] is False


@pytest.mark.asyncio
async def test_stream_accepts_what_the_cohere_sdk_accepts(fake_cohere: Any, provider: Any, chat: Any) -> None:
    """Cohere's Python SDK sets no Accept on a streamed chat (httpx sends ``*/*``); its OpenAPI
    document lists only application/json for /v2/chat, so the fake (checking Accept as that
    document says) refuses ``text/event-stream`` alone with a 406, as a spec validator does."""
    fake_cohere.script(Scenario(text="ok"))
    events = [event async for event in provider.stream(chat())]
    assert fake_cohere.last_request.headers["accept"] == "*/*"
    assert fake_cohere.last_request.json()["stream"] is True
    assert sum(isinstance(e, TextDelta) for e in events) == 1
