"""Opt-in content capture: off unless the application asks (the constructor or the conventions'
environment variable); when on, prompts and answers in the conventions' JSON structure, never
the key."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lluminary import ChatResponse, Finish, Message, TextDelta, TextPart, ToolCallPart, Usage
from lluminary_otel import OtelExporter

from .conftest import API_KEY, reply

CONTENT = ("gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions")
ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"


@pytest.fixture(autouse=True)
def _no_capture_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)


def content(span: Any) -> dict[str, Any]:
    """The span's content attributes, decoded from their JSON text."""
    attributes = dict(span.attributes or {})
    return {name: json.loads(str(attributes[name])) for name in CONTENT if name in attributes}


def tool_turn() -> ChatResponse:
    return ChatResponse(
        Message("assistant", (TextPart("Let me look."), ToolCallPart("call_7", "get_weather", {"city": "Paris"}))),
        "tool_calls",
        "tool_calls",
        Usage(9, 4),
        model="m-2025",
        provider="scripted",
        id="resp-tools",
    )


async def test_content_is_off_by_default(harness: Any) -> None:
    h = harness(reply(), reply("streamed"))
    await h.client.agenerate("scripted:m", "a private prompt", system="be terse", api_key=API_KEY)
    await h.client.astream("scripted:m", "another private prompt").response()
    for span in h.spans():
        assert content(span) == {}
        exported = span.to_json()
        assert "private prompt" not in exported
        assert "be terse" not in exported
        assert "Hello!" not in exported


@pytest.mark.parametrize("value", ["false", "0", "no_content", ""])
async def test_the_environment_variable_set_to_anything_but_true_keeps_it_off(
    harness: Any, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(ENV, value)
    h = harness(reply())
    await h.client.agenerate("scripted:m", "a private prompt")
    assert content(h.span()) == {}


async def test_on_by_the_constructor_a_generate_call_records_input_system_and_output(harness: Any) -> None:
    h = harness(reply("Bonjour!"), capture_content=True)
    await h.client.agenerate("scripted:m", "Say hello in French", system="You are terse.", api_key=API_KEY)
    span = h.span()
    assert content(span) == {
        "gen_ai.input.messages": [{"role": "user", "parts": [{"type": "text", "content": "Say hello in French"}]}],
        "gen_ai.system_instructions": [{"type": "text", "content": "You are terse."}],
        "gen_ai.output.messages": [
            {"role": "assistant", "parts": [{"type": "text", "content": "Bonjour!"}], "finish_reason": "stop"}
        ],
    }
    assert API_KEY not in span.to_json()


@pytest.mark.parametrize("value", ["true", "True", "SPAN_ONLY"])
async def test_on_by_the_environment_variable(harness: Any, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(ENV, value)
    h = harness(reply("yes"))
    await h.client.agenerate("scripted:m", "capture me")
    found = content(h.span())
    assert found["gen_ai.input.messages"][0]["parts"] == [{"type": "text", "content": "capture me"}]
    assert found["gen_ai.output.messages"][0]["parts"] == [{"type": "text", "content": "yes"}]


async def test_the_constructor_wins_over_the_environment(harness: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "true")
    h = harness(reply(), capture_content=False)
    await h.client.agenerate("scripted:m", "not captured")
    assert content(h.span()) == {}


async def test_a_stream_records_its_whole_answer_when_it_ends(harness: Any) -> None:
    h = harness([TextDelta("one "), TextDelta("two"), Finish("stop")], capture_content=True)
    stream = h.client.astream("scripted:m", "count")
    await stream.__anext__()
    assert h.spans() == []
    assert (await stream.response()).text == "one two"
    found = content(h.span())
    assert found["gen_ai.input.messages"] == [{"role": "user", "parts": [{"type": "text", "content": "count"}]}]
    (output,) = found["gen_ai.output.messages"]
    assert output["role"] == "assistant"
    assert "".join(p["content"] for p in output["parts"] if p["type"] == "text") == "one two"


async def test_a_stream_closed_early_has_its_input_but_no_output(harness: Any) -> None:
    h = harness([TextDelta("one "), TextDelta("two "), TextDelta("three")], capture_content=True)
    stream = h.client.astream("scripted:m", "count")
    await stream.__anext__()
    await stream.aclose()
    found = content(h.span())
    assert "gen_ai.input.messages" in found
    assert "gen_ai.output.messages" not in found


async def test_tool_calls_and_tool_results_in_the_conventions_parts(harness: Any) -> None:
    h = harness(tool_turn(), tool_turn(), capture_content=True)
    history = [
        Message.user("Weather in Paris?"),
        Message("assistant", (ToolCallPart("call_1", "get_weather", {"city": "Paris", "units": ["c"]}),)),
        Message.tool("call_1", '{"temp": 21}', name="get_weather"),
    ]
    await h.client.agenerate("scripted:m", messages=history)
    await h.client.astream("scripted:m", messages=history).response()
    for span in h.spans():
        found = content(span)
        assert found["gen_ai.input.messages"] == [
            {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]},
            {
                "role": "assistant",
                "parts": [
                    {
                        "type": "tool_call",
                        "id": "call_1",
                        "name": "get_weather",
                        "arguments": {"city": "Paris", "units": ["c"]},
                    }
                ],
            },
            {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_1", "response": '{"temp": 21}'}]},
        ]
        (output,) = found["gen_ai.output.messages"]
        assert output["finish_reason"] == "tool_call"
        calls = [p for p in output["parts"] if p["type"] == "tool_call"]
        assert calls == [{"type": "tool_call", "id": "call_7", "name": "get_weather", "arguments": {"city": "Paris"}}]


async def test_a_cache_hit_records_the_cached_answer(harness: Any) -> None:
    h = harness(reply("from the model"), cache="memory://", capture_content=True)
    await h.client.agenerate("scripted:m", "same")
    await h.client.agenerate("scripted:m", "same")
    first, second = h.spans()
    assert content(second)["gen_ai.output.messages"] == content(first)["gen_ai.output.messages"]


async def test_embeddings_never_record_content(harness: Any) -> None:
    h = harness(capture_content=True)
    await h.client.aembed("scripted:e", "embedded secret text")
    assert content(h.span()) == {}
    assert "embedded secret text" not in h.span().to_json()


def test_the_content_names_match_the_conventions() -> None:
    from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as gen_ai

    assert CONTENT == (gen_ai.GEN_AI_INPUT_MESSAGES, gen_ai.GEN_AI_OUTPUT_MESSAGES, gen_ai.GEN_AI_SYSTEM_INSTRUCTIONS)


def test_the_default_exporter_does_not_capture() -> None:
    assert OtelExporter().recorder.capture_content is False
