"""Scenarios the tests run in fresh interpreters: ``python processes.py <scenario> <args...>``.

* ``writer URL SEED``: writes large entries in a loop until killed, printing ``set N`` before
  each write and ``stored N`` once it is committed. Each entry's text carries its index and a
  SHA-256 of the rest, so a torn entry would show.
* ``mixer URL NAME OPS``: prints ``ready``, waits for a line on stdin, then does ``OPS`` sets and
  gets on keys shared with the other mixers; prints a JSON summary (errors included).
* ``client URL PROMPT``: one ``generate`` through ``lluminary.Client(cache=URL)`` with a scripted
  provider; prints whether the answer came from the cache and how many calls reached the provider.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import sys

import lluminary
from lluminary.sdk import ChatResponse, Message, ScriptedProvider, TextPart, Usage
from lluminary_sqlite import SQLiteCache


def reply(text: str) -> ChatResponse:
    return ChatResponse(Message("assistant", (TextPart(text),)), "stop", "stop", Usage(3, 5), model="m", provider="p")


def signed_text(index: int, size: int) -> str:
    """``index:sha256(payload):payload``: checkable on its own."""
    block = hashlib.sha256(f"block {index}".encode()).hexdigest()
    payload = (block * (size // len(block) + 1))[:size]
    return f"{index}:{hashlib.sha256(payload.encode()).hexdigest()}:{payload}"


async def writer(url: str, seed: int) -> None:
    cache = SQLiteCache.from_url(url)
    rng = random.Random(seed)
    index = 0
    while True:
        text = signed_text(index, rng.randint(500_000, 2_000_000))
        print(f"set {index}", flush=True)
        await cache.set(f"crash:{seed}:{index}", reply(text))
        print(f"stored {index}", flush=True)
        index += 1


async def mixer(url: str, name: str, ops: int) -> None:
    cache = SQLiteCache.from_url(url)
    rng = random.Random(name)
    print("ready", flush=True)
    sys.stdin.readline()
    sets = hits = misses = 0
    errors: list[str] = []
    for _ in range(ops):
        key = f"shared:{rng.randrange(40)}"
        try:
            if rng.random() < 0.5:
                await cache.set(key, reply(f"{key} from {name} " + "x" * rng.randrange(100, 8_000)))
                sets += 1
            else:
                got = await cache.get(key)
                if got is None:
                    misses += 1
                elif isinstance(got, ChatResponse) and got.text.startswith(f"{key} from "):
                    hits += 1
                else:
                    errors.append(f"{key} holds another key's value: {got!r:.80}")
        except Exception as exc:  # noqa: BLE001 - reported to the test
            errors.append(f"{type(exc).__name__}: {exc}")
    await cache.close()
    print(json.dumps({"sets": sets, "hits": hits, "misses": misses, "errors": errors}), flush=True)


async def filler(url: str, name: str, count: int) -> None:
    """Wait for "go", then write ``count`` keys of its own, each with a checkable text."""
    cache = SQLiteCache.from_url(url)
    print("ready", flush=True)
    sys.stdin.readline()
    for index in range(count):
        await cache.set(f"{name}:{index}", reply(signed_text(index, 2_000)))
    await cache.close()
    print("done", flush=True)


def client(url: str, prompt: str) -> None:
    provider = ScriptedProvider("sqlitetest")
    lluminary.register(provider, name="sqlitetest-provider")
    with lluminary.Client(cache=url) as llm:
        answer = llm.generate("sqlitetest:echo", prompt)
    print(json.dumps({"cached": answer.cached, "text": answer.text, "provider_calls": len(provider.requests)}))


def main(argv: list[str]) -> None:
    scenario, *args = argv
    if scenario == "writer":
        asyncio.run(writer(args[0], int(args[1])))
    elif scenario == "mixer":
        asyncio.run(mixer(args[0], args[1], int(args[2])))
    elif scenario == "filler":
        asyncio.run(filler(args[0], args[1], int(args[2])))
    elif scenario == "client":
        client(args[0], args[1])
    else:
        raise SystemExit(f"unknown scenario {scenario!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
