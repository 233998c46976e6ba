"""The catalogue: the models installed on the Ollama server, every one at zero cost.

:func:`installed` asks ``/api/tags`` with a short, bounded request and remembers the answer for a
while; when no server answers, the catalogue is just the ``ollama:*`` entry that prices every
Ollama model at zero. The catalogue hook is synchronous and may be called from a thread that runs
an event loop already, so :func:`run` gives the request a loop of its own in a worker thread.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from lluminary.sdk import ModelInfo

from .config import NAME

T = TypeVar("T")

TAGS_PATH = "/api/tags"
TAGS_TIMEOUT = 0.5
CACHE_SECONDS = 30.0
ZERO = ModelInfo(
    id=f"{NAME}:*",
    input_price=0.0,
    output_price=0.0,
    cache_read_price=0.0,
    cache_write_price=0.0,
    capabilities=frozenset({"chat", "streaming", "tools", "structured_output", "local"}),
)
_EMBEDDING_FAMILIES = frozenset({"bert", "nomic-bert", "jina-bert", "xlm-roberta"})

_lock = threading.Lock()
_cache: dict[str, tuple[float, tuple[ModelInfo, ...]]] = {}


def info(entry: dict[str, Any]) -> ModelInfo | None:
    name = entry.get("model") or entry.get("name")
    if not name:
        return None
    details = entry.get("details") if isinstance(entry.get("details"), dict) else {}
    assert isinstance(details, dict)
    family = str(details.get("family") or "")
    embedding = "embed" in str(name) or family in _EMBEDDING_FAMILIES
    capabilities = {"embeddings"} if embedding else {"chat", "streaming", "local"}
    if entry.get("remote_host"):
        capabilities.add("cloud")
    return ModelInfo(
        id=f"{NAME}:{name}",
        input_price=0.0,
        output_price=0.0,
        cache_read_price=0.0,
        cache_write_price=0.0,
        capabilities=frozenset(capabilities),
        kind="embedding" if embedding else "chat",
    )


def from_tags(data: Any) -> tuple[ModelInfo, ...]:
    models = data.get("models") if isinstance(data, dict) else None
    if not isinstance(models, list):
        return ()
    found = (info(m) for m in models if isinstance(m, dict))
    return tuple(m for m in found if m is not None)


def installed(base_url: str, ask: Callable[[str], Any]) -> tuple[ModelInfo, ...]:
    """The models installed on the server at ``base_url``: ``ask(base_url)`` returns its
    ``/api/tags`` answer (None when it does not answer in time), remembered for a while."""
    now = time.monotonic()
    with _lock:
        hit = _cache.get(base_url)
        if hit is not None and now - hit[0] < CACHE_SECONDS:
            return hit[1]
    models = from_tags(ask(base_url))
    with _lock:
        _cache[base_url] = (now, models)
    return models


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to the end on a loop of its own, in a worker thread (the calling thread
    may be running a loop, which must not be re-entered or blocked on from inside)."""
    with ThreadPoolExecutor(1, thread_name_prefix="lluminary-ollama-catalogue") as worker:
        return worker.submit(asyncio.run, coroutine).result()


def clear() -> None:
    with _lock:
        _cache.clear()
