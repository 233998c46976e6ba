"""``lluminary demo``: the whole plugin path end to end, offline.

It starts local simulations of the OpenAI and Anthropic APIs on loopback (this package's fake
servers, speaking the real wire formats) and drives them through the ordinary client: the real
``lluminary-openai`` and ``lluminary-anthropic`` plugins, real HTTP, real SSE, the kernel's cache
and cost accounting; then retrieval with real offline embeddings (``lluminary-local``) in a real
FAISS index (``lluminary-faiss``), and an agent (``lluminary-agents``) running tools in its loop.
Nothing leaves the machine and no API key is needed.

Those five plugins are its requirements (``pip install "lluminary-testing[demo]"``); without one,
:func:`run` raises :class:`MissingPlugins` naming the distributions to install, before it starts
anything.
"""

from __future__ import annotations

import importlib.util
import math
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import TextIO

from lluminary import Usage

from . import demo_agent, demo_retrieval
from .scenario import Scenario, ToolCallSpec
from .server import FakeServer, Fault

CHAT_MODEL = "openai:gpt-4o-mini"
TOOL_MODEL = "anthropic:claude-haiku-4-5"
EMBED_MODEL = "openai:text-embedding-3-small"
DEMO_KEY = "sk-demo-local-simulation-0000"
#: The distributions the demo drives (the ``demo`` extra), and the module each one installs.
REQUIRED_PLUGINS = {
    "lluminary-openai": "lluminary_openai",
    "lluminary-anthropic": "lluminary_anthropic",
    "lluminary-local": "lluminary_local",
    "lluminary-faiss": "lluminary_faiss",
    "lluminary-agents": "lluminary_agents",
}
QUESTION = "In one sentence: why does a streaming API feel faster?"
ANSWER = (
    "Because the first words arrive as soon as the model writes them, ",
    "so you start reading ",
    "while the rest of the answer ",
    "is still being generated.",
)


class MissingPlugins(RuntimeError):
    """A plugin the demo drives is not installed; ``distributions`` names what to install."""

    def __init__(self, distributions: list[str]) -> None:
        self.distributions = distributions
        names = " and ".join(distributions)
        super().__init__(
            f"lluminary demo drives the OpenAI, Anthropic, local-embeddings, FAISS and agents plugins, and {names} "
            f"{'is' if len(distributions) == 1 else 'are'} not installed. Install "
            f"{'it' if len(distributions) == 1 else 'them'} with: pip install {' '.join(distributions)} "
            '(or pip install "lluminary-testing[demo]")'
        )


def missing_plugins() -> list[str]:
    """The distributions of :data:`REQUIRED_PLUGINS` that are not installed."""
    return [dist for dist, module in REQUIRED_PLUGINS.items() if importlib.util.find_spec(module) is None]


def get_weather(city: str) -> str:
    """Current weather for a city.

    Args:
        city: The city name, e.g. "Paris".
    """
    return f'{{"city": "{city}", "temperature_c": 14, "sky": "light rain"}}'


@contextmanager
def _servers() -> Iterator[tuple[FakeServer, FakeServer]]:
    from .anthropic_server import FakeAnthropicServer
    from .openai_server import FakeOpenAIServer

    with ExitStack() as stack:
        openai = stack.enter_context(FakeOpenAIServer())
        anthropic = stack.enter_context(FakeAnthropicServer())
        openai.script(
            Scenario(
                text=ANSWER,
                usage=Usage(input_tokens=21, output_tokens=28, cache_read_tokens=0),
                model="gpt-4o-mini-2024-07-18",
                id="chatcmpl-demo1",
                fault=Fault(chunk_delay=0.12),
            )
        )
        anthropic.script(
            Scenario(
                text=["Let me check the weather in Paris."],
                tool_calls=[
                    ToolCallSpec(
                        "toolu_demo01", "get_weather", '{"city": "Paris"}', fragments=("", '{"ci', 'ty": "Pa', 'ris"}')
                    )
                ],
                usage=Usage(input_tokens=412, output_tokens=58),
                model="claude-haiku-4-5-20251001",
                id="msg_demo1",
                fault=Fault(chunk_delay=0.05),
            ),
            Scenario(
                text=["It is 14 °C in Paris ", "with light rain: ", "take an umbrella."],
                usage=Usage(input_tokens=503, output_tokens=19),
                model="claude-haiku-4-5-20251001",
                id="msg_demo2",
                fault=Fault(chunk_delay=0.08),
            ),
        )
        yield openai, anthropic


def run(out: TextIO = sys.stdout) -> None:
    """Run the demo, printing to ``out``; :class:`MissingPlugins` when a plugin it drives is not
    installed."""
    missing = missing_plugins()
    if missing:
        raise MissingPlugins(missing)
    import lluminary
    from lluminary import Client, TextDelta, ToolCallDelta, ToolCallEnd, ToolCallStart

    def say(text: str = "", end: str = "\n") -> None:
        out.write(text + end)
        out.flush()

    # The client's provider settings point both plugins at the simulations; the client closes its
    # connection pools before the simulations stop.
    with (
        _servers() as (openai_server, anthropic_server),
        Client(
            cache="memory://",
            providers={
                "openai": {"base_url": openai_server.base_url, "api_key": DEMO_KEY},
                "anthropic": {"base_url": anthropic_server.base_url, "api_key": DEMO_KEY},
            },
        ) as client,
    ):
        openai_url, anthropic_url = openai_server.base_url, anthropic_server.base_url
        say("lluminary demo — the OpenAI and Anthropic APIs below are LOCAL SIMULATIONS on loopback")
        say(f"  OpenAI protocol:    {openai_url}")
        say(f"  Anthropic protocol: {anthropic_url}")
        say("  (real HTTP and SSE through the installed plugins; no network, no API key)\n")

        say(f"1. A streamed chat with {CHAT_MODEL}")
        say(f"   > {QUESTION}\n   ", end="")
        started = time.perf_counter()
        first_at: float | None = None
        stream = client.stream(CHAT_MODEL, QUESTION)
        for event in stream:
            if isinstance(event, TextDelta):
                if first_at is None:
                    first_at = time.perf_counter() - started
                say(event.text, end="")
        reply = stream.response()
        total = time.perf_counter() - started
        say(f"\n   first words after {1000 * (first_at or total):.0f} ms, whole answer after {1000 * total:.0f} ms")
        say(f"   usage {_usage(reply.usage)}, cost {_dollars(reply.cost)}\n")

        say(f"2. A streamed tool-call round trip with {TOOL_MODEL}")
        say("   > What's the weather in Paris?")
        tools = [get_weather]
        question = lluminary.Message.user("What's the weather in Paris?")
        stream = client.stream(TOOL_MODEL, messages=[question], tools=tools)
        say("   ", end="")
        for event in stream:
            if isinstance(event, TextDelta):
                say(event.text, end="")
            elif isinstance(event, ToolCallStart):
                say(f"\n   tool call #{event.index} starts: {event.name} (id {event.id})")
            elif isinstance(event, ToolCallDelta) and event.arguments:
                say(f"     arguments fragment: {event.arguments!r}")
            elif isinstance(event, ToolCallEnd):
                say(f"   tool call complete: {event.call.name}({dict(event.call.arguments)})")
        first = stream.response()
        call = first.tool_calls[0]
        result = get_weather(**call.arguments)
        say(f"   running {call.name} locally -> {result}")
        follow_up = [question, first.message, lluminary.Message.tool(call.id, result, name=call.name)]
        stream = client.stream(TOOL_MODEL, messages=follow_up, tools=tools)
        say("   ", end="")
        for event in stream:
            if isinstance(event, TextDelta):
                say(event.text, end="")
        second = stream.response()
        say(f"\n   usage {_usage(first.usage + second.usage)}, cost {_dollars(_sum_cost(first.cost, second.cost))}\n")

        say(f"3. Embeddings with {EMBED_MODEL}")
        texts = ["a cat sleeps on the sofa", "a kitten naps on the couch", "quarterly tax filing deadline"]
        vectors = client.embed(EMBED_MODEL, texts)
        say(f"   {len(vectors.embeddings)} vectors of {len(vectors.embeddings[0])} dimensions")
        for i in range(1, len(texts)):
            similarity = _cosine(vectors.embeddings[0], vectors.embeddings[i])
            say(f"   cosine({texts[0]!r}, {texts[i]!r}) = {similarity:+.3f}")
        say("   (the simulation's vectors are deterministic hashes, not semantic: real ones cluster by meaning)\n")

        say("4. The same question again: answered from the kernel's memory cache")
        seen = len(openai_server.requests)
        started = time.perf_counter()
        again = client.generate(CHAT_MODEL, QUESTION)
        elapsed = 1000 * (time.perf_counter() - started)
        reached = len(openai_server.requests) - seen
        say(f"   cached={again.cached} in {elapsed:.2f} ms; requests that reached the server: {reached}")
        say(f"   same text as the streamed answer: {again.text == reply.text}\n")

        say("5. Retrieval: real embeddings, a real vector index, an answer that cites its passages")
        demo_retrieval.run_step(client, CHAT_MODEL, openai_server, say)
        say("   (the passages are embedded and retrieved for real; the answer is the simulation's)\n")

        say(f"6. An agent: {demo_agent.MODEL} asks for two tools at once; the loop runs them together")
        demo_agent.run_step(client, anthropic_server, say)
        say("   (the tools and the loop are real; the model's turns are the simulation's)\n")

        say("7. This session")
        say(f"   calls to providers: {client.calls}")
        say(f"   usage: {_usage(client.usage)}")
        say(f"   cost:  {_dollars(client.cost)} (catalogue prices; the cache hit cost nothing)")
        say(
            "\nWith a real key (OPENAI_API_KEY, ANTHROPIC_API_KEY, ...), `lluminary chat MODEL PROMPT` talks to the real API."
        )


def _usage(usage: Usage) -> str:
    extra = ""
    if usage.cache_read_tokens or usage.cache_write_tokens:
        extra = f" (cache read {usage.cache_read_tokens}, write {usage.cache_write_tokens})"
    return f"{usage.input_tokens} in / {usage.output_tokens} out{extra}"


def _dollars(cost: object) -> str:
    total = getattr(cost, "total", None)
    return "unknown (no catalogue price)" if total is None else f"${total:.6f}"


def _sum_cost(*costs: object) -> object:
    known = [c for c in costs if c is not None]
    if not known:
        return None
    total = known[0]
    for c in known[1:]:
        total = total + c  # type: ignore[operator]
    return total


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0
