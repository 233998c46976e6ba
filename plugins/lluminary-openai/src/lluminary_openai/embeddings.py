"""Embeddings: request bodies, batching (at most 2048 inputs per request) and vector decoding."""

from __future__ import annotations

import base64
import sys
from array import array
from collections.abc import Mapping, Sequence
from typing import Any

from lluminary.sdk import EmbedRequest, MalformedResponseError

from .chat_request import add_provider_options

MAX_INPUTS = 2048


def batches(texts: Sequence[str], size: int = MAX_INPUTS) -> list[Sequence[str]]:
    """``texts`` in consecutive slices of at most ``size``."""
    return [texts[i : i + size] for i in range(0, len(texts), size)]


def embed_body(request: EmbedRequest, texts: Sequence[str], *, encoding: str, prefix: str) -> dict[str, Any]:
    body: dict[str, Any] = {"model": request.model_name, "input": list(texts), "encoding_format": encoding}
    if request.dimensions is not None:
        body["dimensions"] = request.dimensions
    return add_provider_options(body, request, prefix)


def decode_vector(value: Any, provider: str) -> list[float]:
    """A vector as JSON floats or as base64 of little-endian float32."""
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        floats = array("f")
        floats.frombytes(base64.b64decode(value))
        if sys.byteorder != "little":
            floats.byteswap()
        return floats.tolist()
    raise MalformedResponseError(
        f"an embedding is neither a list nor base64: {type(value).__name__}", provider=provider
    )


def parse_embeddings(data: Any, expected: int, provider: str) -> list[list[float]]:
    """The vectors of one response, in input order (by their ``index``)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("data"), list):
        raise MalformedResponseError("the embeddings answer has no data list", provider=provider)
    items = data["data"]
    if len(items) != expected:
        raise MalformedResponseError(f"asked for {expected} embeddings, got {len(items)}", provider=provider)
    ordered = sorted(items, key=lambda item: item.get("index", 0))
    return [decode_vector(item.get("embedding"), provider) for item in ordered]
