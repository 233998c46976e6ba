"""The keyword arguments of a chat or embed call, as ``TypedDict``s: the API functions take
``**kwargs: Unpack[ChatOptions]`` (or ``EmbedOptions``), so a type checker catches a misspelt or
mistyped keyword. They list exactly the keyword arguments of
:func:`~lluminary.sdk.build_chat_request` and :func:`~lluminary.sdk.build_embed_request`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, TypedDict, Union

from ._requests import MessageLike, ToolLike
from ._types import EmbedInputType, ReasoningConfig, ReasoningEffort, ResponseFormat, Secret, ToolChoice

__all__ = ["CacheMode", "ChatOptions", "EmbedOptions"]

#: A call's ``cache=``: True reads and writes, False neither, "refresh" writes only.
CacheMode = Union[bool, Literal["refresh"]]


class ChatOptions(TypedDict, total=False):
    """The keyword arguments of ``generate`` / ``stream`` / ``count_tokens`` (and their async
    twins) that describe the request; see the user guide for each one."""

    messages: Iterable[MessageLike] | None
    system: str | None
    tools: Iterable[ToolLike] | None
    tool_choice: str | ToolChoice | None
    temperature: float | None
    top_p: float | None
    max_tokens: int | None
    stop: str | Sequence[str] | None
    seed: int | None
    response_format: ResponseFormat | Mapping[str, Any] | str | type[Any] | None
    reasoning: ReasoningConfig | ReasoningEffort | None
    options: Mapping[str, Mapping[str, Any]] | None
    metadata: Mapping[str, str] | None
    api_key: str | Secret | None
    base_url: str | None
    timeout: float | None


class EmbedOptions(TypedDict, total=False):
    """The keyword arguments of ``embed`` / ``aembed`` that describe the request."""

    dimensions: int | None
    input_type: EmbedInputType | None
    options: Mapping[str, Mapping[str, Any]] | None
    metadata: Mapping[str, str] | None
    api_key: str | Secret | None
    base_url: str | None
    timeout: float | None
