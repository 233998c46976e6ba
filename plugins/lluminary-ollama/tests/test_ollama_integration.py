"""Against a real Ollama server, when one answers on the configured host (``OLLAMA_HOST``, default
``127.0.0.1:11434``); skipped, with the reason, otherwise. The tests use the smallest installed model."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from lluminary import Client, Finish, NotFoundError, TextDelta
from lluminary._plugins import PluginManager  # a manager of its own: only the provider under test
from lluminary_ollama import OllamaProvider
from lluminary_ollama.config import parse_host

pytestmark = pytest.mark.integration


def _installed() -> tuple[str, list[dict[str, Any]]]:
    import httpx2

    base = parse_host(os.environ.get("OLLAMA_HOST"))
    try:
        response = httpx2.get(base + "/api/tags", timeout=2.0)
        response.raise_for_status()
        models = response.json().get("models") or []
    except (httpx2.HTTPError, ValueError) as exc:
        pytest.skip(f"no Ollama server answers on {base} ({type(exc).__name__}); start one with `ollama serve`")
    return base, [m for m in models if isinstance(m, dict)]


def _is_embedding(model: dict[str, Any]) -> bool:
    family = str((model.get("details") or {}).get("family") or "")
    return "embed" in str(model.get("name")) or family in ("bert", "nomic-bert")


def _smallest(models: list[dict[str, Any]], *, embedding: bool) -> str | None:
    fitting = [m for m in models if _is_embedding(m) is embedding and not m.get("remote_host")]
    fitting.sort(key=lambda m: int(m.get("size") or 0))
    return str(fitting[0]["name"]) if fitting else None


@pytest.fixture(scope="module")
def ollama() -> tuple[str, list[dict[str, Any]]]:
    return _installed()


@pytest_asyncio.fixture
async def client() -> AsyncIterator[Client]:
    plugins = PluginManager()
    plugins.register(OllamaProvider(), name="ollama-integration")
    async with Client(plugins=plugins, cache=False, retries=1, exporters=[]) as client:
        yield client


def _chat_model(ollama: tuple[str, list[dict[str, Any]]]) -> tuple[str, str]:
    base, models = ollama
    name = _smallest(models, embedding=False)
    if name is None:
        pytest.skip(f"the Ollama server on {base} has no chat model installed (try `ollama pull qwen3:0.6b`)")
    return base, f"ollama:{name}"


async def test_generate(client: Client, ollama: tuple[str, list[dict[str, Any]]]) -> None:
    base, model = _chat_model(ollama)
    response = await client.agenerate(
        model, "Reply with the single word: hello", base_url=base, max_tokens=64, timeout=300
    )
    assert response.finish_reason in ("stop", "length")
    assert response.usage.input_tokens > 0
    assert response.usage.output_tokens > 0
    assert response.cost is not None
    assert response.cost.total == 0.0


async def test_stream(client: Client, ollama: tuple[str, list[dict[str, Any]]]) -> None:
    base, model = _chat_model(ollama)
    stream = client.astream(model, "Count from 1 to 5.", base_url=base, max_tokens=64, timeout=300)
    events = [event async for event in stream]
    response = await stream.response()
    assert isinstance(events[-1], Finish)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == response.text


async def test_model_not_pulled(client: Client, ollama: tuple[str, list[dict[str, Any]]]) -> None:
    base, _ = ollama
    with pytest.raises(NotFoundError, match="ollama pull"):
        await client.agenerate("ollama:lluminary-no-such-model-xyz", "Hi", base_url=base)


async def test_embed(client: Client, ollama: tuple[str, list[dict[str, Any]]]) -> None:
    base, models = ollama
    name = _smallest(models, embedding=True)
    if name is None:
        pytest.skip(f"the Ollama server on {base} has no embedding model (try `ollama pull nomic-embed-text`)")
    response = await client.aembed(f"ollama:{name}", ["one", "two"], base_url=base, timeout=300)
    assert len(response.embeddings) == 2
    assert len(response.embeddings[0]) > 0


def test_installed_models_in_catalogue(
    ollama: tuple[str, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from lluminary_ollama import catalogue

    base, models = ollama
    catalogue.clear()
    monkeypatch.setenv("OLLAMA_HOST", base)
    ids = {m.id for m in OllamaProvider().models()}
    assert {f"ollama:{m['name']}" for m in models} <= ids
