"""Retrieval-augmented answers: split documents, answer from retrieved passages, cite them.

In the kernel because it is a few functions over the public :class:`~lluminary.Collection` and
``generate`` — no dependency, no provider specifics — and every store and model gets it at once.
Nothing is split behind the user's back: :func:`split_text` is offered, ``add_texts`` stores what
it is given.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ._errors import RequestValidationError
from ._types import ChatResponse, Citation

if TYPE_CHECKING:
    from ._store import Match

__all__ = ["ANSWER_SYSTEM_PROMPT", "cite", "passages_prompt", "split_text"]

ANSWER_SYSTEM_PROMPT = (
    "Answer the question using only the numbered passages. After each sentence that uses a "
    "passage, cite it by its number in square brackets, like [2] or [1][3]. If the passages do "
    "not contain the answer, say that you do not know."
)

_BREAKS = ("\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ")
_MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def split_text(text: str, *, max_chars: int = 1000, overlap: int = 100) -> list[str]:
    """Chunks of at most ``max_chars`` characters, cut at the largest natural break that fits
    (paragraph, line, sentence, clause, word; mid-word only when a word is longer than a chunk),
    each starting with up to ``overlap`` characters of the previous one, so a sentence cut in two
    is whole in one chunk or the other."""
    if not isinstance(text, str):
        raise RequestValidationError(f"split_text takes a string, got {type(text).__name__}")
    if isinstance(max_chars, bool) or not isinstance(max_chars, int) or max_chars < 1:
        raise RequestValidationError(f"max_chars must be a positive int, got {max_chars!r}")
    if isinstance(overlap, bool) or not isinstance(overlap, int) or not 0 <= overlap < max_chars:
        raise RequestValidationError(f"overlap must be an int in [0, max_chars), got {overlap!r}")
    chunks: list[str] = []
    start = 0
    length = len(text)
    while start < length:
        while start < length and text[start].isspace():  # a chunk starts at its first word
            start += 1
        if start >= length:
            break
        end = min(start + max_chars, length)
        if end < length:
            end = _break_before(text, start, end)
        chunk = text[start:end].strip()
        if chunk:
            chunks.append(chunk)
        if end >= length:
            break
        next_start = max(end - overlap, start + 1)
        if overlap:  # begin the overlap at a word boundary, not mid-word
            space = text.find(" ", next_start, end)
            next_start = space + 1 if space != -1 else next_start
        start = next_start
    return chunks


def _break_before(text: str, start: int, end: int) -> int:
    floor = start + (end - start) // 2  # a larger break is worth a chunk no shorter than half size
    for separator in _BREAKS:
        found = text.rfind(separator, floor, end)
        if found != -1:
            return found + len(separator)
    for index in range(floor - 1, start, -1):  # a short chunk rather than a word cut in two
        if text[index].isspace():
            return index + 1
    return end


def passages_prompt(question: str, passages: Sequence[Match]) -> str:
    """The user message: the passages numbered from 1, then the question."""
    lines = []
    for number, passage in enumerate(passages, start=1):
        body = (passage.text or "").strip() or "(no text)"
        lines.append(f"[{number}] {body}")
    return "Passages:\n\n" + "\n\n".join(lines) + f"\n\nQuestion: {question}"


def cite(response: ChatResponse, passages: Sequence[Match]) -> ChatResponse:
    """``response`` with one :class:`~lluminary.Citation` per sentence that cites passages by
    number: its span in the answer, and the passages (id, text, metadata, score) it cites.
    Numbers that name no passage are ignored."""
    text = response.text
    citations: list[Citation] = []
    for start, end in _sentences(text):
        sentence = text[start:end]
        numbers: list[int] = []
        for marker in _MARKER.finditer(sentence):
            numbers.extend(int(n) for n in marker.group(1).split(","))
        sources = [_source(passages[n - 1]) for n in dict.fromkeys(numbers) if 1 <= n <= len(passages)]
        if sources:
            citations.append(Citation(sentence.strip(), start, end, tuple(sources)))
    return attrs.evolve(response, citations=(*response.citations, *citations))


def _sentences(text: str) -> list[tuple[int, int]]:
    spans = []
    start = 0
    for found in _SENTENCE_END.finditer(text):
        if found.start() > start:
            spans.append((start, found.start()))
        start = found.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def _source(passage: Match) -> dict[str, Any]:
    return {"id": passage.id, "text": passage.text, "metadata": dict(passage.metadata), "score": passage.score}
