"""Many texts, many calls: batches, concurrency, an event loop that keeps running, cancellation."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from lluminary import APITimeoutError, Client
from lluminary_local.request import MAX_BATCH_TOKENS, batches, weight

from .conftest import MODEL


def test_batches_keep_order_and_limits() -> None:
    texts = [f"text {i}" for i in range(1_500)] + ["x" * 20_000] + ["y" * 6_000, "z" * 6_000] + ["tail"]
    cut = [list(batch) for batch in batches(texts)]
    assert [t for batch in cut for t in batch] == texts
    for batch in cut:
        assert len(batch) == 1 or sum(map(weight, batch)) <= MAX_BATCH_TOKENS
    assert ["x" * 20_000] in cut  # a text over the limit goes alone
    assert len(cut[0]) == MAX_BATCH_TOKENS // weight("text 1")  # full batches of short texts
    assert list(batches([])) == []
    assert [list(b) for b in batches(["only"])] == [["only"]]


@pytest.mark.usefixtures("loaded")
async def test_a_thousand_short_texts_without_blocking_the_loop(client: Client) -> None:
    """Troubleshooting: inference runs on the engine's own thread and the C engine releases the
    GIL, so a ticker task keeps ticking; if it stalls, something computes on the event loop."""
    texts = [f"item {i}" for i in range(1_000)]
    ticks: list[float] = []

    async def ticker() -> None:
        while True:
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.005)

    task = asyncio.create_task(ticker())
    started = time.perf_counter()
    response = await client.aembed(MODEL, texts, input_type="document")
    took = time.perf_counter() - started
    task.cancel()

    assert len(response.embeddings) == 1_000
    assert all(len(v) == 384 for v in response.embeddings)
    assert len({tuple(v) for v in response.embeddings}) == 1_000
    assert response.usage.details["windowed_inputs"] == 0
    assert response.usage.input_tokens > 1_000 * 3
    during = [t for t in ticks if t >= started]
    gaps = [b - a for a, b in itertools.pairwise(during)]
    assert len(during) >= 10, f"{len(during)} ticks in {took:.2f} s"
    assert max(gaps) < max(took / 4, 0.1), f"the loop stalled for {max(gaps):.3f} s of {took:.2f} s"
    # the vectors are in input order: each equals the one its text gets alone
    alone = await client.aembed(MODEL, [texts[0], texts[499], texts[999]], input_type="document")
    assert alone.embeddings == [response.embeddings[0], response.embeddings[499], response.embeddings[999]]


async def test_concurrent_calls_equal_sequential_ones(client: Client) -> None:
    groups = [[f"group {g} sentence {i} about {topic}" for i in range(8)] for g, topic in enumerate("abcd")]
    sequential = [(await client.aembed(MODEL, group)).embeddings for group in groups]
    concurrent = await asyncio.gather(*(client.aembed(MODEL, group) for group in groups))
    assert [r.embeddings for r in concurrent] == sequential


@pytest.mark.usefixtures("loaded")
async def test_cancelled_call_leaves_the_model_intact(client: Client) -> None:
    reference = (await client.aembed(MODEL, ["alpha", "beta", "gamma"])).embeddings
    many = [f"abandoned {i}" for i in range(1_000)]  # three batches
    task = asyncio.create_task(client.aembed(MODEL, many))
    await asyncio.sleep(0.3)  # the first batch is running
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert (await client.aembed(MODEL, ["alpha", "beta", "gamma"])).embeddings == reference


@pytest.mark.usefixtures("loaded")
async def test_deadline_stops_a_long_call(client: Client) -> None:
    """The kernel's ``deadline=`` bounds a local call too (its ``timeout=`` is about network
    silences, of which there are none here). Troubleshooting: the batch running at the deadline
    finishes on the engine's thread, the others must never start; if the next call waits for
    many batches, the call goes on computing after it was abandoned."""
    many = [f"a long job, text {i}, which will not finish in time" for i in range(5_000)]
    cut = list(batches(many))
    assert len(cut) >= 20
    with pytest.raises(APITimeoutError, match="deadline"):
        await client.aembed(MODEL, many, deadline=0.2)
    started = time.perf_counter()
    after = await client.aembed(MODEL, "still fine")  # waits for the one batch still running
    waited = time.perf_counter() - started
    quarter = list(cut[1])[: len(cut[1]) // 4]
    started = time.perf_counter()
    await client.aembed(MODEL, quarter)
    one_batch = 4 * (time.perf_counter() - started)  # an overestimate: each pass has a fixed cost too
    assert waited < 3 * one_batch, f"waited {waited:.2f} s after the deadline; a batch takes about {one_batch:.2f} s"
    assert after.embeddings == (await client.aembed(MODEL, "still fine")).embeddings
