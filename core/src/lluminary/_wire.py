"""Small helpers for building request bodies that every provider needs."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from ._types import ChatRequest, ImagePart

__all__ = ["map_options", "image_base64", "image_data_url"]


def map_options(body: dict[str, Any], request: ChatRequest, names: Mapping[str, str]) -> dict[str, Any]:
    """Copy the request's generation settings that are set into ``body``, under the provider's
    names: ``map_options(body, request, {"max_tokens": "max_tokens", "top_p": "p", "stop":
    "stop_sequences", "seed": "random_seed"})``. ``stop`` goes out as a list; unset settings
    (None, no stop sequences) are left out, so the provider's defaults apply."""
    for field, key in names.items():
        value = getattr(request, field)
        if value is None or (field == "stop" and not value):
            continue
        body[key] = list(value) if field == "stop" else value
    return body


def image_base64(part: ImagePart) -> str:
    """The image's bytes as base64 text (the part must hold ``data``)."""
    assert part.data is not None
    return base64.b64encode(part.data).decode("ascii")


def image_data_url(part: ImagePart) -> str:
    """The image as a URL: its own URL, or a ``data:`` URL of its bytes."""
    if part.url is not None:
        return part.url
    return f"data:{part.media_type};base64,{image_base64(part)}"
