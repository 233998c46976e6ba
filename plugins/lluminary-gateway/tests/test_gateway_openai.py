"""The official OpenAI SDK against the gateway, the gateway against the fake OpenAI, Anthropic and
Gemini servers: what the SDK parses equals what lluminary returns when it calls them directly."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lluminary import Usage
from lluminary_testing.scenario import Scenario, ToolCallSpec

pytestmark = pytest.mark.integration  # the gateway and the fake servers on loopback

ALIASES = ["gpt", "claude", "gemini"]
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
TIME = {
    "type": "function",
    "function": {"name": "get_time", "parameters": {"type": "object", "properties": {"zone": {"type": "string"}}}},
}
HELLO = [{"role": "user", "content": "Hi"}]


def direct(upstreams: Any, alias: str, scenario: Scenario, **kwargs: Any) -> Any:
    """What lluminary returns calling the alias's fake server itself, for the same scenario."""
    upstreams.server(alias).script(scenario)
    with upstreams.direct_client(alias) as client:
        return client.generate(upstreams.model(alias), **kwargs)


def lluminary_tools() -> list[Any]:
    from lluminary import Tool

    return [
        Tool(t["function"]["name"], t["function"].get("description", ""), t["function"]["parameters"])
        for t in (WEATHER, TIME)
    ]


@pytest.mark.parametrize("alias", ALIASES)
def test_generate_equals_a_direct_call(alias, upstreams, openai_client):
    scenario = Scenario(text="Hello there!", usage=Usage(input_tokens=21, output_tokens=9), id="resp_same_1")
    expected = direct(upstreams, alias, scenario, messages=HELLO)
    upstreams.server(alias).script(scenario)

    reply = openai_client.chat.completions.create(model=alias, messages=HELLO)

    choice = reply.choices[0]
    assert choice.message.content == expected.text == "Hello there!"
    assert choice.message.role == "assistant"
    assert choice.finish_reason == "stop" == expected.finish_reason
    assert reply.usage.prompt_tokens == expected.usage.input_tokens == 21
    assert reply.usage.completion_tokens == expected.usage.output_tokens == 9
    assert reply.usage.total_tokens == 30
    assert reply.model == expected.model
    assert reply.id == (expected.id or reply.id)
    assert reply.object == "chat.completion"


@pytest.mark.parametrize("alias", ALIASES)
def test_stream_with_usage_equals_a_direct_call(alias, upstreams, openai_client):
    scenario = Scenario(text=["Hel", "lo ", "there", "!"], usage=Usage(input_tokens=11, output_tokens=4))
    expected = direct(upstreams, alias, scenario, messages=HELLO)
    upstreams.server(alias).script(scenario)

    chunks = list(
        openai_client.chat.completions.create(
            model=alias, messages=HELLO, stream=True, stream_options={"include_usage": True}
        )
    )

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == expected.text == "Hello there!"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    assert chunks[-1].choices == []
    assert chunks[-1].usage.prompt_tokens == expected.usage.input_tokens == 11
    assert chunks[-1].usage.completion_tokens == expected.usage.output_tokens == 4
    assert len({c.id for c in chunks}) == 1
    assert all(c.usage is None for c in chunks[:-1])


def test_stream_without_include_usage_has_no_usage_chunk(upstreams, openai_client):
    upstreams.openai.script(Scenario(text=["a", "b"]))
    chunks = list(openai_client.chat.completions.create(model="gpt", messages=HELLO, stream=True))
    assert all(c.choices for c in chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "ab"


@pytest.mark.parametrize("alias", ALIASES)
def test_tool_calls_equal_a_direct_call(alias, upstreams, openai_client):
    scenario = Scenario(
        text="Let me check.",
        tool_calls=(
            ToolCallSpec("call_1", "get_weather", '{"city": "Paris"}'),
            ToolCallSpec("call_2", "get_time", '{"zone": "Europe/Paris"}'),
        ),
    )
    expected = direct(upstreams, alias, scenario, messages=HELLO, tools=lluminary_tools())
    upstreams.server(alias).script(scenario)

    reply = openai_client.chat.completions.create(model=alias, messages=HELLO, tools=[WEATHER, TIME])

    message = reply.choices[0].message
    assert reply.choices[0].finish_reason == "tool_calls" == expected.finish_reason
    got = [(c.id, c.function.name, json.loads(c.function.arguments)) for c in message.tool_calls]
    assert got == [(c.id, c.name, dict(c.arguments)) for c in expected.tool_calls]
    assert got[0][1:] == ("get_weather", {"city": "Paris"})
    assert message.content == (expected.text or None)
    sent = upstreams.server(alias).last_request.json()
    assert "get_weather" in json.dumps(sent)


@pytest.mark.parametrize("alias", ALIASES)
def test_streamed_tool_calls_keep_their_argument_fragments(alias, upstreams, openai_client):
    fragments = ('{"ci', 'ty": "Pa', 'ris \\"', 'centre\\""}')
    scenario = Scenario(
        tool_calls=(
            ToolCallSpec("call_a", "get_weather", "".join(fragments), fragments),
            ToolCallSpec("call_b", "get_time", '{"zone": "UTC"}', ('{"zone"', ': "UTC"}')),
        )
    )
    expected = direct(upstreams, alias, scenario, messages=HELLO, tools=lluminary_tools())
    upstreams.server(alias).script(scenario)

    chunks = list(
        openai_client.chat.completions.create(model=alias, messages=HELLO, tools=[WEATHER, TIME], stream=True)
    )

    calls: dict[int, dict[str, Any]] = {}
    for chunk in chunks:
        for delta in chunk.choices[0].delta.tool_calls or ():
            call = calls.setdefault(delta.index, {"id": None, "name": None, "arguments": ""})
            call["id"] = delta.id or call["id"]
            call["name"] = (delta.function.name if delta.function else None) or call["name"]
            call["arguments"] += (delta.function.arguments or "") if delta.function else ""
    assert [(c["id"], c["name"], json.loads(c["arguments"])) for c in calls.values()] == [
        (c.id, c.name, dict(c.arguments)) for c in expected.tool_calls
    ]
    assert calls[0]["arguments"] == "".join(fragments) or alias == "gemini"  # Gemini sends whole arguments
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_sdk_stream_helper_accumulates_tool_calls(upstreams, openai_client):
    """The SDK's own accumulator (``chat.completions.stream``) rebuilds the same message."""
    scenario = Scenario(
        tool_calls=(ToolCallSpec("call_z", "get_weather", '{"city": "Oslo"}', ('{"city"', ': "Oslo"}')),)
    )
    upstreams.openai.script(scenario)
    with openai_client.chat.completions.stream(model="gpt", messages=HELLO, tools=[WEATHER]) as stream:
        for _ in stream:
            pass
        final = stream.get_final_completion()
    call = final.choices[0].message.tool_calls[0]
    assert (call.id, call.function.name, json.loads(call.function.arguments)) == (
        "call_z",
        "get_weather",
        {"city": "Oslo"},
    )


def test_a_tool_result_turn_reaches_the_upstream(upstreams, openai_client):
    upstreams.anthropic.script(Scenario(text="18 degrees"))
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "toolu_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "toolu_1", "content": "18C and sunny"},
    ]
    reply = openai_client.chat.completions.create(model="claude", messages=messages, tools=[WEATHER])
    assert reply.choices[0].message.content == "18 degrees"
    sent = upstreams.anthropic.last_request.json()
    assert sent["system"] in ("Be brief.", [{"type": "text", "text": "Be brief."}])
    blocks = [
        block
        for message in sent["messages"]
        for block in (message["content"] if isinstance(message["content"], list) else [])
    ]
    assert {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}.items() <= next(
        b for b in blocks if b["type"] == "tool_use"
    ).items()
    assert next(b for b in blocks if b["type"] == "tool_result")["tool_use_id"] == "toolu_1"


def test_response_format_reaches_the_upstream(upstreams, openai_client):
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}},
        "required": ["name"],
        "additionalProperties": False,
    }
    upstreams.openai.script(Scenario(text='{"name": "Ada"}'))
    reply = openai_client.chat.completions.create(
        model="gpt",
        messages=HELLO,
        response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": schema, "strict": True}},
    )
    assert json.loads(reply.choices[0].message.content) == {"name": "Ada"}
    sent = upstreams.openai.last_request.json()
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["schema"]["properties"] == schema["properties"]


def test_sampling_parameters_reach_the_upstream(upstreams, openai_client):
    upstreams.openai.script(Scenario(text="ok"))
    openai_client.chat.completions.create(
        model="gpt", messages=HELLO, temperature=0.2, top_p=0.9, max_tokens=50, stop=["END"], seed=7
    )
    sent = upstreams.openai.last_request.json()
    assert sent["temperature"] == 0.2
    assert sent["top_p"] == 0.9
    assert sent["seed"] == 7
    assert sent.get("max_completion_tokens", sent.get("max_tokens")) == 50
    assert sent["stop"] in (["END"], "END")


def test_length_finish_is_faithful(upstreams, openai_client):
    upstreams.gemini.script(Scenario(text="cut", finish="length"))
    reply = openai_client.chat.completions.create(model="gemini", messages=HELLO)
    assert reply.choices[0].finish_reason == "length"


def test_provider_model_names_are_served_too(upstreams, openai_client, monkeypatch):
    upstreams.openai.script(Scenario(text="direct name"))
    monkeypatch.setenv("OPENAI_BASE_URL", upstreams.openai.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env-0123456789abcdef")
    reply = openai_client.chat.completions.create(model="openai:gpt-4o-mini", messages=HELLO)
    assert reply.choices[0].message.content == "direct name"


@pytest.mark.parametrize("encoding", ["float", "base64"])
def test_embeddings_equal_a_direct_call(encoding, upstreams, openai_client):
    with upstreams.direct_client("gpt") as client:
        expected = client.embed("openai:text-embedding-3-small", ["first text", "second"])
    # The SDK asks for base64 unless told otherwise, and decodes it itself.
    options = {"encoding_format": "float"} if encoding == "float" else {}
    reply = openai_client.embeddings.create(model="embed", input=["first text", "second"], **options)
    sent = upstreams.openai.last_request.json()
    assert sent["input"] == ["first text", "second"]
    vectors = [item.embedding for item in reply.data]
    assert len(vectors) == 2
    for got, want in zip(vectors, expected.embeddings, strict=True):
        assert got == pytest.approx(want, rel=1e-6)
    assert reply.usage.prompt_tokens == expected.usage.input_tokens
    assert reply.model == expected.model


def test_models_lists_the_aliases(openai_client):
    assert sorted(m.id for m in openai_client.models.list()) == ["claude", "embed", "gemini", "gpt"]
    assert openai_client.models.retrieve("gpt").id == "gpt"


def test_reasoning_comes_back_when_asked_for(upstreams, openai_client):
    scenario = Scenario(reasoning=["Let me ", "think."], signature="sig-1", text="42")
    upstreams.anthropic.script(scenario, scenario, scenario)
    reply = openai_client.chat.completions.create(
        model="claude", messages=HELLO, reasoning_effort="low", max_tokens=2000
    )
    assert reply.choices[0].message.content == "42"
    assert reply.choices[0].message.model_extra["reasoning_content"] == "Let me think."
    sent = upstreams.anthropic.last_request.json()
    assert sent["thinking"]["type"] in ("enabled", "adaptive")

    chunks = list(
        openai_client.chat.completions.create(
            model="claude", messages=HELLO, reasoning_effort="low", max_tokens=2000, stream=True
        )
    )
    reasoning = "".join(
        (c.choices[0].delta.model_extra or {}).get("reasoning_content", "") for c in chunks if c.choices
    )
    assert reasoning == "Let me think."

    plain = openai_client.chat.completions.create(model="claude", messages=HELLO)
    assert "reasoning_content" not in (plain.choices[0].message.model_extra or {})
