"""Converse and ConverseStream answers: content, finish reasons, usage, odd and broken streams."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lluminary import _errors as errors
from lluminary._streaming import accumulate
from lluminary._types import (
    Finish,
    ReasoningDelta,
    ReasoningPart,
    TextDelta,
    TextPart,
    Tool,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallPart,
    ToolCallStart,
    Usage,
    UsageEvent,
)
from lluminary_testing import ErrorScenario, Fault, Reply, Scenario, ToolCallSpec, eventstream as es, split_every

TOOLS = (Tool("get_weather"), Tool("get_time"))
STREAM_HEADERS = {"content-type": "application/vnd.amazon.eventstream", "x-amzn-requestid": "rid-stream-1"}


async def both(provider: Any, chat: Any, bedrock: Any, scenario: Scenario, **kwargs: Any) -> tuple[Any, Any, list[Any]]:
    """The generated response, the accumulated stream and the stream's events, for one scenario."""
    bedrock.script(scenario, scenario)
    request = chat("Hello", tools=TOOLS, **kwargs)
    generated = await provider.generate(request)
    events = [e async for e in provider.stream(request)]
    streamed = await accumulate(_replay(events), "bedrock")
    return generated, streamed, events


async def _replay(events: list[Any]) -> Any:
    for event in events:
        yield event


async def collect(stream: Any, into: list[Any]) -> None:
    """Drain ``stream`` into ``into``, so what came before an error can be checked."""
    async for event in stream:
        into.append(event)  # noqa: PERF401 - the events seen before the error are the point


def stream_reply(*frames: bytes, fault: Fault | None = None) -> Reply:
    return Reply(200, STREAM_HEADERS, frames, stream=True, fault=fault)


def ev(name: str, **payload: Any) -> bytes:
    return es.event(name, {**payload, "p": "padding0123456789"})


async def test_text_answer_generate_equals_stream(bedrock: Any, provider: Any, chat: Any) -> None:
    scenario = Scenario(text=split_every("Hello there, world!", 4), usage=Usage(10, 5), id="rid-1")
    generated, streamed, events = await both(provider, chat, bedrock, scenario)
    assert generated == streamed
    assert generated.message.content == (TextPart("Hello there, world!"),)
    assert generated.finish_reason == "stop"
    assert generated.raw_finish_reason == "end_turn"
    assert generated.usage == Usage(10, 5)
    assert generated.id == "rid-1"
    assert generated.model == "anthropic.claude-haiku-4-5-20251001-v1:0"
    assert [type(e) for e in events] == [TextDelta] * 5 + [UsageEvent, Finish]


async def test_everything_in_one_turn(bedrock: Any, provider: Any, chat: Any) -> None:
    scenario = Scenario(
        text=["Checking ", "both."],
        reasoning=["I should ", "call two tools."],
        signature="sig-abc",
        redacted_reasoning="cmVkYWN0ZWQ=",
        tool_calls=[
            ToolCallSpec(
                "tooluse_a", "get_weather", '{"city": "Paris \\"centre\\""}', ('{"city": "Par', 'is \\"', 'centre\\""}')
            ),
            ToolCallSpec("tooluse_b", "get_time", "{}"),
        ],
        usage=Usage(input_tokens=100, output_tokens=40, cache_read_tokens=60, cache_write_tokens=20),
    )
    generated, streamed, events = await both(provider, chat, bedrock, scenario)
    assert generated == streamed
    assert generated.message.content == (
        ReasoningPart("I should call two tools.", "sig-abc", None, "bedrock"),
        ReasoningPart("", None, "cmVkYWN0ZWQ=", "bedrock"),
        TextPart("Checking both."),
        ToolCallPart("tooluse_a", "get_weather", {"city": 'Paris "centre"'}),
        ToolCallPart("tooluse_b", "get_time", {}),
    )
    assert generated.finish_reason == "tool_calls"
    assert generated.usage == Usage(100, 40, 60, 20)
    starts = [e for e in events if isinstance(e, ToolCallStart)]
    assert starts == [ToolCallStart(0, "tooluse_a", "get_weather"), ToolCallStart(1, "tooluse_b", "get_time")]
    deltas = [e.arguments for e in events if isinstance(e, ToolCallDelta) and e.index == 0]
    assert deltas == ['{"city": "Par', 'is \\"', 'centre\\""}']
    assert [e.index for e in events if isinstance(e, ToolCallEnd)] == [0, 1]
    assert ReasoningDelta(signature="sig-abc") in events
    assert isinstance(events[-1], Finish)


async def test_text_after_tools(bedrock: Any, provider: Any, chat: Any) -> None:
    scenario = Scenario(text="Done.", tool_calls=[ToolCallSpec("t1", "get_time")], text_after_tools=True)
    generated, streamed, _ = await both(provider, chat, bedrock, scenario)
    assert generated == streamed
    assert [type(p) for p in generated.message.content] == [ToolCallPart, TextPart]


@pytest.mark.parametrize(
    ("finish", "stop_sequence", "raw", "unified"),
    [
        ("stop", None, "end_turn", "stop"),
        ("stop", "END", "stop_sequence", "stop"),
        ("length", None, "max_tokens", "length"),
        ("content_filter", None, "guardrail_intervened", "content_filter"),
        ("error", None, "malformed_model_output", "error"),
        ("other", None, "future_stop_reason", "other"),
    ],
)
async def test_finish_reasons(
    bedrock: Any, provider: Any, chat: Any, finish: Any, stop_sequence: Any, raw: str, unified: str
) -> None:
    scenario = Scenario(text="x", finish=finish, stop_sequence=stop_sequence)
    generated, streamed, _ = await both(provider, chat, bedrock, scenario)
    assert generated == streamed
    assert (generated.finish_reason, generated.raw_finish_reason) == (unified, raw)


@pytest.mark.parametrize(
    ("raw", "unified"),
    [
        ("content_filtered", "content_filter"),
        ("model_context_window_exceeded", "length"),
        ("malformed_tool_use", "error"),
        ("tool_use", "tool_calls"),
    ],
)
async def test_other_stop_reasons_in_a_raw_answer(
    bedrock: Any, provider: Any, chat: Any, raw: str, unified: str
) -> None:
    body = {"output": {"message": {"role": "assistant", "content": [{"text": "x"}]}}, "stopReason": raw, "usage": {}}
    bedrock.script(Reply.json(body))
    response = await provider.generate(chat("Hi"))
    assert (response.finish_reason, response.raw_finish_reason) == (unified, raw)


async def test_stream_with_odd_but_valid_frames(bedrock: Any, provider: Any, chat: Any) -> None:
    frames = [
        ev("messageStart", role="assistant"),
        ev("someFutureEvent", anything={"nested": 1}),
        ev("contentBlockDelta", contentBlockIndex=0, delta={"text": ""}),
        ev("contentBlockDelta", contentBlockIndex=0, delta={"text": "Hé"}, future=True),
        ev("contentBlockDelta", contentBlockIndex=0, delta={"citation": {"title": "x"}}),
        ev("contentBlockStop", contentBlockIndex=0),
        ev("contentBlockStart", contentBlockIndex=1, start={"toolUse": {"toolUseId": "t1", "name": "get_time"}}),
        ev("contentBlockStart", contentBlockIndex=1, start={"toolUse": {"toolUseId": "t1", "name": "get_time"}}),
        ev("contentBlockDelta", contentBlockIndex=1, delta={"toolUse": {"input": ""}}),
        ev("contentBlockDelta", contentBlockIndex=1, delta={"toolUse": {"input": '{"tz": "UTC"}'}}),
        # no contentBlockStop for the tool: closed at the end
        ev("messageStop", stopReason="tool_use", additionalModelResponseFields={"x": 1}),
        ev("metadata", usage={"inputTokens": 3, "outputTokens": 2, "totalTokens": 5}, metrics={"latencyMs": 9}),
    ]
    bedrock.script(stream_reply(*frames, fault=Fault(rechunk=7)))
    events = [e async for e in provider.stream(chat("Hi", tools=TOOLS))]
    response = await accumulate(_replay(events), "bedrock")
    assert response.message.content == (TextPart("Hé"), ToolCallPart("t1", "get_time", {"tz": "UTC"}))
    assert [e for e in events if isinstance(e, ToolCallStart)] == [ToolCallStart(0, "t1", "get_time")]
    assert response.usage == Usage(3, 2)
    assert response.id == "rid-stream-1"
    assert isinstance(events[-1], Finish)


@pytest.mark.parametrize("rechunk", [100_000, 1])
async def test_any_chunking_gives_the_same_answer(bedrock: Any, provider: Any, chat: Any, rechunk: int) -> None:
    calls = [ToolCallSpec("t", "get_time", '{"a": "é"}')]
    bedrock.script(Scenario(text=["a", "b", "c"], tool_calls=calls))
    bedrock.script(Scenario(text=["a", "b", "c"], tool_calls=calls, fault=Fault(rechunk=rechunk)))
    generated = await provider.generate(chat("Hi", tools=TOOLS))
    streamed = await accumulate(provider.stream(chat("Hi", tools=TOOLS)), "bedrock")
    assert generated == streamed
    assert streamed.tool_calls == (ToolCallPart("t", "get_time", {"a": "é"}),)


async def test_tool_delta_without_a_start_is_kept(bedrock: Any, provider: Any, chat: Any) -> None:
    frames = [
        ev("messageStart", role="assistant"),
        ev("contentBlockDelta", contentBlockIndex=0, delta={"toolUse": {"input": '{"q": 1}'}}),
        ev("contentBlockStop", contentBlockIndex=0),
        ev("messageStop", stopReason="tool_use"),
    ]
    bedrock.script(stream_reply(*frames))
    response = await accumulate(provider.stream(chat("Hi", tools=TOOLS)), "bedrock")
    assert response.tool_calls == (ToolCallPart("", "", {"q": 1}),)
    assert response.usage == Usage()  # no metadata event: no usage, still a finished answer


async def test_invalid_tool_arguments_are_a_typed_error(bedrock: Any, provider: Any, chat: Any) -> None:
    bedrock.script(Scenario(tool_calls=[ToolCallSpec("t1", "get_time", '{"a": ')]))
    with pytest.raises(errors.MalformedResponseError, match="invalid JSON") as caught:
        [e async for e in provider.stream(chat("Hi", tools=TOOLS))]
    assert caught.value.raw_arguments == '{"a": '  # type: ignore[attr-defined]


async def test_corrupted_crc_is_malformed(bedrock: Any, provider: Any, chat: Any) -> None:
    good = ev("contentBlockDelta", contentBlockIndex=0, delta={"text": "fine"})
    frames = [ev("messageStart", role="assistant"), good, es.corrupt(good), ev("messageStop", stopReason="end_turn")]
    bedrock.script(stream_reply(*frames))
    seen: list[Any] = []
    with pytest.raises(errors.MalformedResponseError, match="ChecksumMismatch"):
        await collect(provider.stream(chat("Hi")), seen)
    assert seen == [TextDelta("fine")]


async def test_corrupted_prelude_crc_is_malformed(bedrock: Any, provider: Any, chat: Any) -> None:
    frame = ev("messageStart", role="assistant")
    bedrock.script(stream_reply(es.corrupt(frame, offset=9)))
    with pytest.raises(errors.MalformedResponseError):
        [e async for e in provider.stream(chat("Hi"))]


async def test_payload_that_is_not_json_is_malformed(bedrock: Any, provider: Any, chat: Any) -> None:
    frame = es.encode_message(
        {":message-type": "event", ":event-type": "contentBlockDelta", ":content-type": "application/json"},
        b"{not json",
    )
    bedrock.script(stream_reply(ev("messageStart", role="assistant"), frame))
    with pytest.raises(errors.MalformedResponseError, match="not JSON"):
        [e async for e in provider.stream(chat("Hi"))]


@pytest.mark.parametrize("fault", [Fault(end_after=3), Fault(rechunk=10, end_after=9)])
async def test_stream_cut_short_is_a_connection_error(bedrock: Any, provider: Any, chat: Any, fault: Fault) -> None:
    bedrock.script(Scenario(text=["a", "b", "c", "d", "e"], fault=fault))
    with pytest.raises(errors.APIConnectionError):
        [e async for e in provider.stream(chat("Hi"))]


@pytest.mark.parametrize("fault", [Fault(reset_after=2), Fault(truncate_after=2)])
async def test_dropped_connection_mid_stream(bedrock: Any, provider: Any, chat: Any, fault: Fault) -> None:
    bedrock.script(Scenario(text=["a", "b", "c", "d"], fault=fault))
    with pytest.raises(errors.APIConnectionError):
        [e async for e in provider.stream(chat("Hi"))]


async def test_slow_headers_time_out(bedrock: Any, provider: Any, chat: Any) -> None:
    bedrock.script(Scenario(text="late", fault=Fault(delay_headers=1.0)))
    with pytest.raises(errors.APITimeoutError):
        await provider.generate(chat("Hi", timeout=0.2))


async def test_stall_between_frames_times_out(bedrock: Any, provider: Any, chat: Any) -> None:
    bedrock.script(Scenario(text=["a", "b", "c"], fault=Fault(chunk_delay=1.0)))
    with pytest.raises(errors.APITimeoutError):
        [e async for e in provider.stream(chat("Hi", timeout=0.2))]


@pytest.mark.parametrize(
    ("kind", "error_class", "code"),
    [
        ("rate_limit", errors.RateLimitError, "throttlingException"),
        ("invalid_request", errors.InvalidRequestError, "validationException"),
        ("context_length", errors.ContextLengthExceededError, "validationException"),
        ("content_filter", errors.ContentFilteredError, "validationException"),
        ("server", errors.ServerError, "internalServerException"),
        ("overloaded", errors.OverloadedError, "serviceUnavailableException"),
    ],
)
async def test_in_stream_exceptions(
    bedrock: Any, provider: Any, chat: Any, kind: Any, error_class: type[Exception], code: str
) -> None:
    bedrock.script(ErrorScenario(kind, in_stream=True, request_id="rid-in-stream"))
    seen: list[Any] = []
    with pytest.raises(error_class) as caught:
        await collect(provider.stream(chat("Hi")), seen)
    assert seen == [TextDelta("Partial answer")]
    assert caught.value.code == code  # type: ignore[attr-defined]
    assert caught.value.request_id == "rid-in-stream"  # type: ignore[attr-defined]


async def test_model_stream_error_exception(bedrock: Any, provider: Any, chat: Any) -> None:
    frames = [
        ev("messageStart", role="assistant"),
        es.exception("modelStreamErrorException", "The model failed mid-way", originalStatusCode=500),
    ]
    bedrock.script(stream_reply(*frames))
    with pytest.raises(errors.ServerError, match="failed mid-way") as caught:
        [e async for e in provider.stream(chat("Hi"))]
    assert caught.value.status == 500


async def test_unmodelled_error_frame(bedrock: Any, provider: Any, chat: Any) -> None:
    bedrock.script(stream_reply(ev("messageStart", role="assistant"), es.error("InternalFailure", "It broke")))
    with pytest.raises(errors.ServerError, match="It broke") as caught:
        [e async for e in provider.stream(chat("Hi"))]
    assert caught.value.code == "InternalFailure"


async def test_generate_body_that_is_not_json(bedrock: Any, provider: Any, chat: Any) -> None:
    bedrock.script(Reply(200, {"content-type": "application/json"}, (b"<html>oops</html>",)))
    with pytest.raises(errors.MalformedResponseError, match=r"not (valid )?JSON"):
        await provider.generate(chat("Hi"))
    bedrock.script(Reply.json({"output": {}}))
    with pytest.raises(errors.MalformedResponseError, match="content"):
        await provider.generate(chat("Hi"))


async def test_generate_tool_input_that_is_not_an_object(bedrock: Any, provider: Any, chat: Any) -> None:
    content = [{"toolUse": {"toolUseId": "t", "name": "get_time", "input": [1, 2]}}]
    bedrock.script(
        Reply.json({"output": {"message": {"role": "assistant", "content": content}}, "stopReason": "tool_use"})
    )
    with pytest.raises(errors.MalformedResponseError, match="not a JSON object"):
        await provider.generate(chat("Hi", tools=TOOLS))


async def test_closing_a_stream_early_releases_the_connection(bedrock: Any, provider: Any, chat: Any) -> None:
    bedrock.script(Scenario(text=[f"w{i} " for i in range(50)], fault=Fault(chunk_delay=0.01)))
    stream = provider.stream(chat("Hi"))
    first = await stream.__anext__()
    assert first == TextDelta("w0 ")
    await stream.aclose()
    # The pooled connection is usable again: the next call succeeds.
    response = await provider.generate(chat("again"))
    assert response.text == "again"


def test_padding_is_really_on_the_wire(fake_bedrock: Any) -> None:
    from lluminary_testing.bedrock_server import render_stream

    frames = render_stream(Scenario(text="x"), pad=lambda: "abc")
    from botocore.eventstream import EventStreamBuffer

    buffer = EventStreamBuffer()
    buffer.add_data(b"".join(frames))
    assert all(json.loads(m.payload)["p"] == "abc" for m in buffer)


# ---------------------------------------------------------------------- patterns seen in real traffic


def _converse(content: list[Any], stop: str = "end_turn") -> Reply:
    usage = {"inputTokens": 30, "outputTokens": 12, "serverToolUsage": {}, "totalTokens": 42}
    body = {"output": {"message": {"role": "assistant", "content": content}}, "stopReason": stop, "usage": usage}
    return Reply.json(body, headers={"x-amzn-requestid": "rid-stream-1"})


async def test_document_citations_stream_and_generate_agree(bedrock: Any, provider: Any, chat: Any) -> None:
    """Document citations: the stream puts a ``citation`` delta at the head of each cited text block
    (each cited span is a block of its own); the non-streamed answer has a ``citationsContent``
    block whose ``content`` holds the cited text. Both give the same text and citations."""
    source = {
        "location": {"documentPage": {"documentIndex": 0, "start": 1, "end": 2}},
        "sourceContent": [{"text": "Tides follow the moon.\r\n"}],
        "title": "doc-a",
    }
    frames = [
        ev("messageStart", role="assistant"),
        ev("contentBlockDelta", contentBlockIndex=0, delta={"text": "The notes say "}),
        ev("contentBlockStop", contentBlockIndex=0),
        ev("contentBlockDelta", contentBlockIndex=1, delta={"citation": source}),
        ev("contentBlockDelta", contentBlockIndex=1, delta={"text": "tides follow"}),
        ev("contentBlockDelta", contentBlockIndex=1, delta={"text": " the moon"}),
        ev("contentBlockStop", contentBlockIndex=1),
        ev("contentBlockDelta", contentBlockIndex=2, delta={"text": "."}),
        ev("contentBlockStop", contentBlockIndex=2),
        ev("messageStop", stopReason="end_turn", additionalModelResponseFields={"delta": {"stop_sequence": None}}),
        ev("metadata", usage={"inputTokens": 30, "outputTokens": 12, "serverToolUsage": {}, "totalTokens": 42}),
    ]
    content = [
        {"text": "The notes say "},
        {"citationsContent": {"citations": [source], "content": [{"text": "tides follow the moon"}]}},
        {"text": "."},
    ]
    bedrock.script(stream_reply(*frames, fault=Fault(rechunk=11)), _converse(content))
    streamed = await accumulate(provider.stream(chat("Hi")), "bedrock")
    generated = await provider.generate(chat("Hi"))
    assert streamed == generated
    assert generated.text == "The notes say tides follow the moon."
    assert [(c.text, c.start, c.end, c.sources) for c in generated.citations] == [
        ("tides follow the moon", 14, 35, (source,))
    ]


async def test_an_answer_made_only_of_cited_text_is_not_lost(bedrock: Any, provider: Any, chat: Any) -> None:
    """A non-streamed answer can consist of ``citationsContent`` blocks alone, with no text block."""
    cited = {"citations": [{"title": "doc-b", "sourceContent": [{"text": "x"}]}], "content": [{"text": "All cited."}]}
    bedrock.script(_converse([{"citationsContent": cited}]))
    response = await provider.generate(chat("Hi"))
    assert response.text == "All cited."
    assert len(response.citations) == 1


@pytest.mark.parametrize("block_stop", [True, False])
async def test_tool_input_cut_by_max_tokens_keeps_what_was_complete(
    bedrock: Any, provider: Any, chat: Any, block_stop: bool
) -> None:
    """``max_tokens`` can end the answer inside a tool call's JSON. The text and the complete part
    of the arguments are kept and the finish reason says the answer was cut, whether or not the
    tool block got its ``contentBlockStop``."""
    start = {"toolUse": {"toolUseId": "tooluse_cut", "name": "get_weather"}}
    frames = [
        ev("messageStart", role="assistant"),
        ev("contentBlockDelta", contentBlockIndex=0, delta={"text": "Looking."}),
        ev("contentBlockStop", contentBlockIndex=0),
        ev("contentBlockStart", contentBlockIndex=1, start=start),
        ev("contentBlockDelta", contentBlockIndex=1, delta={"toolUse": {"input": '{"city": "Oslo", "days": [1, 2'}}),
        ev("contentBlockDelta", contentBlockIndex=1, delta={"toolUse": {"input": ', 3], "note": "unfin'}}),
        *([ev("contentBlockStop", contentBlockIndex=1)] if block_stop else []),
        ev("messageStop", stopReason="max_tokens"),
        ev("metadata", usage={"inputTokens": 5, "outputTokens": 9, "totalTokens": 14}),
    ]
    bedrock.script(stream_reply(*frames))
    response = await accumulate(provider.stream(chat("Hi", tools=TOOLS)), "bedrock")
    assert response.finish_reason == "length"
    assert response.text == "Looking."
    assert response.tool_calls == (ToolCallPart("tooluse_cut", "get_weather", {"city": "Oslo", "days": [1, 2, 3]}),)


async def test_invalid_tool_arguments_still_fail_when_the_answer_was_not_cut(
    bedrock: Any, provider: Any, chat: Any
) -> None:
    """The lenient reading is for ``max_tokens`` only: a finished answer with broken JSON is an error."""
    frames = [
        ev("messageStart", role="assistant"),
        ev("contentBlockStart", contentBlockIndex=0, start={"toolUse": {"toolUseId": "t", "name": "get_time"}}),
        ev("contentBlockDelta", contentBlockIndex=0, delta={"toolUse": {"input": '{"tz": UTC}'}}),
        ev("contentBlockStop", contentBlockIndex=0),
        ev("messageStop", stopReason="tool_use"),
    ]
    bedrock.script(stream_reply(*frames))
    with pytest.raises(errors.MalformedResponseError, match="invalid JSON"):
        [e async for e in provider.stream(chat("Hi", tools=TOOLS))]


@pytest.mark.parametrize(
    ("status", "error_class"),
    [(500, errors.ServerError), (429, errors.RateLimitError), (529, errors.OverloadedError)],
)
async def test_model_stream_error_keeps_the_models_own_message_and_status(
    bedrock: Any, provider: Any, chat: Any, status: int, error_class: type[Exception]
) -> None:
    """``modelStreamErrorException`` says ``message`` (Bedrock's) and ``originalMessage`` /
    ``originalStatusCode`` (the model's): both messages are kept, the status picks the class."""
    frames = [
        ev("messageStart", role="assistant"),
        es.exception(
            "modelStreamErrorException",
            "Model Stream Error",
            originalStatusCode=status,
            originalMessage="Upstream said no.",
        ),
    ]
    bedrock.script(stream_reply(*frames))
    with pytest.raises(error_class) as caught:
        [e async for e in provider.stream(chat("Hi"))]
    assert "Model Stream Error" in str(caught.value)
    assert "Upstream said no." in str(caught.value)
    assert caught.value.status == status  # type: ignore[attr-defined]


async def test_server_tool_use_is_not_a_call_for_the_caller(bedrock: Any, provider: Any, chat: Any) -> None:
    """A tool Bedrock runs itself (``toolUse.type: server_tool_use``) and its ``toolResult`` block
    are not tool calls the caller should run; the answer around them is kept."""
    frames = [
        ev("messageStart", role="assistant"),
        ev(
            "contentBlockStart",
            contentBlockIndex=0,
            start={"toolUse": {"toolUseId": "s1", "name": "web", "type": "server_tool_use"}},
        ),
        ev("contentBlockDelta", contentBlockIndex=0, delta={"toolUse": {"input": '{"q": "tides"}'}}),
        ev("contentBlockStop", contentBlockIndex=0),
        ev("contentBlockStart", contentBlockIndex=1, start={"toolResult": {"toolUseId": "s1", "status": "success"}}),
        ev("contentBlockDelta", contentBlockIndex=1, delta={"toolResult": [{"text": "result"}]}),
        ev("contentBlockStop", contentBlockIndex=1),
        ev("contentBlockDelta", contentBlockIndex=2, delta={"text": "Found it."}),
        ev("contentBlockStop", contentBlockIndex=2),
        ev("messageStop", stopReason="end_turn"),
    ]
    content = [
        {"toolUse": {"toolUseId": "s1", "name": "web", "type": "server_tool_use", "input": {"q": "tides"}}},
        {"toolResult": {"toolUseId": "s1", "content": [{"text": "result"}], "status": "success"}},
        {"text": "Found it."},
    ]
    bedrock.script(stream_reply(*frames), _converse(content))
    streamed = await accumulate(provider.stream(chat("Hi", tools=TOOLS)), "bedrock")
    generated = await provider.generate(chat("Hi", tools=TOOLS))
    assert streamed.message.content == generated.message.content == (TextPart("Found it."),)
    assert streamed.finish_reason == generated.finish_reason == "stop"


async def test_reasoning_text_and_signature_in_one_delta(bedrock: Any, provider: Any, chat: Any) -> None:
    """One member per delta is the rule, but a delta with both ``text`` and ``signature`` loses neither."""
    frames = [
        ev("messageStart", role="assistant"),
        ev("contentBlockDelta", contentBlockIndex=0, delta={"reasoningContent": {"text": "Hmm."}}),
        ev(
            "contentBlockDelta", contentBlockIndex=0, delta={"reasoningContent": {"text": " Yes.", "signature": "c2ln"}}
        ),
        ev("contentBlockStop", contentBlockIndex=0),
        ev("contentBlockDelta", contentBlockIndex=1, delta={"text": "Yes."}),
        ev("contentBlockStop", contentBlockIndex=1),
        ev("messageStop", stopReason="end_turn"),
    ]
    bedrock.script(stream_reply(*frames))
    response = await accumulate(provider.stream(chat("Hi")), "bedrock")
    assert response.message.content == (ReasoningPart("Hmm. Yes.", "c2ln", None, "bedrock"), TextPart("Yes."))
