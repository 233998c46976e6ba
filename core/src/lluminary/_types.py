"""Unified value types that cross the kernel, and the one converter that serialises them.

Every class is a frozen, slotted attrs class: cheap to build, safe to share between tasks and
threads, and comparable, so that an accumulated stream can be checked against the non-streamed
response with ``==``.

Token conventions (the same for every provider, so cost is computed once, in the kernel):

* ``Usage.input_tokens`` counts *all* input tokens; ``cache_read_tokens`` and
  ``cache_write_tokens`` are the parts of it that were read from / written to a prompt cache.
* ``Usage.output_tokens`` counts *all* output tokens; ``reasoning_tokens`` is the part of it spent
  on hidden reasoning.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Union

import attrs

Role = Literal["user", "assistant", "tool"]
FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "error", "other"]
ToolChoiceMode = Literal["auto", "none", "required", "tool"]
ReasoningEffort = Literal["minimal", "low", "medium", "high"]
EmbedInputType = Literal["query", "document", "classification", "clustering"]

_EMPTY: Mapping[str, Any] = {}


# Usage and Cost live in their own module; they are part of the same public family.
from ._usage import Cost as Cost, Usage as Usage  # noqa: E402


class Secret:
    """A credential that never shows itself: not in repr, str, logs, traces or cache keys."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        """The raw value, for the one place that puts it on the wire."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> tuple[Any, tuple[()]]:
        # Pickling (multiprocessing, caches, task queues) never carries the key: it comes back as
        # None, so the receiving side uses its own settings or environment.
        return (_no_secret, ())


def _no_secret() -> None:
    return None


# --------------------------------------------------------------------------- content parts


@attrs.frozen
class TextPart:
    """Plain text."""

    text: str


@attrs.frozen
class ImagePart:
    """An image, either by URL or as raw bytes with their media type."""

    url: str | None = None
    data: bytes | None = attrs.field(default=None, repr=lambda d: f"<{len(d)} bytes>" if d else "None")
    media_type: str | None = None

    def __attrs_post_init__(self) -> None:
        if (self.url is None) == (self.data is None):
            raise ValueError("ImagePart needs exactly one of url= or data=")
        if self.data is not None and not self.media_type:
            raise ValueError("ImagePart with data= needs media_type= (e.g. 'image/png')")


@attrs.frozen
class ToolCallPart:
    """A call the model asked for. ``signature`` carries a provider's opaque token (Gemini's
    ``thoughtSignature``) that must be sent back with the call in the next turn."""

    id: str
    name: str
    arguments: Mapping[str, Any] = attrs.field(factory=dict)
    signature: str | None = None


@attrs.frozen
class ToolResultPart:
    """The result of a tool call, sent back to the model. ``name`` is the tool's name, which some
    providers (Gemini) require next to the call id."""

    tool_call_id: str
    content: str
    is_error: bool = False
    name: str | None = None


@attrs.frozen
class ReasoningPart:
    """Model reasoning. ``signature`` (Anthropic, Bedrock) or ``redacted`` data (encrypted reasoning)
    must be sent back unchanged in the next turn to the same ``provider``; other providers drop it."""

    text: str = ""
    signature: str | None = None
    redacted: str | None = None
    provider: str | None = None
    id: str | None = None


Part = Union[TextPart, ImagePart, ToolCallPart, ToolResultPart, ReasoningPart]


def _parts(value: str | Part | Sequence[Part]) -> tuple[Part, ...]:
    if isinstance(value, str):
        return (TextPart(value),)
    if isinstance(value, (TextPart, ImagePart, ToolCallPart, ToolResultPart, ReasoningPart)):
        return (value,)
    return tuple(value)


@attrs.frozen
class Message:
    """One turn. ``content`` accepts a string or parts and is always stored as a tuple of parts."""

    role: Role
    content: tuple[Part, ...] = attrs.field(converter=_parts, factory=tuple)

    @classmethod
    def user(cls, content: str | Part | Sequence[Part]) -> Message:
        return cls("user", _parts(content))

    @classmethod
    def assistant(cls, content: str | Part | Sequence[Part]) -> Message:
        return cls("assistant", _parts(content))

    @classmethod
    def tool(cls, tool_call_id: str, content: str, *, is_error: bool = False, name: str | None = None) -> Message:
        return cls("tool", (ToolResultPart(tool_call_id, content, is_error, name),))

    @property
    def text(self) -> str:
        """All text parts joined."""
        return "".join(p.text for p in self.content if isinstance(p, TextPart))

    @property
    def tool_calls(self) -> tuple[ToolCallPart, ...]:
        return tuple(p for p in self.content if isinstance(p, ToolCallPart))


# --------------------------------------------------------------------------- tools and options


@attrs.frozen
class Tool:
    """A function the model may call: a name, what it does, and its arguments as JSON schema."""

    name: str
    description: str = ""
    parameters: Mapping[str, Any] = attrs.field(factory=lambda: {"type": "object", "properties": {}})
    strict: bool = False


@attrs.frozen
class ToolChoice:
    """Whether and which tool the model must call. ``mode="tool"`` forces the tool ``name``."""

    mode: ToolChoiceMode = "auto"
    name: str | None = None

    @classmethod
    def tool(cls, name: str) -> ToolChoice:
        return cls("tool", name)


@attrs.frozen
class ResponseFormat:
    """Structured output: ``json_schema`` constrains the answer to the schema; ``json`` asks for
    any JSON object."""

    type: Literal["json_schema", "json"] = "json_schema"
    json_schema: Mapping[str, Any] | None = None
    name: str = "response"
    strict: bool = True


@attrs.frozen
class ReasoningConfig:
    """How much the model may think: an effort level, or a token budget, or both."""

    effort: ReasoningEffort | None = None
    budget_tokens: int | None = None


@attrs.frozen
class ChatRequest:
    """Everything that determines one chat call. ``model`` is ``"provider:model"``.

    ``options`` holds per-provider pass-through fields keyed by provider name
    (``{"openai": {"logprobs": True}}``), so a fallback to another provider never receives them.
    ``api_key``/``base_url`` override a provider's configuration for this call; the key is a
    :class:`Secret`, never serialised, compared or shown.
    """

    model: str
    messages: tuple[Message, ...] = ()
    system: str | None = None
    tools: tuple[Tool, ...] = ()
    tool_choice: ToolChoice | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None
    response_format: ResponseFormat | None = None
    reasoning: ReasoningConfig | None = None
    options: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)
    metadata: Mapping[str, str] = attrs.field(factory=dict)
    base_url: str | None = None
    timeout: float | None = None
    api_key: Secret | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def provider(self) -> str:
        """The provider prefix, ``"openai"`` for ``"openai:gpt-4o"``."""
        return self.model.partition(":")[0]

    @property
    def model_name(self) -> str:
        """The provider's own model id, ``"gpt-4o"`` for ``"openai:gpt-4o"``."""
        return self.model.partition(":")[2]

    def provider_options(self, provider: str) -> Mapping[str, Any]:
        return self.options.get(provider, _EMPTY)


# --------------------------------------------------------------------------- responses


@attrs.frozen
class Citation:
    """A span of the answer backed by sources (Cohere documents, web results)."""

    text: str
    start: int | None = None
    end: int | None = None
    sources: tuple[Mapping[str, Any], ...] = ()


@attrs.frozen
class ChatResponse:
    """A finished chat call. ``finish_reason`` is normalised; ``raw_finish_reason`` is the
    provider's own word for it. ``cached`` says the kernel served it from a cache (not compared)."""

    message: Message
    finish_reason: FinishReason = "stop"
    raw_finish_reason: str | None = None
    usage: Usage = Usage()
    cost: Cost | None = None
    model: str = ""
    provider: str = ""
    id: str | None = None
    citations: tuple[Citation, ...] = ()
    cached: bool = attrs.field(default=False, eq=False)
    #: On a cache hit: what the answer cost when it was first bought (``cost`` is then zero).
    saved: Cost | None = attrs.field(default=None, eq=False)
    #: With ``response_format=`` a type: the answer as an instance of it (never serialised).
    parsed: Any = attrs.field(default=None, eq=False, repr=False)
    #: On a semantic cache hit: how close the question was to the cached one (the store's score).
    similarity: float | None = attrs.field(default=None, eq=False)

    @property
    def text(self) -> str:
        return self.message.text

    @property
    def tool_calls(self) -> tuple[ToolCallPart, ...]:
        return self.message.tool_calls

    @property
    def reasoning(self) -> str:
        return "".join(p.text for p in self.message.content if isinstance(p, ReasoningPart))


# --------------------------------------------------------------------------- embeddings and models


@attrs.frozen
class EmbedRequest:
    """Texts to embed with ``model`` (``"provider:model"``). ``metadata``: the call's tags, as on a
    chat request (budgets per tag, the cost ledger, trace events); never sent to the provider nor
    part of the cache key."""

    model: str
    inputs: tuple[str, ...]
    dimensions: int | None = None
    input_type: EmbedInputType | None = None
    options: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)
    base_url: str | None = None
    timeout: float | None = None
    api_key: Secret | None = attrs.field(default=None, eq=False, repr=False)
    metadata: Mapping[str, str] = attrs.field(factory=dict)

    @property
    def provider(self) -> str:
        return self.model.partition(":")[0]

    @property
    def model_name(self) -> str:
        return self.model.partition(":")[2]

    def provider_options(self, provider: str) -> Mapping[str, Any]:
        return self.options.get(provider, _EMPTY)


@attrs.frozen
class EmbedResponse:
    """One vector per input, in input order."""

    embeddings: list[list[float]]
    model: str = ""
    provider: str = ""
    usage: Usage = Usage()
    cost: Cost | None = None
    cached: bool = attrs.field(default=False, eq=False)
    #: On a cache hit: what the answer cost when it was first bought (``cost`` is then zero).
    saved: Cost | None = attrs.field(default=None, eq=False)


@attrs.frozen
class PriceTier:
    """Prices that apply to a whole call whose prompt has more than ``above`` input tokens (cached
    input included), as Gemini and Claude bill long prompts. ``None`` keeps the base price."""

    above: int
    input_price: float | None = None
    output_price: float | None = None
    cache_read_price: float | None = None
    cache_write_price: float | None = None


@attrs.frozen
class ModelInfo:
    """A catalogue entry. Prices are US dollars per million tokens; ``None`` means unknown.
    ``id`` is ``"provider:model"``; ``"provider:*"`` prices every model of a provider.
    ``tiers`` are long-prompt prices: the highest tier whose ``above`` the prompt exceeds applies."""

    id: str
    context_window: int | None = None
    max_output_tokens: int | None = None
    input_price: float | None = None
    output_price: float | None = None
    cache_read_price: float | None = None
    cache_write_price: float | None = None
    reasoning_price: float | None = None
    capabilities: frozenset[str] = frozenset()
    kind: Literal["chat", "embedding"] = "chat"
    tiers: tuple[PriceTier, ...] = ()

    @property
    def provider(self) -> str:
        return self.id.partition(":")[0]


# Stream and trace events live in their own module; they belong to the same public family.
from ._events import (  # noqa: E402
    CitationEvent as CitationEvent,
    Finish as Finish,
    ReasoningDelta as ReasoningDelta,
    StreamEvent as StreamEvent,
    TextDelta as TextDelta,
    ToolCallDelta as ToolCallDelta,
    ToolCallEnd as ToolCallEnd,
    ToolCallStart as ToolCallStart,
    TraceEvent as TraceEvent,
    UsageEvent as UsageEvent,
)
