"""Plan-and-execute completing a 3-step plan, a handoff (an agent as a tool of another), and the
standard agent types, on every provider."""

from __future__ import annotations

import json

import pytest

from lluminary import RequestValidationError, Usage
from lluminary_agents import (
    Agent,
    MaxStepsExceeded,
    Plan,
    PlanAndExecute,
    Replan,
    planner_executor,
    retrieval_agent,
    tool_calling_assistant,
)

from .conftest import Setup, answer, calls

pytestmark = pytest.mark.integration

BOOKED: list[str] = []


def book(item: str) -> str:
    """Book a flight, a hotel or a car."""
    BOOKED.append(item)
    return f"booked {item}"


def final(**data: object) -> tuple[str, str, str]:
    return ("call_final", "final_result", json.dumps(data))


async def test_plan_and_execute_completes_a_three_step_plan(setup: Setup) -> None:
    BOOKED.clear()
    setup.script(
        calls(final(steps=["book the flight", "book the hotel", "book the car"])),
        calls(("call_b1", "book", '{"item": "flight"}')),
        answer("Flight booked."),
        calls(final(steps=["book the hotel", "book the car"], answer=None)),
        calls(("call_b2", "book", '{"item": "hotel"}')),
        answer("Hotel booked."),
        calls(final(steps=["book the car"], answer=None)),
        calls(("call_b3", "book", '{"item": "car"}')),
        answer("Car booked."),
        calls(final(steps=[], answer="Trip booked: flight, hotel and car.")),
    )
    flow = planner_executor(setup.model, [book], client=setup.client)
    result = await flow.arun("Book my trip")
    assert result.output == "Trip booked: flight, hotel and car."
    assert BOOKED == ["flight", "hotel", "car"]
    assert [d.step for d in result.done] == ["book the flight", "book the hotel", "book the car"]
    assert result.plans[0] == ["book the flight", "book the hotel", "book the car"]
    assert len(result.plans) == 3
    assert result.usage.input_tokens == 7 * 20 + 3 * 30
    assert setup.server.pending == 0
    executor_prompt = json.dumps(setup.bodies()[4])
    assert "book the hotel" in executor_prompt
    assert "Flight booked." in executor_prompt


async def test_plan_without_replanner_follows_the_plan(setup: Setup) -> None:
    setup.script(calls(final(steps=["one", "two", "three"])), answer("1"), answer("2"), answer("3"))
    planner = Agent(setup.model, "plan", output_type=Plan, client=setup.client)
    executor = Agent(setup.model, "do", client=setup.client)
    result = await PlanAndExecute(planner, executor).arun("count")
    assert result.output == "3"
    assert [d.output for d in result.done] == ["1", "2", "3"]


async def test_plan_longer_than_max_steps_stops(setup: Setup) -> None:
    setup.script(calls(final(steps=["a", "b", "c"])), answer("A"), answer("B"))
    planner = Agent(setup.model, "plan", output_type=Plan, client=setup.client)
    executor = Agent(setup.model, "do", client=setup.client)
    with pytest.raises(MaxStepsExceeded) as info:
        await PlanAndExecute(planner, executor, max_steps=2).arun("letters")
    assert info.value.state.usage.input_tokens == 20 + 2 * 30


def test_plan_and_execute_checks_its_agents() -> None:
    plain = Agent("openai:gpt-4o-mini")
    with pytest.raises(RequestValidationError):
        PlanAndExecute(plain, plain)  # type: ignore[arg-type]
    with pytest.raises(RequestValidationError):
        PlanAndExecute(Agent("openai:gpt-4o-mini", output_type=Plan), plain, plain)  # type: ignore[arg-type]
    assert Replan().answer is None


async def test_handoff_runs_the_other_agent_and_counts_its_usage(setup: Setup) -> None:
    setup.script(
        calls(("call_h1", "researcher", '{"task": "Find the capital of Peru"}')),
        answer("Lima.", Usage(input_tokens=7, output_tokens=1)),
        answer("The capital is Lima."),
    )
    researcher = Agent(setup.model, "You research facts.", name="researcher", client=setup.client)
    lead = Agent(setup.model, "You delegate research.", [researcher.as_tool()], client=setup.client)
    result = await lead.arun("What is the capital of Peru?")
    assert result.output == "The capital is Lima."
    assert "Find the capital of Peru" in json.dumps(setup.bodies()[1])
    assert "Lima." in json.dumps(setup.bodies()[2])
    assert result.usage == Usage(input_tokens=20 + 7 + 30, output_tokens=10 + 1 + 5)


async def test_tool_calling_assistant(setup: Setup) -> None:
    setup.script(calls(("call_1", "book", '{"item": "taxi"}')), answer("Your taxi is booked."))
    agent = tool_calling_assistant(setup.model, [book], client=setup.client, max_steps=3)
    result = await agent.arun("Get me a taxi")
    assert result.output == "Your taxi is booked."
    assert agent.max_steps == 3


async def test_retrieval_agent_answers_from_the_store(setup: Setup) -> None:
    store = setup.client.open_store("memory://handbook", embed="local:e5-small")
    await store.aadd_texts(["Staff get 30 days of leave a year.", "The office opens at 8."], ids=["leave", "office"])
    setup.script(
        calls(("call_1", "search_knowledge_base", '{"query": "days of leave"}')),
        answer("You get 30 days of leave [leave]."),
    )
    agent = retrieval_agent(setup.model, store, k=1, client=setup.client)
    result = await agent.arun("How much leave do I get?")
    assert result.output == "You get 30 days of leave [leave]."
    assert "[leave] Staff get 30 days of leave a year." in json.dumps(setup.bodies()[1])
