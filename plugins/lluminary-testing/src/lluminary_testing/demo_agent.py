"""The demo's agent step: ``lluminary-agents`` runs the tool loop against the simulated Anthropic
API — the model asks for two tools in one turn, the agent runs them at the same time and sends the
results back, the model answers — and the agent's events are printed as they happen.

The tools are real functions run by the real loop; only the model's turns are the simulation's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from lluminary import Usage

from .scenario import Scenario, ToolCallSpec
from .server import Fault

MODEL = "anthropic:claude-haiku-4-5"
TASK = "Is it warmer in Paris or in Rome right now?"
INSTRUCTIONS = "You compare the weather of cities. Look the cities up, then answer in one sentence."
WEATHER = {"Paris": (14, "light rain"), "Rome": (21, "sunny")}
#: Seconds each lookup takes: two of them in one step finish together, not one after the other.
LOOKUP_SECONDS = 0.3


async def current_weather(city: str) -> str:
    """The current temperature and sky of a city.

    Args:
        city: The city name, e.g. "Paris".
    """
    await asyncio.sleep(LOOKUP_SECONDS)
    celsius, sky = WEATHER.get(city, (10, "cloudy"))
    return f'{{"city": "{city}", "temperature_c": {celsius}, "sky": "{sky}"}}'


def scenarios() -> tuple[Scenario, Scenario]:
    """The simulated model's two turns: both lookups at once, then the answer."""
    lookups = Scenario(
        text=["I'll look both cities up."],
        tool_calls=[
            ToolCallSpec("toolu_agent01", "current_weather", '{"city": "Paris"}', fragments=('{"city": ', '"Paris"}')),
            ToolCallSpec("toolu_agent02", "current_weather", '{"city": "Rome"}', fragments=('{"city": ', '"Rome"}')),
        ],
        usage=Usage(input_tokens=388, output_tokens=71),
        model="claude-haiku-4-5-20251001",
        id="msg_agent1",
        fault=Fault(chunk_delay=0.03),
    )
    answer = Scenario(
        text=["Rome is warmer: ", "21 °C and sunny, ", "against 14 °C and light rain in Paris."],
        usage=Usage(input_tokens=520, output_tokens=24),
        model="claude-haiku-4-5-20251001",
        id="msg_agent2",
        fault=Fault(chunk_delay=0.05),
    )
    return lookups, answer


def run_step(client: Any, server: Any, say: Callable[..., None]) -> None:
    """Script the simulation, run the agent, print its events."""
    from lluminary.sdk import run_sync
    from lluminary_agents import Agent, FinalOutput, StepFinished, TextChunk, ToolCallStarted, ToolExecuted, ToolFailed

    server.script(*scenarios())
    agent = Agent(MODEL, INSTRUCTIONS, tools=[current_weather], client=client, max_steps=4)
    say(f"   > {TASK}")

    async def watch() -> Any:
        started = time.perf_counter()
        tools_started: float | None = None
        writing = False
        stream = agent.stream(TASK)
        async for event in stream:
            if isinstance(event, TextChunk):
                if not writing:
                    say(f"   step {event.step} model: ", end="")
                    writing = True
                say(event.text, end="")
                continue
            if writing:
                say()
                writing = False
            if isinstance(event, ToolCallStarted):
                say(f"   step {event.step} tool call {event.index}: {event.name} (id {event.call_id})")
            elif isinstance(event, ToolExecuted):
                if tools_started is None:
                    tools_started = time.perf_counter() - event.duration
                say(f"   ran {event.name}({dict(event.arguments)}) in {1000 * event.duration:.0f} ms -> {event.result}")
            elif isinstance(event, ToolFailed):
                say(f"   {event.name} failed ({event.kind}): {event.error}")
            elif isinstance(event, StepFinished):
                line = f"   step {event.step} done: {event.tool_calls} tool call(s)"
                if event.tool_calls and tools_started is not None:
                    line += f", together in {1000 * (time.perf_counter() - tools_started):.0f} ms"
                say(line)
                tools_started = None
            elif isinstance(event, FinalOutput):
                say(f"   final answer after {1000 * (time.perf_counter() - started):.0f} ms: {event.output}")
        return stream.result

    result = run_sync(watch())
    say(f"   {result.steps} steps, usage {result.usage.input_tokens} in / {result.usage.output_tokens} out")
