"""Scenarios the tests run in fresh interpreters: ``python processes.py <scenario> <args...>``.

* ``writer URL BATCH``: upserts batches of ``BATCH`` records until killed, printing ``upsert N``
  before batch N and ``stored N`` once it returned, and saving the index after every third batch
  (``save N`` / ``saved N``). Every record is checkable on its own: its vector is a function of its
  id (:func:`vector_of`), and its metadata and text name its batch.
* ``holder URL``: opens the store (one upsert), prints ``ready``, waits for a line on stdin,
  closes and exits.
* ``unclosed URL``: upserts, saves, upserts and deletes more, then exits *without* closing (its
  index file is stale); prints ``done``.
* ``unsaved URL BATCH`` (a ``durability=save`` URL): upserts batch 0 and saves; upserts batch 1
  and new versions of five batch-0 records; exits without saving or closing; prints ``done``.
* ``unsaved_after_delete URL BATCH`` (``durability=save``): upserts batch 0 and one more record,
  deletes that record (which writes batch 0), upserts batch 1, exits without saving; ``done``.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys

from lluminary.sdk import Record
from lluminary_faiss import FaissStore

DIMENSIONS = 16


def vector_of(key: str, dimensions: int = DIMENSIONS) -> list[float]:
    rng = random.Random(key)
    return [rng.uniform(-1.0, 1.0) for _ in range(dimensions)]


def batch_records(number: int, size: int) -> list[Record]:
    return [
        Record(f"b{number}-{index}", vector_of(f"b{number}-{index}"), {"batch": number, "i": index}, f"batch {number}")
        for index in range(size)
    ]


async def writer(url: str, size: int) -> None:
    store = FaissStore.from_url(url)
    number = 0
    while True:
        print(f"upsert {number}", flush=True)
        await store.upsert(batch_records(number, size))
        print(f"stored {number}", flush=True)
        if number % 3 == 2:
            print(f"save {number}", flush=True)
            await store.save()
            print(f"saved {number}", flush=True)
        number += 1


async def holder(url: str) -> None:
    store = FaissStore.from_url(url)
    await store.upsert(batch_records(0, 3))
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    await store.close()


async def unclosed(url: str) -> None:
    store = FaissStore.from_url(url)
    await store.upsert(batch_records(0, 20))
    await store.save()
    await store.upsert(batch_records(1, 20))
    await store.delete([f"b0-{index}" for index in range(5)])
    print("done", flush=True)
    os._exit(0)  # no close, no save: the index file is a batch behind SQLite


async def unsaved(url: str, size: int) -> None:
    store = FaissStore.from_url(url)
    await store.upsert(batch_records(0, size))
    await store.save()
    await store.upsert(batch_records(1, size))
    await store.upsert([Record(f"b0-{index}", vector_of(f"new {index}"), {"new": True}, "new") for index in range(5)])
    print("done", flush=True)
    os._exit(0)  # no save, no close: what was upserted since the save is lost


async def unsaved_after_delete(url: str, size: int) -> None:
    store = FaissStore.from_url(url)
    await store.upsert(batch_records(0, size))
    await store.upsert([Record("doomed", vector_of("doomed"), {}, None)])
    await store.delete(["doomed"])  # deletes are written at once, the pending upserts first
    await store.upsert(batch_records(1, size))
    print("done", flush=True)
    os._exit(0)


def main(argv: list[str]) -> None:
    scenario, *args = argv
    if scenario == "writer":
        asyncio.run(writer(args[0], int(args[1])))
    elif scenario == "holder":
        asyncio.run(holder(args[0]))
    elif scenario == "unclosed":
        asyncio.run(unclosed(args[0]))
    elif scenario == "unsaved":
        asyncio.run(unsaved(args[0], int(args[1])))
    elif scenario == "unsaved_after_delete":
        asyncio.run(unsaved_after_delete(args[0], int(args[1])))
    else:
        raise SystemExit(f"unknown scenario {scenario!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
