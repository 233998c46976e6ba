"""The gateway's cost over calling the provider directly, and LiteLLM's proxy beside it.

One fake OpenAI server in its own process (``bench_server.py``: every answer rendered once,
replayed as bytes), and in their own processes: ``lluminary serve`` (one worker), and, when it
can be started from the bench virtualenv, LiteLLM's proxy, both pointed at that server. A plain
``httpx2`` client sends the same request body to each:

- **added latency**: median of sequential non-streamed calls through a gateway, less the median
  of the same calls sent to the fake server directly (interleaved in rounds, so drift hits both);
- **stream rate**: a 10,000-chunk stream read through a gateway, in chunks per second, against
  the same stream read directly;
- **requests/s per process**: ``--concurrency`` requests kept in flight for ``--seconds``;
- **RSS** of the gateway process after the load;
- **CPU** the gateway process spent per non-streamed call and per streamed chunk (user + system
  time from ``/proc``): what the gateway costs, less swayed than wall time by other processes
  on a shared machine.

Run: ``python benchmarks/gateway.py [--calls 2000 --chunks 10000 --concurrency 32 --seconds 5]
[--runs 3] [--litellm /work/main/.venv-bench/bin/litellm] [--granian]``. The gateway is measured
twice: with the master key, and with a virtual key (its rate limit and budget counted in memory);
``--granian`` adds the same app served by granian instead of uvicorn. ``--runs N`` measures each
server N times (a fresh process each time) and prints the median of every figure with its range.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from providers import bench_server  # noqa: E402 - the benchmarks' own helper

MASTER = "bench-master-0123456789abcdef"
BODY = {"model": "gpt", "messages": [{"role": "user", "content": "hi"}]}
DIRECT_BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[bytes], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}")
        try:
            if httpx2.get(url, timeout=1).status_code < 500:
                return
        except httpx2.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


@contextmanager
def lluminary_gateway(upstream: str, *, with_key: bool, server: str = "uvicorn") -> Iterator[tuple[str, str, int]]:
    """``lluminary serve`` on a free port: (base URL, key to send, pid)."""
    folder = Path(tempfile.mkdtemp())
    config = folder / "gateway.yaml"
    config.write_text(
        "master_key_env: BENCH_MASTER\n"
        "keys: memory://\n"
        "retries: 1\n"
        "prices:\n  openai:gpt-4o-mini: {input: 0.15, output: 0.6}\n"
        "models:\n  gpt:\n    deployments:\n"
        f"      - {{model: openai:gpt-4o-mini, base_url: '{upstream}', api_key_env: BENCH_UPSTREAM_KEY}}\n"
    )
    port = free_port()
    env = {**os.environ, "BENCH_MASTER": MASTER, "BENCH_UPSTREAM_KEY": "sk-bench-0123456789"}
    if server == "granian":  # the same app on granian, to compare the two servers
        env["LLUMINARY_GATEWAY_CONFIG"] = str(config)
        command = [
            str(Path(sys.executable).with_name("granian")),
            "--interface",
            "asgi",
            "--factory",
            "--loop",
            "uvloop",
        ]
        command += ["--log-level", "warning", "--port", str(port), "lluminary_gateway.app:app_from_environment"]
    else:
        command = [str(Path(sys.executable).with_name("lluminary")), "serve", "--config", str(config)]
        command += ["--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(command, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url + "/health/ready", process)
        key = MASTER
        if with_key:
            created = httpx2.post(
                url + "/admin/keys",
                json={"rpm": 10_000_000, "budget": 1_000_000.0},
                headers={"authorization": f"Bearer {MASTER}"},
            )
            key = created.json()["key"]
        yield url, key, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def litellm_proxy(executable: str, upstream: str) -> Iterator[tuple[str, str, int]]:
    folder = Path(tempfile.mkdtemp())
    config = folder / "litellm.yaml"
    config.write_text(
        "model_list:\n  - model_name: gpt\n    litellm_params:\n      model: openai/gpt-4o-mini\n"
        f"      api_base: {upstream}/v1\n      api_key: sk-bench-0123456789\n"
        "litellm_settings:\n  telemetry: false\n"
    )
    port = free_port()
    master = "sk-litellm-bench-" + "9f3a7c1e5b2d4a6f8e0c" * 2
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR", "LITELLM_MASTER_KEY": master}
    process = subprocess.Popen(
        [executable, "--config", str(config), "--port", str(port), "--host", "127.0.0.1", "--num_workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url + "/health/liveliness", process, seconds=180)
        yield url, master, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and its children so far, seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for candidate in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{candidate}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


def rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and its children (uvicorn's worker may be a child), MiB."""
    total = 0
    for candidate in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{candidate}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(child) for child in found]


def latencies(client: httpx2.Client, url: str, body: dict[str, object], key: str, calls: int) -> list[float]:
    headers = {"authorization": f"Bearer {key}"}
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        response = client.post(url, json=body, headers=headers)
        times.append(time.perf_counter() - started)
        response.raise_for_status()
    return times


def stream_rate(client: httpx2.Client, url: str, body: dict[str, object], key: str) -> tuple[float, int]:
    """(chunks per second, chunks) of one streamed call."""
    started = time.perf_counter()
    chunks = 0
    request = {**body, "stream": True, "stream_options": {"include_usage": True}}
    with client.stream("POST", url, json=request, headers={"authorization": f"Bearer {key}"}) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if line.startswith("data: ") and '"content"' in line:
                chunks += 1
    return chunks / (time.perf_counter() - started), chunks


async def throughput(url: str, body: dict[str, object], key: str, concurrency: int, seconds: float) -> float:
    limits = httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"authorization": f"Bearer {key}"}
    done = 0
    async with httpx2.AsyncClient(limits=limits, timeout=60) as client:
        stop = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < stop:
                response = await client.post(url, json=body, headers=headers)
                response.raise_for_status()
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return done / (time.perf_counter() - started)


def measure(name: str, base: str, key: str, pid: int, direct: str, args: argparse.Namespace) -> dict[str, float]:
    url = base + "/v1/chat/completions"
    with httpx2.Client(timeout=60) as client:
        latencies(client, url, BODY, key, 200)  # warm up both
        latencies(client, direct, DIRECT_BODY, "bench", 200)
        ours: list[float] = []
        theirs: list[float] = []
        rounds = 10
        cpu = 0.0
        for _ in range(rounds):
            before = cpu_seconds(pid)
            ours += latencies(client, url, BODY, key, args.calls // rounds)
            cpu += cpu_seconds(pid) - before
            theirs += latencies(client, direct, DIRECT_BODY, "bench", args.calls // rounds)
        before = cpu_seconds(pid)
        rate, chunks = stream_rate(client, url, BODY, key)
        stream_cpu = cpu_seconds(pid) - before
        direct_rate, direct_chunks = stream_rate(client, direct, DIRECT_BODY, "bench")
    rps = asyncio.run(throughput(url, BODY, key, args.concurrency, args.seconds))
    figures = {
        "median_ms": statistics.median(ours) * 1000,
        "direct_median_ms": statistics.median(theirs) * 1000,
        "added_ms": (statistics.median(ours) - statistics.median(theirs)) * 1000,
        "stream_rate": rate,
        "direct_stream_rate": direct_rate,
        "stream_ratio": rate / direct_rate,
        "chunks": chunks,
        "rps": rps,
        "rss_mib": rss_mib(pid),
        "cpu_us_per_call": cpu / len(ours) * 1e6,
        "cpu_us_per_chunk": stream_cpu / max(chunks, 1) * 1e6,
    }
    assert chunks == direct_chunks, (chunks, direct_chunks)
    print(
        f"{name:<22} added {figures['added_ms']:6.3f} ms (median {figures['median_ms']:.3f} vs direct "
        f"{figures['direct_median_ms']:.3f}) | stream {rate:,.0f}/s = {figures['stream_ratio']:.2f}x direct "
        f"({direct_rate:,.0f}/s, {chunks} chunks) | {rps:,.0f} req/s at {args.concurrency} in flight | "
        f"RSS {figures['rss_mib']:.0f} MiB | CPU {figures['cpu_us_per_call']:.0f} µs/call, "
        f"{figures['cpu_us_per_chunk']:.1f} µs/chunk",
        flush=True,
    )
    return figures


def summary(name: str, runs: list[dict[str, float]]) -> dict[str, float]:
    """The median of each figure over ``runs``, printed with its range."""
    medians = {field: statistics.median(run[field] for run in runs) for field in runs[0]}
    if len(runs) > 1:

        def spread(field: str, form: str) -> str:
            low, high = min(run[field] for run in runs), max(run[field] for run in runs)
            return f"{medians[field]:{form}} ({low:{form}} to {high:{form}})"

        print(
            f"{name:<22} median of {len(runs)} runs: added {spread('added_ms', '.3f')} ms | stream "
            f"{spread('stream_ratio', '.2f')}x direct | {spread('rps', ',.0f')} req/s | RSS "
            f"{spread('rss_mib', '.0f')} MiB | CPU {spread('cpu_us_per_call', '.0f')} µs/call, "
            f"{spread('cpu_us_per_chunk', '.1f')} µs/chunk",
            flush=True,
        )
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=1, help="measure each server this many times; report medians")
    parser.add_argument("--granian", action="store_true", help="also run the gateway on granian")
    parser.add_argument("--litellm", default=str(HERE.parent / ".venv-bench" / "bin" / "litellm"))
    args = parser.parse_args()
    with bench_server("openai", args.chunks) as upstream:
        direct = upstream + "/v1/chat/completions"
        runs: dict[str, list[dict[str, float]]] = {}
        for _ in range(args.runs):
            with lluminary_gateway(upstream, with_key=False) as (url, key, pid):
                runs.setdefault("lluminary", []).append(measure("lluminary-gateway", url, key, pid, direct, args))
            with lluminary_gateway(upstream, with_key=True) as (url, key, pid):
                figures = measure("lluminary-gateway+key", url, key, pid, direct, args)
                runs.setdefault("lluminary+key", []).append(figures)
            if args.granian:
                with lluminary_gateway(upstream, with_key=False, server="granian") as (url, key, pid):
                    runs.setdefault("granian", []).append(measure("gateway on granian", url, key, pid, direct, args))
            if Path(args.litellm).exists():
                try:
                    with litellm_proxy(args.litellm, upstream) as (url, key, pid):
                        runs.setdefault("litellm", []).append(measure("litellm proxy", url, key, pid, direct, args))
                except (RuntimeError, httpx2.HTTPError) as exc:
                    print(f"litellm proxy: could not be measured ({exc})")
        names = {"lluminary": "lluminary-gateway", "lluminary+key": "lluminary-gateway+key"}
        names |= {"granian": "gateway on granian", "litellm": "litellm proxy"}
        results = {name: summary(names[name], found) for name, found in runs.items()}
        if "litellm" in results:
            ours, theirs = results["lluminary"], results["litellm"]
            print(
                f"ratios: added latency {theirs['added_ms'] / max(ours['added_ms'], 1e-9):.1f}x lower, "
                f"req/s {ours['rps'] / theirs['rps']:.1f}x, RSS {ours['rss_mib'] / theirs['rss_mib']:.2f}x of LiteLLM's"
            )


if __name__ == "__main__":
    main()
