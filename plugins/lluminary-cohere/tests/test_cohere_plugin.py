"""The distribution as a plugin: entry point, a light import, the catalogue and cost."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points
from typing import Any

import pytest

from lluminary._client import Client
from lluminary._cost import Catalogue, compute_cost
from lluminary._types import Usage
from lluminary_cohere import CohereProvider, plugin
from lluminary_cohere.catalogue import MODELS
from lluminary_testing import Scenario


def test_entry_point() -> None:
    found = {ep.name: ep for ep in entry_points(group="lluminary")}
    assert found["cohere"].value == "lluminary_cohere:plugin"
    assert isinstance(plugin, CohereProvider)
    assert plugin.prefixes == ("cohere",)


def test_import_loads_no_http_library() -> None:
    code = "import sys, lluminary_cohere; print(sorted(m for m in ('httpx2', 'httpx') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.strip()
    assert out == "[]"


def test_catalogue() -> None:
    ids = [m.id for m in MODELS]
    assert len(ids) == len(set(ids))
    for required in (
        "cohere:command-a-03-2025",
        "cohere:command-a-reasoning-08-2025",
        "cohere:command-a-vision-07-2025",
        "cohere:command-r-plus-08-2024",
        "cohere:command-r-08-2024",
        "cohere:command-r7b-12-2024",
        "cohere:embed-v4.0",
        "cohere:embed-english-v3.0",
    ):
        assert required in ids
    for info in MODELS:
        assert info.provider == "cohere"
        assert info.input_price is not None
        assert info.output_price is not None
        assert info.context_window
        assert (info.kind == "embedding") == info.id.startswith("cohere:embed")
    assert tuple(CohereProvider().models()) == MODELS


def test_cost_with_cached_tokens() -> None:
    info = Catalogue(list(MODELS)).get("cohere:command-a-03-2025")
    cost = compute_cost(Usage(input_tokens=1_000_000, output_tokens=100_000, cache_read_tokens=400_000), info)
    assert cost is not None
    assert cost.input == pytest.approx(0.6 * 2.50)
    assert cost.cache_read == pytest.approx(0.4 * 2.50)
    assert cost.output == pytest.approx(0.1 * 10.00)


@pytest.mark.asyncio
async def test_through_the_client(fake_cohere: Any) -> None:
    """Loaded through its entry point, called through the kernel, priced from the catalogue."""
    client = Client(cache=False, exporters=[])
    fake_cohere.script(Scenario(text="Hi!", usage=Usage(input_tokens=2000, output_tokens=1000)))
    response = await client.agenerate(
        "cohere:command-r-08-2024", "Hello", api_key="k-1234567890", base_url=fake_cohere.base_url
    )
    assert response.text == "Hi!"
    assert response.provider == "cohere"
    assert response.cost is not None
    assert response.cost.total == pytest.approx(2000 * 0.15e-6 + 1000 * 0.60e-6)
    vectors = await client.aembed(
        "cohere:embed-v4.0", ["a", "b"], api_key="k-1234567890", base_url=fake_cohere.base_url
    )
    assert len(vectors.embeddings) == 2
    assert len(vectors.embeddings[0]) == 1536
