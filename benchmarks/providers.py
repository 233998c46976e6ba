"""lluminary's providers against the floor (bare httpx2) and the peers (openai SDK, LiteLLM), in one run.

Every client talks to the same fake server, in its own process, which replays bytes rendered once
(see bench_server.py), so the server costs the same for everyone. Rows:

* OpenAI, 1,000 sequential non-streaming calls (µs per call);
* OpenAI, one streamed answer of 10,000 chunks (ms, and µs per chunk);
* OpenAI, 1,000 concurrent calls (calls per second);
* OpenAI, whole process: interpreter start + import + first call answered (ms);
* every provider: parse throughput of one long stream, against a bare httpx2 read of the same bytes.

Ratios are against bare httpx2 (lower is better, but for throughput, where higher is better).
Run with ``make bench-providers`` (it builds .venv-bench with the peers installed).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
KEY = "sk-bench-0000000000000000000000"
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # LiteLLM would fetch prices from the internet
os.environ.setdefault("LITELLM_LOG", "ERROR")

MODELS = {
    "openai": "openai:gpt-4o-mini",
    "anthropic": "anthropic:claude-haiku-4-5",
    "google": "google:gemini-2.5-flash",
    "bedrock": "bedrock:amazon.nova-lite-v1:0",
    "cohere": "cohere:command-a-03-2025",
    "mistral": "mistral:mistral-small-latest",
    "ollama": "ollama:llama3.2",
}


@contextlib.contextmanager
def bench_server(provider: str, pieces: int) -> Iterator[str]:
    """Start bench_server.py in its own process; yield its base URL."""
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "bench_server.py"), provider, "--pieces", str(pieces)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=10)


async def interleaved(fns: dict[str, Callable[[], Awaitable[Any]]], repeats: int) -> dict[str, float]:
    """Median wall time per client, in seconds, with the clients taking turns in every round, so a
    slow moment of the machine (another process, a CPU frequency change) hits them all alike."""
    for fn in fns.values():
        await fn()
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            started = time.perf_counter()
            await fn()
            samples[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in samples.items()}


async def timed(fn: Callable[[], Awaitable[Any]], repeats: int) -> float:
    """Median wall time of ``repeats`` runs of ``fn`` (after one warm-up run), in seconds. Every
    client runs on the one event loop of the benchmark, so pools stay warm across runs."""
    await fn()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


# ------------------------------------------------------------------------------ the clients


class Clients:
    """One way per client library to make a plain call and a streamed call to the OpenAI fake."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.url = base + "/v1/chat/completions"
        self.messages = [{"role": "user", "content": "hi"}]
        self.headers = {"authorization": f"Bearer {KEY}", "content-type": "application/json"}

    # bare httpx2: the floor
    def httpx2(self) -> tuple[Callable[[], Awaitable[Any]], Callable[[], Awaitable[Any]]]:
        import httpx2

        state: dict[str, Any] = {}

        def client() -> Any:
            if "c" not in state:
                state["c"] = httpx2.AsyncClient(timeout=60)
            return state["c"]

        body = {"model": "gpt-4o-mini", "messages": self.messages}
        stream_body = {**body, "stream": True, "stream_options": {"include_usage": True}}

        async def call() -> Any:
            r = await client().post(self.url, json=body, headers=self.headers)
            return r.json()

        async def stream() -> int:
            n = 0
            async with client().stream("POST", self.url, json=stream_body, headers=self.headers) as r:
                async for line in r.aiter_lines():
                    if line.startswith("data: ") and line != "data: [DONE]":
                        json.loads(line[6:])
                        n += 1
            return n

        return call, stream

    def lluminary(self) -> tuple[Callable[[], Awaitable[Any]], Callable[[], Awaitable[Any]]]:
        from lluminary import Client

        # Per-client provider settings: the base URL and key are set once, as a user sets them.
        client = Client(cache=False, providers={"openai": {"base_url": self.base, "api_key": KEY}})

        async def call() -> Any:
            return await client.agenerate("openai:gpt-4o-mini", "hi")

        async def stream() -> int:
            n = 0
            async for _ in client.astream("openai:gpt-4o-mini", "hi"):
                n += 1
            return n

        return call, stream

    def openai_sdk(self) -> tuple[Callable[[], Awaitable[Any]], Callable[[], Awaitable[Any]]]:
        from openai import AsyncOpenAI

        sdk = AsyncOpenAI(base_url=self.base + "/v1", api_key=KEY, max_retries=0)

        async def call() -> Any:
            return await sdk.chat.completions.create(model="gpt-4o-mini", messages=self.messages)  # type: ignore[arg-type]

        async def stream() -> int:
            n = 0
            chunks = await sdk.chat.completions.create(
                model="gpt-4o-mini",
                messages=self.messages,  # type: ignore[arg-type]
                stream=True,
                stream_options={"include_usage": True},
            )
            async for _ in chunks:
                n += 1
            return n

        return call, stream

    def litellm(self) -> tuple[Callable[[], Awaitable[Any]], Callable[[], Awaitable[Any]]]:
        import litellm

        kw = {"model": "openai/gpt-4o-mini", "api_base": self.base + "/v1", "api_key": KEY, "messages": self.messages}

        async def call() -> Any:
            return await litellm.acompletion(**kw)

        async def stream() -> int:
            n = 0
            response = await litellm.acompletion(**kw, stream=True)
            async for _ in response:
                n += 1
            return n

        return call, stream


PEERS = ("httpx2", "lluminary", "openai_sdk", "litellm")
LABELS = {
    "httpx2": "bare httpx2 (floor)",
    "lluminary": "lluminary-openai",
    "openai_sdk": "openai SDK",
    "litellm": "LiteLLM",
}
IMPORTS = {
    "httpx2": (
        "import httpx2, asyncio\n"
        "async def m():\n"
        "    async with httpx2.AsyncClient() as c:\n"
        "        (await c.post(URL + '/v1/chat/completions', json={'model': 'gpt-4o-mini', 'messages': "
        "[{'role': 'user', 'content': 'hi'}]}, headers={'authorization': 'Bearer ' + KEY})).json()\n"
        "asyncio.run(m())"
    ),
    "lluminary": "import lluminary\nlluminary.generate('openai:gpt-4o-mini', 'hi', base_url=URL, api_key=KEY)",
    "openai_sdk": (
        "import openai\nopenai.OpenAI(base_url=URL + '/v1', api_key=KEY, max_retries=0).chat.completions.create("
        "model='gpt-4o-mini', messages=[{'role': 'user', 'content': 'hi'}])"
    ),
    "litellm": (
        "import litellm\nlitellm.completion(model='openai/gpt-4o-mini', api_base=URL + '/v1', api_key=KEY, "
        "messages=[{'role': 'user', 'content': 'hi'}])"
    ),
}


def available(peer: str) -> bool:
    module = {"openai_sdk": "openai", "lluminary": "lluminary_openai"}.get(peer, peer)
    import importlib.util

    return importlib.util.find_spec(module) is not None


# ------------------------------------------------------------------------------ the rows


async def openai_rows(args: argparse.Namespace) -> list[tuple[str, dict[str, float], str]]:
    peers = [p for p in PEERS if available(p)]
    rows: list[tuple[str, dict[str, float], str]] = []
    with bench_server("openai", args.chunks) as base:
        clients = Clients(base)
        makers = {p: getattr(clients, p)() for p in peers}

        def sequential(call: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[None]]:
            async def run() -> None:
                for _ in range(args.calls):
                    await call()

            return run

        def burst(call: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[None]]:
            async def run() -> None:
                await asyncio.gather(*(call() for _ in range(args.concurrent)))

            return run

        seq = await interleaved({p: sequential(makers[p][0]) for p in peers}, args.repeats)
        seq = {p: t / args.calls * 1e6 for p, t in seq.items()}
        print(f"  sequential µs/call: { {p: round(v) for p, v in seq.items()} }", file=sys.stderr)
        rows.append((f"{args.calls:,} sequential calls, µs per call", seq, "lower"))

        streamed = await interleaved({p: makers[p][1] for p in peers}, args.repeats)
        streamed = {p: t * 1e3 for p, t in streamed.items()}
        print(f"  stream ms: { {p: round(v, 1) for p, v in streamed.items()} }", file=sys.stderr)
        rows.append((f"one stream of {args.chunks:,} chunks, ms", streamed, "lower"))

        concurrent = await interleaved({p: burst(makers[p][0]) for p in peers}, args.repeats)
        concurrent = {p: args.concurrent / t for p, t in concurrent.items()}
        print(f"  concurrent calls/s: { {p: round(v) for p, v in concurrent.items()} }", file=sys.stderr)
        rows.append((f"{args.concurrent:,} concurrent calls, calls/s", concurrent, "higher"))

        startup: dict[str, float] = {}
        for peer in peers:
            code = f"URL = {base!r}\nKEY = {KEY!r}\n" + IMPORTS[peer]
            samples = []
            for _ in range(args.process_runs):
                started = time.perf_counter()
                # Blocking on purpose: nothing else runs while a fresh interpreter starts.
                subprocess.run([sys.executable, "-c", code], check=True, env=os.environ.copy())  # noqa: ASYNC221
                samples.append((time.perf_counter() - started) * 1e3)
            startup[peer] = statistics.median(samples)
            print(f"  process {peer}: {startup[peer]:.0f} ms", file=sys.stderr)
        rows.append(("process: start + import + first call, ms", startup, "lower"))
    return rows


async def provider_stream_rows(args: argparse.Namespace) -> list[tuple[str, float, float, float]]:
    """(provider, bare read ms, lluminary ms, events per second) for one long stream each."""
    import httpx2
    from bench_server import REQUESTS

    from lluminary import Client

    out: list[tuple[str, float, float, float]] = []
    for provider, model in MODELS.items():
        try:
            __import__(f"lluminary_{provider}")
        except ImportError:
            print(f"  {provider}: plugin not installed, skipped", file=sys.stderr)
            continue
        with bench_server(provider, args.provider_chunks) as base:
            path, body = REQUESTS[provider][0]
            client = Client(cache=False)
            http = httpx2.AsyncClient(timeout=60)

            async def read_bytes(
                path: str = path, body: dict[str, Any] = body, http: httpx2.AsyncClient = http
            ) -> None:
                async with http.stream("POST", base + path, json=body, headers={"authorization": "Bearer x"}) as r:
                    async for _ in r.aiter_bytes():
                        pass

            async def through_lluminary(model: str = model, client: Client = client) -> int:
                n = 0
                async for _ in client.astream(model, "hi", base_url=base, api_key=KEY):
                    n += 1
                return n

            bare = await timed(read_bytes, args.repeats) * 1e3
            ours = await timed(through_lluminary, args.repeats) * 1e3
            out.append((provider, bare, ours, args.provider_chunks / (ours / 1e3)))
            print(f"  {provider}: bare {bare:.1f} ms, lluminary {ours:.1f} ms", file=sys.stderr)
    return out


# ------------------------------------------------------------------------------ report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--concurrent", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--process-runs", type=int, default=5)
    parser.add_argument("--provider-chunks", type=int, default=5000)
    parser.add_argument("--only", choices=("openai", "providers"), default=None)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))

    if args.only in (None, "openai"):
        rows = asyncio.run(openai_rows(args))
        peers = [p for p in PEERS if available(p)]
        print("\nOpenAI protocol, same loopback fake server (ratio: vs bare httpx2)")
        header = f"{'row':46}" + "".join(f"{LABELS[p]:>24}" for p in peers)
        print(header)
        print("-" * len(header))
        for name, values, better in rows:
            floor = values["httpx2"]
            cells = []
            for p in peers:
                ratio = values[p] / floor
                cells.append(f"{values[p]:>12,.1f} ({ratio:4.2f}x)")
            print(f"{name:46}" + "".join(f"{c:>24}" for c in cells) + f"   [{better} is better]")
        print()
        verdicts = {
            "sequential ≤ 1.15x httpx2": rows[0][1]["lluminary"] / rows[0][1]["httpx2"] <= 1.15,
            "stream ≤ 1.0x httpx2": rows[1][1]["lluminary"] / rows[1][1]["httpx2"] <= 1.0,
            "concurrency ≥ 0.95x httpx2 throughput": rows[2][1]["lluminary"] / rows[2][1]["httpx2"] >= 0.95,
        }
        for name, values, better in rows:
            for peer in ("openai_sdk", "litellm"):
                if peer in values:
                    ours, theirs = values["lluminary"], values[peer]
                    verdicts[f"faster than {LABELS[peer]}: {name}"] = (
                        ours < theirs if better == "lower" else ours > theirs
                    )
        for name, ok in verdicts.items():
            print(f"  {'PASS' if ok else 'FAIL'}  {name}")

    if args.only in (None, "providers"):
        stream_rows = asyncio.run(provider_stream_rows(args))
        print(f"\nStream parse, one answer of {args.provider_chunks:,} text chunks per provider (its own wire format)")
        print(f"{'provider':12}{'bare httpx2 read':>20}{'lluminary events':>20}{'ratio':>10}{'events/s':>14}")
        for provider, bare, ours, rate in stream_rows:
            print(f"{provider:12}{bare:>17.1f} ms{ours:>17.1f} ms{ours / bare:>9.2f}x{rate:>14,.0f}")


if __name__ == "__main__":
    main()
