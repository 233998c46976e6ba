"""Prompt caching: where the ``cache_control`` breakpoints go.

Anthropic caches a prompt prefix only where the request marks it. Ask for it with
``options={"anthropic": {"cache": ...}}``:

* ``True`` or ``"auto"`` — the top-level ``cache_control``: the API marks the last cacheable
  block itself (the whole prompt is cached, and re-read on the next turn of the conversation);
* ``"tools"`` — a breakpoint on the last tool definition (the tool list is cached);
* ``"system"`` — on the system prompt (tools + system are cached);
* ``"messages"`` — on the last block of the last message (everything so far is cached);
* a list of those, e.g. ``["tools", "system", "messages"]`` (at most four breakpoints exist).

``"cache_ttl": "1h"`` asks for the one-hour cache instead of the default five minutes.
Caching is off unless asked for: a cache write costs 1.25x (2x for 1h) the input price.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lluminary.sdk import RequestValidationError

TARGETS = frozenset({"auto", "tools", "system", "messages"})
_NOT_CACHEABLE = frozenset({"thinking", "redacted_thinking"})


def cache_targets(spec: Any) -> frozenset[str]:
    """Normalise the ``cache`` option."""
    if spec is None or spec is False:
        return frozenset()
    if spec is True:
        return frozenset({"auto"})
    items: Iterable[Any] = (spec,) if isinstance(spec, str) else spec
    try:
        targets = frozenset(str(item) for item in items)
    except TypeError:
        raise RequestValidationError(
            f"options['anthropic']['cache'] must be a bool, a string or a list, got {spec!r}"
        ) from None
    unknown = targets - TARGETS
    if unknown:
        raise RequestValidationError(
            f"unknown cache target(s) {sorted(unknown)} in options['anthropic']['cache']; use {sorted(TARGETS)}"
        )
    return targets


def marker(ttl: Any) -> dict[str, str]:
    if ttl is None or ttl == "5m":
        return {"type": "ephemeral"}
    if ttl == "1h":
        return {"type": "ephemeral", "ttl": "1h"}
    raise RequestValidationError(f"options['anthropic']['cache_ttl'] must be '5m' or '1h', got {ttl!r}")


def apply_cache(body: dict[str, Any], targets: frozenset[str], ttl: Any) -> None:
    """Place the breakpoints in ``body`` (whose message contents are still lists of blocks)."""
    if not targets:
        return
    mark = marker(ttl)
    if "auto" in targets:
        body["cache_control"] = dict(mark)
    tools = body.get("tools")
    if "tools" in targets and tools:
        tools[-1]["cache_control"] = dict(mark)
    system = body.get("system")
    if "system" in targets and system:
        if isinstance(system, str):
            body["system"] = system = [{"type": "text", "text": system}]
        system[-1]["cache_control"] = dict(mark)
    messages = body.get("messages")
    if "messages" in targets and messages:
        for block in reversed(messages[-1]["content"]):
            if block.get("type") not in _NOT_CACHEABLE:
                block["cache_control"] = dict(mark)
                break
