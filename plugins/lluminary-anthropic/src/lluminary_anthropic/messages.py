"""Unified messages → Anthropic ``messages``: content blocks, tool results, images, thinking.

* ``tool`` messages become ``tool_result`` blocks inside a user turn; consecutive turns of the same
  role are merged into one, and in a user turn the tool results come first, as the API requires.
* Reasoning goes back as ``thinking`` (with its signature) or ``redacted_thinking`` blocks only when
  it came from this provider (``ReasoningPart.provider`` is one of its prefixes) and is signed;
  anything else is dropped, since the API rejects unsigned or foreign thinking.
* Empty text parts are dropped (the API rejects empty text blocks).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from lluminary.sdk import ImagePart, Message, ReasoningPart, TextPart, ToolCallPart, ToolResultPart, image_base64

Block = dict[str, Any]


def convert_messages(messages: Sequence[Message], prefixes: Collection[str]) -> list[dict[str, Any]]:
    """The ``messages`` array, with every ``content`` a list of blocks (see :func:`compact`)."""
    out: list[dict[str, Any]] = []
    for message in messages:
        role = "assistant" if message.role == "assistant" else "user"
        blocks: list[Block] = []
        for part in message.content:
            block = convert_part(part, prefixes)
            if block is not None:
                blocks.append(block)
        if not blocks:
            continue
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})
    for turn in out:
        content = turn["content"]
        if turn["role"] == "user" and len(content) > 1 and any(b["type"] == "tool_result" for b in content):
            content.sort(key=lambda b: b["type"] != "tool_result")  # stable: results first
    return out


def convert_part(part: Any, prefixes: Collection[str]) -> Block | None:
    kind = type(part)
    if kind is TextPart:
        return {"type": "text", "text": part.text} if part.text else None
    if kind is ToolCallPart:
        return {"type": "tool_use", "id": part.id, "name": part.name, "input": dict(part.arguments)}
    if kind is ToolResultPart:
        block: Block = {"type": "tool_result", "tool_use_id": part.tool_call_id, "content": part.content}
        if part.is_error:
            block["is_error"] = True
        return block
    if kind is ImagePart:
        return image_block(part)
    if kind is ReasoningPart:
        return reasoning_block(part, prefixes)
    return None


def image_block(part: ImagePart) -> Block:
    if part.data is not None:
        data = image_base64(part)
        return {"type": "image", "source": {"type": "base64", "media_type": part.media_type, "data": data}}
    url = part.url or ""
    if url.startswith("data:"):  # data:image/png;base64,....
        header, _, data = url.partition(",")
        media_type = header[5:].split(";", 1)[0] or part.media_type or "image/png"
        return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}
    return {"type": "image", "source": {"type": "url", "url": url}}


def reasoning_block(part: ReasoningPart, prefixes: Collection[str]) -> Block | None:
    if part.provider not in prefixes:
        return None
    if part.redacted is not None:
        return {"type": "redacted_thinking", "data": part.redacted}
    if not part.signature:
        return None
    return {"type": "thinking", "thinking": part.text, "signature": part.signature}


def compact(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A turn that is one plain text block is sent as a string, the API's shorthand."""
    for turn in messages:
        content = turn["content"]
        if len(content) == 1 and content[0]["type"] == "text" and len(content[0]) == 2:
            turn["content"] = content[0]["text"]
    return messages
