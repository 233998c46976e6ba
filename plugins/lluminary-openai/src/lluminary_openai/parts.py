"""Building message parts the same way for streamed and non-streamed answers, so that an
accumulated stream equals the non-streamed response."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from lluminary.sdk import Citation, Part, ReasoningPart, TextPart


def add_text(parts: list[Part], text: str) -> None:
    """Append text, merging with a text part just before it (as the stream accumulator does)."""
    if not text:
        return
    if parts and isinstance(parts[-1], TextPart):
        parts[-1] = TextPart(parts[-1].text + text)
    else:
        parts.append(TextPart(text))


def add_reasoning(parts: list[Part], text: str, provider: str) -> None:
    """Append reasoning text, merging with an open reasoning part just before it (as the stream
    accumulator merges consecutive reasoning deltas)."""
    if not text:
        return
    last = parts[-1] if parts else None
    if isinstance(last, ReasoningPart) and last.signature is None and last.redacted is None:
        parts[-1] = ReasoningPart(last.text + text, provider=last.provider, id=last.id)
    else:
        parts.append(ReasoningPart(text, provider=provider))


def content_pieces(content: Any) -> Iterator[tuple[bool, str]]:
    """``(is_reasoning, text)`` pieces of a ``content`` that is a list of typed parts rather than a
    string, as Mistral's API answers (also through OpenAI-compatible gateways): ``{"type": "text",
    "text"}`` parts, and Magistral's ``{"type": "thinking", "thinking": [{"type": "text", "text"}]}``
    (or ``"thinking": "..."``). Parts of other types (references, images) carry no text."""
    for piece in content:
        if not isinstance(piece, dict):
            continue
        if piece.get("type") == "thinking":
            inner = piece.get("thinking")
            if isinstance(inner, str):
                if inner:
                    yield True, inner
            elif isinstance(inner, list):
                for sub in inner:
                    if isinstance(sub, dict) and isinstance(sub.get("text"), str) and sub["text"]:
                        yield True, sub["text"]
            continue
        text = piece.get("text")
        if isinstance(text, str) and text:
            yield False, text


def url_citation(annotation: Any, text: str, offset: int = 0) -> Citation | None:
    """A ``url_citation`` annotation (web search answers) as a citation of the answer's text:
    Chat Completions nests it (``{"type": "url_citation", "url_citation": {"url", "title",
    "start_index", "end_index"}}``), the Responses API does not. ``text`` is the text the indexes
    point into, ``offset`` where that text starts in the whole answer. Other annotations
    (file citations, container files) are not web sources: None."""
    if not isinstance(annotation, Mapping) or annotation.get("type") != "url_citation":
        return None
    data = annotation.get("url_citation")
    if not isinstance(data, Mapping):
        data = annotation
    url = data.get("url")
    if not isinstance(url, str):
        return None
    source: dict[str, Any] = {"type": "url_citation", "url": url}
    if isinstance(data.get("title"), str):
        source["title"] = data["title"]
    start, end = data.get("start_index"), data.get("end_index")
    if type(start) is not int or type(end) is not int:
        return Citation("", None, None, (source,))
    return Citation(text[start:end], start + offset, end + offset, (source,))
