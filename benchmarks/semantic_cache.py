"""What a semantic-cache lookup costs over a large FAISS store, side by side in one run.

The store holds ``--entries`` cached conversations (default 100,000) in a flat cosine FAISS index
of 384 dimensions, spread over ``--contexts`` conversations (default 1,000; the context filter then
selects 0.1% of the index, as a busy application's many distinct system prompts and histories
would). Each lookup is ``SemanticCache.get`` for a request whose last question is close to a
stored one: embedding the question (a provider that returns a precomputed vector, so this row is
the kernel's embed path and nothing else), the filtered FAISS query, the threshold, the guard and
decoding the answer. Rows, medians over ``--lookups`` lookups:

* ``embed only``: the same question through ``client.aembed`` alone;
* ``lookup, whole``: ``SemanticCache.get``;
* ``lookup excluding the embedding``: the difference (the issue's bar: ≤ 5 ms);
* ``raw FAISS query, same filter``: the store backend's ``query`` with the context filter.

Run: ``python benchmarks/semantic_cache.py`` (needs lluminary-faiss; ``--entries 20000`` to be quick).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

DIMENSIONS = 384


def _unit(rng: random.Random) -> list[float]:
    values = [rng.gauss(0.0, 1.0) for _ in range(DIMENSIONS)]
    norm = sum(v * v for v in values) ** 0.5
    return [v / norm for v in values]


def _near(vector: list[float], rng: random.Random, noise: float = 0.02) -> list[float]:
    values = [v + rng.gauss(0.0, noise) for v in vector]
    norm = sum(v * v for v in values) ** 0.5
    return [v / norm for v in values]


async def _median_ms(work: Callable[[], Awaitable[Any]], count: int) -> float:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        await work()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


async def main(entries: int, contexts: int, lookups: int) -> None:
    import attrs

    from lluminary import Client, SemanticCache
    from lluminary._plugins import PluginManager
    from lluminary._semantic import _split
    from lluminary.sdk import (
        ChatResponse,
        EmbedRequest,
        EmbedResponse,
        Message,
        Provider,
        Record,
        TextPart,
        Usage,
        build_chat_request,
        cache_key,
        dump_cache_value,
    )

    rng = random.Random(5)
    vectors: dict[str, list[float]] = {}

    class Precomputed(Provider):
        name = "bench"
        prefixes = ("bench",)

        async def embed(self, request: EmbedRequest) -> EmbedResponse:
            return EmbedResponse([vectors[text] for text in request.inputs], usage=Usage(8))

    plugins = PluginManager()
    plugins.register(Precomputed())
    answer = dump_cache_value(ChatResponse(Message("assistant", (TextPart("a cached answer " * 8),)))).decode()
    with tempfile.TemporaryDirectory() as folder:
        url = f"faiss://{folder}/semantic?index=flat&metric=cosine"
        cache = SemanticCache("bench:e5", url, threshold=0.9)
        client = Client(plugins=plugins, cache=cache, retries=1)
        store = client.open_store_backend(url)
        requests = []
        for c in range(contexts):
            request = build_chat_request("bench:chat", "placeholder", system=f"You are assistant number {c}.")
            requests.append(request)
        context_ids = [_split(r)[0] for r in requests]  # type: ignore[index]
        started = time.perf_counter()
        batch: list[Any] = []
        stored: list[tuple[int, str, list[float]]] = []
        for i in range(entries):
            c = i % contexts
            question = f"question {i} in conversation {c}"
            vector = _unit(rng)
            metadata = {"context": context_ids[c], "question": question, "response": answer}
            batch.append(Record(f"e{i}", vector, metadata, question))
            if i < lookups:
                stored.append((c, question, vector))
            if len(batch) == 5_000:
                await store.upsert(batch)
                batch = []
        if batch:
            await store.upsert(batch)
        filled = time.perf_counter() - started
        probes = []
        for c, question, vector in stored:
            asked = question + " please"
            vectors[asked] = _near(vector, rng)
            request = attrs.evolve(requests[c], messages=(Message("user", (TextPart(asked),)),))
            probes.append((request, asked))
        hits = 0
        probe_iter = iter(probes * 3)

        async def embed_only() -> None:
            _, asked = next(probe_iter)
            await client.aembed("bench:e5", [asked], cache=False)

        async def lookup() -> None:
            nonlocal hits
            request, _ = next(probe_iter)
            hits += (await cache.get(cache_key(request), request=request)) is not None

        async def raw_query() -> None:
            request, asked = next(probe_iter)
            await store.query(vectors[asked], top_k=4, filter={"context": _split(request)[0]})  # type: ignore[index]

        embed_ms = await _median_ms(embed_only, lookups)
        lookup_ms = await _median_ms(lookup, lookups)
        raw_ms = await _median_ms(raw_query, lookups)
        await client.aclose()
    print(f"semantic cache over {entries:,} entries in {contexts:,} conversations (FAISS flat, cosine, 384 dims)")
    print(f"  filled in {filled:.1f} s; {hits}/{lookups} lookups hit")
    print(f"  embed only (kernel embed path, precomputed vector)   {embed_ms:8.3f} ms")
    print(f"  lookup, whole                                          {lookup_ms:8.3f} ms")
    print(f"  lookup excluding the embedding (bar <= 5 ms)           {lookup_ms - embed_ms:8.3f} ms")
    print(f"  raw FAISS backend query, same filter                   {raw_ms:8.3f} ms")
    print(f"  ratio lookup-excluding-embedding / raw query           {(lookup_ms - embed_ms) / raw_ms:8.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--contexts", type=int, default=1_000)
    parser.add_argument("--lookups", type=int, default=200)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.entries, arguments.contexts, arguments.lookups))
