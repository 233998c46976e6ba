"""Reasoning streams as ReasoningChunk events, and is sent back with its signature in the next
step (Anthropic's thinking blocks must be)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from lluminary import Usage
from lluminary_agents import Agent, ReasoningChunk, TextChunk
from lluminary_testing.pytest_plugin import start_server
from lluminary_testing.scenario import Scenario, ToolCallSpec

from .conftest import TARGETS, make_client

pytestmark = pytest.mark.integration

ANTHROPIC = next(t for t in TARGETS if t.provider == "anthropic")
MODEL = "anthropic:claude-sonnet-4-5"


@pytest.fixture
def fake_anthropic_server() -> Iterator[Any]:
    yield from start_server(ANTHROPIC.fixture)


def lookup(city: str) -> str:
    """Look a city up."""
    return f"{city}: 700k people"


async def test_reasoning_streams_and_goes_back_signed(fake_anthropic_server: Any) -> None:
    client = make_client(ANTHROPIC, fake_anthropic_server, prices={MODEL: {"input": 1.0, "output": 2.0}})
    try:
        fake_anthropic_server.script(
            Scenario(
                reasoning=["I should ", "look it up."],
                signature="sig-123",
                tool_calls=[ToolCallSpec("toolu_1", "lookup", '{"city": "Oslo"}')],
                usage=Usage(20, 10),
            ),
            Scenario(reasoning="Now answer.", signature="sig-456", text="Oslo has 700k people.", usage=Usage(30, 5)),
        )
        agent = Agent(MODEL, "", [lookup], client=client, model_options={"reasoning": "low"})
        events = [e async for e in agent.stream("How big is Oslo?")]
        thoughts = [(e.step, e.text) for e in events if isinstance(e, ReasoningChunk)]
        assert thoughts == [(1, "I should "), (1, "look it up."), (2, "Now answer.")]
        assert "".join(e.text for e in events if isinstance(e, TextChunk)) == "Oslo has 700k people."
        assert "sig-123" in json.dumps(fake_anthropic_server.requests[1].json())
    finally:
        await client.aclose()
