"""The exact wire request for every feature: body, path and headers."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from lluminary._errors import RequestValidationError
from lluminary._types import (
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
)
from lluminary_testing import Scenario, ToolCallSpec

WEATHER = Tool(
    "get_weather",
    "Current weather for a city.",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
CLOCK = Tool("get_time")
WEATHER_WIRE = {
    "name": "get_weather",
    "description": "Current weather for a city.",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
CLOCK_WIRE = {"name": "get_time", "input_schema": {"type": "object", "properties": {}}}


async def test_plain_call(harness: Any) -> None:
    harness.server.script(Scenario(text="Hi!"))
    response = await harness.generate("Hello")
    assert response.text == "Hi!"
    request = harness.server.last_request
    assert request.method == "POST"
    assert request.path == "/v1/messages"
    assert request.headers["x-api-key"] == harness.key
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert request.headers["content-type"] == "application/json"
    assert "anthropic-beta" not in request.headers
    assert "authorization" not in request.headers
    # max_tokens is required: the model's maximum output from the catalogue
    assert harness.body() == {
        "model": "claude-sonnet-5-5",
        "max_tokens": 128000,
        "messages": [{"role": "user", "content": "Hello"}],
    }


async def test_generation_settings(harness: Any) -> None:
    harness.server.script(Scenario(text="ok"))
    await harness.generate(
        "Hello", system="Be brief.", temperature=0.2, top_p=0.9, max_tokens=50, stop=["END", "\n\n"], seed=7
    )
    assert harness.body() == {
        "model": "claude-sonnet-5-5",
        "max_tokens": 50,
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "Hello"}],
        "temperature": 0.2,
        "top_p": 0.9,
        "stop_sequences": ["END", "\n\n"],
    }  # no seed: Anthropic has none


async def test_stream_asks_for_a_stream(harness: Any) -> None:
    harness.server.script(Scenario(text="ok"))
    await harness.events("Hello", max_tokens=10)
    assert harness.body() == {
        "model": "claude-sonnet-5-5",
        "max_tokens": 10,
        "messages": [{"role": "user", "content": "Hello"}],
        "stream": True,
    }


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("anthropic:claude-haiku-4-5", 64000),
        ("anthropic:claude-haiku-4-5-20251001", 64000),  # a dated snapshot
        ("anthropic:claude-opus-5-5", 128000),
        ("anthropic:claude-future-9", 4096),  # unknown: a safe default
    ],
)
async def test_default_max_tokens(harness: Any, model: str, expected: int) -> None:
    harness.server.script(Scenario(text="ok"))
    await harness.generate("Hi", model=model)
    assert harness.body()["max_tokens"] == expected


async def test_history_merges_turns_and_skips_empty_text(harness: Any) -> None:
    harness.server.script(Scenario(text="ok"))
    messages = [
        Message.user("one"),
        Message.user([TextPart("two"), TextPart("")]),
        Message.assistant("three"),
        Message.user("four"),
    ]
    await harness.generate(None, messages=messages)
    assert harness.body()["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}]},
        {"role": "assistant", "content": "three"},
        {"role": "user", "content": "four"},
    ]


async def test_tools_and_every_tool_choice(harness: Any) -> None:
    strict = Tool("lookup", "Look up.", {"type": "object", "properties": {}}, strict=True)
    expectations = {
        "auto": {"type": "auto"},
        "none": {"type": "none"},
        "required": {"type": "any"},
        "tool": {"type": "tool", "name": "get_weather"},
    }
    for mode, wire in expectations.items():
        harness.server.script(Scenario(text="ok"))
        choice = ToolChoice.tool("get_weather") if mode == "tool" else ToolChoice(mode)  # type: ignore[arg-type]
        await harness.generate("Weather?", tools=[WEATHER, CLOCK, strict], tool_choice=choice)
        body = harness.body()
        assert body["tools"] == [
            WEATHER_WIRE,
            CLOCK_WIRE,
            {
                "name": "lookup",
                "description": "Look up.",
                "input_schema": {"type": "object", "properties": {}},
                "strict": True,
            },
        ]
        assert body["tool_choice"] == wire, mode


async def test_no_tool_choice_without_tools_and_serial_tool_use(harness: Any) -> None:
    harness.server.script(Scenario(text="ok"), Scenario(text="ok"), Scenario(text="ok"))
    await harness.generate("Hi", tools=[WEATHER])
    assert "tool_choice" not in harness.body()
    await harness.generate("Hi", tools=[WEATHER], options={"anthropic": {"disable_parallel_tool_use": True}})
    assert harness.body()["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}
    await harness.generate(
        "Hi", tools=[WEATHER], tool_choice="required", options={"anthropic": {"disable_parallel_tool_use": True}}
    )
    assert harness.body()["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}


async def test_tool_results_become_one_user_turn_results_first(harness: Any) -> None:
    harness.server.script(Scenario(text="Paris is sunny."))
    messages = [
        Message.user("Weather in Paris and Rome?"),
        Message.assistant(
            [
                TextPart("Checking."),
                ToolCallPart("toolu_1", "get_weather", {"city": "Paris"}),
                ToolCallPart("toolu_2", "get_weather", {"city": "Rome"}),
            ]
        ),
        Message.tool("toolu_1", "18C"),
        Message.tool("toolu_2", "service down", is_error=True),
        Message.user("Also, be brief."),
    ]
    response = await harness.generate(None, messages=messages, tools=[WEATHER])
    assert response.text == "Paris is sunny."
    assert harness.body()["messages"] == [
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
                {"type": "tool_use", "id": "toolu_2", "name": "get_weather", "input": {"city": "Rome"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "18C"},
                {"type": "tool_result", "tool_use_id": "toolu_2", "content": "service down", "is_error": True},
                {"type": "text", "text": "Also, be brief."},
            ],
        },
    ]


async def test_tool_results_come_first_even_after_user_text(harness: Any) -> None:
    # The API rejects a user turn whose tool results follow other content; the fake server does too.
    harness.server.script(Scenario(text="ok"))
    messages = [
        Message.user("Weather?"),
        Message.assistant(ToolCallPart("toolu_1", "get_weather", {"city": "Oslo"})),
        Message.user([TextPart("Here you go:"), ToolResultPart("toolu_1", "cold")]),
    ]
    await harness.generate(None, messages=messages, tools=[WEATHER])
    assert harness.body()["messages"][2]["content"] == [
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "cold"},
        {"type": "text", "text": "Here you go:"},
    ]


async def test_images(harness: Any) -> None:
    png = b"\x89PNG\r\n\x1a\n-not-really"
    harness.server.script(Scenario(text="Two images."))
    message = Message.user(
        [
            TextPart("Compare"),
            ImagePart(url="https://example.com/a.png"),
            ImagePart(data=png, media_type="image/png"),
            ImagePart(url="data:image/jpeg;base64,/9j/4AAQ"),
        ]
    )
    await harness.generate(None, messages=[message])
    assert harness.body()["messages"][0]["content"] == [
        {"type": "text", "text": "Compare"},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}},
        {
            "type": "image",
            "source": {"type": "base64", "media_type": "image/png", "data": base64.b64encode(png).decode()},
        },
        {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQ"}},
    ]


@pytest.mark.parametrize(
    ("model", "reasoning", "max_tokens", "thinking", "output_config"),
    [
        # a budget, on a model that takes budgets
        (
            "claude-sonnet-4-5",
            ReasoningConfig(budget_tokens=2048),
            8000,
            {"type": "enabled", "budget_tokens": 2048},
            None,
        ),
        # an effort, on a model that only takes budgets: a budget from the effort
        ("claude-haiku-4-5", ReasoningConfig(effort="high"), 64000, {"type": "enabled", "budget_tokens": 24576}, None),
        # ... that leaves room for the answer when max_tokens is small
        ("claude-haiku-4-5", ReasoningConfig(effort="high"), 6000, {"type": "enabled", "budget_tokens": 3000}, None),
        # an adaptive model: adaptive thinking and the effort (minimal is Anthropic's low)
        ("claude-sonnet-5-5", ReasoningConfig(effort="minimal"), 8000, {"type": "adaptive"}, {"effort": "low"}),
        # a budget on a model that rejects budgets: adaptive
        (
            "claude-opus-4-7",
            ReasoningConfig(effort="high", budget_tokens=4096),
            8000,
            {"type": "adaptive"},
            {"effort": "high"},
        ),
        # both kinds accepted: the explicit budget wins
        (
            "claude-sonnet-4-6",
            ReasoningConfig(effort="low", budget_tokens=4096),
            8000,
            {"type": "enabled", "budget_tokens": 4096},
            None,
        ),
        # unknown models: a budget as a budget, an effort as adaptive
        ("claude-next", ReasoningConfig(budget_tokens=1500), 8000, {"type": "enabled", "budget_tokens": 1500}, None),
        ("claude-next", ReasoningConfig(effort="medium"), 8000, {"type": "adaptive"}, {"effort": "medium"}),
    ],
)
async def test_reasoning_becomes_thinking(
    harness: Any,
    model: str,
    reasoning: ReasoningConfig,
    max_tokens: int,
    thinking: dict[str, Any],
    output_config: dict[str, Any] | None,
) -> None:
    harness.server.script(Scenario(text="ok"))
    await harness.generate("Think.", model=f"anthropic:{model}", reasoning=reasoning, max_tokens=max_tokens)
    body = harness.body()
    assert body["thinking"] == thinking
    assert body.get("output_config") == output_config


async def test_thinking_option_overrides(harness: Any) -> None:
    harness.server.script(Scenario(text="ok"))
    raw = {"type": "enabled", "budget_tokens": 5000, "display": "omitted"}
    await harness.generate("Think.", reasoning="high", max_tokens=9000, options={"anthropic": {"thinking": raw}})
    body = harness.body()
    assert body["thinking"] == raw
    assert "output_config" not in body


async def test_reasoning_carried_back_only_when_signed_and_ours(harness: Any) -> None:
    harness.server.script(Scenario(text="ok"))
    assistant = Message.assistant(
        [
            ReasoningPart("Let me think.", signature="sig-1", provider="anthropic"),
            ReasoningPart("", redacted="ENCRYPTED", provider="anthropic"),
            ReasoningPart("foreign", signature="other-sig", provider="bedrock"),
            ReasoningPart("unsigned", provider="anthropic"),
            TextPart("Answer."),
        ]
    )
    await harness.generate(None, messages=[Message.user("Q"), assistant, Message.user("More")])
    assert harness.body()["messages"][1] == {
        "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": "Let me think.", "signature": "sig-1"},
            {"type": "redacted_thinking", "data": "ENCRYPTED"},
            {"type": "text", "text": "Answer."},
        ],
    }


async def test_thinking_tool_loop_round_trip(harness: Any) -> None:
    """The thinking block goes back first, before the tool call, as the API requires with a budget."""
    first = Scenario(
        reasoning=["I need ", "the weather."],
        signature="EqQBCgIYAh==",
        tool_calls=[ToolCallSpec("toolu_9", "get_weather", '{"city": "Paris"}')],
    )
    harness.server.script(first, Scenario(text="Sunny."))
    kwargs: dict[str, Any] = {
        "model": "anthropic:claude-sonnet-4-5",
        "tools": [WEATHER],
        "reasoning": ReasoningConfig(budget_tokens=2048),
        "max_tokens": 4096,
    }
    turn = await harness.generate("Weather in Paris?", **kwargs)
    history = [Message.user("Weather in Paris?"), turn.message, Message.tool("toolu_9", "18C")]
    second = await harness.generate(None, messages=history, **kwargs)
    assert second.text == "Sunny."
    assert harness.body()["messages"][1]["content"] == [
        {"type": "thinking", "thinking": "I need the weather.", "signature": "EqQBCgIYAh=="},
        {"type": "tool_use", "id": "toolu_9", "name": "get_weather", "input": {"city": "Paris"}},
    ]


async def test_structured_output_native(harness: Any) -> None:
    schema = {
        "type": "object",
        "properties": {"n": {"type": "integer"}},
        "required": ["n"],
        "additionalProperties": False,
    }
    harness.server.script(Scenario(text='{"n": 3}'))
    response = await harness.generate("Three?", response_format=ResponseFormat("json_schema", schema, name="number"))
    assert response.text == '{"n": 3}'
    body = harness.body()
    assert body["output_config"] == {"format": {"type": "json_schema", "schema": schema}}
    assert "tools" not in body


async def test_structured_output_effort_and_format_share_output_config(harness: Any) -> None:
    schema = {"type": "object", "properties": {}, "additionalProperties": False}
    harness.server.script(Scenario(text="{}"))
    await harness.generate("x", response_format=schema, reasoning="low")
    assert harness.body()["output_config"] == {
        "format": {"type": "json_schema", "schema": schema},
        "effort": "low",
    }


@pytest.mark.parametrize("streamed", [False, True])
async def test_json_mode_uses_a_forced_tool_and_answers_as_text(harness: Any, streamed: bool) -> None:
    spec = ToolCallSpec("toolu_j", "response", '{"answer": 42}', ('{"ans', 'wer": 42}'))
    harness.server.script(Scenario(tool_calls=[spec]))
    kwargs: dict[str, Any] = {"response_format": "json", "tools": [WEATHER]}
    response = (
        (await harness.stream("Answer?", **kwargs))[1] if streamed else await harness.generate("Answer?", **kwargs)
    )
    assert response.text.replace(" ", "") == '{"answer":42}'
    assert response.tool_calls == ()
    assert response.finish_reason == "stop"
    assert response.raw_finish_reason == "tool_use"
    body = harness.body()
    assert body["tools"][-1] == {
        "name": "response",
        "description": "Give your final answer by calling this tool; its input is the answer.",
        "input_schema": {"type": "object"},
    }
    assert body["tool_choice"] == {"type": "tool", "name": "response"}


async def test_structured_output_tool_mode_by_option(harness: Any) -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    harness.server.script(Scenario(tool_calls=[ToolCallSpec("toolu_k", "answer", '{"a": "b"}')]))
    response = await harness.generate(
        "x",
        response_format=ResponseFormat("json_schema", schema, name="answer"),
        options={"anthropic": {"structured_output": "tool"}},
    )
    assert response.text == '{"a": "b"}'
    assert harness.body()["tools"] == [
        {
            "name": "answer",
            "description": "Give your final answer by calling this tool; its input is the answer.",
            "input_schema": schema,
        }
    ]


async def test_structured_output_rejects_a_clashing_tool_name(harness: Any) -> None:
    with pytest.raises(RequestValidationError):
        await harness.generate("x", tools=[Tool("response")], response_format="json")
    assert not harness.server.requests


async def test_options_pass_through_and_headers(harness: Any) -> None:
    harness.server.script(Scenario(text="ok"))
    options = {
        "anthropic": {
            "top_k": 5,
            "metadata": {"user_id": "u-1"},
            "service_tier": "auto",
            "beta": ["context-1m-2025-08-07", "interleaved-thinking-2025-05-14"],
            "headers": {"X-Trace": "abc"},
        },
        "openai": {"logprobs": True},
    }
    await harness.generate("Hi", max_tokens=5, options=options)
    assert harness.body() == {
        "model": "claude-sonnet-5-5",
        "max_tokens": 5,
        "messages": [{"role": "user", "content": "Hi"}],
        "top_k": 5,
        "metadata": {"user_id": "u-1"},
        "service_tier": "auto",
    }
    headers = harness.headers()
    assert headers["anthropic-beta"] == "context-1m-2025-08-07,interleaved-thinking-2025-05-14"
    assert headers["x-trace"] == "abc"


@pytest.mark.parametrize(
    ("cache", "ttl", "check"),
    [
        (True, None, "auto"),
        ("auto", "1h", "auto"),
        ("system", None, "system"),
        ("tools", None, "tools"),
        ("messages", "5m", "messages"),
        (["tools", "system", "messages"], "1h", "all"),
    ],
)
async def test_prompt_caching_breakpoints(harness: Any, cache: Any, ttl: str | None, check: str) -> None:
    harness.server.script(Scenario(text="ok"))
    options: dict[str, Any] = {"cache": cache}
    if ttl is not None:
        options["cache_ttl"] = ttl
    await harness.generate(
        None,
        system="You are a careful analyst.",
        messages=[Message.user("Report"), Message.assistant("Read it."), Message.user("Summarise")],
        tools=[WEATHER],
        max_tokens=10,
        options={"anthropic": options},
    )
    body = harness.body()
    mark = {"type": "ephemeral", "ttl": "1h"} if ttl == "1h" else {"type": "ephemeral"}
    cached_system = [{"type": "text", "text": "You are a careful analyst.", "cache_control": mark}]
    cached_tools = [{**WEATHER_WIRE, "cache_control": mark}]
    cached_last = {"role": "user", "content": [{"type": "text", "text": "Summarise", "cache_control": mark}]}
    plain_last = {"role": "user", "content": "Summarise"}
    if check == "auto":
        assert body["cache_control"] == mark
        assert body["system"] == "You are a careful analyst."
        assert body["tools"] == [WEATHER_WIRE]
        assert body["messages"][-1] == plain_last
    elif check == "system":
        assert body["system"] == cached_system
        assert body["tools"] == [WEATHER_WIRE]
        assert "cache_control" not in body
    elif check == "tools":
        assert body["tools"] == cached_tools
        assert body["system"] == "You are a careful analyst."
    elif check == "messages":
        assert body["messages"][-1] == cached_last
        assert body["messages"][0] == {"role": "user", "content": "Report"}
    else:
        assert (body["system"], body["tools"], body["messages"][-1]) == (cached_system, cached_tools, cached_last)
        assert "cache_control" not in body


@pytest.mark.parametrize("options", [{"cache": "everything"}, {"cache": 3}, {"cache": True, "cache_ttl": "2h"}])
async def test_bad_cache_options_fail_before_any_request(harness: Any, options: dict[str, Any]) -> None:
    with pytest.raises(RequestValidationError):
        await harness.generate("Hi", options={"anthropic": options})
    assert not harness.server.requests


async def test_cache_skips_thinking_blocks_in_the_last_turn(harness: Any) -> None:
    harness.server.script(Scenario(text="ok"))
    last = Message.assistant([TextPart("Partial"), ReasoningPart("x", signature="s", provider="anthropic")])
    await harness.generate(None, messages=[Message.user("Q"), last], options={"anthropic": {"cache": "messages"}})
    assert harness.body()["messages"][-1]["content"] == [
        {"type": "text", "text": "Partial", "cache_control": {"type": "ephemeral"}},
        {"type": "thinking", "thinking": "x", "signature": "s"},
    ]
