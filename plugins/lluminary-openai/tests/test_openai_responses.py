"""The Responses API: routing, request bodies, reasoning carried across turns, answers and events."""

from __future__ import annotations

from typing import Any

import pytest

from lluminary.sdk import (
    APIConnectionError,
    ImagePart,
    InvalidRequestError,
    Message,
    RateLimitError,
    ReasoningConfig,
    ReasoningDelta,
    ReasoningPart,
    ResponseFormat,
    ServerError,
    TextPart,
    Tool,
    ToolCallPart,
    ToolChoice,
    UnsupportedError,
    Usage,
    build_chat_request,
)
from lluminary_testing import ErrorScenario, Scenario, ToolCallSpec
from lluminary_testing.server import Reply, sse

WEATHER = Tool("get_weather", "Weather.", {"type": "object", "properties": {"city": {"type": "string"}}})
REASONING = "openai:o4-mini"


@pytest.mark.parametrize(
    ("model", "options", "responses"),
    [
        ("openai:o4-mini", None, True),
        ("openai:o3", None, True),
        ("openai:gpt-5.4-mini", None, True),
        ("openai:gpt-5-chat-latest", None, False),
        ("openai:gpt-4o", None, False),
        ("openai:gpt-4o", {"openai": {"api": "responses"}}, True),
        ("openai:o4-mini", {"openai": {"api": "chat"}}, False),
    ],
)
def test_routing(provider: Any, model: str, options: Any, responses: bool) -> None:
    assert provider.uses_responses(build_chat_request(model, "hi", options=options)) is responses


async def test_body(harness: Any) -> None:
    harness.server.script(Scenario(text="ok"))
    await harness.generate(
        "Hello",
        model=REASONING,
        system="Be brief.",
        max_tokens=100,
        temperature=1.0,
        tools=[WEATHER],
        tool_choice=ToolChoice.tool("get_weather"),
        reasoning=ReasoningConfig(effort="high"),
        response_format=ResponseFormat("json_schema", {"type": "object"}, name="out"),
        options={"openai": {"prompt_cache_key": "k1"}},
    )
    assert harness.server.last_request.path == "/v1/responses"
    assert harness.body() == {
        "model": "o4-mini",
        "input": [{"role": "user", "content": [{"type": "input_text", "text": "Hello"}]}],
        "store": False,
        "include": ["reasoning.encrypted_content"],
        "instructions": "Be brief.",
        "max_output_tokens": 100,
        "temperature": 1.0,
        "tools": [
            {
                "type": "function",
                "name": "get_weather",
                "description": "Weather.",
                "parameters": WEATHER.parameters,
                "strict": False,
            }
        ],
        "tool_choice": {"type": "function", "name": "get_weather"},
        "text": {"format": {"type": "json_schema", "name": "out", "schema": {"type": "object"}, "strict": True}},
        "reasoning": {"summary": "auto", "effort": "high"},
        "prompt_cache_key": "k1",
    }


async def test_stop_sequences_are_refused_before_any_request(harness: Any) -> None:
    with pytest.raises(UnsupportedError, match="stop sequences"):
        await harness.generate("x", model=REASONING, stop=["END"])
    assert not harness.server.requests


async def test_history_items(harness: Any) -> None:
    harness.server.script(Scenario(text="ok"))
    png = b"png-bytes"
    history = [
        Message.user([TextPart("Look"), ImagePart(data=png, media_type="image/png")]),
        Message.assistant(
            [
                ReasoningPart("I should call", redacted="ENC1", provider="openai", id="rs_1"),
                ReasoningPart("anthropic thought", signature="sig", provider="anthropic"),
                TextPart("Calling."),
                ToolCallPart("call_1", "get_weather", {"city": "Oslo"}),
            ]
        ),
        Message.tool("call_1", "rain", is_error=False),
        Message.assistant("It rains."),
        Message.user("Thanks"),
    ]
    await harness.generate(None, model=REASONING, messages=history, tools=[WEATHER])
    items = harness.body()["input"]
    assert items == [
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "Look"},
                {"type": "input_image", "image_url": "data:image/png;base64,cG5nLWJ5dGVz", "detail": "auto"},
            ],
        },
        {
            "type": "reasoning",
            "id": "rs_1",
            "summary": [{"type": "summary_text", "text": "I should call"}],
            "encrypted_content": "ENC1",
        },
        {"role": "assistant", "content": "Calling."},
        {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": '{"city":"Oslo"}'},
        {"type": "function_call_output", "call_id": "call_1", "output": "rain"},
        {"role": "assistant", "content": "It rains."},
        {"role": "user", "content": [{"type": "input_text", "text": "Thanks"}]},
    ]


SCENARIO = Scenario(
    reasoning=["Need ", "weather"],
    signature="ENC-xyz",
    text=["Checking ", "now."],
    tool_calls=[ToolCallSpec("call_9", "get_weather", '{"city": "Rome"}', ('{"city": ', '"Rome"}'))],
    usage=Usage(input_tokens=50, output_tokens=30, cache_read_tokens=20, reasoning_tokens=12),
    id="resp_9",
    model="o4-mini-2025-04-16",
)


async def test_generate_parses_every_item(harness: Any) -> None:
    harness.server.script(SCENARIO)
    response = await harness.generate("Weather in Rome?", model=REASONING, tools=[WEATHER])
    assert response.message.content == (
        ReasoningPart("Need weather", None, "ENC-xyz", "openai", "rs_resp_9"),
        TextPart("Checking now."),
        ToolCallPart("call_9", "get_weather", {"city": "Rome"}),
    )
    assert response.usage == SCENARIO.usage
    assert response.finish_reason == "tool_calls"
    assert response.raw_finish_reason == "completed"
    assert response.id == "resp_9"
    assert response.model == "o4-mini-2025-04-16"


async def test_stream_matches_generate(harness: Any) -> None:
    harness.server.script(SCENARIO, SCENARIO)
    generated = await harness.generate("Weather in Rome?", model=REASONING, tools=[WEATHER])
    events, streamed = await harness.stream("Weather in Rome?", model=REASONING, tools=[WEATHER])
    assert streamed == generated
    reasoning = [e for e in events if isinstance(e, ReasoningDelta)]
    assert reasoning == [ReasoningDelta("Need weather", None, "ENC-xyz", "rs_resp_9")]


@pytest.mark.parametrize(("finish", "expected"), [("length", "length"), ("content_filter", "content_filter")])
async def test_incomplete(harness: Any, finish: Any, expected: str) -> None:
    harness.server.script(Scenario(text="cut", finish=finish), Scenario(text="cut", finish=finish))
    assert (await harness.generate("x", model=REASONING)).finish_reason == expected
    _, streamed = await harness.stream("x", model=REASONING)
    assert streamed.finish_reason == expected


def _events(*pairs: tuple[str, dict[str, Any]]) -> Reply:
    frames = sse((name, {"type": name, **data, "sequence_number": i}) for i, (name, data) in enumerate(pairs))
    return Reply(200, {"content-type": "text/event-stream", "x-request-id": "req_r"}, frames, stream=True)


async def test_refusal_and_unknown_events(harness: Any) -> None:
    completed = {"response": {"id": "r", "status": "completed", "model": "o4-mini", "output": [], "usage": None}}
    harness.server.script(
        _events(
            ("response.created", {"response": {"id": "r", "status": "in_progress"}}),
            ("response.something_new", {"payload": 1}),
            ("response.refusal.delta", {"item_id": "m", "output_index": 0, "content_index": 0, "delta": "Can't."}),
            ("response.completed", completed),
        )
    )
    _, response = await harness.stream("x", model=REASONING)
    assert response.text == "Can't."
    assert response.finish_reason == "content_filter"


async def test_failed_and_error_events(harness: Any) -> None:
    failed = {"response": {"id": "r", "status": "failed", "error": {"code": "server_error", "message": "it broke"}}}
    harness.server.script(_events(("response.failed", failed)))
    with pytest.raises(ServerError, match="it broke"):
        await harness.stream("x", model=REASONING)
    harness.server.script(_events(("error", {"code": "invalid_prompt", "message": "bad prompt", "param": None})))
    with pytest.raises(InvalidRequestError, match="bad prompt"):
        await harness.stream("x", model=REASONING)
    harness.server.script(ErrorScenario("rate_limit", message="slow", in_stream=True))
    with pytest.raises(RateLimitError):
        await harness.stream("x", model=REASONING)


async def test_failed_status_in_a_plain_answer(harness: Any) -> None:
    harness.server.script(
        Reply.json(
            {
                "id": "r",
                "object": "response",
                "status": "failed",
                "error": {"code": "server_error", "message": "nope"},
                "output": [],
            }
        )
    )
    with pytest.raises(ServerError, match="nope"):
        await harness.generate("x", model=REASONING)


async def test_stream_without_completed_is_truncated(harness: Any) -> None:
    harness.server.script(
        _events(("response.output_text.delta", {"item_id": "m", "output_index": 0, "content_index": 0, "delta": "a"}))
    )
    with pytest.raises(APIConnectionError):
        await harness.stream("x", model=REASONING)


async def test_function_call_done_without_deltas(harness: Any) -> None:
    item = {
        "id": "fc_1",
        "type": "function_call",
        "call_id": "call_1",
        "name": "f",
        "arguments": '{"a": 1}',
        "status": "completed",
    }
    completed = {"response": {"id": "r", "status": "completed", "model": "m", "output": [item], "usage": None}}
    harness.server.script(
        _events(("response.output_item.done", {"output_index": 0, "item": item}), ("response.completed", completed))
    )
    _, response = await harness.stream("x", model=REASONING)
    assert response.tool_calls == (ToolCallPart("call_1", "f", {"a": 1}),)
    assert response.finish_reason == "tool_calls"
