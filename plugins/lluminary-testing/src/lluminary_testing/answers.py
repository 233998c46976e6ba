"""What the fake servers answer alike, whatever their wire format: the echo they send when nothing
is scripted, rough token counts, deterministic embedding vectors, and a scenario's finish reason
and usage in the terms a provider reports them."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from lluminary import Usage

from .scenario import Scenario

#: a word or a punctuation mark: what the fakes count as a token
WORD = re.compile(r"\w+|[^\w\s]")
#: a word with the spaces around it, or a run of spaces
_PIECE = re.compile(r"\s*\S+\s*|\s+")


def word_count(text: str) -> int:
    """Words and punctuation marks in ``text``."""
    return len(WORD.findall(text))


def rough_tokens(body: Any) -> int:
    """A rough input-token count of a whole request body: its JSON text over four."""
    return max(len(json.dumps(body)) // 4, 1)


def echo(text: str, *, model: str, input_tokens: int, output_tokens: int | None = None, **more: Any) -> Scenario:
    """The answer of a server with nothing scripted: ``text`` back, streamed two words a piece.
    ``output_tokens`` defaults to the words and punctuation marks of ``text`` (at least one);
    ``more`` are other :class:`Scenario` fields (``id``)."""
    words = _PIECE.findall(text)
    pieces = tuple("".join(words[i : i + 2]) for i in range(0, len(words), 2))
    if output_tokens is None:
        output_tokens = max(word_count(text), 1)
    usage = Usage(input_tokens=input_tokens, output_tokens=output_tokens)
    return Scenario(text=pieces if text else "", usage=usage, model=model, **more)


def last_user_text(messages: Any) -> str:
    """The text of the last user message that has text, in a chat body whose messages carry
    ``content`` as a string or as a list of text blocks (``{"type": "text", "text": ...}``, or
    Bedrock's ``{"text": ...}``)."""
    found: list[Any] = messages if isinstance(messages, list) else []
    for message in reversed(found):
        if not isinstance(message, dict) or message.get("role") != "user":
            continue
        content: Any = message.get("content")
        if isinstance(content, str):
            return content
        blocks = content if isinstance(content, list) else ()
        texts = [
            str(b["text"]) for b in blocks if isinstance(b, dict) and "text" in b and b.get("type", "text") == "text"
        ]
        if texts:
            return "".join(texts)
    return ""


def unit_vector(text: str, size: int) -> list[float]:
    """A deterministic unit vector of ``size`` numbers: the same text always gets the same vector."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    while len(digest) < size:
        digest += hashlib.sha256(digest).digest()
    raw = [b - 127.5 for b in digest[:size]]
    norm = sum(x * x for x in raw) ** 0.5 or 1.0
    return [x / norm for x in raw]


def finish_of(scenario: Scenario, reasons: Mapping[str, str], default: str, stop_sequence: str | None = None) -> str:
    """The provider's finish reason for ``scenario``: ``reasons`` maps the unified one (``default``
    when it is not there); a scenario that stopped on one of its stop sequences finishes with
    ``stop_sequence`` instead of the plain stop, for providers that say so."""
    reason = reasons.get(scenario.finish_reason, default)
    if stop_sequence is not None and scenario.stop_sequence is not None and reason == default:
        return stop_sequence
    return reason


def uncached_input(usage: Usage) -> int:
    """The input tokens that were neither read from nor written to a prompt cache (what Anthropic
    and Bedrock call the input tokens)."""
    return max(usage.input_tokens - usage.cache_read_tokens - usage.cache_write_tokens, 0)
