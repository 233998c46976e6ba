"""What the FAISS store tests share: a store directory per test, raw stores that are always
closed, a scripted embedder registered the public way (``lluminary.register``) so that
``client.open_store("faiss://...")`` loads this plugin through its entry point as a user's would,
and child processes that are always reaped."""

from __future__ import annotations

import importlib.util
import random
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import pytest_asyncio

import lluminary
from lluminary.sdk import Record, ScriptedProvider
from lluminary_faiss import FaissStore
from lluminary_testing.processes import Spawn, spawned

#: Scenarios run in fresh interpreters (writers that get killed, a holder of the directory).
PROCESSES = Path(__file__).resolve().parent / "processes.py"
EMBEDDER = "faisstest:embed"
DIMENSIONS = 16

OpenStore = Callable[..., Awaitable[FaissStore]]


@pytest.fixture(autouse=True)
def _installed_plugins_load(monkeypatch: pytest.MonkeyPatch) -> None:
    """The faiss entry point must load, whatever the developer's environment filters."""
    for name in ("LLUMINARY_PLUGINS", "LLUMINARY_DISABLE_PLUGINS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _every_store_is_closed() -> Iterator[None]:
    """A test leaves no directory open (its threads and lock would outlive it)."""
    yield
    engines = sys.modules.get("lluminary_faiss.engine")
    if engines is not None:
        still_open = sorted(engines._engines)  # type: ignore[attr-defined]
        engines._engines.clear()  # type: ignore[attr-defined]
        assert not still_open, f"stores left open: {still_open}"


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest_asyncio.fixture
async def open_store(directory: Path) -> AsyncIterator[OpenStore]:
    """Opens raw stores on the test's directory (``await open_store(index="hnsw")``, options as
    URL query parameters); closes every one at the end."""
    opened: list[FaissStore] = []

    async def open_(**options: Any) -> FaissStore:
        query = "&".join(f"{name}={value}" for name, value in options.items())
        store = FaissStore.from_url(f"faiss://{directory}" + (f"?{query}" if query else ""))
        opened.append(store)
        return store

    yield open_
    for store in opened:
        await store.close()


@pytest.fixture
def embedder() -> Iterator[ScriptedProvider]:
    """Answers ``faisstest:<model>`` embeddings with deterministic unit vectors."""
    scripted = ScriptedProvider("faisstest", dimensions=DIMENSIONS)
    name = lluminary.register(scripted, name="faisstest-embedder")
    try:
        yield scripted
    finally:
        lluminary.unregister(name=name)


@pytest.fixture(scope="session")
def scenarios() -> ModuleType:
    """``tests/processes.py`` as a module: its helpers say what the child processes wrote."""
    spec = importlib.util.spec_from_file_location("lluminary_faiss_test_processes", PROCESSES)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def spawn() -> Iterator[Spawn]:
    """Starts ``tests/processes.py <args>`` in a new interpreter (stdin, stdout, stderr piped);
    every process still running at the end of the test is killed and reaped."""
    yield from spawned(PROCESSES)


@pytest.fixture(scope="session")
def make_vectors() -> Callable[..., list[list[float]]]:
    """``make_vectors(count, dimensions=16, seed=3)``: random vectors, the same for the same seed."""
    return random_vectors


@pytest.fixture(scope="session")
def make_records() -> Callable[..., list[Record]]:
    """``make_records(count, seed=3, prefix="r")``: records ``r0``... with metadata n, group, even."""
    return records


def random_vectors(count: int, dimensions: int = DIMENSIONS, *, seed: int = 3) -> list[list[float]]:
    rng = random.Random(seed)
    return [[rng.uniform(-1.0, 1.0) for _ in range(dimensions)] for _ in range(count)]


def records(count: int, *, seed: int = 3, prefix: str = "r", dimensions: int = DIMENSIONS) -> list[Record]:
    """Records with random vectors, a little metadata and a text naming the id."""
    rng = random.Random(seed)
    return [
        Record(
            f"{prefix}{index}",
            vector,
            {"n": index, "group": rng.choice(["a", "b", "c"]), "even": index % 2 == 0},
            f"text of {prefix}{index}",
        )
        for index, vector in enumerate(random_vectors(count, dimensions, seed=seed))
    ]
