"""The exact request bodies the provider sends, feature by feature."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from lluminary._errors import RequestValidationError
from lluminary._types import (
    ChatRequest,
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
from lluminary_testing.scenario import Scenario

WEATHER = Tool(
    "get_weather",
    "Current weather for a city.",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
CLOCK = Tool("get_time", "The time.")


async def test_plain_call_path_headers_and_body(harness: Any) -> None:
    harness.server.script(Scenario(text="Hi!"))
    await harness.generate("Hello")
    request = harness.server.last_request
    assert request.method == "POST"
    assert request.path == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert request.query == {}
    assert request.headers["x-goog-api-key"] == harness.key
    assert request.headers["content-type"] == "application/json"
    assert "authorization" not in request.headers
    assert harness.body() == {"contents": [{"role": "user", "parts": [{"text": "Hello"}]}]}


async def test_stream_path(harness: Any) -> None:
    harness.server.script(Scenario(text="Hi!"))
    await harness.stream("Hello")
    request = harness.server.last_request
    assert request.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    assert request.query == {"alt": ["sse"]}
    assert harness.body() == {"contents": [{"role": "user", "parts": [{"text": "Hello"}]}]}


async def test_models_prefix_in_the_name_is_accepted(harness: Any) -> None:
    harness.server.script(Scenario(text="ok"))
    await harness.generate("Hi", model="gemini:models/gemini-2.5-pro")
    assert harness.path() == "/v1beta/models/gemini-2.5-pro:generateContent"


async def test_generation_config(harness: Any) -> None:
    harness.server.script(Scenario(text="ok"))
    await harness.generate(
        "Hi", system="Be brief.", max_tokens=64, temperature=0.2, top_p=0.9, stop=["END", "STOP"], seed=7
    )
    assert harness.body() == {
        "contents": [{"role": "user", "parts": [{"text": "Hi"}]}],
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
        "generationConfig": {
            "maxOutputTokens": 64,
            "temperature": 0.2,
            "topP": 0.9,
            "stopSequences": ["END", "STOP"],
            "seed": 7,
        },
    }


async def test_structured_output(harness: Any) -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    harness.server.script(Scenario(text='{"n": 1}'), Scenario(text="{}"))
    await harness.generate("Hi", response_format=ResponseFormat("json_schema", schema))
    assert harness.body()["generationConfig"] == {"responseMimeType": "application/json", "responseJsonSchema": schema}
    await harness.generate("Hi", response_format=ResponseFormat("json"))
    assert harness.body()["generationConfig"] == {"responseMimeType": "application/json"}


async def test_openapi_response_schema_by_option(harness: Any) -> None:
    schema = {"type": "OBJECT", "properties": {"n": {"type": "INTEGER"}}}
    harness.server.script(Scenario(text="{}"))
    await harness.generate(
        "Hi", response_format=ResponseFormat("json"), options={"google": {"response_schema": schema}}
    )
    assert harness.body()["generationConfig"] == {"responseMimeType": "application/json", "responseSchema": schema}


@pytest.mark.parametrize(
    ("model", "reasoning", "expected"),
    [
        (
            "google:gemini-2.5-flash",
            ReasoningConfig(effort="medium"),
            {"includeThoughts": True, "thinkingBudget": 8192},
        ),
        (
            "google:gemini-2.5-flash",
            ReasoningConfig(effort="minimal"),
            {"includeThoughts": True, "thinkingBudget": 512},
        ),
        (
            "google:gemini-2.5-pro",
            ReasoningConfig(budget_tokens=2048),
            {"includeThoughts": True, "thinkingBudget": 2048},
        ),
        (
            "google:gemini-2.5-pro",
            ReasoningConfig(effort="high", budget_tokens=300),
            {"includeThoughts": True, "thinkingBudget": 300},
        ),
        ("google:gemini-3.5-flash", ReasoningConfig(effort="low"), {"includeThoughts": True, "thinkingLevel": "LOW"}),
        (
            "google:gemini-3.1-pro-preview",
            ReasoningConfig(effort="high", budget_tokens=300),
            {"includeThoughts": True, "thinkingLevel": "HIGH"},
        ),
        (
            "google:gemini-3-flash-preview",
            ReasoningConfig(budget_tokens=900),
            {"includeThoughts": True, "thinkingBudget": 900},
        ),
    ],
)
async def test_thinking_config(harness: Any, model: str, reasoning: ReasoningConfig, expected: Any) -> None:
    harness.server.script(Scenario(text="ok"))
    await harness.generate("Hi", model=model, reasoning=reasoning)
    assert harness.body()["generationConfig"] == {"thinkingConfig": expected}


async def test_thinking_options_win_over_reasoning_config(harness: Any) -> None:
    harness.server.script(Scenario(text="ok"), Scenario(text="ok"))
    await harness.generate(
        "Hi",
        model="google:gemini-3.5-flash",
        reasoning=ReasoningConfig(effort="low"),
        options={"google": {"thinking_budget": 0}},
    )
    assert harness.body()["generationConfig"] == {"thinkingConfig": {"includeThoughts": True, "thinkingBudget": 0}}
    await harness.generate(
        "Hi", options={"google": {"thinking_config": {"includeThoughts": False, "thinkingBudget": 0}}}
    )
    assert harness.body()["generationConfig"] == {"thinkingConfig": {"includeThoughts": False, "thinkingBudget": 0}}


async def test_tools_and_tool_choice(harness: Any) -> None:
    harness.server.script(*[Scenario(text="ok")] * 5)
    await harness.generate("Hi", tools=[WEATHER, CLOCK])
    body = harness.body()
    assert body["tools"] == [
        {
            "functionDeclarations": [
                {
                    "name": "get_weather",
                    "description": "Current weather for a city.",
                    "parametersJsonSchema": {
                        "type": "object",
                        "properties": {"city": {"type": "string"}},
                        "required": ["city"],
                    },
                },
                {"name": "get_time", "description": "The time."},
            ]
        }
    ]
    assert "toolConfig" not in body
    expected = {
        "auto": {"mode": "AUTO"},
        "none": {"mode": "NONE"},
        "required": {"mode": "ANY"},
    }
    for mode, config in expected.items():
        await harness.generate("Hi", tools=[WEATHER, CLOCK], tool_choice=mode)
        assert harness.body()["toolConfig"] == {"functionCallingConfig": config}
    await harness.generate("Hi", tools=[WEATHER, CLOCK], tool_choice=ToolChoice.tool("get_time"))
    assert harness.body()["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_time"]}
    }


async def test_tool_results_in_one_user_turn(harness: Any) -> None:
    """Results of parallel calls share one user turn; the name comes from the earlier call when the
    result has none; errors go in ``response.error``."""
    harness.server.script(Scenario(text="Done."))
    calls = (
        ToolCallPart("call_1", "get_weather", {"city": "Oslo"}),
        ToolCallPart("call_2", "get_time", {}),
    )
    messages = [
        Message.user("Weather and time?"),
        Message.assistant([TextPart("Checking."), *calls]),
        Message.tool("call_1", "-3C"),
        Message.tool("call_2", "clock broken", is_error=True, name="get_time"),
        Message.user("Thanks"),
    ]
    await harness.generate(None, messages=messages, tools=[WEATHER, CLOCK])
    assert harness.body()["contents"] == [
        {"role": "user", "parts": [{"text": "Weather and time?"}]},
        {
            "role": "model",
            "parts": [
                {"text": "Checking."},
                {"functionCall": {"name": "get_weather", "args": {"city": "Oslo"}, "id": "call_1"}},
                {"functionCall": {"name": "get_time", "args": {}, "id": "call_2"}},
            ],
        },
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"name": "get_weather", "response": {"output": "-3C"}, "id": "call_1"}},
                {"functionResponse": {"name": "get_time", "response": {"error": "clock broken"}, "id": "call_2"}},
                {"text": "Thanks"},
            ],
        },
    ]


async def test_tool_result_without_a_name_is_rejected_before_io(harness: Any) -> None:
    # The kernel rejects this history too; the provider checks on its own for requests built by hand.
    messages = (Message.user("Hi"), Message("tool", (ToolResultPart("call_x", "42"),)))
    request = ChatRequest("google:gemini-2.5-flash", messages, base_url=harness.server.base_url)
    with pytest.raises(RequestValidationError, match="tool name"):
        await harness.provider.generate(request)
    assert harness.server.requests == []


async def test_synthesised_call_ids_stay_off_the_wire(harness: Any) -> None:
    harness.server.script(Scenario(text="ok"))
    messages = [
        Message.user("Time?"),
        Message.assistant(ToolCallPart("gcall_resp-9_0", "get_time", {})),
        Message.tool("gcall_resp-9_0", "noon"),
    ]
    await harness.generate(None, messages=messages, tools=[CLOCK])
    contents = harness.body()["contents"]
    assert contents[1]["parts"] == [{"functionCall": {"name": "get_time", "args": {}}}]
    assert contents[2]["parts"] == [{"functionResponse": {"name": "get_time", "response": {"output": "noon"}}}]


async def test_images(harness: Any) -> None:
    harness.server.script(Scenario(text="ok"))
    png = b"\x89PNG\r\n\x1a\n-fake"
    message = Message.user(
        [
            TextPart("Compare"),
            ImagePart(data=png, media_type="image/png"),
            ImagePart(url="gs://bucket/cat.webp"),
            ImagePart(url="https://example.com/dog?size=large", media_type="image/jpeg"),
            ImagePart(url="data:image/gif;base64,R0lGODlh"),
        ]
    )
    await harness.generate(None, messages=[message])
    assert harness.body()["contents"][0]["parts"] == [
        {"text": "Compare"},
        {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(png).decode()}},
        {"fileData": {"mimeType": "image/webp", "fileUri": "gs://bucket/cat.webp"}},
        {"fileData": {"mimeType": "image/jpeg", "fileUri": "https://example.com/dog?size=large"}},
        {"inlineData": {"mimeType": "image/gif", "data": "R0lGODlh"}},
    ]


async def test_history_roles_merging(harness: Any) -> None:
    """Consecutive turns of one role merge. (An empty turn never gets here: the kernel rejects it.)"""
    harness.server.script(Scenario(text="ok"))
    messages = [
        Message.user("one"),
        Message.user("two"),
        Message.assistant("three"),
        Message.user("four"),
    ]
    await harness.generate(None, messages=messages)
    assert harness.body()["contents"] == [
        {"role": "user", "parts": [{"text": "one"}, {"text": "two"}]},
        {"role": "model", "parts": [{"text": "three"}]},
        {"role": "user", "parts": [{"text": "four"}]},
    ]


async def test_reasoning_parts_sent_back_only_to_this_family(harness: Any) -> None:
    harness.server.script(Scenario(text="ok"))
    assistant = Message.assistant(
        [
            ReasoningPart("foreign thoughts", signature="anthropic-sig", provider="anthropic"),
            ReasoningPart("", redacted="encrypted", provider="google"),
            ReasoningPart("my thoughts", signature="sig-1", provider="google"),
            TextPart("Answer."),
            ReasoningPart("", signature="sig-2", provider="gemini"),
            ReasoningPart("", signature="sig-3", provider="vertex"),
        ]
    )
    await harness.generate(None, messages=[Message.user("Q"), assistant, Message.user("More")])
    assert harness.body()["contents"][1] == {
        "role": "model",
        "parts": [
            {"text": "my thoughts", "thought": True, "thoughtSignature": "sig-1"},
            {"text": "Answer.", "thoughtSignature": "sig-2"},
            {"text": "", "thoughtSignature": "sig-3"},
        ],
    }


async def test_provider_options(harness: Any) -> None:
    harness.server.script(Scenario(text="ok"))
    safety = [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"}]
    await harness.generate(
        "Hi",
        tools=[CLOCK],
        max_tokens=10,
        options={
            "google": {
                "top_k": 40,
                "safety_settings": safety,
                "cached_content": "cachedContents/abc",
                "tools": [{"googleSearch": {}}],
                "generation_config": {"presencePenalty": 0.5},
                "tool_config": {"functionCallingConfig": {"mode": "VALIDATED"}},
            },
            "openai": {"logprobs": True},
        },
        tool_choice="auto",
    )
    body = harness.body()
    assert body["generationConfig"] == {"maxOutputTokens": 10, "topK": 40, "presencePenalty": 0.5}
    assert body["safetySettings"] == safety
    assert body["cachedContent"] == "cachedContents/abc"
    assert body["tools"] == [
        {"functionDeclarations": [{"name": "get_time", "description": "The time."}]},
        {"googleSearch": {}},
    ]
    assert body["toolConfig"] == {"functionCallingConfig": {"mode": "VALIDATED"}}
    assert "logprobs" not in body
    assert "logprobs" not in body["generationConfig"]


async def test_gemini_alias_reads_both_option_keys(harness: Any) -> None:
    harness.server.script(Scenario(text="ok"))
    await harness.generate(
        "Hi", model="gemini:gemini-2.5-flash", options={"google": {"top_k": 3, "seed": 1}, "gemini": {"top_k": 5}}
    )
    assert harness.body()["generationConfig"] == {"topK": 5, "seed": 1}


async def test_count_tokens_body(harness: Any) -> None:
    total = await harness.count("How many tokens is this?", system="Be brief.", tools=[CLOCK])
    assert harness.path() == "/v1beta/models/gemini-2.5-flash:countTokens"
    assert harness.body() == {
        "generateContentRequest": {
            "model": "models/gemini-2.5-flash",
            "contents": [{"role": "user", "parts": [{"text": "How many tokens is this?"}]}],
            "systemInstruction": {"parts": [{"text": "Be brief."}]},
            "tools": [{"functionDeclarations": [{"name": "get_time", "description": "The time."}]}],
        }
    }
    assert total > 0


async def test_count_tokens_through_the_client(harness: Any) -> None:
    from lluminary._client import Client

    client = Client(cache=False)
    total = await client.acount_tokens(
        "google:gemini-2.5-flash", "one two three", base_url=harness.server.base_url, api_key=harness.key
    )
    assert total == 3


async def test_a_provider_under_its_own_prefix_keeps_its_reasoning(harness: Any) -> None:
    from lluminary_google import GeminiProvider

    harness.provider = GeminiProvider(name="gateway", prefixes=["gateway"])
    harness.server.script(Scenario(text="ok"))
    assistant = Message.assistant([TextPart("A."), ReasoningPart("", signature="gw-sig", provider="gateway")])
    await harness.generate(
        None, model="gateway:gemini-2.5-flash", messages=[Message.user("Q"), assistant, Message.user("Q2")]
    )
    assert harness.body()["contents"][1]["parts"] == [{"text": "A.", "thoughtSignature": "gw-sig"}]
    assert {m.id for m in harness.provider.models()} >= {"gateway:gemini-2.5-flash"}
