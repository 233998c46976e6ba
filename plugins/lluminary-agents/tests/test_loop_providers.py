"""The agent loop against the fake server of every provider: a tool call, its result, the answer;
concurrency, failures and limits; the streamed events in order."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

import pytest

from lluminary import ToolResultPart, Usage
from lluminary_agents import (
    Agent,
    FinalOutput,
    MaxCostExceeded,
    MaxStepsExceeded,
    RunContext,
    RunState,
    RunStopped,
    RunTimeout,
    StepFinished,
    TextChunk,
    ToolArgumentsChunk,
    ToolCallStarted,
    ToolExecuted,
    ToolFailed,
)

from .conftest import Setup, answer, calls

pytestmark = pytest.mark.integration


def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"18C and sunny in {city}"


async def test_tool_call_then_answer(setup: Setup) -> None:
    setup.script(calls(("call_1", "get_weather", '{"city": "Paris"}')), answer("Paris is sunny."))
    agent = Agent(setup.model, "You report weather.", [get_weather], client=setup.client)
    result = await agent.arun("Weather in Paris?")
    assert result.output == "Paris is sunny."
    assert result.steps == 2
    assert result.usage == Usage(input_tokens=50, output_tokens=15)
    assert result.cost.total == pytest.approx((50 * 1.0 + 15 * 2.0) / 1e6)
    second = json.dumps(setup.bodies()[1])
    assert "18C and sunny in Paris" in second
    assert [m.role for m in result.messages] == ["user", "assistant", "tool", "assistant"]


@dataclass
class Forecast:
    city: str
    celsius: float
    note: str = ""


async def test_typed_output_through_final_result(setup: Setup) -> None:
    setup.script(
        calls(("call_1", "get_weather", '{"city": "Oslo"}')),
        calls(("call_2", "final_result", '{"city": "Oslo", "celsius": 18, "note": null}')),
    )
    agent = Agent(setup.model, "", [get_weather], output_type=Forecast, client=setup.client)
    result = await agent.arun("Forecast for Oslo")
    assert result.output == Forecast("Oslo", 18.0)
    tools_sent = json.dumps(setup.bodies()[0])
    assert "final_result" in tools_sent
    assert "celsius" in tools_sent


async def test_parallel_tool_calls_overlap(setup: Setup) -> None:
    spans: dict[str, tuple[float, float]] = {}

    async def slow_lookup(key: str) -> str:
        """Look a key up (slowly)."""
        start = time.perf_counter()
        await asyncio.sleep(0.2)
        spans[key] = (start, time.perf_counter())
        return key.upper()

    setup.script(
        calls(*[(f"call_{k}", "slow_lookup", json.dumps({"key": k})) for k in "abc"]),
        answer("A, B and C."),
    )
    agent = Agent(setup.model, "", [slow_lookup], client=setup.client)
    started = time.perf_counter()
    result = await agent.arun("Look up a, b and c")
    assert result.output == "A, B and C."
    assert sorted(spans) == ["a", "b", "c"]
    assert max(s for s, _ in spans.values()) < min(e for _, e in spans.values()), "the calls did not overlap"
    assert time.perf_counter() - started < 0.5
    results = [p.tool_call_id for p in result.messages[2].content]  # type: ignore[union-attr]
    assert results == ["call_a", "call_b", "call_c"]


async def test_failing_tool_goes_back_to_the_model(setup: Setup) -> None:
    def flaky(city: str) -> str:
        """A weather service that is down."""
        raise ConnectionError("weather service unavailable")

    setup.script(calls(("call_1", "flaky", '{"city": "Rome"}')), answer("The service is down."))
    agent = Agent(setup.model, "", [flaky], client=setup.client)
    events = [e async for e in agent.stream("Weather in Rome?")]
    failed = [e for e in events if isinstance(e, ToolFailed)]
    assert [(f.kind, f.call_id) for f in failed] == [("exception", "call_1")]
    assert "weather service unavailable" in json.dumps(setup.bodies()[1])
    assert isinstance(events[-1], FinalOutput)
    assert events[-1].output == "The service is down."


async def test_bad_arguments_go_back_as_an_error(setup: Setup) -> None:
    called: list[int] = []

    def forecast(city: str, days: int) -> str:
        """A forecast for some days."""
        called.append(days)
        return "ok"

    setup.script(calls(("call_1", "forecast", '{"city": "Rome", "days": "three"}')), answer("Sorry."))
    agent = Agent(setup.model, "", [forecast], client=setup.client)
    events = [e async for e in agent.stream("Forecast?")]
    failed = [e for e in events if isinstance(e, ToolFailed)]
    assert [f.kind for f in failed] == ["arguments"]
    assert "arguments.days: expected integer" in failed[0].error
    assert called == []
    assert "expected integer" in json.dumps(setup.bodies()[1])


async def test_max_steps_stops_with_the_partial_run(setup: Setup) -> None:
    setup.script(*[calls((f"call_{i}", "get_weather", '{"city": "Lima"}')) for i in range(3)])
    agent = Agent(setup.model, "", [get_weather], max_steps=2, client=setup.client)
    with pytest.raises(MaxStepsExceeded) as info:
        await agent.arun("Weather?")
    state = info.value.state
    assert len(state.steps) == 2
    assert state.usage == Usage(input_tokens=40, output_tokens=20)
    assert [m.role for m in state.messages] == ["user", "assistant", "tool", "assistant", "tool"]
    assert len(setup.server.requests) == 2


async def test_max_cost_stops_with_the_partial_run(setup: Setup) -> None:
    setup.script(*[calls((f"call_{i}", "get_weather", '{"city": "Lima"}')) for i in range(3)])
    one_step = (20 * 1.0 + 10 * 2.0) / 1e6
    agent = Agent(setup.model, "", [get_weather], max_cost=one_step * 1.5, client=setup.client)
    with pytest.raises(MaxCostExceeded) as info:
        await agent.arun("Weather?")
    assert len(info.value.state.steps) == 2
    assert info.value.state.cost.total == pytest.approx(2 * one_step)


async def test_timeout_stops_with_the_partial_run(setup: Setup) -> None:
    async def hang(city: str) -> str:
        """Never answers in time."""
        await asyncio.sleep(30)
        return "late"

    setup.script(calls(("call_1", "hang", '{"city": "Lima"}')), answer("resumed"))
    agent = Agent(setup.model, "", [hang], timeout=0.5, client=setup.client)
    started = time.perf_counter()
    with pytest.raises(RunTimeout) as info:
        await agent.arun("Weather?")
    assert time.perf_counter() - started < 3
    state = info.value.state
    assert len(state.steps) == 1
    assert state.messages[-2].tool_calls
    unfinished = state.messages[-1].content[0]
    assert isinstance(unfinished, ToolResultPart)
    assert unfinished.is_error
    assert unfinished.tool_call_id == "call_1"
    resumed = await agent.arun(state=RunState.from_json(state.to_json()))  # the partial run goes on
    assert resumed.output == "resumed"
    assert resumed.steps == 2


async def test_tool_timeout_goes_back_to_the_model(setup: Setup) -> None:
    async def hang(city: str) -> str:
        """Never answers in time."""
        await asyncio.sleep(30)
        return "late"

    setup.script(calls(("call_1", "hang", '{"city": "Lima"}')), answer("It timed out."))
    agent = Agent(setup.model, "", [hang], tool_timeout=0.2, client=setup.client)
    events = [e async for e in agent.stream("Weather?")]
    assert [e.kind for e in events if isinstance(e, ToolFailed)] == ["timeout"]
    assert "timed out" in json.dumps(setup.bodies()[1])


async def test_run_context_is_injected(setup: Setup) -> None:
    seen: list[tuple[str, int, int]] = []

    def whoami(ctx: RunContext[str], greeting: str) -> str:
        """Greets the current user."""
        seen.append((ctx.deps, ctx.step, ctx.usage.input_tokens))
        return f"{greeting}, {ctx.deps}"

    setup.script(calls(("call_1", "whoami", '{"greeting": "Hi"}')), answer("done"))
    agent = Agent(setup.model, "", [whoami], client=setup.client)
    await agent.arun("Greet me", deps="Ada")
    assert seen == [("Ada", 1, 20)]
    assert "ctx" not in json.dumps(setup.bodies()[0])
    assert "Hi, Ada" in json.dumps(setup.bodies()[1])


async def test_events_arrive_in_order(setup: Setup) -> None:
    setup.script(calls(("call_1", "get_weather", '{"city": "Paris"}')), answer("Sunny in Paris."))
    agent = Agent(setup.model, "", [get_weather], client=setup.client)
    events = [e async for e in agent.stream("Weather in Paris?")]
    kinds = [type(e).__name__ for e in events if not isinstance(e, (ToolArgumentsChunk, TextChunk))]
    assert kinds == ["ToolCallStarted", "ToolExecuted", "StepFinished", "StepFinished", "FinalOutput"]
    started = next(e for e in events if isinstance(e, ToolCallStarted))
    executed = next(e for e in events if isinstance(e, ToolExecuted))
    assert (started.call_id, started.name) == ("call_1", "get_weather")
    assert executed.result == "18C and sunny in Paris"
    fragments = "".join(e.fragment for e in events if isinstance(e, ToolArgumentsChunk))
    assert json.loads(fragments) == {"city": "Paris"}
    first_args = events.index(next(e for e in events if isinstance(e, ToolArgumentsChunk)))
    assert events.index(started) < first_args < events.index(executed)
    text = "".join(e.text for e in events if isinstance(e, TextChunk))
    assert text == "Sunny in Paris."
    steps = [e for e in events if isinstance(e, StepFinished)]
    assert [s.step for s in steps] == [1, 2]
    assert steps[-1].usage == Usage(input_tokens=50, output_tokens=15)


async def test_a_tool_can_stop_the_run(setup: Setup) -> None:
    def give_up(ctx: RunContext[None], why: str) -> str:
        """Stop working on the task."""
        ctx.stop(f"gave up: {why}")
        return "stopping"

    setup.script(calls(("call_1", "give_up", '{"why": "no data"}')), answer("never sent"))
    agent = Agent(setup.model, "", [give_up], client=setup.client)
    with pytest.raises(RunStopped, match="gave up: no data") as info:
        await agent.arun("Try")
    assert len(info.value.state.steps) == 1
    assert info.value.state.messages[-1].role == "tool"
    assert setup.server.pending == 1


async def test_unknown_tool_and_invalid_json_go_back_to_the_model(setup: Setup) -> None:
    setup.script(
        calls(("call_1", "teleport", '{"to": "Mars"}')),
        calls(("call_2", "get_weather", '{"city": "Oslo", "days": ')),
        answer("Recovered."),
    )
    agent = Agent(setup.model, "", [get_weather], client=setup.client)
    events = [e async for e in agent.stream("Go")]
    assert [e.kind for e in events if isinstance(e, ToolFailed)] == ["unknown", "invalid_json"]
    assert "there is no tool named 'teleport'" in json.dumps(setup.bodies()[1])
    assert "not valid JSON" in json.dumps(setup.bodies()[2])
    assert isinstance(events[-1], FinalOutput)
    assert events[-1].output == "Recovered."


async def test_invalid_typed_answer_is_sent_back_and_retried(setup: Setup) -> None:
    setup.script(
        calls(("call_1", "final_result", '{"city": "Oslo", "celsius": "warm", "note": null}')),
        answer("It is 18 degrees in Oslo."),
        answer('{"city": "Oslo", "celsius": 18.5, "note": "mild"}'),
    )
    agent = Agent(setup.model, "", output_type=Forecast, client=setup.client)
    result = await agent.arun("Forecast")
    assert result.output == Forecast("Oslo", 18.5, "mild")
    assert result.steps == 3
    assert "does not match Forecast" in json.dumps(setup.bodies()[1])
    assert "Give your answer by calling the final_result tool" in json.dumps(setup.bodies()[2])
