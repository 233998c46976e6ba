"""What the lluminary-agents loop costs, against the bars of issue 14:

* loop overhead per step, excluding the model and the tools: ≤ 200 µs. An agent runs ``STEPS``
  steps on the kernel's in-process scripted provider (each step: one call of a tool that returns
  at once), and the same model calls (the same growing conversations, streamed and drained through
  the same client) and the same tool calls are timed on their own; the difference per step is the
  loop's own cost (events, argument checking, tasks, state, accounting).
* 10 parallel tool calls of 100 ms each finish in ≤ 150 ms (async tools, and sync tools, which
  run in worker threads): the time of the whole run, model turns included.

Run it with ``python benchmarks/agents.py``; ``--check`` exits 1 when a bar fails.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import time
from typing import Any

STEP_BAR_US = 200.0
PARALLEL_BAR_MS = 150.0
STEPS = 20
PARALLEL = 10
TOOL_SECONDS = 0.1
MODEL = "agentbench:model"


def tool_turn(step: int, calls: int = 1, name: str = "noop") -> Any:
    from lluminary import ChatResponse, Message, ToolCallPart, Usage

    parts = tuple(ToolCallPart(f"call_{step}_{i}", name, {"value": i}) for i in range(calls))
    return ChatResponse(Message("assistant", parts), "tool_calls", "tool_calls", Usage(10, 5), model="model")


def text_turn() -> Any:
    from lluminary import ChatResponse, Message, TextPart, Usage

    return ChatResponse(Message("assistant", (TextPart("done"),)), "stop", "stop", Usage(10, 2), model="model")


async def noop(value: int) -> str:
    """Return at once."""
    return "ok"


async def nap(value: int) -> str:
    """Take 100 ms."""
    await asyncio.sleep(TOOL_SECONDS)
    return "ok"


def nap_sync(value: int) -> str:
    """Take 100 ms (in a worker thread)."""
    time.sleep(TOOL_SECONDS)
    return "ok"


async def agent_run(provider: Any, client: Any) -> float:
    from lluminary_agents import Agent

    provider.add(*[tool_turn(i) for i in range(STEPS - 1)], text_turn())
    agent = Agent(MODEL, "bench", [noop], max_steps=STEPS, client=client)
    started = time.perf_counter()
    result = await agent.arun("go")
    elapsed = time.perf_counter() - started
    assert result.steps == STEPS, result
    return elapsed


async def bare_run(provider: Any, client: Any) -> float:
    """The same model calls and tool calls, with no agent around them."""
    from lluminary import Message, ToolResultPart, tool

    definition = tool(noop)
    provider.add(*[tool_turn(i) for i in range(STEPS - 1)], text_turn())
    messages = [Message.user("go")]
    started = time.perf_counter()
    for _ in range(STEPS):
        stream = client.astream(MODEL, messages=tuple(messages), system="bench", tools=[definition])
        async for _event in stream:
            pass
        response = stream.final
        messages.append(response.message)
        if response.tool_calls:
            results = [ToolResultPart(c.id, await noop(**c.arguments), False, c.name) for c in response.tool_calls]
            messages.append(Message("tool", tuple(results)))
    return time.perf_counter() - started


async def parallel_run(provider: Any, client: Any, function: Any) -> float:
    from lluminary_agents import Agent

    provider.add(tool_turn(0, PARALLEL, function.__name__), text_turn())
    agent = Agent(MODEL, "bench", [function], max_parallel_tools=PARALLEL, client=client)
    started = time.perf_counter()
    await agent.arun("go")
    return time.perf_counter() - started


async def measure(rounds: int) -> dict[str, float]:
    import lluminary
    from lluminary.sdk import ScriptedProvider

    provider = ScriptedProvider("agentbench", prefixes=["agentbench"])
    lluminary.register(provider, name="agentbench")
    client = lluminary.Client(cache=False, retries=1, exporters=[])
    try:
        for _ in range(3):  # warm-up: imports, schemas, pools
            await agent_run(provider, client)
            await bare_run(provider, client)
        agent_times, bare_times = [], []
        gc.disable()
        for _ in range(rounds):
            agent_times.append(await agent_run(provider, client))
            bare_times.append(await bare_run(provider, client))
        gc.enable()
        overhead = (statistics.median(agent_times) - statistics.median(bare_times)) / STEPS
        parallel_async = min([await parallel_run(provider, client, nap) for _ in range(5)])
        parallel_sync = min([await parallel_run(provider, client, nap_sync) for _ in range(5)])
    finally:
        await client.aclose()
        lluminary.unregister(provider)
    return {
        "agent_step_us": statistics.median(agent_times) / STEPS * 1e6,
        "bare_step_us": statistics.median(bare_times) / STEPS * 1e6,
        "loop_overhead_per_step_us": overhead * 1e6,
        "parallel_10x100ms_async_ms": parallel_async * 1e3,
        "parallel_10x100ms_sync_ms": parallel_sync * 1e3,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help=f"agent runs of {STEPS} steps to time")
    parser.add_argument("--check", action="store_true", help="exit 1 when a bar fails")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    figures = asyncio.run(measure(args.rounds))
    bars = {
        "loop_overhead_per_step_us": STEP_BAR_US,
        "parallel_10x100ms_async_ms": PARALLEL_BAR_MS,
        "parallel_10x100ms_sync_ms": PARALLEL_BAR_MS,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"python {sys.version.split()[0]}, {STEPS}-step runs x {args.rounds}")
        print(f"  agent step (model + tool + loop): {figures['agent_step_us']:8.1f} µs")
        print(f"  bare step (model + tool):         {figures['bare_step_us']:8.1f} µs")
        for name, bar in bars.items():
            unit = "µs" if name.endswith("_us") else "ms"
            verdict = "ok" if figures[name] <= bar else "OVER"
            print(f"  {name:32s} {figures[name]:8.1f} {unit}  (bar ≤ {bar:.0f} {unit}: {verdict})")
    failed = [name for name, bar in bars.items() if figures[name] > bar]
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
