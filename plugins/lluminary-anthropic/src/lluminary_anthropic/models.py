"""The Claude model catalogue: context windows, output limits, prices and what each model accepts.

Prices are US dollars per million tokens from Anthropic's pricing page (checked November 2026):
``cache_write_price`` is the 5-minute cache write (1.25x input; 1-hour writes cost 2x input and are
priced as 5-minute ones, see the docs page), ``cache_read_price`` the cache hit. Thinking tokens
are output tokens and cost the output price. Claude Haiku 5.5 is priced by prompt length; the
entry carries the rates for prompts up to 100,000 tokens.

Capabilities used by the plugin itself:

* ``thinking_budget`` — accepts ``thinking: {type: "enabled", budget_tokens}`` (removed from
  Claude Opus 4.7 and every later model, which return HTTP 400 for it);
* ``thinking_adaptive`` — accepts ``thinking: {type: "adaptive"}`` with ``output_config.effort``;
* ``structured_output`` — accepts ``output_config.format`` (JSON schema output).
"""

from __future__ import annotations

from collections.abc import Iterable

from lluminary.sdk import ModelInfo

_BASE = frozenset({"chat", "streaming", "tools", "vision", "prompt_caching", "count_tokens", "reasoning"})
_ADAPTIVE = _BASE | {"thinking_adaptive", "structured_output"}
_BOTH = _ADAPTIVE | {"thinking_budget"}
_BUDGET = _BASE | {"thinking_budget", "structured_output"}

M = 1_000_000
K = 1_000

# id: (context window, max output, input, output, cache write (5m), cache read, capabilities)
_TABLE: dict[str, tuple[int, int, float, float, float, float, frozenset[str]]] = {
    # current generation
    "claude-fable-5-2": (M, 128 * K, 8.0, 40.0, 10.0, 0.20, _ADAPTIVE),
    "claude-opus-5-5": (M, 128 * K, 4.0, 20.0, 5.0, 0.20, _ADAPTIVE),
    "claude-sonnet-5-5": (M, 128 * K, 2.0, 10.0, 2.50, 0.10, _ADAPTIVE),
    "claude-haiku-5-5": (M, 128 * K, 0.10, 0.50, 0.125, 0.01, _ADAPTIVE),
    # legacy, still served
    "claude-fable-5-1": (M, 128 * K, 10.0, 50.0, 12.50, 0.25, _ADAPTIVE),
    "claude-mythos-5-1": (M, 128 * K, 10.0, 50.0, 12.50, 0.25, _ADAPTIVE),
    "claude-fable-5": (M, 128 * K, 10.0, 50.0, 12.50, 1.00, _ADAPTIVE),
    "claude-mythos-5": (M, 128 * K, 10.0, 50.0, 12.50, 1.00, _ADAPTIVE),
    "claude-opus-5": (M, 128 * K, 5.0, 25.0, 6.25, 0.50, _ADAPTIVE),
    "claude-sonnet-5": (M, 128 * K, 2.0, 10.0, 2.50, 0.20, _ADAPTIVE),
    "claude-opus-4-8": (M, 128 * K, 5.0, 25.0, 6.25, 0.50, _ADAPTIVE),
    "claude-opus-4-7": (M, 128 * K, 5.0, 25.0, 6.25, 0.50, _ADAPTIVE),
    "claude-opus-4-6": (M, 128 * K, 5.0, 25.0, 6.25, 0.50, _BOTH),
    "claude-sonnet-4-6": (M, 128 * K, 3.0, 15.0, 3.75, 0.30, _BOTH),
    "claude-opus-4-5": (200 * K, 64 * K, 5.0, 25.0, 6.25, 0.50, _BUDGET),
    "claude-sonnet-4-5": (200 * K, 64 * K, 3.0, 15.0, 3.75, 0.30, _BUDGET),
    "claude-haiku-4-5": (200 * K, 64 * K, 1.0, 5.0, 1.25, 0.10, _BUDGET),
}

#: ``max_tokens`` sent for a model missing from the catalogue when the request sets none.
FALLBACK_MAX_TOKENS = 4096


def catalogue(prefixes: Iterable[str] = ("anthropic",)) -> list[ModelInfo]:
    """One entry per model and provider prefix (so cost works under every prefix)."""
    return [
        ModelInfo(
            id=f"{prefix}:{name}",
            context_window=window,
            max_output_tokens=max_out,
            input_price=inp,
            output_price=out,
            cache_read_price=read,
            cache_write_price=write,
            capabilities=caps,
        )
        for prefix in prefixes
        for name, (window, max_out, inp, out, write, read, caps) in _TABLE.items()
    ]


_INFO = {m.id.partition(":")[2]: m for m in catalogue()}
_MISSES: set[str] = set()


def lookup(model: str) -> ModelInfo | None:
    """The entry for ``model`` (bare id), also for dated snapshots (``claude-haiku-4-5-20251001``)
    and suffixed variants (``claude-opus-5-5[1m]``)."""
    found = _INFO.get(model)
    if found is not None or model in _MISSES:
        return found
    best: str | None = None
    for name in _INFO:
        if model.startswith((name + "-", name + "[")) and (best is None or len(name) > len(best)):
            best = name
    if best is None:
        if len(_MISSES) < 1024:
            _MISSES.add(model)
        return None
    found = _INFO[model] = _INFO[best]  # remember the snapshot's entry
    return found


def default_max_tokens(model: str) -> int:
    info = lookup(model)
    if info is None or info.max_output_tokens is None:
        return FALLBACK_MAX_TOKENS
    return info.max_output_tokens
