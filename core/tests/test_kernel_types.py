"""The unified types: every one survives the converter unchanged, and credentials never leave."""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from lluminary import _types as types
from lluminary._convert import from_dict, from_json, to_dict, to_json
from lluminary._types import (
    ChatRequest,
    ChatResponse,
    Citation,
    CitationEvent,
    Cost,
    EmbedRequest,
    EmbedResponse,
    Finish,
    ImagePart,
    Message,
    ModelInfo,
    Part,
    PriceTier,
    ReasoningConfig,
    ReasoningDelta,
    ReasoningPart,
    ResponseFormat,
    Secret,
    StreamEvent,
    TextDelta,
    TextPart,
    Tool,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallPart,
    ToolCallStart,
    ToolChoice,
    ToolResultPart,
    TraceEvent,
    Usage,
    UsageEvent,
)

# Property tests may run on a loaded CI machine: no per-example deadline, no speed health check.
RELAXED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --------------------------------------------------------------------------- strategies

texts = st.text(max_size=20)
opt_texts = st.none() | texts
finite = st.floats(allow_nan=False, allow_infinity=False)
prices = st.none() | st.floats(min_value=0, max_value=1000, allow_nan=False)
counts = st.integers(min_value=0, max_value=10**9)
opt_counts = st.none() | counts
json_scalars = (
    st.none() | st.booleans() | st.integers(min_value=-(2**53), max_value=2**53) | finite | st.text(max_size=10)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
json_objects = st.dictionaries(st.text(max_size=8), json_values, max_size=4)
str_maps = st.dictionaries(texts, texts, max_size=3)
secrets = st.none() | st.builds(Secret, st.text(min_size=1, max_size=30))

text_parts = st.builds(TextPart, texts)
image_parts = st.builds(ImagePart, url=texts) | st.builds(
    ImagePart, data=st.binary(max_size=40), media_type=st.sampled_from(["image/png", "image/jpeg", "image/webp"])
)
tool_call_parts = st.builds(ToolCallPart, id=texts, name=texts, arguments=json_objects, signature=opt_texts)
tool_result_parts = st.builds(ToolResultPart, tool_call_id=texts, content=texts, is_error=st.booleans(), name=opt_texts)
reasoning_parts = st.builds(
    ReasoningPart, text=texts, signature=opt_texts, redacted=opt_texts, provider=opt_texts, id=opt_texts
)
parts: st.SearchStrategy[Any] = st.one_of(text_parts, image_parts, tool_call_parts, tool_result_parts, reasoning_parts)
messages = st.builds(
    Message, role=st.sampled_from(["user", "assistant", "tool"]), content=st.lists(parts, max_size=4).map(tuple)
)
tool_defs = st.builds(Tool, name=texts, description=texts, parameters=json_objects, strict=st.booleans())
tool_choices = st.builds(ToolChoice, mode=st.sampled_from(["auto", "none", "required", "tool"]), name=opt_texts)
response_formats = st.builds(
    ResponseFormat,
    type=st.sampled_from(["json_schema", "json"]),
    json_schema=st.none() | json_objects,
    name=texts,
    strict=st.booleans(),
)
reasoning_configs = st.builds(
    ReasoningConfig, effort=st.none() | st.sampled_from(["minimal", "low", "medium", "high"]), budget_tokens=opt_counts
)
chat_requests = st.builds(
    ChatRequest,
    model=texts,
    messages=st.lists(messages, max_size=3).map(tuple),
    system=opt_texts,
    tools=st.lists(tool_defs, max_size=2).map(tuple),
    tool_choice=st.none() | tool_choices,
    temperature=st.none() | finite,
    top_p=st.none() | finite,
    max_tokens=opt_counts,
    stop=st.lists(texts, max_size=3).map(tuple),
    seed=st.none() | st.integers(),
    response_format=st.none() | response_formats,
    reasoning=st.none() | reasoning_configs,
    options=st.dictionaries(texts, json_objects, max_size=2),
    metadata=str_maps,
    base_url=opt_texts,
    timeout=st.none() | finite,
    api_key=secrets,
)
usage_details = st.dictionaries(
    st.text(max_size=12), st.integers(0, 10**6) | st.text(max_size=8) | st.dictionaries(st.text(max_size=8), counts)
)
usages = st.builds(Usage, counts, counts, counts, counts, counts, usage_details)
costs = st.builds(Cost, finite, finite, finite, finite)
citations = st.builds(
    Citation, text=texts, start=opt_counts, end=opt_counts, sources=st.lists(json_objects, max_size=2).map(tuple)
)
finish_reasons = st.sampled_from(["stop", "length", "tool_calls", "content_filter", "error", "other"])
chat_responses = st.builds(
    ChatResponse,
    message=messages,
    finish_reason=finish_reasons,
    raw_finish_reason=opt_texts,
    usage=usages,
    cost=st.none() | costs,
    model=texts,
    provider=texts,
    id=opt_texts,
    citations=st.lists(citations, max_size=2).map(tuple),
    cached=st.booleans(),
)
text_deltas = st.builds(TextDelta, texts)
reasoning_deltas = st.builds(ReasoningDelta, text=texts, signature=opt_texts, redacted=opt_texts, id=opt_texts)
tool_call_starts = st.builds(ToolCallStart, index=counts, id=texts, name=texts)
tool_call_deltas = st.builds(ToolCallDelta, index=counts, arguments=texts)
tool_call_ends = st.builds(ToolCallEnd, index=counts, call=tool_call_parts)
usage_events = st.builds(UsageEvent, usages)
citation_events = st.builds(CitationEvent, citations)
finishes = st.builds(Finish, reason=finish_reasons, raw_reason=opt_texts, model=texts, id=opt_texts)
stream_events: st.SearchStrategy[Any] = st.one_of(
    text_deltas,
    reasoning_deltas,
    tool_call_starts,
    tool_call_deltas,
    tool_call_ends,
    usage_events,
    citation_events,
    finishes,
)
embed_requests = st.builds(
    EmbedRequest,
    model=texts,
    inputs=st.lists(texts, min_size=1, max_size=3).map(tuple),
    dimensions=opt_counts,
    input_type=st.none() | st.sampled_from(["query", "document", "classification", "clustering"]),
    options=st.dictionaries(texts, json_objects, max_size=2),
    base_url=opt_texts,
    timeout=st.none() | finite,
    api_key=secrets,
)
embed_responses = st.builds(
    EmbedResponse,
    embeddings=st.lists(st.lists(finite, max_size=4), max_size=3),
    model=texts,
    provider=texts,
    usage=usages,
    cost=st.none() | costs,
    cached=st.booleans(),
)
price_tiers = st.builds(
    PriceTier,
    above=st.integers(min_value=0, max_value=10**7),
    input_price=prices,
    output_price=prices,
    cache_read_price=prices,
    cache_write_price=prices,
)
model_infos = st.builds(
    ModelInfo,
    id=texts,
    context_window=opt_counts,
    max_output_tokens=opt_counts,
    input_price=prices,
    output_price=prices,
    cache_read_price=prices,
    cache_write_price=prices,
    reasoning_price=prices,
    capabilities=st.frozensets(texts, max_size=4),
    kind=st.sampled_from(["chat", "embedding"]),
    tiers=st.lists(price_tiers, max_size=2).map(tuple),
)
trace_events = st.builds(
    TraceEvent,
    kind=st.sampled_from(["start", "first_chunk", "end", "error", "cache_hit"]),
    call_id=texts,
    operation=st.sampled_from(["generate", "stream", "embed"]),
    model=texts,
    time=finite,
    duration=st.none() | finite,
    attempt=st.integers(min_value=1, max_value=10),
    usage=st.none() | usages,
    cost=st.none() | costs,
    error=opt_texts,
    error_type=opt_texts,
    metadata=str_maps,
)

# Every attrs class of lluminary._types and the strategy that draws it.
ROUND_TRIP: dict[type, st.SearchStrategy[Any]] = {
    TextPart: text_parts,
    ImagePart: image_parts,
    ToolCallPart: tool_call_parts,
    ToolResultPart: tool_result_parts,
    ReasoningPart: reasoning_parts,
    Message: messages,
    Tool: tool_defs,
    ToolChoice: tool_choices,
    ResponseFormat: response_formats,
    ReasoningConfig: reasoning_configs,
    ChatRequest: chat_requests,
    Usage: usages,
    Cost: costs,
    Citation: citations,
    ChatResponse: chat_responses,
    TextDelta: text_deltas,
    ReasoningDelta: reasoning_deltas,
    ToolCallStart: tool_call_starts,
    ToolCallDelta: tool_call_deltas,
    ToolCallEnd: tool_call_ends,
    UsageEvent: usage_events,
    CitationEvent: citation_events,
    Finish: finishes,
    EmbedRequest: embed_requests,
    EmbedResponse: embed_responses,
    ModelInfo: model_infos,
    PriceTier: price_tiers,
    TraceEvent: trace_events,
}


def test_every_type_has_a_round_trip_strategy() -> None:
    """Guard: a type added to lluminary._types without a strategy here would go untested."""
    defined = {
        value
        for value in vars(types).values()
        if isinstance(value, type)
        and attrs.has(value)
        and value.__module__ in (types.__name__, "lluminary._events", "lluminary._usage")
    }
    assert defined == set(ROUND_TRIP)


@pytest.mark.parametrize("cls", list(ROUND_TRIP), ids=lambda cls: cls.__name__)
@RELAXED
@given(data=st.data())
def test_round_trip_is_identity(cls: type, data: st.DataObject) -> None:
    value = data.draw(ROUND_TRIP[cls])
    plain = to_dict(value)
    assert from_dict(plain, cls) == value
    assert from_json(to_json(value), cls) == value
    # to_dict really produces JSON-ready builtins: the standard library can encode it.
    json.dumps(plain)


@RELAXED
@given(parts=st.lists(parts, max_size=5))
def test_parts_round_trip_as_the_part_union(parts: list[Any]) -> None:
    assert from_dict(to_dict(parts), list[Part]) == parts
    assert from_json(to_json(parts), list[Part]) == parts


@RELAXED
@given(events=st.lists(stream_events, max_size=8))
def test_stream_events_round_trip_as_a_union_in_a_list(events: list[Any]) -> None:
    assert from_dict(to_dict(events), list[StreamEvent]) == events
    assert from_json(to_json(events), list[StreamEvent]) == events


def test_parts_and_events_are_tagged_on_the_wire() -> None:
    """Cache entries, traces and CLI output depend on this shape staying put."""
    assert to_dict(TextPart("hi")) == {"type": "text", "text": "hi"}
    assert to_dict(ImagePart(data=b"\x89PNG", media_type="image/png")) == {
        "type": "image",
        "url": None,
        "data": "iVBORw==",
        "media_type": "image/png",
    }
    assert to_dict(TextDelta("x")) == {"type": "text_delta", "text": "x"}
    assert to_dict(Finish("stop"))["type"] == "finish"
    assert to_dict(Message.user("hi")) == {"role": "user", "content": [{"type": "text", "text": "hi"}]}
    assert to_dict(ModelInfo("a:b", capabilities=frozenset({"vision", "tools"})))["capabilities"] == ["tools", "vision"]


def test_structuring_rejects_an_unknown_tag() -> None:
    with pytest.raises(ExceptionGroup) as info:
        from_dict([{"type": "bogus", "text": "x"}], list[StreamEvent])
    assert info.group_contains(KeyError, match="bogus")


# --------------------------------------------------------------------------- secrets

KEY = "sk-live-0123456789abcdefSECRET"


def _request_with_key() -> ChatRequest:
    return ChatRequest("openai:gpt-4o", (Message.user("hi"),), api_key=Secret(KEY))


def test_secret_never_shows_itself() -> None:
    secret = Secret(KEY)
    assert secret.get() == KEY
    for shown in (repr(secret), str(secret), f"{secret}", f"{secret!r}"):
        assert KEY not in shown
        assert "****" in shown
    assert to_dict(secret) is None
    assert Secret(KEY) == Secret(KEY)
    assert Secret(KEY) != Secret("other")
    assert not Secret("")


@pytest.mark.parametrize(
    "request_",
    [
        _request_with_key(),
        EmbedRequest("openai:text-embedding-3-small", ("hi",), api_key=Secret(KEY)),
    ],
    ids=["chat", "embed"],
)
def test_secret_never_leaves_a_request(request_: ChatRequest | EmbedRequest) -> None:
    assert request_.api_key is not None
    assert request_.api_key.get() == KEY
    assert KEY not in repr(request_)
    assert KEY not in str(request_)
    plain = to_dict(request_)
    assert "api_key" not in plain
    assert KEY not in json.dumps(plain)
    assert KEY not in to_json(request_)
    # The credential does not take part in equality either: the same call with another key is the same call.
    assert attrs.evolve(request_, api_key=Secret("another")) == request_


def test_secret_inside_a_trace_or_cache_value_cannot_be_serialised_by_accident() -> None:
    request = _request_with_key()
    # Even a request nested in arbitrary data (a trace payload, a log record) loses its key.
    assert KEY not in to_json({"request": request, "extra": [request]})


# --------------------------------------------------------------------------- validation and arithmetic


def test_image_part_needs_exactly_one_source() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        ImagePart()
    with pytest.raises(ValueError, match="exactly one"):
        ImagePart(url="https://example.com/cat.png", data=b"x", media_type="image/png")
    with pytest.raises(ValueError, match="media_type"):
        ImagePart(data=b"x")
    assert ImagePart(url="https://example.com/cat.png").url == "https://example.com/cat.png"
    image = ImagePart(data=b"\x00" * 2048, media_type="image/png")
    assert "<2048 bytes>" in repr(image)
    assert "\\x00" not in repr(image)


def test_image_part_validation_also_applies_when_structuring() -> None:
    with pytest.raises(ExceptionGroup) as info:
        from_dict({"type": "image", "url": None, "data": None, "media_type": None}, ImagePart)
    assert info.group_contains(ValueError, match="exactly one")


def test_usage_addition_adds_every_field() -> None:
    a = Usage(10, 20, 3, 4, 5)
    b = Usage(1, 2, 3, 4, 5)
    assert a + b == Usage(11, 22, 6, 8, 10)
    assert a + Usage() == a
    assert (a + b).total_tokens == 33


def test_cost_addition_adds_every_field() -> None:
    a = Cost(1.0, 2.0, 0.25, 0.5)
    b = Cost(0.5, 0.5, 0.25, 0.5)
    total = a + b
    assert total == Cost(1.5, 2.5, 0.5, 1.0)
    assert total.total == pytest.approx(5.5)
    assert a + Cost() == a


def test_message_content_is_normalised_to_parts() -> None:
    assert Message("user", "hi").content == (TextPart("hi"),)
    assert Message.user(TextPart("a")).content == (TextPart("a"),)
    assert Message.assistant([TextPart("a"), TextPart("b")]).text == "ab"
    call = ToolCallPart("c1", "f", {"x": 1})
    assert Message.assistant([TextPart("a"), call]).tool_calls == (call,)
    assert Message.tool("c1", "42", is_error=True, name="f").content == (ToolResultPart("c1", "42", True, "f"),)


def test_request_model_splits_into_provider_and_name() -> None:
    request = ChatRequest("openai:ft:gpt-4o:org", options={"openai": {"logprobs": True}})
    assert request.provider == "openai"
    assert request.model_name == "ft:gpt-4o:org"
    assert request.provider_options("openai") == {"logprobs": True}
    assert request.provider_options("anthropic") == {}


def test_response_text_helpers() -> None:
    call = ToolCallPart("c1", "f")
    response = ChatResponse(
        Message.assistant([ReasoningPart("think "), ReasoningPart("more"), TextPart("a"), call, TextPart("b")])
    )
    assert response.text == "ab"
    assert response.reasoning == "think more"
    assert response.tool_calls == (call,)
    assert attrs.evolve(response, cached=True) == response  # ``cached`` is not compared


def test_pickling_a_request_never_carries_its_key() -> None:
    import pickle

    from lluminary._requests import build_chat_request, build_embed_request

    chat = build_chat_request("openai:gpt-4o", "hi", api_key="sk-pickled-secret-0000000000")
    embed = build_embed_request("openai:text-embedding-3-small", "hi", api_key="sk-pickled-secret-0000000000")
    for request in (chat, embed):
        blob = pickle.dumps(request)
        assert b"sk-pickled-secret" not in blob
        back = pickle.loads(blob)
        assert back.api_key is None
        assert back.model == request.model


def test_usage_details_survive_json_and_add_up() -> None:
    from lluminary._convert import from_json, to_json

    gemini = Usage(120, 8, details={"promptTokenCount": 100, "toolUsePromptTokenCount": 20, "modelVersion": "x"})
    back = from_json(to_json(gemini), Usage)
    assert back.details == gemini.details
    total = gemini + Usage(30, 2, details={"promptTokenCount": 30, "cache": {"hits": 1}})
    assert total.details == {
        "promptTokenCount": 130,
        "toolUsePromptTokenCount": 20,
        "modelVersion": "x",
        "cache": {"hits": 1},
    }
    assert Usage(1, 2, details={"a": 1}) == Usage(1, 2)  # details never change equality
