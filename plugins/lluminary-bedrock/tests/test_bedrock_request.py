"""The exact Converse request body for every feature, as the fake server received it."""

from __future__ import annotations

import base64
import json
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
)
from lluminary_bedrock.convert import converse_body
from lluminary_testing import Scenario, ToolCallSpec

WEATHER = Tool(
    "get_weather",
    "Current weather for a city.",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


async def test_plain_request_body(bedrock: Any, provider: Any, chat: Any) -> None:
    await provider.generate(chat("Hello"))
    request = bedrock.last_request
    assert request.method == "POST"
    assert request.path == "/model/anthropic.claude-haiku-4-5-20251001-v1%3A0/converse"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["accept"] == "application/json"
    assert request.json() == {"messages": [{"role": "user", "content": [{"text": "Hello"}]}]}


async def test_stream_goes_to_converse_stream(bedrock: Any, provider: Any, chat: Any) -> None:
    events = [e async for e in provider.stream(chat("Hello"))]
    assert events
    request = bedrock.last_request
    assert request.path.endswith("/converse-stream")
    assert request.headers["accept"] == "application/vnd.amazon.eventstream"
    assert "stream" not in request.json()


async def test_system_inference_config_and_stop(bedrock: Any, provider: Any, chat: Any) -> None:
    await provider.generate(chat("Hi", system="Be brief.", max_tokens=50, temperature=0.2, top_p=0.9, stop=("END",)))
    body = bedrock.last_request.json()
    assert body["system"] == [{"text": "Be brief."}]
    assert body["inferenceConfig"] == {"maxTokens": 50, "temperature": 0.2, "topP": 0.9, "stopSequences": ["END"]}


async def test_multi_turn_tool_loop_body(bedrock: Any, provider: Any, chat: Any) -> None:
    history = (
        Message.user("Weather in Paris and Rome?"),
        Message.assistant(
            (
                TextPart("Let me check."),
                ToolCallPart("tooluse_1", "get_weather", {"city": "Paris"}),
                ToolCallPart("tooluse_2", "get_weather", {"city": "Rome"}),
            )
        ),
        Message.tool("tooluse_1", '{"temp": 21}'),
        Message.tool("tooluse_2", "boom: service down", is_error=True),
        Message.user("Thanks, and?"),
    )
    await provider.generate(chat(messages=history, tools=(WEATHER,), tool_choice=ToolChoice("auto")))
    body = bedrock.last_request.json()
    assert body["messages"] == [
        {"role": "user", "content": [{"text": "Weather in Paris and Rome?"}]},
        {
            "role": "assistant",
            "content": [
                {"text": "Let me check."},
                {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather", "input": {"city": "Paris"}}},
                {"toolUse": {"toolUseId": "tooluse_2", "name": "get_weather", "input": {"city": "Rome"}}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"toolResult": {"toolUseId": "tooluse_1", "content": [{"json": {"temp": 21}}], "status": "success"}},
                {
                    "toolResult": {
                        "toolUseId": "tooluse_2",
                        "content": [{"text": "boom: service down"}],
                        "status": "error",
                    }
                },
                {"text": "Thanks, and?"},
            ],
        },
    ]
    assert body["toolConfig"] == {
        "tools": [
            {
                "toolSpec": {
                    "name": "get_weather",
                    "description": "Current weather for a city.",
                    "inputSchema": {"json": dict(WEATHER.parameters)},
                }
            }
        ],
        "toolChoice": {"auto": {}},
    }


@pytest.mark.parametrize(
    ("choice", "wire"),
    [
        (ToolChoice("auto"), {"auto": {}}),
        (ToolChoice("required"), {"any": {}}),
        (ToolChoice.tool("get_weather"), {"tool": {"name": "get_weather"}}),
        (None, None),
    ],
)
async def test_tool_choice(bedrock: Any, provider: Any, chat: Any, choice: Any, wire: Any) -> None:
    await provider.generate(chat("Hi", tools=(WEATHER,), tool_choice=choice))
    config = bedrock.last_request.json()["toolConfig"]
    assert config.get("toolChoice") == wire


async def test_tool_choice_none_drops_the_tools(bedrock: Any, provider: Any, chat: Any) -> None:
    await provider.generate(chat("Hi", tools=(WEATHER,), tool_choice=ToolChoice("none")))
    assert "toolConfig" not in bedrock.last_request.json()


async def test_tool_choice_none_keeps_tools_the_history_needs(bedrock: Any, provider: Any, chat: Any) -> None:
    history = (
        Message.user("Weather?"),
        Message.assistant(ToolCallPart("t1", "get_weather", {"city": "Oslo"})),
        Message.tool("t1", "cold"),
    )
    await provider.generate(chat(messages=history, tools=(WEATHER,), tool_choice=ToolChoice("none")))
    config = bedrock.last_request.json()["toolConfig"]
    assert [t["toolSpec"]["name"] for t in config["tools"]] == ["get_weather"]
    assert "toolChoice" not in config  # Converse has no "none": unforced is the closest


async def test_strict_tool_and_no_description(bedrock: Any, provider: Any, chat: Any) -> None:
    tool = Tool("ping", parameters={"type": "object", "properties": {}}, strict=True)
    await provider.generate(chat("Hi", tools=(tool,)))
    spec = bedrock.last_request.json()["toolConfig"]["tools"][0]["toolSpec"]
    assert spec == {"name": "ping", "inputSchema": {"json": {"type": "object", "properties": {}}}, "strict": True}


async def test_tool_result_status_left_out_for_models_that_reject_it(bedrock: Any, provider: Any, chat: Any) -> None:
    history = (
        Message.user("Weather?"),
        Message.assistant(ToolCallPart("t1", "get_weather", {"city": "Oslo"})),
        Message.tool("t1", "cold", is_error=True),
    )
    await provider.generate(chat(messages=history, tools=(WEATHER,), model="bedrock:us.amazon.nova-pro-v1:0"))
    result = bedrock.last_request.json()["messages"][2]["content"][0]["toolResult"]
    assert result == {"toolUseId": "t1", "content": [{"text": "cold"}]}
    await provider.generate(
        chat(
            messages=history,
            tools=(WEATHER,),
            model="bedrock:us.amazon.nova-pro-v1:0",
            options={"bedrock": {"tool_result_status": True}},
        )
    )
    assert bedrock.last_request.json()["messages"][2]["content"][0]["toolResult"]["status"] == "error"


async def test_images_as_bytes_data_urls_and_s3(bedrock: Any, provider: Any, chat: Any) -> None:
    encoded = base64.b64encode(PNG).decode()
    parts = (
        TextPart("What is this?"),
        ImagePart(data=PNG, media_type="image/png"),
        ImagePart(url=f"data:image/jpeg;base64,{encoded}"),
        ImagePart(url="s3://bucket/photos/cat.webp"),
    )
    await provider.generate(chat(messages=(Message.user(parts),)))
    content = bedrock.last_request.json()["messages"][0]["content"]
    assert content == [
        {"text": "What is this?"},
        {"image": {"format": "png", "source": {"bytes": encoded}}},
        {"image": {"format": "jpeg", "source": {"bytes": encoded}}},
        {"image": {"format": "webp", "source": {"s3Location": {"uri": "s3://bucket/photos/cat.webp"}}}},
    ]


async def test_http_image_urls_are_rejected_before_any_io(bedrock: Any, provider: Any, chat: Any) -> None:
    with pytest.raises(RequestValidationError, match="s3://"):
        await provider.generate(chat(messages=(Message.user(ImagePart(url="https://example.com/a.png")),)))
    with pytest.raises(RequestValidationError, match="png, jpeg, gif or webp"):
        await provider.generate(chat(messages=(Message.user(ImagePart(data=b"x", media_type="image/bmp")),)))
    assert bedrock.requests == []


async def test_reasoning_is_carried_back_only_when_signed_and_ours(bedrock: Any, provider: Any, chat: Any) -> None:
    history = (
        Message.user("Think."),
        Message.assistant(
            (
                ReasoningPart("step one", signature="sig-1", provider="bedrock"),
                ReasoningPart(redacted="ZW5jcnlwdGVk", provider="bedrock"),
                ReasoningPart("unsigned musing", provider="bedrock"),
                ReasoningPart("from elsewhere", signature="other", provider="anthropic"),
                TextPart("Done."),
            )
        ),
        Message.user("Again."),
    )
    await provider.generate(chat(messages=history))
    assistant = bedrock.last_request.json()["messages"][1]["content"]
    assert assistant == [
        {"reasoningContent": {"reasoningText": {"text": "step one", "signature": "sig-1"}}},
        {"reasoningContent": {"redactedContent": "ZW5jcnlwdGVk"}},
        {"text": "Done."},
    ]


async def test_claude_thinking_budget(bedrock: Any, provider: Any, chat: Any) -> None:
    await provider.generate(chat("Hi", reasoning=ReasoningConfig(budget_tokens=2048)))
    body = bedrock.last_request.json()
    assert body["additionalModelRequestFields"] == {"thinking": {"type": "enabled", "budget_tokens": 2048}}
    assert body["inferenceConfig"] == {"maxTokens": 2048 + 4096}  # room for the answer past the budget
    await provider.generate(chat("Hi", reasoning=ReasoningConfig(effort="low"), max_tokens=9000))
    body = bedrock.last_request.json()
    assert body["additionalModelRequestFields"] == {"thinking": {"type": "enabled", "budget_tokens": 2048}}
    assert body["inferenceConfig"] == {"maxTokens": 9000}


async def test_claude_adaptive_thinking_with_effort(bedrock: Any, provider: Any, chat: Any) -> None:
    await provider.generate(
        chat("Hi", model="bedrock:global.anthropic.claude-opus-4-7", reasoning=ReasoningConfig("high"))
    )
    body = bedrock.last_request.json()
    assert body["additionalModelRequestFields"] == {"thinking": {"type": "adaptive"}}
    assert body["outputConfig"] == {"effort": "high"}


async def test_nova_2_reasoning_config(bedrock: Any, provider: Any, chat: Any) -> None:
    await provider.generate(
        chat("Hi", model="bedrock:us.amazon.nova-2-lite-v1:0", reasoning=ReasoningConfig("minimal"))
    )
    body = bedrock.last_request.json()
    assert body["additionalModelRequestFields"] == {"reasoningConfig": {"type": "enabled", "maxReasoningEffort": "low"}}


async def test_native_structured_output(bedrock: Any, provider: Any, chat: Any) -> None:
    schema = {
        "type": "object",
        "properties": {"n": {"type": "integer"}},
        "required": ["n"],
        "additionalProperties": False,
    }
    bedrock.script(Scenario(text='{"n": 3}'))
    response = await provider.generate(chat("Count", response_format=ResponseFormat(json_schema=schema, name="count")))
    body = bedrock.last_request.json()
    text_format = body["outputConfig"]["textFormat"]
    assert text_format["type"] == "json_schema"
    assert text_format["structure"]["jsonSchema"]["name"] == "count"
    assert json.loads(text_format["structure"]["jsonSchema"]["schema"]) == schema  # a JSON string on the wire
    assert "toolConfig" not in body
    assert json.loads(response.text) == {"n": 3}


@pytest.mark.parametrize("streamed", [False, True])
async def test_structured_output_through_a_forced_tool(bedrock: Any, provider: Any, chat: Any, streamed: bool) -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}}
    call = ToolCallSpec("tooluse_json", "count", '{"n": 3}', ('{"n"', ": 3}"))
    bedrock.script(Scenario(tool_calls=[call]))
    request = chat(
        "Count",
        response_format=ResponseFormat(json_schema=schema, name="count"),
        options={"bedrock": {"structured_output": "tool"}},
    )
    if streamed:
        from lluminary._streaming import accumulate

        response = await accumulate(provider.stream(request), "bedrock")
    else:
        response = await provider.generate(request)
    config = bedrock.last_request.json()["toolConfig"]
    assert config["toolChoice"] == {"tool": {"name": "count"}}
    assert config["tools"][-1]["toolSpec"]["inputSchema"] == {"json": schema}
    assert response.tool_calls == ()
    assert json.loads(response.text) == {"n": 3}
    assert response.finish_reason == "stop"
    assert response.raw_finish_reason == "tool_use"


async def test_json_mode_uses_a_forced_tool_with_an_object_schema(bedrock: Any, provider: Any, chat: Any) -> None:
    await provider.generate(chat("Hi", response_format=ResponseFormat(type="json")))
    config = bedrock.last_request.json()["toolConfig"]
    assert config["tools"] == [
        {
            "toolSpec": {
                "name": "response",
                "description": "Give the answer as this tool's input.",
                "inputSchema": {"json": {"type": "object"}},
            }
        }
    ]


async def test_cache_points(bedrock: Any, provider: Any, chat: Any) -> None:
    history = (Message.user("First"), Message.assistant("Answer"), Message.user("Second"))
    await provider.generate(
        chat(messages=history, system="Long rules.", tools=(WEATHER,), options={"bedrock": {"cache": True}})
    )
    body = bedrock.last_request.json()
    point = {"cachePoint": {"type": "default"}}
    assert body["system"] == [{"text": "Long rules."}, point]
    assert body["toolConfig"]["tools"][-1] == point
    assert body["messages"][-1]["content"] == [{"text": "Second"}, point]
    assert body["messages"][0]["content"] == [{"text": "First"}]


async def test_cache_point_on_system_only_with_ttl(bedrock: Any, provider: Any, chat: Any) -> None:
    await provider.generate(chat("Hi", system="Rules.", options={"bedrock": {"cache": ["system"], "cache_ttl": "1h"}}))
    body = bedrock.last_request.json()
    assert body["system"] == [{"text": "Rules."}, {"cachePoint": {"type": "default", "ttl": "1h"}}]
    assert body["messages"] == [{"role": "user", "content": [{"text": "Hi"}]}]


def test_bad_cache_option_is_a_validation_error(chat: Any) -> None:
    with pytest.raises(RequestValidationError, match="cache"):
        converse_body(chat("Hi", options={"bedrock": {"cache": ["everything"]}}), {"cache": ["everything"]}, "bedrock")


async def test_pass_through_options(bedrock: Any, provider: Any, chat: Any) -> None:
    options = {
        "additional_model_request_fields": {"top_k": 40},
        "guardrail_config": {"guardrailIdentifier": "gr-1", "guardrailVersion": "1"},
        "performance_config": {"latency": "optimized"},
        "request_metadata": {"team": "search"},
        "body": {"serviceTier": {"type": "flex"}},
    }
    await provider.generate(chat("Hi", options={"bedrock": options, "openai": {"logprobs": True}}))
    body = bedrock.last_request.json()
    assert body["additionalModelRequestFields"] == {"top_k": 40}
    assert body["guardrailConfig"] == {"guardrailIdentifier": "gr-1", "guardrailVersion": "1"}
    assert body["performanceConfig"] == {"latency": "optimized"}
    assert body["requestMetadata"] == {"team": "search"}
    assert body["serviceTier"] == {"type": "flex"}
    assert "logprobs" not in json.dumps(body)


async def test_adjacent_turns_of_one_role_merge_and_blank_text_is_dropped(
    bedrock: Any, provider: Any, chat: Any
) -> None:
    history = (Message.user("One"), Message.user("  "), Message.user("Two"))
    await provider.generate(chat(messages=history))
    assert bedrock.last_request.json()["messages"] == [{"role": "user", "content": [{"text": "One"}, {"text": "Two"}]}]


async def test_every_body_passes_botocores_own_validation(bedrock: Any, provider: Any, chat: Any) -> None:
    """botocore validates parameters against the service model before it sends them: our bodies
    pass the same check, for Converse, ConverseStream and CountTokens."""
    from botocore.session import Session
    from botocore.validate import ParamValidator

    service = Session().get_service_model("bedrock-runtime")
    history = (
        Message.user((TextPart("Look:"), ImagePart(data=PNG, media_type="image/png"))),
        Message.assistant(
            (
                ReasoningPart("hmm", signature="sig", provider="bedrock"),
                ReasoningPart(redacted="ZW5j", provider="bedrock"),
                ToolCallPart("t1", "get_weather", {"city": "Oslo"}),
            )
        ),
        Message.tool("t1", '{"temp": -3}'),
    )
    requests = [
        chat(
            messages=history[:3],
            system="Rules.",
            tools=(WEATHER,),
            tool_choice=ToolChoice.tool("get_weather"),
            max_tokens=100,
            temperature=0.5,
            top_p=0.5,
            stop=("x",),
            reasoning=ReasoningConfig(budget_tokens=1024),
            options={"bedrock": {"cache": True, "cache_ttl": "5m", "performance_config": {"latency": "standard"}}},
        ),
        chat("Hi", response_format=ResponseFormat(json_schema={"type": "object"}, name="r")),
        chat("Hi", model="bedrock:global.anthropic.claude-opus-4-7", reasoning=ReasoningConfig("high")),
    ]
    for request in requests:
        await provider.generate(request)
        [e async for e in provider.stream(request)]
        await provider.count_tokens(request)
    validator = ParamValidator()
    operations = {"converse": "Converse", "converse-stream": "ConverseStream", "count-tokens": "CountTokens"}
    for recorded in bedrock.requests:
        operation = operations[recorded.path.rsplit("/", 1)[1]]
        params = {"modelId": "m", **recorded.json()}
        report = validator.validate(params, service.operation_model(operation).input_shape)
        assert not report.has_errors(), f"{operation}: {report.generate_report()}"
