"""Answers as Gemini really sends them: whole function calls, signatures on odd parts, usage and
finish reasons in late chunks, and streams that break."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import attrs
import pytest

from lluminary import Client, RetryPolicy
from lluminary._errors import (
    APIConnectionError,
    ContentFilteredError,
    MalformedResponseError,
    OverloadedError,
    RateLimitError,
)
from lluminary._plugins import PluginManager  # a manager of its own: only the provider under test
from lluminary._types import (
    Finish,
    Message,
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
from lluminary_google import GeminiProvider
from lluminary_google.framing import JSONArrayDecoder
from lluminary_testing.scenario import ErrorScenario, Scenario, ToolCallSpec
from lluminary_testing.server import Fault, Reply

CLOCK = Tool("get_time", "The time.")
USAGE = {
    "promptTokenCount": 100,
    "cachedContentTokenCount": 60,
    "toolUsePromptTokenCount": 5,
    "candidatesTokenCount": 20,
    "thoughtsTokenCount": 30,
    "totalTokenCount": 155,
}


def two_ways(harness: Any, chunks: list[dict[str, Any]], merged: dict[str, Any]) -> None:
    """Script the same answer streamed (``chunks``) and not (``merged``)."""
    harness.server.script(harness.json_reply(merged), harness.sse_reply(chunks))


async def test_whole_function_call_without_id_still_streams_start_delta_end(harness: Any) -> None:
    call = {"functionCall": {"name": "get_time", "args": {"tz": "UTC", "fmt": "24h"}}}
    chunks = [
        harness.chunk([{"text": "Let me check."}], usage={"promptTokenCount": 9, "totalTokenCount": 9}),
        harness.chunk([call]),
        harness.chunk([{"text": ""}], finish="STOP", usage={"promptTokenCount": 9, "candidatesTokenCount": 4}),
    ]
    merged = harness.chunk(
        [{"text": "Let me check."}, call], finish="STOP", usage={"promptTokenCount": 9, "candidatesTokenCount": 4}
    )
    two_ways(harness, chunks, merged)
    generated = await harness.generate("Time?", tools=[CLOCK])
    events, streamed = await harness.stream("Time?", tools=[CLOCK])
    expected = ToolCallPart("gcall_resp-1_0", "get_time", {"tz": "UTC", "fmt": "24h"})
    assert [e for e in events if isinstance(e, (ToolCallStart, ToolCallDelta, ToolCallEnd))] == [
        ToolCallStart(0, "gcall_resp-1_0", "get_time"),
        ToolCallDelta(0, json.dumps({"tz": "UTC", "fmt": "24h"})),
        ToolCallEnd(0, expected),
    ]
    assert streamed == generated
    assert generated.message.content == (TextPart("Let me check."), expected)
    assert generated.finish_reason == "tool_calls"
    assert generated.raw_finish_reason == "STOP"
    assert generated.usage == Usage(input_tokens=9, output_tokens=4)


async def test_parallel_calls_keep_their_order_and_ids(harness: Any) -> None:
    calls = [
        {"functionCall": {"name": "get_time", "args": {}, "id": "a1"}},
        {"functionCall": {"name": "get_time", "args": {"tz": "CET"}}},
    ]
    harness.server.script(harness.sse_reply([harness.chunk(calls, finish="STOP")]))
    events, response = await harness.stream("Time?", tools=[CLOCK])
    assert [e for e in events if isinstance(e, ToolCallStart)] == [
        ToolCallStart(0, "a1", "get_time"),
        ToolCallStart(1, "gcall_resp-1_1", "get_time"),
    ]
    assert response.tool_calls == (
        ToolCallPart("a1", "get_time", {}),
        ToolCallPart("gcall_resp-1_1", "get_time", {"tz": "CET"}),
    )


async def test_thoughts_signatures_and_usage(harness: Any) -> None:
    chunks = [
        harness.chunk([{"text": "Thinking ", "thought": True}]),
        harness.chunk([{"text": "hard.", "thought": True}]),
        harness.chunk([{"text": "The answer"}]),
        harness.chunk([{"text": " is 4."}], finish="STOP", usage=USAGE),
        harness.chunk([{"text": "", "thoughtSignature": "c2lnbmF0dXJl"}]),
    ]
    merged = harness.chunk(
        [
            {"text": "Thinking hard.", "thought": True},
            {"text": "The answer is 4."},
            {"text": "", "thoughtSignature": "c2lnbmF0dXJl"},
        ],
        finish="STOP",
        usage=USAGE,
    )
    two_ways(harness, chunks, merged)
    generated = await harness.generate("2+2?")
    events, streamed = await harness.stream("2+2?")
    assert streamed == generated
    assert [e for e in events if isinstance(e, (ReasoningDelta, TextDelta))] == [
        ReasoningDelta("Thinking "),
        ReasoningDelta("hard."),
        TextDelta("The answer"),
        TextDelta(" is 4."),
        ReasoningDelta("", "c2lnbmF0dXJl"),
    ]
    assert generated.message.content == (
        ReasoningPart("Thinking hard.", provider="google"),
        TextPart("The answer is 4."),
        ReasoningPart("", "c2lnbmF0dXJl", provider="google"),
    )
    assert generated.usage == Usage(
        input_tokens=105, output_tokens=50, cache_read_tokens=60, cache_write_tokens=0, reasoning_tokens=30
    )
    assert generated.model == "gemini-2.5-flash-001"
    assert generated.id == "resp-1"


async def test_text_signature_goes_back_on_the_same_part(harness: Any) -> None:
    """A text answer's signature (here in a trailing empty part) returns on that text next turn."""
    chunks = [
        harness.chunk([{"text": "Hello"}]),
        harness.chunk([{"text": "", "thoughtSignature": "U0lH"}], finish="STOP"),
    ]
    harness.server.script(harness.sse_reply(chunks), Scenario(text="ok"))
    _, first = await harness.stream("Hi")
    await harness.generate(None, messages=[Message.user("Hi"), first.message, Message.user("And?")])
    assert harness.body()["contents"][1] == {"role": "model", "parts": [{"text": "Hello", "thoughtSignature": "U0lH"}]}


async def test_finish_and_usage_come_from_the_last_chunk_that_carries_them(harness: Any) -> None:
    chunks = [
        harness.chunk([{"text": "a"}], usage={"promptTokenCount": 5, "totalTokenCount": 5}),
        harness.chunk([{"text": "b"}], finish="MAX_TOKENS", usage={"promptTokenCount": 5, "candidatesTokenCount": 2}),
        {"usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 3}, "modelVersion": "m-2"},
    ]
    harness.server.script(harness.sse_reply(chunks))
    events, response = await harness.stream("Hi")
    assert events[-2:] == [UsageEvent(Usage(5, 3)), Finish("length", "MAX_TOKENS", "m-2", "resp-1")]
    assert sum(isinstance(e, UsageEvent) for e in events) == 1
    assert response.text == "ab"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("STOP", "stop"),
        ("MAX_TOKENS", "length"),
        ("SAFETY", "content_filter"),
        ("RECITATION", "content_filter"),
        ("BLOCKLIST", "content_filter"),
        ("PROHIBITED_CONTENT", "content_filter"),
        ("SPII", "content_filter"),
        ("MALFORMED_FUNCTION_CALL", "error"),
        ("OTHER", "other"),
        ("SOMETHING_NEW", "other"),
    ],
)
@pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
async def test_finish_reasons(harness: Any, raw: str, reason: str, streamed: bool) -> None:
    answer = harness.chunk(None, finish=raw)  # a blocked candidate comes without content
    harness.server.script(harness.sse_reply([answer]) if streamed else harness.json_reply(answer))
    response = await harness.call(streamed, "Hi")
    assert response.finish_reason == reason
    assert response.raw_finish_reason == raw
    assert response.message.content == ()


@pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
async def test_blocked_prompt_is_content_filtered(harness: Any, streamed: bool) -> None:
    blocked = {
        "promptFeedback": {"blockReason": "PROHIBITED_CONTENT", "safetyRatings": []},
        "usageMetadata": {"promptTokenCount": 8, "totalTokenCount": 8},
        "modelVersion": "gemini-2.5-flash",
        "responseId": "r-9",
    }
    harness.server.script(harness.sse_reply([blocked]) if streamed else harness.json_reply(blocked))
    with pytest.raises(ContentFilteredError, match="PROHIBITED_CONTENT") as info:
        await harness.call(streamed, "Something")
    assert info.value.code == "PROHIBITED_CONTENT"
    assert info.value.provider == "google"


async def test_unknown_parts_keys_and_empty_chunks_are_ignored(harness: Any) -> None:
    chunks = [
        {"usageMetadata": {"promptTokenCount": 3}, "responseId": "resp-1"},
        harness.chunk([{"futurePart": {"kind": "PYTHON", "body": "print(1)"}}]),
        harness.chunk([{"anotherFuturePart": {"outcome": "OK"}}, {"text": ""}]),
        {**harness.chunk([{"text": "one", "newField": 1}]), "futureTopLevel": {"x": []}},
        harness.chunk([]),
        harness.chunk(None, finish="STOP"),
    ]
    harness.server.script(harness.sse_reply(chunks))
    events, response = await harness.stream("Hi")
    assert response.message.content == (TextPart("one"),)
    assert [type(e) for e in events] == [TextDelta, UsageEvent, Finish]


async def test_lf_line_ends_comments_and_one_byte_pieces(harness: Any) -> None:
    chunks = [harness.chunk([{"text": "Grüße "}]), harness.chunk([{"text": "東京 🎉"}], finish="STOP")]
    reply = harness.sse_reply(chunks, line_end="\n", fault=Fault(rechunk=1))
    reply = type(reply)(reply.status, reply.headers, [b": keep-alive\n\n", *reply.chunks], True, reply.fault)
    harness.server.script(reply)
    _, response = await harness.stream("Hi")
    assert response.text == "Grüße 東京 🎉"


async def test_stream_without_finish_reason_is_an_error(harness: Any) -> None:
    harness.server.script(harness.sse_reply([harness.chunk([{"text": "partial"}])]))
    with pytest.raises(APIConnectionError, match="finishReason"):
        await harness.stream("Hi")


async def test_stream_cut_mid_event_is_an_error(harness: Any) -> None:
    reply = harness.sse_reply([harness.chunk([{"text": "a"}], finish="STOP")])
    frame = reply.chunks[0]
    harness.server.script(type(reply)(200, reply.headers, [frame[:-4]], True))
    with pytest.raises(APIConnectionError, match="cut off"):
        await harness.stream("Hi")


@pytest.mark.parametrize("fault", [Fault(reset_after=1), Fault(truncate_after=1)], ids=["reset", "truncate"])
async def test_broken_connection_mid_stream(harness: Any, fault: Fault) -> None:
    chunks = [harness.chunk([{"text": f"w{i} "}]) for i in range(5)] + [harness.chunk(None, finish="STOP")]
    harness.server.script(harness.sse_reply(chunks, fault=fault))
    with pytest.raises(APIConnectionError):
        await harness.stream("Hi")


@pytest.mark.parametrize(
    "data",
    ['{"candidates": [', "[1, 2]", '"text"'],
    ids=["invalid-json", "array", "string"],
)
async def test_malformed_frames(harness: Any, data: str) -> None:
    harness.server.script(harness.sse_reply([harness.chunk([{"text": "a"}]), data]))
    with pytest.raises(MalformedResponseError):
        await harness.stream("Hi")


@pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
async def test_arguments_that_are_not_an_object(harness: Any, streamed: bool) -> None:
    answer = harness.chunk([{"functionCall": {"name": "get_time", "args": "tz=UTC"}}], finish="STOP")
    harness.server.script(harness.sse_reply([answer]) if streamed else harness.json_reply(answer))
    with pytest.raises(MalformedResponseError, match="not an object"):
        await harness.call(streamed, "Time?", tools=[CLOCK])


async def test_non_json_body(harness: Any) -> None:
    harness.server.script(harness.json_reply("ignored").__class__(200, {"content-type": "text/html"}, (b"<html>",)))
    with pytest.raises(MalformedResponseError):
        await harness.generate("Hi")


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ({"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}, OverloadedError),
        ({"code": 429, "message": "Quota", "status": "RESOURCE_EXHAUSTED"}, RateLimitError),
        ({"message": "Resource exhausted", "status": "RESOURCE_EXHAUSTED"}, RateLimitError),
    ],
)
async def test_error_inside_the_stream(harness: Any, error: dict[str, Any], expected: type) -> None:
    harness.server.script(harness.sse_reply([harness.chunk([{"text": "Hel"}]), {"error": error}]))
    seen: list[Any] = []

    async def drain() -> None:
        async for event in harness.provider.stream(harness.request("Hi")):
            seen.append(event)  # noqa: PERF401 - the events before the error matter

    with pytest.raises(expected) as info:
        await drain()
    assert seen == [TextDelta("Hel")]
    assert info.value.message == error["message"]
    assert info.value.status == error.get("code", 429)


async def test_closing_a_stream_early_closes_the_connection(harness: Any) -> None:
    chunks = [harness.chunk([{"text": f"w{i} "}]) for i in range(200)] + [harness.chunk(None, finish="STOP")]
    harness.server.script(harness.sse_reply(chunks, fault=Fault(chunk_delay=0.01)))
    stream = harness.provider.stream(harness.request("Hi"))
    async for event in stream:
        if isinstance(event, TextDelta):
            break
    await stream.aclose()
    for _ in range(100):
        if harness.server.closed_early:
            break
        await asyncio.sleep(0.02)
    assert harness.server.closed_early >= 1


async def test_json_array_stream_is_not_what_we_ask_for(harness: Any) -> None:
    """The provider always asks for SSE (``alt=sse``); the fake answers a JSON array only without it."""
    harness.server.script(Scenario(text="ok"))
    await harness.stream("Hi")
    assert harness.server.last_request.query == {"alt": ["sse"]}


async def test_invalid_utf8_and_a_signature_only_thought_part(harness: Any) -> None:
    good = harness.sse_reply(
        [
            harness.chunk([{"text": "think", "thought": True}]),
            harness.chunk([{"thought": True, "thoughtSignature": "T1"}]),
        ]
    )
    latin1 = b'data: {"candidates": [{"content": {"parts": [{"text": "caf\xe9"}]}, "finishReason": "STOP"}]}\r\n\r\n'
    harness.server.script(type(good)(200, good.headers, [*good.chunks, latin1], True))
    _, response = await harness.stream("Hi")
    assert response.message.content == (
        ReasoningPart("think", "T1", provider="google"),
        TextPart("caf\ufffd"),
    )


# --------------------------------------------------------------------------- the JSON-array framing


ARRAY_SCENARIOS = {
    "text": Scenario(text=["Hel", "lo, ", "wor", "ld!"], usage=Usage(input_tokens=9, output_tokens=4)),
    "thought-and-call": Scenario(
        reasoning=["Thinking ", '{about} "it" \\ '],
        signature="c2lnLXRvay1bXXt9",
        tool_calls=[ToolCallSpec("call_a1", "get_time", '{"tz": "Europe/Z\\u00fcrich", "note": "a \\"}\\" ]"}')],
    ),
    "multibyte": Scenario(text=["Grüße ", "東京 ", "🎉 ", "café"]),
}


@pytest.mark.parametrize("rechunk", [None, 1, 7], ids=["as-written", "byte-by-byte", "7-bytes"])
@pytest.mark.parametrize("case", sorted(ARRAY_SCENARIOS))
async def test_a_json_array_stream_reads_like_sse(harness: Any, case: str, rechunk: int | None) -> None:
    """A proxy that drops ``alt=sse``: the API streams a JSON array (``[{...}\\r\\n,\\r\\n{...}\\r\\n]``),
    which gives the same events as the server-sent events, however the bytes are split."""
    scenario = ARRAY_SCENARIOS[case]
    harness.server.script(scenario)
    expected = await harness.events("Hi", tools=[CLOCK])
    harness.server.array_streams = True
    fault = Fault(rechunk=rechunk) if rechunk else None
    harness.server.script(attrs.evolve(scenario, fault=fault))
    got = await harness.events("Hi", tools=[CLOCK])
    assert harness.server.last_request.query == {"alt": ["sse"]}  # asked for, and ignored
    assert got == expected
    assert isinstance(got[-1], Finish)


async def test_a_json_array_stream_carries_errors(harness: Any) -> None:
    harness.server.array_streams = True
    harness.server.script(ErrorScenario("overloaded", message="The model is overloaded.", in_stream=True))
    with pytest.raises(OverloadedError, match="overloaded"):
        await harness.events("Hi")
    harness.server.script(ErrorScenario("content_filter"))
    with pytest.raises(ContentFilteredError):
        await harness.events("Hi")


async def test_a_broken_json_array_is_malformed(harness: Any) -> None:
    harness.server.array_streams = True
    harness.server.script(Scenario(text=["a", "b", "c"], malformed=True))
    with pytest.raises(MalformedResponseError, match="not JSON"):
        await harness.events("Hi")


@pytest.mark.parametrize("fault", [Fault(end_after=2), Fault(truncate_after=2)], ids=["end", "truncate"])
async def test_a_json_array_cut_off_is_a_connection_error(harness: Any, fault: Fault) -> None:
    harness.server.array_streams = True
    harness.server.script(
        Scenario(
            text=["a", "b", "c", "d"],
            fault=Fault(rechunk=5, end_after=fault.end_after, truncate_after=fault.truncate_after),
        )
    )
    with pytest.raises(APIConnectionError):
        await harness.events("Hi")


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/html; charset=utf-8", b"<html><body>502 Bad Gateway</body></html>"),
        ("application/json", b"[1, 2, oops]"),
        ("application/json", b'[{"candidates": []}] trailing'),
        ("application/json", b'[{"candidates": []} {"candidates": []}]'),
        ("text/plain", b"upstream connect error or disconnect/reset before headers"),
    ],
    ids=["html", "array-of-garbage", "after-the-end", "missing-comma", "plain-text"],
)
async def test_an_unreadable_stream_is_malformed_and_not_retried(harness: Any, content_type: str, body: bytes) -> None:
    """A 200 stream whose body is neither server-sent events nor a JSON array is a
    MalformedResponseError, which the kernel does not retry (it is not a connection error)."""
    reply = Reply(200, {"content-type": content_type}, [body], stream=True)
    harness.server.script(reply, reply, reply)
    plugins = PluginManager()
    plugins.register(GeminiProvider(), name="gemini-under-test")
    retries = RetryPolicy(max_attempts=3, initial_delay=0.01, max_delay=0.02)
    async with Client(plugins=plugins, cache=False, retries=retries, exporters=[]) as client:
        stream = client.astream(harness.model, "Hi", base_url=harness.server.base_url, api_key=harness.key)
        with pytest.raises(MalformedResponseError) as info:
            async for _ in stream:
                pass
    assert info.value.provider == "google"
    assert len(harness.server.requests) == 1


def test_the_array_decoder_splits_anywhere() -> None:
    """Every cut of the bytes gives the same elements: inside strings, escapes, brackets in
    strings and multi-byte characters."""
    elements = [
        {"a": 'x]}"{[\\', "b": [1, {"c": "東京🎉"}]},
        {"d": '\\\\"', "e": []},
        {},
    ]
    body = ("[" + "\r\n,\r\n".join(json.dumps(e, ensure_ascii=False, indent=2) for e in elements) + "\r\n]").encode()
    for cut in range(len(body) + 1):
        for second in (cut, min(cut + 3, len(body))):
            decoder = JSONArrayDecoder("google")
            got = [*decoder.feed(body[:cut]), *decoder.feed(body[cut:second]), *decoder.feed(body[second:])]
            assert got == elements, cut
            assert decoder.closed
            assert decoder.flush() is False
    decoder = JSONArrayDecoder("google")
    assert decoder.feed(b'[{"a": "b\\') == []
    assert decoder.flush() is True  # cut inside an element
