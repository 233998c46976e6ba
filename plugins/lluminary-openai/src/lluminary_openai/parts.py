"""Building message parts the same way for streamed and non-streamed answers, so that an
accumulated stream equals the non-streamed response."""

from __future__ import annotations

from lluminary.types import Part, TextPart


def add_text(parts: list[Part], text: str) -> None:
    """Append text, merging with a text part just before it (as the stream accumulator does)."""
    if not text:
        return
    if parts and isinstance(parts[-1], TextPart):
        parts[-1] = TextPart(parts[-1].text + text)
    else:
        parts.append(TextPart(text))
