"""The one cattrs converter that turns every lluminary value into JSON-ready builtins and back
(cache entries, traces, CLI output). Parts and stream events carry a ``type`` tag; requests never
carry their API key out."""

from __future__ import annotations

from typing import Any, get_origin

from ._types import (
    ChatRequest,
    ChatResponse,
    CitationEvent,
    EmbedRequest,
    Finish,
    ImagePart,
    Part,
    ReasoningDelta,
    ReasoningPart,
    Secret,
    StreamEvent,
    TextDelta,
    TextPart,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallPart,
    ToolCallStart,
    ToolResultPart,
    UsageEvent,
)

__all__ = ["converter", "from_dict", "from_json", "to_dict", "to_json"]


def _make_converter() -> Any:
    import base64

    import cattrs
    from cattrs.strategies import configure_tagged_union

    conv = cattrs.Converter(forbid_extra_keys=False)
    conv.register_unstructure_hook(bytes, lambda b: base64.b64encode(b).decode("ascii"))
    conv.register_structure_hook(bytes, lambda v, _: base64.b64decode(v))
    conv.register_unstructure_hook(Secret, lambda _s: None)
    conv.register_structure_hook(Secret, lambda v, _: None if v is None else Secret(v))
    # ``frozenset[str]`` fields (ModelInfo.capabilities) are generic aliases, which a hook registered
    # for the bare ``frozenset`` class does not match: without this they reach json.dumps as sets.
    conv.register_unstructure_hook_func(_is_frozenset, sorted)

    part_tags = {
        TextPart: "text",
        ImagePart: "image",
        ToolCallPart: "tool_call",
        ToolResultPart: "tool_result",
        ReasoningPart: "reasoning",
    }
    event_tags = {
        TextDelta: "text_delta",
        ReasoningDelta: "reasoning_delta",
        ToolCallStart: "tool_call_start",
        ToolCallDelta: "tool_call_delta",
        ToolCallEnd: "tool_call_end",
        UsageEvent: "usage",
        CitationEvent: "citation",
        Finish: "finish",
    }
    configure_tagged_union(Part, conv, tag_generator=lambda cl: part_tags[cl], tag_name="type")
    configure_tagged_union(StreamEvent, conv, tag_generator=lambda cl: event_tags[cl], tag_name="type")
    # A part or event is tagged even when unstructured on its own (in a list, a trace, a CLI line).
    for cls, tag in (part_tags | event_tags).items():
        conv.register_unstructure_hook(cls, _tagged(cattrs.gen.make_dict_unstructure_fn(cls, conv), tag))
    # A parsed answer is a Python object of the caller's type: it is rebuilt, never stored.
    conv.register_unstructure_hook(
        ChatResponse,
        cattrs.gen.make_dict_unstructure_fn(ChatResponse, conv, parsed=cattrs.gen.override(omit=True)),
    )
    # Requests never carry their credentials out of the process.
    for cls in (ChatRequest, EmbedRequest):
        base = cattrs.gen.make_dict_unstructure_fn(cls, conv, api_key=cattrs.gen.override(omit=True))
        conv.register_unstructure_hook(cls, base)
    return conv


def _is_frozenset(cls: Any) -> bool:
    return cls is frozenset or get_origin(cls) is frozenset


def _tagged(unstructure: Any, tag: str) -> Any:
    def hook(value: Any) -> dict[str, Any]:
        data: dict[str, Any] = unstructure(value)
        data["type"] = tag
        return data

    return hook


_converter: Any = None


def converter() -> Any:
    """The process-wide cattrs converter (built on first use, so ``import lluminary`` stays cheap)."""
    global _converter
    if _converter is None:
        _converter = _make_converter()
    return _converter


def to_dict(value: Any) -> Any:
    """Unstructure any lluminary value into JSON-ready builtins."""
    return converter().unstructure(value)


def from_dict(data: Any, cls: Any) -> Any:
    """Structure JSON-ready builtins back into ``cls``."""
    return converter().structure(data, cls)


def to_json(value: Any) -> str:
    import json

    return json.dumps(to_dict(value), separators=(",", ":"), ensure_ascii=False)


def from_json(text: str | bytes, cls: Any) -> Any:
    import json

    return from_dict(json.loads(text), cls)
