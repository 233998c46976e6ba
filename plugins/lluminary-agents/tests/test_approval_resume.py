"""Tool approval pauses a run with a resumable state; a saved run (JSON) resumes, on every provider."""

from __future__ import annotations

import json

import pytest

from lluminary import RequestValidationError
from lluminary_agents import Agent, ApprovalRequested, FinalOutput, RunState, ToolExecuted, tool

from .conftest import Setup, answer, calls

pytestmark = pytest.mark.integration

SENT: list[str] = []


@tool(requires_approval=True)
def send_email(to: str, body: str) -> str:
    """Send an email."""
    SENT.append(to)
    return f"sent to {to}"


def lookup(name: str) -> str:
    """Find a person's address."""
    return f"{name.lower()}@example.com"


async def test_approval_pauses_then_resumes_from_json(setup: Setup) -> None:
    SENT.clear()
    setup.script(
        calls(("call_1", "lookup", '{"name": "Ada"}')),
        calls(("call_2", "send_email", '{"to": "ada@example.com", "body": "Hi"}')),
        answer("Email sent."),
    )
    agent = Agent(setup.model, "", [lookup, send_email], client=setup.client)
    paused = await agent.arun("Email Ada")
    assert paused.paused
    assert paused.output is None
    assert [c.id for c in paused.pending] == ["call_2"]
    assert SENT == []
    saved = paused.state.to_json()

    restored = RunState.from_json(saved)
    assert restored.messages == paused.state.messages
    with pytest.raises(RequestValidationError):
        await agent.arun(state=restored)  # nothing decided yet
    restored.approve("call_2")
    events = [e async for e in agent.stream(state=restored)]
    assert SENT == ["ada@example.com"]
    assert [type(e).__name__ for e in events if isinstance(e, (ToolExecuted, FinalOutput))] == [
        "ToolExecuted",
        "FinalOutput",
    ]
    assert restored.status == "finished"
    assert restored.output == "Email sent."
    assert len(restored.steps) == 3
    assert "sent to ada@example.com" in json.dumps(setup.bodies()[-1])


async def test_denied_call_goes_back_as_an_error(setup: Setup) -> None:
    SENT.clear()
    setup.script(calls(("call_9", "send_email", '{"to": "x@example.com", "body": "spam"}')), answer("Not sent."))
    agent = Agent(setup.model, "", [send_email], client=setup.client)
    stream = agent.stream("Email x")
    events = [e async for e in stream]
    assert isinstance(events[-1], ApprovalRequested)
    assert events[-1].call_ids == ("call_9",)
    state = RunState.from_json(stream.result.state.to_json())
    state.deny("call_9", "the user said no")
    result = await agent.arun(state=state)
    assert result.output == "Not sent."
    assert SENT == []
    assert "the user said no" in json.dumps(setup.bodies()[-1])


def test_bad_saved_state_is_a_typed_error() -> None:
    with pytest.raises(RequestValidationError):
        RunState.from_json("{not json")
    with pytest.raises(RequestValidationError):
        RunState.from_json('{"version": 1, "messages": [{"role": "nobody"}]}')
    with pytest.raises(RequestValidationError):
        RunState.from_json('{"version": 99}')


def test_unknown_call_cannot_be_approved() -> None:
    with pytest.raises(RequestValidationError):
        RunState(pending=("call_1",)).approve("call_2")


def test_sync_run_pauses_and_resumes(setup: Setup) -> None:
    SENT.clear()
    setup.script(calls(("call_1", "send_email", '{"to": "b@example.com", "body": "Hi"}')), answer("Done."))
    agent = Agent(setup.model, "", [send_email], client=setup.client)
    paused = agent.run("Email b")
    assert paused.paused
    result = agent.run(state=paused.state.approve("call_1"))
    assert result.output == "Done."
    assert SENT == ["b@example.com"]
