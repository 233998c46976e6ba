"""JSON in and out for the wire: orjson. Only the SDK and the transport import this module, so
``import lluminary`` never pays for it.

orjson parses a stream chunk in about a third of the time ``json.loads`` takes, which is most of
what the kernel adds per streamed event. Bodies go out as compact UTF-8 bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

__all__ = ["dumps", "dumps_str", "loads"]

loads = orjson.loads
_OPTIONS = orjson.OPT_NON_STR_KEYS


def _default(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON (request bodies). Non-ASCII text is sent as it is, not escaped."""
    return orjson.dumps(value, default=_default, option=_OPTIONS)


def dumps_str(value: Any) -> str:
    """Compact JSON text (tool-call arguments sent back to a provider)."""
    return orjson.dumps(value, default=_default, option=_OPTIONS).decode("utf-8")
