"""The catalogue: the models installed on the Ollama server, every one at zero cost.

:func:`installed` asks ``/api/tags`` with a short, bounded, synchronous request (the catalogue hook
is synchronous) and remembers the answer for a while; when no server answers, the catalogue is just
the ``ollama:*`` entry that prices every Ollama model at zero.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from lluminary._types import ModelInfo

from .config import NAME

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


def installed(base_url: str, headers: dict[str, str], *, timeout: float = TAGS_TIMEOUT) -> tuple[ModelInfo, ...]:
    """The installed models (``()`` when the server does not answer within ``timeout``)."""
    now = time.monotonic()
    with _lock:
        hit = _cache.get(base_url)
        if hit is not None and now - hit[0] < CACHE_SECONDS:
            return hit[1]
    import httpx2

    try:
        response = httpx2.get(base_url + "/api/tags", headers=headers, timeout=timeout)
        models = from_tags(response.json()) if response.status_code == 200 else ()
    except (httpx2.HTTPError, ValueError):
        models = ()
    with _lock:
        _cache[base_url] = (now, models)
    return models


def clear() -> None:
    with _lock:
        _cache.clear()
