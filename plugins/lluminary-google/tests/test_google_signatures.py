"""Thought signatures across turns: Gemini 3 signs the first function call of a step and refuses a
history that lost it; the signature must come back on the same part."""

from __future__ import annotations

from typing import Any

import pytest

from lluminary._errors import InvalidRequestError
from lluminary._types import Message, ReasoningConfig, ReasoningPart, TextPart, Tool, ToolCallPart
from lluminary_testing.scenario import Scenario, ToolCallSpec

WEATHER = Tool("get_weather", "Weather.", {"type": "object", "properties": {"city": {"type": "string"}}})
GEMINI_3 = "google:gemini-3.5-flash"


@pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
async def test_gemini_3_function_call_signature_round_trip(harness: Any, streamed: bool) -> None:
    first = Scenario(
        reasoning="Need the weather.",
        signature="R2VtaW5pMw==",
        tool_calls=[
            ToolCallSpec("c1", "get_weather", '{"city": "Paris"}'),
            ToolCallSpec("c2", "get_weather", '{"city": "Rome"}'),
        ],
    )
    harness.server.script(first, Scenario(text="Sunny in both."))
    kwargs = {"model": GEMINI_3, "tools": [WEATHER], "reasoning": ReasoningConfig(effort="low")}
    turn1 = await harness.call(streamed, "Weather in Paris and Rome?", **kwargs)
    assert turn1.message.content == (
        ReasoningPart("Need the weather.", provider="google"),
        ToolCallPart("c1", "get_weather", {"city": "Paris"}, "R2VtaW5pMw=="),
        ToolCallPart("c2", "get_weather", {"city": "Rome"}),
    )
    history = [
        Message.user("Weather in Paris and Rome?"),
        turn1.message,
        Message.tool("c1", "sunny"),
        Message.tool("c2", "sunny"),
    ]
    turn2 = await harness.call(streamed, None, messages=history, **kwargs)
    assert turn2.text == "Sunny in both."
    model_turn = harness.body()["contents"][1]
    assert model_turn == {
        "role": "model",
        "parts": [
            {"text": "Need the weather.", "thought": True},
            {
                "functionCall": {"name": "get_weather", "args": {"city": "Paris"}, "id": "c1"},
                "thoughtSignature": "R2VtaW5pMw==",
            },
            {"functionCall": {"name": "get_weather", "args": {"city": "Rome"}, "id": "c2"}},
        ],
    }


async def test_foreign_history_gets_the_documented_skip_value(harness: Any) -> None:
    """A tool-call turn from another provider has no signature; Gemini 3 would refuse it (the fake
    server does, as the real one does), so the first call carries Google's documented skip value."""
    harness.server.script(Scenario(text="ok"))
    history = [
        Message.user("Weather?"),
        Message.assistant([ToolCallPart("toolu_1", "get_weather", {"city": "Oslo"})]),
        Message.tool("toolu_1", "cold"),
    ]
    await harness.generate(None, model=GEMINI_3, messages=history, tools=[WEATHER])
    call = harness.body()["contents"][1]["parts"][0]
    assert call["thoughtSignature"] == "skip_thought_signature_validator"


async def test_skip_value_can_be_turned_off_and_the_server_refuses(harness: Any) -> None:
    history = [
        Message.user("Weather?"),
        Message.assistant([ToolCallPart("toolu_1", "get_weather", {"city": "Oslo"})]),
        Message.tool("toolu_1", "cold"),
    ]
    with pytest.raises(InvalidRequestError, match="thought_signature"):
        await harness.generate(
            None,
            model=GEMINI_3,
            messages=history,
            tools=[WEATHER],
            options={"google": {"skip_signature_validator": False}},
        )


async def test_gemini_2_history_is_left_alone(harness: Any) -> None:
    harness.server.script(Scenario(text="ok"))
    history = [
        Message.user("Weather?"),
        Message.assistant([ToolCallPart("toolu_1", "get_weather", {"city": "Oslo"})]),
        Message.tool("toolu_1", "cold"),
    ]
    await harness.generate(None, messages=history, tools=[WEATHER])
    assert "thoughtSignature" not in harness.body()["contents"][1]["parts"][0]


async def test_function_calls_without_ids_round_trip(harness: Any) -> None:
    """The Gemini API often sends calls without ids: the synthesised ids match the results to the
    calls locally and never reach the wire."""
    harness.server.call_ids = False
    harness.server.script(
        Scenario(tool_calls=[ToolCallSpec("ignored", "get_weather", '{"city": "Lima"}')], id="resp-77"),
        Scenario(text="Warm."),
    )
    turn1 = await harness.generate("Weather in Lima?", tools=[WEATHER])
    (call,) = turn1.tool_calls
    assert call.id == "gcall_resp-77_0"
    history = [Message.user("Weather in Lima?"), turn1.message, Message.tool(call.id, "25C")]
    turn2 = await harness.generate(None, messages=history, tools=[WEATHER])
    assert turn2.message.content == (TextPart("Warm."),)
    assert harness.body()["contents"][1:] == [
        {"role": "model", "parts": [{"functionCall": {"name": "get_weather", "args": {"city": "Lima"}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"output": "25C"}}}]},
    ]
