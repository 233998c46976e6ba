"""Tools keep their function: schema without the context, argument checking, conversion into the
hinted types, sync and async functions, and definitions that cannot work rejected up front."""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass
from typing import Any

import pydantic
import pytest

from lluminary import Cost, RequestValidationError, Usage
from lluminary_agents import Agent, AgentTool, RunContext, RunState, ToolDefinitionError, tool
from lluminary_agents._tools import ArgumentError, as_tool


class Unit(enum.Enum):
    C = "celsius"
    F = "fahrenheit"


@dataclass
class Point:
    lat: float
    lon: float


class Box(pydantic.BaseModel):
    width: int
    height: int


def context() -> RunContext[dict[str, str]]:
    return RunContext({"user": "ada"}, RunState(usage=Usage(3, 4), cost=Cost(0.5)), "test", None)


def test_schema_leaves_the_context_out() -> None:
    def greet(ctx: RunContext[dict[str, str]], name: str, loud: bool = False) -> str:
        """Greet someone.

        Args:
            name: Who to greet.
            loud: Shout it.
        """
        return f"hi {name} from {ctx.deps['user']}"

    made = as_tool(greet)
    assert made.takes_context
    assert made.definition.description == "Greet someone."
    assert made.definition.parameters == {
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "Who to greet."},
            "loud": {"type": "boolean", "description": "Shout it.", "default": False},
        },
        "required": ["name"],
    }
    assert asyncio.run(made.call({"name": "Bob"}, context())) == "hi Bob from ada"


def test_decorated_tool_keeps_options_and_function() -> None:
    @tool(timeout=2, requires_approval=True, name="wipe_disk")
    async def wipe(path: str) -> str:
        """Delete everything under a path."""
        return f"wiped {path}"

    assert isinstance(wipe, AgentTool)
    assert (wipe.name, wipe.timeout, wipe.requires_approval, wipe.is_async) == ("wipe_disk", 2, True, True)
    assert asyncio.run(wipe.call({"path": "/tmp/x"}, None)) == "wiped /tmp/x"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, "missing required 'city'"),
        ({"city": 3}, "arguments.city: expected string"),
        ({"city": "Oslo", "unit": "kelvin"}, "'kelvin' is not one of"),
        ({"city": "Oslo", "days": True}, "arguments.days: expected integer"),
        ({"city": "Oslo", "extra": 1}, "unexpected 'extra'"),
        ({"city": "Oslo", "at": {"lat": 1}}, "missing required 'lon'"),
    ],
)
def test_bad_arguments_are_refused_before_the_call(arguments: dict[str, Any], message: str) -> None:
    called: list[object] = []

    def forecast(city: str, unit: Unit = Unit.C, days: int = 1, at: Point | None = None) -> str:
        """A forecast."""
        called.append(city)
        return "ok"

    with pytest.raises(ArgumentError, match=message.replace("(", r"\(")):
        asyncio.run(as_tool(forecast).call(arguments, None))
    assert called == []


def test_arguments_become_the_hinted_types() -> None:
    seen: list[object] = []

    def place(unit: Unit, at: Point, box: Box, pair: tuple[int, int]) -> str:
        """Place a box."""
        seen.extend([unit, at, box, pair])
        return "placed"

    arguments = {"unit": "fahrenheit", "at": {"lat": 1.5, "lon": 2}, "box": {"width": 2, "height": 3}, "pair": [1, 2]}
    assert asyncio.run(as_tool(place).call(arguments, None)) == "placed"
    assert seen == [Unit.F, Point(1.5, 2.0), Box(width=2, height=3), (1, 2)]


def test_sync_tools_run_in_threads_concurrently() -> None:
    import time

    def nap(seconds: float) -> float:
        """Sleep."""
        time.sleep(seconds)
        return seconds

    made = as_tool(nap)

    async def both() -> float:
        start = time.perf_counter()
        await asyncio.gather(made.call({"seconds": 0.2}, None), made.call({"seconds": 0.2}, None))
        return time.perf_counter() - start

    assert asyncio.run(both()) < 0.35


def test_context_exposes_usage_cost_and_stop() -> None:
    ctx = context()
    assert (ctx.usage, ctx.cost.total, ctx.step) == (Usage(3, 4), 0.5, 0)
    ctx.stop("enough")
    assert ctx.stop_reason == "enough"
    ctx.add_usage(Usage(1, 1), Cost(0.25))
    assert ctx.state.usage == Usage(4, 5)
    assert ctx.state.cost.total == 0.75


def test_definitions_that_cannot_work_are_rejected() -> None:
    class Opaque:
        pass

    def bad_hint(thing: Opaque) -> str:
        return ""

    def late_context(name: str, ctx: RunContext[None]) -> str:
        return name

    with pytest.raises(ToolDefinitionError):
        as_tool(bad_hint)
    with pytest.raises(ToolDefinitionError):
        as_tool(late_context)
    with pytest.raises(ToolDefinitionError):
        as_tool(lambda: None, name="no spaces allowed")
    with pytest.raises(ToolDefinitionError):
        as_tool("not callable")  # type: ignore[arg-type]
    with pytest.raises(ToolDefinitionError):
        tool(timeout=0)(lambda: None)


def test_agent_rejects_bad_configuration() -> None:
    def a() -> str:
        """A."""
        return "a"

    with pytest.raises(RequestValidationError):
        Agent("no-provider")
    with pytest.raises(RequestValidationError):
        Agent("openai:gpt-4o-mini", max_steps=0)
    with pytest.raises(RequestValidationError):
        Agent("openai:gpt-4o-mini", timeout=-1)
    with pytest.raises(RequestValidationError):
        Agent("openai:gpt-4o-mini", tools=[a, a])
    with pytest.raises(RequestValidationError):
        Agent("openai:gpt-4o-mini", output_type=Point, tools=[tool(name="final_result")(a)])
    with pytest.raises(RequestValidationError):
        asyncio.run(Agent("openai:gpt-4o-mini").arun())


def test_importing_the_package_is_cheap() -> None:
    import subprocess
    import sys

    code = "import sys, lluminary_agents, lluminary_agents.commands; print(sorted(m for m in sys.modules if m.startswith(('lluminary_agents', 'httpx', 'click', 'cattrs'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['lluminary_agents', 'lluminary_agents.commands']"
