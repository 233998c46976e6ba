"""JSON in and out, in one place: compact bytes out, and the one ``loads`` the hot path uses."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

loads = json.loads
_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=lambda o: _default(o))


def _default(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON (request bodies)."""
    return _encoder.encode(value).encode("utf-8")


def dumps_str(value: Any) -> str:
    """Compact JSON text (tool-call arguments sent back)."""
    return _encoder.encode(value)
