"""Token counting that works offline.

With the ``tokens`` extra (``pip install "lluminary-openai[tokens]"``) counts are exact: the
``toktok-rs`` wheel has the ``o200k_base`` and ``cl100k_base`` vocabularies compiled in, so
nothing is downloaded at run time (``tiktoken`` fetches its BPE files on first use, which fails
offline). Without it, :func:`count_tokens` returns an estimate (see :func:`estimate_tokens`) and
:func:`exact` says so.

Chat requests are counted the way OpenAI's cookbook does it: 3 tokens of framing per message,
3 to prime the reply, plus the tokens of each text; tool definitions are counted as their JSON.
Images are not counted (their cost depends on size and detail).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from lluminary.sdk import ChatRequest, TextPart, ToolCallPart, ToolResultPart, dumps_str

TOKENS_PER_MESSAGE = 3
REPLY_PRIMING = 3
_O200K = re.compile(r"^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o\d|chatgpt-4o|codex|gpt-oss)")
_WORDISH = re.compile(r"\w+|[^\w\s]", re.UNICODE)

_backend: Any = None
_loaded = False


def encoding_for(model_name: str) -> str:
    """The tokenizer encoding of an OpenAI model: ``o200k_base`` for GPT-4o and later (GPT-4.1,
    GPT-5, the o-series), ``cl100k_base`` for GPT-4, GPT-3.5 and the embedding models."""
    return "o200k_base" if _O200K.match(model_name) else "cl100k_base"


def _toktok() -> Any:
    global _backend, _loaded
    if not _loaded:
        _loaded = True
        try:
            import importlib

            toktok = importlib.import_module("toktok")
            toktok.batch_count(["ok"], "o200k_base")
            _backend = toktok
        except Exception:  # noqa: BLE001 - missing or broken: fall back to the estimate
            _backend = None
    return _backend


def exact() -> bool:
    """Whether counts are exact (the ``tokens`` extra is installed) or estimates."""
    return _toktok() is not None


def estimate_tokens(text: str) -> int:
    """A tokenizer-free estimate: the larger of one token per 4 UTF-8 bytes and one token per
    word or punctuation mark. On English prose and code it is within about 15% of o200k_base,
    and it over-counts rather than under-counts on non-Latin scripts."""
    if not text:
        return 0
    by_bytes = math.ceil(len(text.encode("utf-8")) / 4)
    by_words = len(_WORDISH.findall(text))
    return max(by_bytes, by_words)


def count_tokens(text: str | Sequence[str], model: str = "gpt-4o") -> int:
    """Tokens in ``text`` (or the sum over several texts) for ``model`` (with or without the
    ``openai:`` prefix)."""
    texts = [text] if isinstance(text, str) else list(text)
    name = model.partition(":")[2] or model
    backend = _toktok()
    if backend is not None:
        return int(sum(backend.batch_count(texts, encoding_for(name))))
    return sum(estimate_tokens(t) for t in texts)


def count_request_tokens(request: ChatRequest) -> int:
    """The input tokens of a chat request, counted offline."""
    texts: list[str] = []
    messages = 0
    if request.system:
        texts.append(request.system)
        messages += 1
    for message in request.messages:
        messages += 1
        for part in message.content:
            if isinstance(part, TextPart):
                texts.append(part.text)
            elif isinstance(part, ToolCallPart):
                texts.append(part.name)
                texts.append(dumps_str(part.arguments))
            elif isinstance(part, ToolResultPart):
                texts.append(part.content)
    texts.extend(
        dumps_str({"name": t.name, "description": t.description, "parameters": t.parameters}) for t in request.tools
    )
    texts = [t for t in texts if t]
    return (count_tokens(texts, request.model_name) if texts else 0) + TOKENS_PER_MESSAGE * messages + REPLY_PRIMING
