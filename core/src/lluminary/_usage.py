"""Token counts and their price: the two values every answer carries and every client adds up."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs


@attrs.frozen
class Usage:
    """Token counts (see the module docstring for what each field includes).

    ``details`` keeps the provider's own usage object as it came (Gemini's
    ``toolUsePromptTokenCount``, Cohere's ``billed_units``, OpenAI's ``*_tokens_details``), so
    nothing the provider reported is lost; it is serialised with the response and ignored by
    ``==``. Adding usages adds the numbers in their details too.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    details: Mapping[str, Any] = attrs.field(factory=dict, eq=False)

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
            _add_details(self.details, other.details) if (self.details or other.details) else {},
        )


def _add_details(left: Mapping[str, Any], right: Mapping[str, Any]) -> dict[str, Any]:
    """Numbers under the same key add up, nested objects merge, anything else: the right one wins
    (several embedding batches, or a response's usage summed over calls)."""
    out: dict[str, Any] = dict(left)
    for key, value in right.items():
        mine = out.get(key)
        if isinstance(mine, (int, float)) and isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = mine + value
        elif isinstance(mine, Mapping) and isinstance(value, Mapping):
            out[key] = _add_details(mine, value)
        else:
            out[key] = value
    return out


@attrs.frozen
class Cost:
    """Cost in US dollars, split the way providers price it."""

    input: float = 0.0
    output: float = 0.0
    cache_read: float = 0.0
    cache_write: float = 0.0

    @property
    def total(self) -> float:
        return self.input + self.output + self.cache_read + self.cache_write

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            self.input + other.input,
            self.output + other.output,
            self.cache_read + other.cache_read,
            self.cache_write + other.cache_write,
        )
