"""The kernel's costs, side by side in one run, against the bars of the kernel issue.

* ``import lluminary`` vs ``import httpx2``: whole-process wall time of a fresh interpreter that
  imports one module, repeated, median (plus ``python -c pass`` as the floor).
* Kernel overhead per call with the scripted provider (no I/O): generate, stream per event and a
  memory-cache hit, each measured against the same work done without the kernel.
* Each exporter's cost per call and per stream event (``benchmarks/exporters.py``: otel and
  prometheus against no exporter, with the kernel's tracing alone beside them). The bars are for
  a chain with no optional step enabled (``retries=1``, no cache, no budget, no exporter); the
  default client (three attempts, so a retry step) is shown beside it.

Run it with ``make bench`` (or ``python benchmarks/kernel.py``); ``--check`` exits 1 when a bar fails.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from importlib.metadata import version
from typing import Any

IMPORT_BAR_MS = 10.0
GENERATE_BAR_US = 20.0
STREAM_BAR_US = 1.0
CACHE_BAR_US = 50.0
STREAM_EVENTS = 1_000
MODEL = "scripted:bench"


# --------------------------------------------------------------------------- import time


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("LLUMINARY_", "PYTHONPROFILE"))}


def _process_ns(code: str, env: dict[str, str]) -> int:
    start = time.perf_counter_ns()
    subprocess.run([sys.executable, "-c", code], check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter_ns() - start


def _in_process_ns(module: str, env: dict[str, str]) -> int:
    code = f"import time; t = time.perf_counter_ns(); import {module}; print(time.perf_counter_ns() - t)"
    out = subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True, text=True)
    return int(out.stdout)


def measure_imports(runs: int) -> dict[str, dict[str, float]]:
    """Median milliseconds per fresh process, interleaved so drift hits every row alike."""
    env = _clean_env()
    codes = {"python -c pass": "pass", "import lluminary": "import lluminary", "import httpx2": "import httpx2"}
    for code in codes.values():  # warm the page cache and write bytecode
        for _ in range(2):
            _process_ns(code, env)
    samples: dict[str, list[int]] = {name: [] for name in codes}
    inner: dict[str, list[int]] = {name: [] for name in codes if name != "python -c pass"}
    for _ in range(runs):
        for name, code in codes.items():
            samples[name].append(_process_ns(code, env))
        for name in inner:
            inner[name].append(_in_process_ns(name.split()[1], env))
    leaks = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, lluminary; print(sorted(m for m in ('httpx2', 'httpx') if m in sys.modules))",
        ],
        check=True,
        env=env,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if leaks != "[]":
        print(f"!! import lluminary imported an HTTP library: {leaks}")
    return {
        name: {
            "process_ms": statistics.median(values) / 1e6,
            "import_ms": statistics.median(inner[name]) / 1e6 if name in inner else 0.0,
        }
        for name, values in samples.items()
    }


# --------------------------------------------------------------------------- per-call overhead


def _per_call_us(total_ns: int, calls: int) -> float:
    return total_ns / calls / 1000.0


async def _time_async(fn: Callable[[], Awaitable[Any]], calls: int, repeats: int, warmup: int) -> float:
    """Median over ``repeats`` batches of the microseconds per call of ``await fn()``."""
    for _ in range(warmup):
        await fn()
    results = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter_ns()
        for _ in range(calls):
            await fn()
        results.append(_per_call_us(time.perf_counter_ns() - start, calls))
    return statistics.median(results)


def _time_sync(fn: Callable[[], Any], calls: int, repeats: int, warmup: int) -> float:
    for _ in range(warmup):
        fn()
    results = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter_ns()
        for _ in range(calls):
            fn()
        results.append(_per_call_us(time.perf_counter_ns() - start, calls))
    return statistics.median(results)


async def measure_calls(repeats: int) -> dict[str, float]:
    import lluminary
    from lluminary.sdk import Finish, ModelInfo, ScriptedProvider, TextDelta, UsageEvent, build_chat_request

    info = ModelInfo(MODEL, context_window=128_000, input_price=1.0, output_price=2.0)
    provider = ScriptedProvider("scripted", models=[info])
    lluminary.register(provider, name="scripted-bench")
    try:
        client = lluminary.Client(cache=False, retries=1, deadline=None)
        default = lluminary.Client(cache=False)
        cached = lluminary.Client(cache="memory://bench", deadline=None)
        prompt = "How many roads must a man walk down?"
        request = build_chat_request(MODEL, prompt)
        out: dict[str, float] = {}

        # generate: the same echo answer, with and without the kernel around it
        out["generate_provider"] = await _time_async(lambda: provider.generate(request), 2_000, repeats, 500)
        out["generate_client"] = await _time_async(lambda: client.agenerate(MODEL, prompt), 2_000, repeats, 500)
        # the chain alone: the same request sent through client.run, built once
        from lluminary import Call

        out["generate_chain"] = await _time_async(
            lambda: client.run(Call("generate", request, client)), 2_000, repeats, 500
        )
        out["generate_default"] = await _time_async(lambda: default.agenerate(MODEL, prompt), 2_000, repeats, 500)
        provider.requests.clear()

        # stream: 1,000 text deltas, per event
        events: list[Any] = [TextDelta(f"tok{i} ") for i in range(STREAM_EVENTS)]
        events += [UsageEvent(lluminary.Usage(10, STREAM_EVENTS)), Finish("stop", model="bench")]
        count = len(events)

        async def bare() -> AsyncIterator[Any]:
            for event in events:
                yield event

        async def drain_bare() -> None:
            async for _ in bare():
                pass

        async def drain_client() -> None:
            provider.add(events)
            stream = client.astream(MODEL, prompt)
            async for _ in stream:
                pass
            await stream.response()

        out["stream_bare"] = await _time_async(drain_bare, 20, repeats, 5) / count
        out["stream_client"] = await _time_async(drain_client, 20, repeats, 5) / count
        provider.requests.clear()

        # cache hit: one miss fills the memory cache, every later call is a hit
        first = await cached.agenerate(MODEL, prompt)
        assert not first.cached
        hit = await cached.agenerate(MODEL, prompt)
        assert hit.cached, "the second call should have been a cache hit"
        calls_before = len(provider.requests)
        out["cache_hit"] = await _time_async(lambda: cached.agenerate(MODEL, prompt), 2_000, repeats, 500)
        assert len(provider.requests) == calls_before, "a cache hit reached the provider"
        return out
    finally:
        lluminary.unregister(provider)


def measure_sync(repeats: int) -> float:
    """The sync API: one round trip to the background loop per call (not a bar, for context)."""
    import lluminary
    from lluminary.sdk import ScriptedProvider

    provider = ScriptedProvider("scripted")
    lluminary.register(provider, name="scripted-bench-sync")
    try:
        client = lluminary.Client(cache=False)
        return _time_sync(lambda: client.generate(MODEL, "hi"), 500, repeats, 100)
    finally:
        lluminary.unregister(provider)


# --------------------------------------------------------------------------- report


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--import-runs", type=int, default=21, help="fresh processes per import row (default 21)")
    parser.add_argument("--repeats", type=int, default=15, help="timed batches per call row (default 15)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a bar fails")
    parser.add_argument("--no-exporters", action="store_true", help="skip the exporter rows (benchmarks/exporters.py)")
    args = parser.parse_args(argv)

    print(
        f"lluminary {version('lluminary')} kernel benchmark · Python {platform.python_version()} · "
        f"httpx2 {version('httpx2')} · {platform.machine()} · medians"
    )
    imports = measure_imports(max(args.import_runs, 15))
    calls = asyncio.run(measure_calls(max(args.repeats, 5)))
    sync_us = measure_sync(max(args.repeats, 5))

    floor = imports["python -c pass"]["process_ms"]
    lum = imports["import lluminary"]
    hx = imports["import httpx2"]
    gen_over = calls["generate_client"] - calls["generate_provider"]
    chain_over = calls["generate_chain"] - calls["generate_provider"]
    stream_over = calls["stream_client"] - calls["stream_bare"]

    w = 66
    runs = max(args.import_runs, 15)
    print()
    print(f"{f'import (fresh process, {runs} runs each)':<{w}}{'process':>10}{'import':>10}")
    import_rows = [
        ("python -c pass (interpreter floor)", floor, None),
        ('python -c "import lluminary"', lum["process_ms"], lum["import_ms"]),
        ('python -c "import httpx2"', hx["process_ms"], hx["import_ms"]),
    ]
    for label, process_ms, import_ms in import_rows:
        inner = f"{import_ms:>7.1f} ms" if import_ms is not None else ""
        print(f"  {label:<{w - 2}}{process_ms:>7.1f} ms{inner:>10}")
    ratio = lum["process_ms"] / hx["process_ms"]
    net_ratio = lum["import_ms"] / hx["import_ms"] if hx["import_ms"] else float("nan")
    print(f"  {'ratio lluminary / httpx2':<{w - 2}}{ratio:>10.2f}{net_ratio:>10.2f}")
    print()
    print(f"{'per call, scripted provider, no I/O':<{w}}{'µs':>10}")
    rows = [
        ("generate: ScriptedProvider.generate alone", calls["generate_provider"]),
        ("generate: Client(retries=1).agenerate (no optional step)", calls["generate_client"]),
        ("generate: kernel overhead (request building + chain)", gen_over),
        ("generate: client.run(call), request built once", calls["generate_chain"]),
        ("generate: chain overhead (no optional step)", chain_over),
        ("generate: Client().agenerate (default: retry step)", calls["generate_default"]),
        (f"stream ({STREAM_EVENTS:,} TextDeltas): bare async generator, per event", calls["stream_bare"]),
        ("stream: Client.astream, per event", calls["stream_client"]),
        ("stream: kernel overhead per event", stream_over),
        ('cache hit: Client(cache="memory://", deadline=None).agenerate', calls["cache_hit"]),
        ("sync Client.generate (background-loop round trip)", sync_us),
    ]
    for label, value in rows:
        print(f"  {label:<{w - 2}}{value:>10.2f}")

    bars = [
        (
            f"import lluminary ≤ {IMPORT_BAR_MS:.0f} ms over python",
            f"{lum['process_ms'] - floor:.1f} ms",
            lum["process_ms"] - floor <= IMPORT_BAR_MS,
        ),
        (f"chain overhead ≤ {GENERATE_BAR_US:.0f} µs/call", f"{chain_over:.2f} µs", chain_over <= GENERATE_BAR_US),
        (f"stream overhead ≤ {STREAM_BAR_US:.1f} µs/event", f"{stream_over:.2f} µs", stream_over <= STREAM_BAR_US),
        (
            f"memory cache hit ≤ {CACHE_BAR_US:.0f} µs",
            f"{calls['cache_hit']:.2f} µs",
            calls["cache_hit"] <= CACHE_BAR_US,
        ),
    ]
    print()
    print("bars (kernel issue)")
    for label, value, ok in bars:
        print(f"  {label:<36}{value:>24}    {_verdict(ok)}")
    if not args.no_exporters:
        exporter_bars = _exporter_rows(max(args.repeats // 2, 5))
        if exporter_bars:
            print("bars (observability issue)")
            for label, value, ok in exporter_bars:
                print(f"  {label:<36}{value:>24}    {_verdict(ok)}")
            bars += exporter_bars
    failed = [label for label, _, ok in bars if not ok]
    return 1 if failed and args.check else 0


def _exporter_rows(repeats: int) -> list[tuple[str, str, bool]]:
    """The per-call and per-event cost of each exporter (``benchmarks/exporters.py``), when the
    otel and prometheus plugins are installed."""
    import importlib.util

    if importlib.util.find_spec("lluminary_otel") is None or importlib.util.find_spec("lluminary_prometheus") is None:
        print("\n(exporter rows skipped: lluminary-otel and lluminary-prometheus are not both installed)")
        return []
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import exporters

    print()
    rows = asyncio.run(exporters.measure(2_000, 20, repeats))
    return exporters.report(rows, exporters.sdk_floor_us(2_000, repeats))


if __name__ == "__main__":
    sys.exit(main())
