"""Counting input tokens locally and offline.

With the ``tokens`` extra (``pip install "lluminary-mistral[tokens]"``) the count uses Mistral's own
tokenizers from the ``mistral-common`` package, whose wheel ships the tokenizer files, so nothing is
downloaded:

* models that ``mistral-common`` names (``open-mistral-nemo``, ``mistral-large-2411``,
  ``pixtral-large-2411``, ``codestral-2405``, ...) are counted **exactly**, chat template included;
* newer models (Mistral Small/Medium/Large 3, Magistral, Devstral, Ministral 3, ...) use Tekken
  tokenizers that are published only on the Hugging Face Hub; they are counted with the Tekken
  vocabulary the wheel ships (``tekken_240911``) and its chat template, which is **close** to the
  real count (the text tokens agree; the control tokens of later templates may differ by a few).

Images are not tokenized (that would need the image itself, or a download): each counts as
:data:`IMAGE_TOKENS`. Without ``mistral-common`` the count is an **estimate**: UTF-8 bytes / 4
for every text, tool schema and tool call, plus :data:`MESSAGE_OVERHEAD` per message.
"""

from __future__ import annotations

import functools
import json
import math
from typing import Any

from lluminary.sdk import ChatRequest, ImagePart, ReasoningPart, TextPart, ToolCallPart, ToolResultPart

IMAGE_TOKENS = 1_024
MESSAGE_OVERHEAD = 4
BYTES_PER_TOKEN = 4

# model-name prefix -> (factory, arguments) in mistral_common.MistralTokenizer
_EXACT: tuple[tuple[str, str, tuple[Any, ...]], ...] = (
    ("mistral-tiny-2312", "v2", ()),
    ("mistral-small-2312", "v2", ()),
    ("mistral-small-2402", "v2", ()),
    ("mistral-large-2402", "v2", ()),
    ("mistral-medium-2312", "v1", ()),
    ("mistral-tiny-2407", "v3", ()),
    ("mistral-large-2407", "v3", ()),
    ("codestral-2405", "v3", ()),
    ("codestral-mamba", "v3", ()),
    ("open-mixtral-8x22b", "v3", ()),
    ("open-mistral-nemo", "v3", (True, False)),
    ("mistral-small-2409", "v3", (True, False)),
    ("ministral-8b-2410", "v3", (True, False)),
    ("pixtral-12b", "v3", (True, True)),
    ("mistral-large-2411", "v7", ()),
    ("pixtral-large-2411", "v7", (True,)),
)
_TEKKEN: tuple[str, tuple[Any, ...]] = ("v3", (True, True))


def have_tokenizer() -> bool:
    try:
        import mistral_common  # noqa: F401
    except ImportError:
        return False
    return True


def tokenizer_for(model: str) -> tuple[str, tuple[Any, ...], bool]:
    """(factory, arguments, exact) of the tokenizer that counts ``model``."""
    for prefix, factory, args in _EXACT:
        if model.startswith(prefix):
            return factory, args, True
    return _TEKKEN[0], _TEKKEN[1], False


@functools.lru_cache(maxsize=8)
def _load(factory: str, args: tuple[Any, ...]) -> Any:
    from mistral_common.tokens.tokenizers.mistral import MistralTokenizer

    return getattr(MistralTokenizer, factory)(*args)


def count(request: ChatRequest) -> int:
    """Input tokens of ``request`` (blocking: loading a tokenizer takes about a second, once)."""
    if not have_tokenizer():
        return estimate(request)
    factory, args, _exact = tokenizer_for(request.model_name)
    tokenizer = _load(factory, args)
    messages, images = _openai_messages(request)
    tools = [
        {
            "type": "function",
            "function": {"name": t.name, "description": t.description, "parameters": dict(t.parameters)},
        }
        for t in request.tools
    ]
    try:
        from mistral_common.protocol.instruct.request import ChatCompletionRequest

        chat = ChatCompletionRequest.from_openai(messages=messages, tools=tools or None)
        tokens = len(tokenizer.encode_chat_completion(chat).tokens)
    except Exception:  # noqa: BLE001 - a template rule we cannot meet: count the pieces instead
        raw = tokenizer.instruct_tokenizer.tokenizer
        tokens = 1 + sum(len(raw.encode(text, bos=False, eos=False)) + MESSAGE_OVERHEAD for text in _texts(request))
    return tokens + images * IMAGE_TOKENS


def estimate(request: ChatRequest) -> int:
    """The documented estimate used without ``mistral-common``."""
    total = 1
    for text in _texts(request):
        total += math.ceil(len(text.encode("utf-8")) / BYTES_PER_TOKEN) + MESSAGE_OVERHEAD
    images = sum(1 for m in request.messages for p in m.content if isinstance(p, ImagePart))
    return total + images * IMAGE_TOKENS


def _texts(request: ChatRequest) -> list[str]:
    texts: list[str] = []
    if request.system:
        texts.append(request.system)
    texts.extend(
        json.dumps({"name": t.name, "description": t.description, "parameters": t.parameters}) for t in request.tools
    )
    for message in request.messages:
        pieces: list[str] = []
        for part in message.content:
            if isinstance(part, TextPart):
                pieces.append(part.text)
            elif isinstance(part, ToolCallPart):
                pieces.append(json.dumps({"name": part.name, "arguments": dict(part.arguments)}))
            elif isinstance(part, ToolResultPart):
                pieces.append(part.content)
            elif isinstance(part, ReasoningPart):
                pieces.append(part.text)
        texts.append("".join(pieces))
    return texts


def _openai_messages(request: ChatRequest) -> tuple[list[dict[str, Any]], int]:
    """A text-only OpenAI-format conversation for ``mistral_common`` and the number of images left out."""
    out: list[dict[str, Any]] = []
    images = 0
    if request.system:
        out.append({"role": "system", "content": request.system})
    names: dict[str, str] = {}
    for message in request.messages:
        text = "".join(p.text for p in message.content if isinstance(p, TextPart))
        images += sum(1 for p in message.content if isinstance(p, ImagePart))
        if message.role == "assistant":
            calls = []
            for part in message.content:
                if isinstance(part, ToolCallPart):
                    names[part.id] = part.name
                    calls.append(
                        {
                            "id": part.id,
                            "type": "function",
                            "function": {"name": part.name, "arguments": json.dumps(dict(part.arguments))},
                        }
                    )
            entry: dict[str, Any] = {"role": "assistant", "content": text or None}
            if calls:
                entry["tool_calls"] = calls
            out.append(entry)
            continue
        if text or not any(isinstance(p, ToolResultPart) for p in message.content):
            out.append({"role": "user", "content": text})
        out.extend(
            {
                "role": "tool",
                "tool_call_id": part.tool_call_id,
                "name": part.name or names.get(part.tool_call_id, ""),
                "content": part.content,
            }
            for part in message.content
            if isinstance(part, ToolResultPart)
        )
    return out, images
