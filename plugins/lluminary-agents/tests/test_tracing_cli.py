"""Runs and tool calls as trace events (``invoke_agent`` / ``execute_tool``, model calls as
children of the run), and ``lluminary agent run`` streaming a real run from the shell."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import lluminary
from lluminary import TraceEvent
from lluminary_agents import Agent
from lluminary_testing.pytest_plugin import start_server

from .conftest import API_KEY, TARGETS, Setup, answer, calls

pytestmark = pytest.mark.integration


class Recorder:
    def __init__(self) -> None:
        self.events: list[TraceEvent] = []

    @lluminary.hookimpl
    def lluminary_trace(self, event: TraceEvent) -> None:
        self.events.append(event)


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    found = Recorder()
    lluminary.register(found, name="agents-test-recorder")
    try:
        yield found
    finally:
        lluminary.unregister(found)


def lookup(city: str) -> str:
    """Look a city up."""
    return f"{city} is big"


async def test_steps_and_tools_are_children_of_the_run(setup: Setup, recorder: Recorder) -> None:
    setup.script(
        calls(("call_1", "lookup", '{"city": "Oslo"}'), ("call_2", "researcher", '{"task": "Oslo facts"}')),
        answer("Oslo is a capital."),
        answer("Oslo is big."),
    )
    researcher = Agent(setup.model, "", name="researcher", client=setup.client)
    agent = Agent(setup.model, "", [lookup, researcher.as_tool()], name="lead", client=setup.client)
    result = await agent.arun("Tell me about Oslo")
    events = recorder.events
    runs = [e for e in events if e.operation == "invoke_agent"]
    lead = next(e for e in runs if e.kind == "start" and e.metadata["gen_ai.agent.name"] == "lead")
    assert lead.call_id == result.state.run_id
    assert lead.parent_id is None
    lead_end = next(e for e in runs if e.kind == "end" and e.call_id == lead.call_id)
    assert lead_end.usage == result.usage
    model_calls = [e for e in events if e.operation == "stream" and e.kind == "start" and e.parent_id == lead.call_id]
    assert len(model_calls) == 2
    tools = {e.metadata["gen_ai.tool.name"]: e for e in events if e.operation == "execute_tool" and e.kind == "end"}
    assert set(tools) == {"lookup", "researcher"}
    assert all(t.parent_id == lead.call_id for t in tools.values())
    inner = next(e for e in runs if e.kind == "start" and e.metadata["gen_ai.agent.name"] == "researcher")
    assert inner.parent_id == tools["researcher"].call_id
    inner_call = next(
        e for e in events if e.operation == "stream" and e.kind == "start" and e.parent_id == inner.call_id
    )
    assert inner_call.model == setup.model


async def test_a_failed_tool_is_traced_as_an_error(setup: Setup, recorder: Recorder) -> None:
    def broken() -> str:
        """Always fails."""
        raise RuntimeError("boom")

    setup.script(calls(("call_1", "broken", "{}")), answer("It broke."))
    await Agent(setup.model, "", [broken], client=setup.client).arun("Go")
    errors = [e for e in recorder.events if e.operation == "execute_tool" and e.kind == "error"]
    assert len(errors) == 1
    assert "boom" in (errors[0].error or "")


OPENAI = next(t for t in TARGETS if t.provider == "openai")


@pytest.fixture
def fake_openai_server() -> Iterator[Any]:
    yield from start_server(OPENAI.fixture)


def _cli(tmp_path: Path, server: Any, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "agent_tools.py").write_text(textwrap.dedent('''
            def get_weather(city: str) -> str:
                """Current weather in a city."""
                return f"18C and sunny in {city}"
            '''))
    env = {
        **os.environ,
        "PYTHONPATH": str(tmp_path),
        "OPENAI_BASE_URL": server.base_url,
        "OPENAI_API_KEY": API_KEY,
        "NO_COLOR": "1",
    }
    command = [str(Path(sys.executable).with_name("lluminary")), "agent", "run", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_cli_streams_a_run(tmp_path: Path, fake_openai_server: Any) -> None:
    fake_openai_server.script(calls(("call_1", "get_weather", '{"city": "Paris"}')), answer("Sunny in Paris."))
    done = _cli(tmp_path, fake_openai_server, "--model", OPENAI.model, "--tool", "agent_tools:get_weather", "Weather?")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Sunny in Paris."
    assert "get_weather" in done.stderr
    assert "18C and sunny in Paris" in done.stderr


def test_cli_json_events(tmp_path: Path, fake_openai_server: Any) -> None:
    fake_openai_server.script(calls(("call_1", "get_weather", '{"city": "Rome"}')), answer("Warm."))
    done = _cli(tmp_path, fake_openai_server, "-m", OPENAI.model, "-t", "agent_tools:get_weather", "--json", "Weather?")
    assert done.returncode == 0, done.stderr
    kinds = [json.loads(line)["type"] for line in done.stdout.splitlines()]
    assert kinds[0] == "ToolCallStarted"
    assert kinds[-1] == "FinalOutput"
    assert "ToolExecuted" in kinds


def test_cli_limit_is_one_error_line(tmp_path: Path, fake_openai_server: Any) -> None:
    fake_openai_server.script(*[calls((f"c{i}", "get_weather", '{"city": "Rome"}')) for i in range(2)])
    done = _cli(
        tmp_path, fake_openai_server, "-m", OPENAI.model, "-t", "agent_tools:get_weather", "--max-steps", "1", "Go"
    )
    assert done.returncode == 1
    assert "error: no answer after 1 steps" in done.stderr


def test_cli_bad_tool_spec(tmp_path: Path, fake_openai_server: Any) -> None:
    done = _cli(tmp_path, fake_openai_server, "-m", OPENAI.model, "-t", "no_colon", "Go")
    assert done.returncode == 2
    assert "module:function" in done.stderr
