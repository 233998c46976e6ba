"""The stream accumulator: a stream becomes exactly the response the non-streaming call returns."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from lluminary import Accumulator, MalformedResponseError
from lluminary._streaming import accumulate, aiter_events, events_from_response, finish_reason_of, parse_arguments
from lluminary._types import (
    ChatResponse,
    Citation,
    CitationEvent,
    Finish,
    Message,
    ReasoningDelta,
    ReasoningPart,
    StreamEvent,
    TextDelta,
    TextPart,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallPart,
    ToolCallStart,
    Usage,
    UsageEvent,
)

# Property tests may run on a loaded CI machine: no per-example deadline, no speed health check.
RELAXED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run(events: Iterable[StreamEvent], provider: str = "p") -> ChatResponse:
    acc = Accumulator(provider)
    for event in events:
        acc.add(event)
    return acc.response()


FINISH = Finish("stop", "end_turn", "model-1", "resp-1")


# --------------------------------------------------------------------------- text


def test_consecutive_text_deltas_merge_into_one_part() -> None:
    response = run([TextDelta("Hel"), TextDelta("lo, "), TextDelta("world"), FINISH])
    assert response.message == Message("assistant", (TextPart("Hello, world"),))
    assert response.text == "Hello, world"
    assert response.finish_reason == "stop"
    assert response.raw_finish_reason == "end_turn"
    assert response.model == "model-1"
    assert response.id == "resp-1"
    assert response.provider == "p"
    assert response.usage == Usage()


def test_empty_deltas_create_nothing() -> None:
    response = run([TextDelta(""), ReasoningDelta(""), TextDelta(""), FINISH])
    assert response.message.content == ()
    # An empty delta between two texts does not split them either.
    assert run([TextDelta("a"), TextDelta(""), TextDelta("b"), FINISH]).message.content == (TextPart("ab"),)


def test_text_so_far_is_visible_while_streaming() -> None:
    acc = Accumulator()
    acc.add(TextDelta("a"))
    acc.add(ReasoningDelta("hidden"))
    acc.add(TextDelta("b"))
    assert acc.text == "ab"


def test_last_usage_event_wins() -> None:
    response = run([UsageEvent(Usage(5, 0)), TextDelta("x"), UsageEvent(Usage(5, 7, reasoning_tokens=2)), FINISH])
    assert response.usage == Usage(5, 7, reasoning_tokens=2)


# --------------------------------------------------------------------------- reasoning


def test_reasoning_block_is_closed_by_its_signature() -> None:
    response = run(
        [
            ReasoningDelta("Let me "),
            ReasoningDelta("think."),
            ReasoningDelta("", signature="sig-1"),
            ReasoningDelta("Second "),
            ReasoningDelta("thought."),
            ReasoningDelta("", signature="sig-2"),
            TextDelta("Answer"),
            FINISH,
        ],
        provider="anthropic",
    )
    assert response.message.content == (
        ReasoningPart("Let me think.", "sig-1", provider="anthropic"),
        ReasoningPart("Second thought.", "sig-2", provider="anthropic"),
        TextPart("Answer"),
    )
    assert response.reasoning == "Let me think.Second thought."


def test_reasoning_without_signature_stays_open_until_other_content() -> None:
    response = run([ReasoningDelta("a", id="r1"), ReasoningDelta("b"), TextDelta("t"), ReasoningDelta("c"), FINISH])
    assert response.message.content == (
        ReasoningPart("ab", provider="p", id="r1"),
        TextPart("t"),
        ReasoningPart("c", provider="p"),
    )


def test_signature_only_block_keeps_its_id() -> None:
    """Anthropic can send a thinking block with no visible text, only its signature."""
    response = run([ReasoningDelta("", signature="sig", id="rs_1"), FINISH])
    assert response.message.content == (ReasoningPart("", "sig", provider="p", id="rs_1"),)


def test_redacted_reasoning_is_a_block_of_its_own() -> None:
    response = run(
        [
            ReasoningDelta("open"),
            ReasoningDelta(redacted="ENCRYPTED-1"),
            ReasoningDelta(redacted="ENCRYPTED-2", id="rs_2"),
            ReasoningDelta("after"),
            FINISH,
        ]
    )
    assert response.message.content == (
        ReasoningPart("open", provider="p"),
        ReasoningPart("", redacted="ENCRYPTED-1", provider="p"),
        ReasoningPart("", redacted="ENCRYPTED-2", provider="p", id="rs_2"),
        ReasoningPart("after", provider="p"),
    )


def test_reasoning_parts_carry_no_provider_when_the_accumulator_has_none() -> None:
    response = run([ReasoningDelta("x", signature="s"), FINISH], provider="")
    assert response.message.content == (ReasoningPart("x", "s", provider=None),)


# --------------------------------------------------------------------------- tool calls


def test_parallel_tool_calls_are_assembled_by_index() -> None:
    response = run(
        [
            ToolCallStart(0, "call_a", "weather"),
            ToolCallStart(1, "call_b", "time"),
            ToolCallDelta(1, '{"tz": '),
            ToolCallDelta(0, '{"city":'),
            ToolCallDelta(1, '"UTC"}'),
            ToolCallDelta(0, ' "Paris"}'),
            Finish("tool_calls"),
        ]
    )
    assert response.tool_calls == (
        ToolCallPart("call_a", "weather", {"city": "Paris"}),
        ToolCallPart("call_b", "time", {"tz": "UTC"}),
    )
    assert response.finish_reason == "tool_calls"


def test_text_and_tool_calls_interleave_in_arrival_order() -> None:
    response = run(
        [
            TextDelta("Checking"),
            ToolCallStart(0, "c0", "a"),
            TextDelta(" both"),
            ToolCallDelta(0, "{}"),
            ReasoningDelta("hmm"),
            ToolCallStart(1, "c1", "b"),
            ToolCallDelta(1, '{"n": 1}'),
            TextDelta("."),
            FINISH,
        ]
    )
    assert response.message.content == (
        TextPart("Checking"),
        ToolCallPart("c0", "a", {}),
        TextPart(" both"),
        ReasoningPart("hmm", provider="p"),
        ToolCallPart("c1", "b", {"n": 1}),
        TextPart("."),
    )


def test_tool_call_end_supplies_the_final_call() -> None:
    final = ToolCallPart("c0", "search", {"q": "x"}, signature="thought-sig")
    response = run([ToolCallStart(0, "c0", "search"), ToolCallDelta(0, '{"q": "x"'), ToolCallEnd(0, final), FINISH])
    assert response.tool_calls == (final,)


def test_repeated_start_for_an_index_does_not_duplicate_the_call() -> None:
    response = run([ToolCallStart(0, "c0", "f"), ToolCallStart(0, "c0", "f"), ToolCallDelta(0, "{}"), FINISH])
    assert response.tool_calls == (ToolCallPart("c0", "f", {}),)


def test_tool_delta_without_start_is_kept() -> None:
    response = run([ToolCallDelta(3, '{"x": 1}'), FINISH])
    assert response.tool_calls == (ToolCallPart("", "", {"x": 1}),)


def test_tool_end_without_start_is_kept() -> None:
    call = ToolCallPart("c9", "f", {"y": 2})
    assert run([ToolCallEnd(0, call), FINISH]).tool_calls == (call,)


def test_tool_call_without_arguments_has_empty_arguments() -> None:
    assert run([ToolCallStart(0, "c", "now"), FINISH]).tool_calls == (ToolCallPart("c", "now", {}),)
    assert run([ToolCallStart(0, "c", "now"), ToolCallDelta(0, "  "), FINISH]).tool_calls == (
        ToolCallPart("c", "now", {}),
    )


def test_invalid_json_arguments_raise_keeping_the_raw_text() -> None:
    raw = '{"city": "Par'
    acc = Accumulator("openai")
    for event in (ToolCallStart(0, "c", "weather"), ToolCallDelta(0, raw), FINISH):
        acc.add(event)
    with pytest.raises(MalformedResponseError) as info:
        acc.response()
    error = info.value
    assert error.raw_arguments == raw  # type: ignore[attr-defined]
    assert error.provider == "openai"
    assert "weather" in str(error)
    assert "invalid JSON" in str(error)


def test_non_object_arguments_raise_keeping_the_raw_text() -> None:
    with pytest.raises(MalformedResponseError) as info:
        run([ToolCallStart(0, "c", "f"), ToolCallDelta(0, "[1, 2]"), FINISH])
    assert info.value.raw_arguments == "[1, 2]"  # type: ignore[attr-defined]
    assert "not a JSON object" in str(info.value)


def test_missing_finish_raises() -> None:
    acc = Accumulator("anthropic")
    acc.add(TextDelta("cut off"))
    with pytest.raises(MalformedResponseError, match="without a finish event") as info:
        acc.response()
    assert info.value.provider == "anthropic"


def test_citations_are_collected_in_order() -> None:
    first, second = Citation("a", 0, 1, ({"id": "doc1"},)), Citation("b")
    response = run([TextDelta("ab"), CitationEvent(first), CitationEvent(second), FINISH])
    assert response.citations == (first, second)


def test_parse_arguments() -> None:
    assert parse_arguments("") == {}
    assert parse_arguments('{"a": [1, {"b": null}]}') == {"a": [1, {"b": None}]}
    with pytest.raises(MalformedResponseError):
        parse_arguments('"text"')


def test_finish_reason_of() -> None:
    assert finish_reason_of(True, "stop") == "tool_calls"
    assert finish_reason_of(False, "stop") == "stop"
    assert finish_reason_of(True, "length") == "length"


async def test_accumulate_drains_an_async_stream() -> None:
    events = [TextDelta("a"), ToolCallStart(0, "c", "f"), ToolCallDelta(0, "{}"), UsageEvent(Usage(1, 2)), FINISH]
    response = await accumulate(aiter_events(events), "p")
    assert response == run(events)


# --------------------------------------------------------------------------- property: stream <-> response

texts = st.text(max_size=12)
opt_texts = st.none() | texts
json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | texts
json_values = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3), max_leaves=6
)
arguments = st.dictionaries(texts, json_values, max_size=3)
raw_parts = st.one_of(
    st.builds(TextPart, texts),
    st.builds(ReasoningPart, text=texts, signature=opt_texts, redacted=opt_texts, id=opt_texts),
    st.builds(ToolCallPart, id=texts, name=texts, arguments=arguments, signature=opt_texts),
)


def _is_open(part: Any) -> bool:
    return isinstance(part, ReasoningPart) and part.signature is None and part.redacted is None


def normalise(raw: list[Any], provider: str) -> tuple[Any, ...]:
    """The parts a stream can express: no empty text, no two texts in a row, no reasoning that is
    empty and unsigned, no reasoning continuing an open (unsigned) reasoning block."""
    out: list[Any] = []
    for part in raw:
        previous = out[-1] if out else None
        if isinstance(part, TextPart):
            if not part.text or isinstance(previous, TextPart):
                continue
        elif isinstance(part, ReasoningPart):
            part = ReasoningPart(part.text, part.signature, part.redacted, provider or None, part.id)
            if part.redacted is None and (_is_open(previous) or (not part.text and part.signature is None)):
                continue
        out.append(part)
    return tuple(out)


@st.composite
def responses(draw: st.DrawFn) -> ChatResponse:
    provider = draw(st.sampled_from(["", "anthropic", "openai"]))
    content = normalise(draw(st.lists(raw_parts, max_size=8)), provider)
    return ChatResponse(
        Message("assistant", content),
        finish_reason=draw(st.sampled_from(["stop", "length", "tool_calls", "content_filter", "error", "other"])),
        raw_finish_reason=draw(opt_texts),
        usage=draw(st.builds(Usage, *[st.integers(0, 10**6)] * 5)),
        model=draw(texts),
        provider=provider,
        id=draw(opt_texts),
        citations=tuple(draw(st.lists(st.builds(Citation, texts, st.none() | st.integers(0, 99)), max_size=2))),
    )


@RELAXED
@given(response=responses())
@example(
    response=ChatResponse(Message("assistant", (ReasoningPart("", "sig", provider="p", id="rs_1"),)), provider="p")
)
def test_accumulating_the_replayed_stream_gives_back_the_response(response: ChatResponse) -> None:
    events = list(events_from_response(response))
    assert isinstance(events[-1], Finish)
    assert run(events, response.provider) == response


@RELAXED
@given(response=responses(), data=st.data())
async def test_rechunked_streams_accumulate_to_the_same_response(response: ChatResponse, data: st.DataObject) -> None:
    """Providers split text and tool arguments anywhere and often send no ToolCallEnd: still the same."""
    events: list[StreamEvent] = []
    index = 0
    for part in response.message.content:
        if isinstance(part, TextPart):
            events.extend(TextDelta(piece) for piece in data.draw(splits(part.text)))
        elif isinstance(part, ToolCallPart):
            events.append(ToolCallStart(index, part.id, part.name))
            raw = json.dumps(part.arguments) if part.arguments else ""
            events.extend(ToolCallDelta(index, piece) for piece in data.draw(splits(raw)))
            if part.signature is not None:
                events.append(ToolCallEnd(index, part))
            index += 1
        else:
            events.extend(e for e in events_from_response(ChatResponse(Message("assistant", (part,)))))
            events.pop()  # that replay's own Finish
            events.pop()  # and its UsageEvent
    events.extend(CitationEvent(c) for c in response.citations)
    events += [UsageEvent(response.usage), Finish(response.finish_reason, response.raw_finish_reason)]
    events[-1] = Finish(response.finish_reason, response.raw_finish_reason, response.model, response.id)
    assert await accumulate(aiter_events(events), response.provider) == response


def splits(text: str) -> st.SearchStrategy[list[str]]:
    """``text`` cut at arbitrary points into non-overlapping pieces (possibly with empty ones)."""
    return st.lists(st.integers(0, len(text)), max_size=5).map(
        lambda cuts: [text[a:b] for a, b in zip([0, *sorted(cuts)], [*sorted(cuts), len(text)], strict=True)]
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        ("", {}),
        ('{"a', {}),
        ('{"a": "b", "c', {"a": "b"}),
        ('{"a": "b", "c":', {"a": "b"}),
        ('{"a": 12', {}),  # a number at the very end may be cut: dropped
        ('{"a": 12, "b": [1, {"c": "d"}, "e\\"f', {"a": 12, "b": [1, {"c": "d"}]}),
        ('{"a": {"b": [true, null', {"a": {"b": [True]}}),
        ("[1, 2", {}),  # not an object
    ],
)
def test_partial_object_keeps_what_was_complete(raw: str, expected: dict[str, Any]) -> None:
    """Tool input cut by max_tokens (Anthropic, Bedrock): keep the complete values, close the brackets."""
    from lluminary._streaming import partial_object

    assert partial_object(raw) == expected
