"""Memory across runs: a buffer, a token window that summarises old turns when it would overflow,
and vector memory recalling an earlier fact with real offline embeddings."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lluminary import Client, Message, RequestValidationError, Usage
from lluminary_agents import Agent, BufferMemory, Memory, TokenWindowMemory, VectorMemory
from lluminary_testing.pytest_plugin import start_server

from .conftest import TARGETS, Setup, answer, calls, make_client

pytestmark = pytest.mark.integration


def get_time() -> str:
    """The time now."""
    return "12:00"


async def test_buffer_memory_carries_the_conversation(setup: Setup) -> None:
    memory = BufferMemory()
    setup.script(answer("Nice to meet you, Ada."), calls(("call_1", "get_time", "{}")), answer("It is noon, Ada."))
    agent = Agent(setup.model, "", [get_time], memory=memory, client=setup.client)
    await agent.arun("I am Ada.")
    result = await agent.arun("What time is it?")
    assert result.output == "It is noon, Ada."
    assert "I am Ada." in json.dumps(setup.bodies()[1])
    assert [m.role for m in memory.messages] == ["user", "assistant", "user", "assistant", "tool", "assistant"]
    restored = BufferMemory.from_dict(json.loads(json.dumps(memory.to_dict())))
    assert restored.messages == memory.messages
    assert isinstance(memory, Memory)


async def test_buffer_memory_keeps_whole_turns() -> None:
    memory = BufferMemory(max_turns=1)
    first = [Message.user("one"), Message.assistant("1")]
    second = [Message.user("two"), Message.assistant("2")]
    agent = Agent("openai:gpt-4o-mini")
    await memory.remember(first, agent)
    await memory.remember(second, agent)
    assert memory.messages == second
    with pytest.raises(RequestValidationError):
        BufferMemory(max_turns=0)


OPENAI = next(t for t in TARGETS if t.provider == "openai")


@pytest.fixture
def openai_setup() -> Any:
    yield from start_server(OPENAI.fixture)


async def test_token_window_summarises_at_the_window(openai_setup: Any) -> None:
    client = make_client(OPENAI, openai_setup)
    try:
        memory = TokenWindowMemory(max_tokens=10_000, keep_turns=1)
        agent = Agent(OPENAI.model, "", memory=memory, client=client)
        long = "The project codename is BLUEBIRD and the budget is 40000 euros. " * 3
        openai_setup.script(answer("Noted the codename."), answer("Second answer."))
        await agent.arun(long)
        await agent.arun("Short question two?")
        assert memory.summaries == 0
        # The window shrinks to one token less than the next request needs: it must overflow now.
        memory.max_tokens = await memory.count([*memory._history(), Message.user("What is the codename?")], agent) - 1
        openai_setup.script(answer("Codename BLUEBIRD, budget 40000 euros."), answer("It is BLUEBIRD."))
        result = await agent.arun("What is the codename?")
        assert result.output == "It is BLUEBIRD."
        assert memory.summaries == 1
        summary_request, run_request = openai_setup.requests[-2].json(), openai_setup.requests[-1].json()
        assert "BLUEBIRD" in json.dumps(summary_request)
        assert "Summarise" in json.dumps(summary_request)
        sent = json.dumps(run_request)
        assert "Codename BLUEBIRD, budget 40000 euros." in sent
        assert long.strip() not in sent
        assert "Short question two?" in sent  # the last turn is kept as it was
        restored = TokenWindowMemory.from_dict(json.loads(json.dumps(memory.to_dict())))
        assert restored.summary == memory.summary
        assert restored.messages == memory.messages
    finally:
        await client.aclose()


async def test_token_window_under_the_window_does_not_summarise(openai_setup: Any) -> None:
    client = make_client(OPENAI, openai_setup)
    try:
        memory = TokenWindowMemory(max_tokens=10_000)
        agent = Agent(OPENAI.model, "", memory=memory, client=client)
        openai_setup.script(answer("One."), answer("Two."))
        await agent.arun("First?")
        await agent.arun("Second?")
        assert memory.summaries == 0
        assert len(openai_setup.requests) == 2
    finally:
        await client.aclose()


async def test_vector_memory_recalls_an_earlier_fact(openai_setup: Any, tmp_path: Any) -> None:
    client = make_client(OPENAI, openai_setup)
    try:
        store = client.open_store(f"faiss://{tmp_path}/memory", embed="local:e5-small")
        memory = VectorMemory(store, k=1)
        facts = ["My dog is called Rex.", "My favourite colour is teal.", "I live in Lisbon."]
        for fact in facts:
            openai_setup.script(answer("Noted."))
            await Agent(OPENAI.model, "", memory=memory, client=client).arun(fact)
        openai_setup.script(answer("Teal."))
        fresh = Agent(OPENAI.model, "", memory=memory, client=client)
        result = await fresh.arun("Which colour do I like best?")
        assert result.output == "Teal."
        sent = json.dumps(openai_setup.last_request.json())
        assert "favourite colour is teal" in sent
        assert "Rex" not in sent
        assert "Lisbon" not in sent
    finally:
        await client.aclose()


def test_memory_validates_its_window() -> None:
    with pytest.raises(RequestValidationError):
        TokenWindowMemory(max_tokens=0)


_ = (Client, Usage)
