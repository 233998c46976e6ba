"""Embeddings: one vector per input, in order, deterministic, with the dimensions asked for."""

from __future__ import annotations

import math

import pytest

from lluminary import Client
from lluminary_testing.server import FakeServer

from ._base import ConformanceBase
from ._guard import covered_by


class EmbeddingTests(ConformanceBase):
    @covered_by("supports_embeddings")
    @pytest.mark.asyncio
    async def test_embed(self, client: Client, server: FakeServer) -> None:
        """Embedding several texts returns one vector per text, in input order, of the requested
        dimensions, with usage; the texts and dimensions reach the wire.

        Troubleshooting: check the embedding request body (wire_embed_inputs,
        wire_embed_dimensions), that vectors are ordered by the provider's index field, and that
        base64-encoded vectors are decoded as little-endian float32. The fake server serves
        deterministic vectors when nothing is scripted."""
        self.need(self.supports_embeddings, f"{self.provider}: supports_embeddings = False")
        model = self.embedding_model
        assert model, "set embedding_model when supports_embeddings = True"
        texts = ["alpha", "beta", "alpha"]
        dims = self.embedding_dimensions
        response = await self.within(client.aembed(model, texts, dimensions=dims, **self.call_options(server)))
        assert len(response.embeddings) == 3
        assert all(len(v) == dims for v in response.embeddings)
        assert all(math.isfinite(x) for v in response.embeddings for x in v)
        assert response.embeddings[0] == pytest.approx(response.embeddings[2])
        assert response.embeddings[0] != pytest.approx(response.embeddings[1])
        if self.supports_embedding_usage:
            assert response.usage.input_tokens > 0
        body = self.body(server)
        assert self.wire_embed_inputs(body) == texts
        assert self.wire_embed_dimensions(body) == dims
