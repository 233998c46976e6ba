"""The SDK's worker threads: jobs run off the loop, in order on one thread, answers come back to
the loop that asked (any loop), errors too; a stop ends the threads after the queued jobs."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from lluminary.sdk import Workers


async def test_jobs_run_off_the_loop_in_order_and_answer_the_caller() -> None:
    workers = Workers("test")
    seen: list[int] = []
    names: set[str] = set()

    def job(n: int) -> int:
        seen.append(n)
        names.add(threading.current_thread().name)
        return n * 2

    results = await asyncio.gather(*(workers.submit(job, n) for n in range(50)))
    assert results == [n * 2 for n in range(50)]
    assert seen == list(range(50))  # one thread: the order asked
    assert names == {"test-0"}
    with pytest.raises(ZeroDivisionError):
        await workers.submit(lambda: 1 / 0)
    workers.stop()
    workers.join(5)
    assert not workers.alive


async def test_the_loop_keeps_running_while_a_job_blocks() -> None:
    workers = Workers("blocking")
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    ticker = asyncio.create_task(tick())
    await workers.submit(time.sleep, 0.2)
    ticker.cancel()
    assert ticks >= 10
    workers.stop()


def test_several_loops_share_the_workers_and_stop_runs_after_queued_jobs() -> None:
    closed: list[str] = []
    workers = Workers("shared", on_stop=lambda: closed.append(threading.current_thread().name))
    results: list[int] = []

    def use() -> None:
        results.append(asyncio.run(_twice(workers)))

    threads = [threading.Thread(target=use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == [42] * 4
    workers.stop()
    workers.stop()  # idempotent
    workers.join(5)
    assert closed == ["shared-0"]
    with pytest.raises(RuntimeError, match="stopped"):
        asyncio.run(_twice(workers))


async def _twice(workers: Workers) -> int:
    return await workers.submit(lambda x: x * 2, 21)


async def test_a_job_nobody_awaits_any_more_is_skipped_when_asked() -> None:
    gate = threading.Event()
    ran: list[str] = []
    workers = Workers("skipping", skip_cancelled=True)
    first = workers.submit(gate.wait, 5)
    second = workers.submit(ran.append, "late")
    second.cancel()
    gate.set()
    await first
    await workers.submit(ran.append, "next")
    assert ran == ["next"]
    workers.stop()


def test_stop_before_any_job_still_runs_on_stop() -> None:
    closed: list[bool] = []
    Workers("idle", on_stop=lambda: closed.append(True)).stop()
    assert closed == [True]
