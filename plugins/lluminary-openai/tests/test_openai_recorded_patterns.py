"""Patterns seen in traffic recorded from the real APIs (OpenAI, Azure OpenAI, xAI, DeepSeek,
OpenRouter, vLLM, LiteLLM, GitHub Copilot) that our own fake server did not produce. Every test
replays hand-written bytes that reproduce one pattern; the docstring names it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lluminary.sdk import (
    Citation,
    CitationEvent,
    ContextLengthExceededError,
    InvalidRequestError,
    MalformedResponseError,
    RateLimitError,
    ReasoningPart,
    ServerError,
    TextDelta,
    TextPart,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallPart,
    ToolCallStart,
    Usage,
)
from lluminary_testing import Fault, Reply, Scenario

REASONING_MODEL = "openai:o4-mini"  # routed to the Responses API
USAGE = {"prompt_tokens": 10, "completion_tokens": 4, "total_tokens": 14}


def call(
    index: int | None, call_id: str | None = None, name: str | None = None, arguments: Any = None
) -> dict[str, Any]:
    fragment: dict[str, Any] = {} if index is None else {"index": index}
    if call_id is not None:
        fragment.update(id=call_id, type="function")
    function: dict[str, Any] = {}
    if name is not None:
        function["name"] = name
    if arguments is not None:
        function["arguments"] = arguments
    if function:
        fragment["function"] = function
    return fragment


async def chat(harness: Any, objects: list[Any], **kwargs: Any) -> tuple[list[Any], Any]:
    harness.server.script(harness.sse_reply(objects, **kwargs))
    return await harness.stream("Hi")


def json_reply(body: Any) -> Reply:
    return Reply(200, {"content-type": "application/json", "x-request-id": "req_json_1"}, [json.dumps(body).encode()])


# --------------------------------------------------------------------------- Chat Completions streams


async def test_azure_first_chunk_with_empty_id_and_model(harness: Any) -> None:
    """Azure OpenAI opens the stream with a ``prompt_filter_results`` chunk whose ``choices`` is
    empty and whose ``id`` and ``model`` are empty strings; the real ones come on later chunks."""
    c = harness.chunk
    opening = {"choices": [], "created": 0, "id": "", "model": "", "object": "", "prompt_filter_results": []}
    _, response = await chat(
        harness,
        [
            opening,
            c({"role": "assistant", "content": ""}, content_filter_results={}),
            c({"content": "Oslo."}),
            c({}, "stop"),
            c(choices=[], usage=USAGE),
        ],
    )
    assert response.text == "Oslo."
    assert (response.id, response.model) == ("chatcmpl-raw", "gpt-raw")


async def test_azure_deepseek_reasoning_content_on_the_openai_provider(harness: Any) -> None:
    """Azure serves DeepSeek-R1 behind the OpenAI protocol: reasoning arrives in
    ``reasoning_content`` deltas (with ``content: null``) to the plain ``openai`` provider, and in
    ``message.reasoning_content`` when not streamed. Both are kept, and agree."""
    c = harness.chunk
    _, streamed = await chat(
        harness,
        [
            c({"role": "assistant", "content": "", "reasoning_content": None, "tool_calls": None}),
            c({"role": None, "content": None, "reasoning_content": "Count the ", "tool_calls": None}),
            c({"role": None, "content": None, "reasoning_content": "letters.", "tool_calls": None}),
            c({"content": "Three.", "reasoning_content": None}),
            c({}, "stop"),
        ],
    )
    assert streamed.message.content == (ReasoningPart("Count the letters.", provider="openai"), TextPart("Three."))
    message = {"role": "assistant", "content": "Three.", "reasoning_content": "Count the letters."}
    body = {
        "id": "chatcmpl-raw",
        "model": "gpt-raw",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
    }
    harness.server.script(json_reply(body))
    generated = await harness.generate("Hi")
    assert generated.message.content == streamed.message.content


async def test_arguments_sent_again_in_full_after_their_fragments(harness: Any) -> None:
    """LiteLLM proxies and some OpenAI-compatible servers (GLM, Gemma behind gateways) stream a
    call's arguments in fragments, then send the whole arguments once more (with the id and name
    again, sometimes with the finish reason). The repeat is not appended to the arguments."""
    c = harness.chunk
    events, response = await chat(
        harness,
        [
            c({"tool_calls": [call(0, "call_7", "lookup", "")]}),
            c({"tool_calls": [call(0, "call_7", None, '{"term": ')]}),
            c({"tool_calls": [call(0, "call_7", None, '"tide"}')]}),
            c({"tool_calls": [call(0, "call_7", "lookup", '{"term": "tide"}')]}, "tool_calls"),
        ],
    )
    assert response.tool_calls == (ToolCallPart("call_7", "lookup", {"term": "tide"}),)
    assert "".join(e.arguments for e in events if isinstance(e, ToolCallDelta)) == '{"term": "tide"}'


async def test_arguments_repeated_json_encoded_twice(harness: Any) -> None:
    """A summary chunk that repeats a streamed call's arguments as a JSON string of the JSON text
    (double-encoded) is a repeat too."""
    c = harness.chunk
    _, response = await chat(
        harness,
        [
            c({"tool_calls": [call(0, "call_8", "lookup", '{"term":')]}),
            c({"tool_calls": [call(0, None, None, ' "kelp"}')]}),
            c({"tool_calls": [call(0, "call_8", "lookup", json.dumps('{"term":"kelp"}'))]}),
            c({}, "tool_calls"),
        ],
    )
    assert response.tool_calls == (ToolCallPart("call_8", "lookup", {"term": "kelp"}),)


async def test_cumulative_arguments(harness: Any) -> None:
    """Some OpenAI-compatible providers (DeepSeek through Baidu Qianfan, seen in agents' bug
    reports) send the whole arguments so far on every fragment instead of the new piece."""
    c = harness.chunk
    events, response = await chat(
        harness,
        [
            c({"tool_calls": [call(0, "call_9", "move", '{"x": 1')]}),
            c({"tool_calls": [call(0, None, None, '{"x": 12, "y"')]}),
            c({"tool_calls": [call(0, None, None, '{"x": 12, "y": 3}')]}),
            c({}, "tool_calls"),
        ],
    )
    assert response.tool_calls == (ToolCallPart("call_9", "move", {"x": 12, "y": 3}),)
    assert [e.arguments for e in events if isinstance(e, ToolCallDelta)] == ['{"x": 1', '2, "y"', ": 3}"]


async def test_a_fragment_that_only_looks_like_a_resend(harness: Any) -> None:
    """The resend guard must not break an ordinary stream whose fragment happens to begin with
    everything sent so far (a key that starts with ``{"``): the text as received wins when it is
    valid JSON and the de-duplicated one would say something else."""
    c = harness.chunk
    _, response = await chat(
        harness,
        [
            c({"tool_calls": [call(0, "call_q", "odd", '{"')]}),
            c({"tool_calls": [call(0, None, None, '{": 1}')]}),
            c({}, "tool_calls"),
        ],
    )
    assert response.tool_calls == (ToolCallPart("call_q", "odd", {"{": 1}),)


async def test_parallel_calls_all_on_index_0_without_ids(harness: Any) -> None:
    """Servers that put every parallel call on ``index: 0`` (Ollama through LiteLLM, bridges from
    the Responses API), here without ids: a fragment naming a function after the call on that
    index is complete starts the next call instead of being appended to it."""
    c = harness.chunk
    _, response = await chat(
        harness,
        [
            c({"tool_calls": [call(0, None, "add", '{"a": 1}')]}),
            c({"tool_calls": [call(0, None, "add", '{"a": 2}')]}),
            c({}, "tool_calls"),
        ],
    )
    assert response.tool_calls == (ToolCallPart("call_0", "add", {"a": 1}), ToolCallPart("call_1", "add", {"a": 2}))


async def test_index_only_on_the_first_fragment_and_placeholder_ids(harness: Any) -> None:
    """Continuation fragments without ``index`` after a first fragment that had one, or with the
    id ``"null"`` (GLM behind Mistral's API), continue that call."""
    c = harness.chunk
    _, response = await chat(
        harness,
        [
            c({"tool_calls": [call(0, "call_a", "find", "")]}),
            c({"tool_calls": [{"function": {"arguments": '{"q":'}}]}),
            c({"tool_calls": [{"index": 0, "id": "null", "function": {"name": "", "arguments": ' "reef"}'}}]}),
            c({}, "tool_calls"),
        ],
    )
    assert response.tool_calls == (ToolCallPart("call_a", "find", {"q": "reef"}),)


async def test_content_as_a_list_of_typed_parts(harness: Any) -> None:
    """Mistral's API, reached through the OpenAI protocol (its /v1 is OpenAI-compatible), answers
    Magistral's thinking and text as lists of typed parts instead of strings, streamed and not."""
    c = harness.chunk
    thinking = {"type": "thinking", "thinking": [{"type": "text", "text": "Two and two."}]}
    _, streamed = await chat(
        harness,
        [
            c({"role": "assistant", "content": [thinking]}),
            c({"content": [{"type": "text", "text": "Four"}]}),
            c({"content": "."}),
            c({"content": ""}, "stop"),
        ],
    )
    assert streamed.message.content == (ReasoningPart("Two and two.", provider="openai"), TextPart("Four."))
    message = {"role": "assistant", "content": [{**thinking, "closed": True}, {"type": "text", "text": "Four."}]}
    body = {
        "id": "chatcmpl-raw",
        "model": "gpt-raw",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
    }
    harness.server.script(json_reply(body))
    assert (await harness.generate("Hi")).message.content == streamed.message.content


async def test_xai_completion_tokens_leave_out_reasoning(harness: Any) -> None:
    """xAI's Chat Completions counts reasoning outside ``completion_tokens`` (``total_tokens`` is
    prompt + completion + reasoning); lluminary's ``output_tokens`` include reasoning tokens."""
    c = harness.chunk
    usage = {
        "prompt_tokens": 12,
        "completion_tokens": 2,
        "total_tokens": 314,
        "prompt_tokens_details": {"text_tokens": 12, "cached_tokens": 8},
        "completion_tokens_details": {"reasoning_tokens": 300},
        "num_sources_used": 0,
    }
    _, response = await chat(harness, [c({"content": "Hi"}), c({}, "stop", usage=usage)])
    assert response.usage == Usage(12, 302, 8, 0, 300)
    openai_usage = {**USAGE, "completion_tokens_details": {"reasoning_tokens": 3}}
    _, response = await chat(harness, [c({"content": "Hi"}), c({}, "stop", usage=openai_usage)])
    assert response.usage == Usage(10, 4, 0, 0, 3)  # OpenAI's count already includes them


async def test_vllm_error_object_mid_stream(harness: Any) -> None:
    """vLLM (and servers copying it) report a failure mid-stream as the error object itself,
    ``{"object": "error", "message", "type", "code": <HTTP status>}``, then ``[DONE]``: it must not
    pass for a complete, empty answer."""
    c = harness.chunk
    error = {"object": "error", "message": "The prompt is over the maximum context length (4096).", "code": 400}
    with pytest.raises(ContextLengthExceededError, match="over the maximum context"):
        await chat(harness, [c({"content": "a"}), {**error, "type": "BadRequestError"}])
    with pytest.raises(InvalidRequestError, match="bad grammar"):
        await chat(harness, [{"object": "error", "message": "bad grammar", "type": "BadRequestError", "code": 400}])


async def test_openrouter_error_on_a_chunk_with_a_choice(harness: Any) -> None:
    """OpenRouter reports an upstream failure mid-stream on a chunk that still has a choice
    (``finish_reason: "error"``) and a top-level ``error`` whose ``code`` is an HTTP status."""
    c = harness.chunk
    failure = c({"content": ""}, "error", error={"code": 502, "message": "upstream model failed"})
    with pytest.raises(ServerError, match="upstream model failed") as info:
        await chat(harness, [c({"content": "par"}), failure])
    assert info.value.request_id == "req_raw_1"


async def test_a_data_line_that_is_not_json_names_itself(harness: Any) -> None:
    """Some local servers (mistral.rs) write a plain-text error as the data of an event."""
    with pytest.raises(MalformedResponseError, match="n has to be 1 or more"):
        await chat(harness, [harness.chunk({"content": "a"}), "choices: n has to be 1 or more"])


async def test_tool_call_repeat_split_anywhere(harness: Any) -> None:
    """The repeated-arguments stream, split into 3-byte pieces."""
    c = harness.chunk
    _, response = await chat(
        harness,
        [
            c({"tool_calls": [call(0, "call_7", "lookup", '{"term": "sé')]}),
            c({"tool_calls": [call(0, None, None, 'a"}')]}),
            c({"tool_calls": [call(0, "call_7", "lookup", '{"term": "séa"}')]}, "tool_calls"),
        ],
        fault=Fault(rechunk=3),
    )
    assert response.tool_calls == (ToolCallPart("call_7", "lookup", {"term": "séa"}),)


async def test_search_model_url_citations_on_the_last_delta(harness: Any) -> None:
    """``gpt-4o-search-preview`` streams its text, then a delta holding only ``annotations``
    (``url_citation`` objects with start/end indexes into the text); not streamed, they are in
    ``message.annotations``. They become citations, the same either way."""
    c = harness.chunk
    cite = {
        "type": "url_citation",
        "url_citation": {"start_index": 10, "end_index": 21, "title": "Tides", "url": "https://tides.example/a"},
    }
    events, streamed = await chat(
        harness,
        [
            c({"role": "assistant", "content": "", "annotations": []}),
            c({"content": "High tide "}),
            c({"content": "is at noon."}),
            c({"annotations": [cite]}),
            c({"annotations": [cite]}),  # sent again: kept once
            c({}, "stop"),
        ],
    )
    source = {"type": "url_citation", "url": "https://tides.example/a", "title": "Tides"}
    expected = Citation("is at noon.", 10, 21, (source,))
    assert [e for e in events if isinstance(e, CitationEvent)] == [CitationEvent(expected)]
    assert streamed.citations == (expected,)
    message = {"role": "assistant", "content": "High tide is at noon.", "annotations": [cite]}
    body = {
        "id": "chatcmpl-raw",
        "model": "gpt-raw",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
    }
    harness.server.script(json_reply(body))
    assert await harness.generate("Hi") == streamed


# --------------------------------------------------------------------------- Chat Completions, not streamed


async def test_200_answer_carrying_an_error(harness: Any) -> None:
    """OpenRouter answers 200 with ``{"error": {...}}`` when the model fails after the request was
    accepted; it is the typed error with its message, not "the chat completion has no choices"."""
    harness.server.script(json_reply({"error": {"code": 429, "message": "Upstream rate limited"}}))
    with pytest.raises(RateLimitError, match="Upstream rate limited") as info:
        await harness.generate("Hi")
    assert info.value.request_id == "req_json_1"


async def test_azure_filters_from_the_fake_server(harness: Any) -> None:
    """The fake server's Azure mode (the first pattern above, taught to it): stream and
    non-stream agree, and the stream keeps the id and the model."""
    harness.server.azure_filters = True
    scenario = Scenario(text=["Blue", " whale."], id="chatcmpl-az1", model="gpt-4o-mini")
    harness.server.script(scenario, scenario)
    generated = await harness.generate("Hi")
    _, streamed = await harness.stream("Hi")
    assert generated == streamed
    assert (streamed.id, streamed.model) == ("chatcmpl-az1", "gpt-4o-mini")


# --------------------------------------------------------------------------- Responses API


def events_reply(*events: dict[str, Any]) -> Reply:
    frames = []
    for n, event in enumerate(events):
        data = {**event, "sequence_number": n}
        frames.append(f"event: {event['type']}\ndata: {json.dumps(data)}\n\n".encode())
    return Reply(200, {"content-type": "text/event-stream", "x-request-id": "req_resp_1"}, frames, stream=True)


def response_object(output: list[Any], status: str = "completed") -> dict[str, Any]:
    usage = {
        "input_tokens": 20,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 9,
        "output_tokens_details": {"reasoning_tokens": 4},
        "total_tokens": 29,
    }
    return {
        "id": "resp_x1",
        "object": "response",
        "status": status,
        "model": "o4-mini",
        "output": output,
        "usage": usage,
    }


async def responses_stream(harness: Any, *events: dict[str, Any]) -> tuple[list[Any], Any]:
    harness.server.script(events_reply(*events))
    return await harness.stream("Hi", model=REASONING_MODEL)


async def test_responses_error_event_with_the_error_nested(harness: Any) -> None:
    """Recorded from the API: the ``error`` event nests the error (``{"type": "error", "error":
    {"type", "code", "message"}}``) and ``response.failed`` follows. The message and the code are
    kept; a used-up quota is a rate-limit error that no retry fixes."""
    message = "The monthly quota of this project is used up."
    error = {"type": "insufficient_quota", "code": "insufficient_quota", "message": message, "param": None}
    with pytest.raises(RateLimitError, match="quota of this project is used up") as info:
        await responses_stream(
            harness,
            {"type": "response.created", "response": response_object([], "in_progress")},
            {"type": "error", "error": error},
            {"type": "response.failed", "response": {**response_object([], "failed"), "error": error}},
        )
    assert info.value.code == "insufficient_quota"
    assert info.value.retryable is False
    assert info.value.request_id == "req_resp_1"


async def test_responses_item_ids_that_change_on_every_event(harness: Any) -> None:
    """GitHub Copilot's Responses API gives every event a fresh ``item_id`` (and the done item a
    new ``id``): a function call is followed by its ``output_index`` and ``call_id``, so its
    argument deltas are kept and the done item does not start a second call."""
    item = {"type": "function_call", "id": "cap-1", "call_id": "call_k", "name": "lookup", "arguments": ""}
    done = {**item, "id": "cap-5", "arguments": '{"term": "surf"}', "status": "completed"}
    events, response = await responses_stream(
        harness,
        {"type": "response.created", "response": response_object([], "in_progress")},
        {"type": "response.output_item.added", "output_index": 0, "item": item},
        {"type": "response.function_call_arguments.delta", "item_id": "cap-2", "output_index": 0, "delta": '{"term": '},
        {"type": "response.function_call_arguments.delta", "item_id": "cap-3", "output_index": 0, "delta": '"surf"}'},
        {"type": "response.function_call_arguments.done", "item_id": "cap-4", "output_index": 0, "arguments": "{}"},
        {"type": "response.output_item.done", "output_index": 0, "item": done},
        {"type": "response.completed", "response": response_object([{**done, "id": "cap-6"}])},
    )
    assert [e for e in events if isinstance(e, ToolCallStart)] == [ToolCallStart(0, "call_k", "lookup")]
    assert [e.arguments for e in events if isinstance(e, ToolCallDelta)] == ['{"term": ', '"surf"}']
    assert len([e for e in events if isinstance(e, ToolCallEnd)]) == 1
    assert response.tool_calls == (ToolCallPart("call_k", "lookup", {"term": "surf"}),)


async def test_responses_reasoning_with_several_summary_parts(harness: Any) -> None:
    """With ``summary: "detailed"`` (recorded on Azure's gpt-5) a reasoning item has several
    summary parts, each a paragraph with its own bold title: they are kept apart by a blank line,
    streamed and not, rather than run together."""
    summary = [
        {"type": "summary_text", "text": "**Reading**\n\nThe question is short."},
        {"type": "summary_text", "text": "**Answering**\n\nOne word will do."},
    ]
    reasoning = {"type": "reasoning", "id": "rs_1", "summary": summary, "encrypted_content": "enc-1"}
    message = {
        "type": "message",
        "id": "msg_1",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": "Yes.", "annotations": []}],
    }
    _, streamed = await responses_stream(
        harness,
        {"type": "response.output_item.added", "output_index": 0, "item": {**reasoning, "summary": []}},
        {"type": "response.reasoning_summary_text.delta", "item_id": "rs_1", "summary_index": 0, "delta": "**Re"},
        {"type": "response.output_item.done", "output_index": 0, "item": reasoning},
        {"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 1, "delta": "Yes."},
        {"type": "response.output_text.done", "item_id": "msg_1", "output_index": 1, "text": "Yes."},
        {"type": "response.completed", "response": response_object([reasoning, message])},
    )
    text = "**Reading**\n\nThe question is short.\n\n**Answering**\n\nOne word will do."
    assert streamed.message.content[0] == ReasoningPart(text, None, "enc-1", "openai", "rs_1")
    harness.server.script(json_reply(response_object([reasoning, message])))
    assert await harness.generate("Hi", model=REASONING_MODEL) == streamed


async def test_responses_reasoning_text_content(harness: Any) -> None:
    """gpt-oss behind a Responses API (vLLM, Ollama, OpenRouter) puts its reasoning in the item's
    ``content`` as ``reasoning_text`` parts, with an empty ``summary``."""
    reasoning = {
        "type": "reasoning",
        "id": "rs_2",
        "summary": [],
        "content": [{"type": "reasoning_text", "text": "Hm."}],
    }
    message = {
        "type": "message",
        "id": "msg_2",
        "role": "assistant",
        "content": [{"type": "output_text", "text": "Ok"}],
    }
    _, streamed = await responses_stream(
        harness,
        {"type": "response.reasoning_text.delta", "item_id": "rs_2", "output_index": 0, "delta": "Hm."},
        {"type": "response.output_item.done", "output_index": 0, "item": reasoning},
        {"type": "response.output_text.delta", "item_id": "msg_2", "output_index": 1, "delta": "Ok"},
        {"type": "response.completed", "response": response_object([reasoning, message])},
    )
    assert streamed.message.content == (ReasoningPart("Hm.", provider="openai", id="rs_2"), TextPart("Ok"))
    harness.server.script(json_reply(response_object([reasoning, message])))
    assert await harness.generate("Hi", model=REASONING_MODEL) == streamed


async def test_responses_stream_with_only_the_final_response(harness: Any) -> None:
    """A server that streams none of the answer's items (only ``response.created`` and
    ``response.completed``, as some gateways do): the answer is taken from the final response,
    so the stream still equals the non-streamed answer."""
    message = {"type": "message", "id": "m", "role": "assistant", "content": [{"type": "output_text", "text": "Hey"}]}
    fc = {"type": "function_call", "id": "fc", "call_id": "call_z", "name": "ping", "arguments": '{"n": 1}'}
    final = response_object([message, fc])
    events, streamed = await responses_stream(
        harness,
        {"type": "response.created", "response": response_object([], "in_progress")},
        {"type": "response.completed", "response": final},
    )
    assert [type(e) for e in events if isinstance(e, (TextDelta, ToolCallStart, ToolCallEnd))] == [
        TextDelta,
        ToolCallStart,
        ToolCallEnd,
    ]
    harness.server.script(json_reply(final))
    assert await harness.generate("Hi", model=REASONING_MODEL) == streamed
    assert streamed.tool_calls == (ToolCallPart("call_z", "ping", {"n": 1}),)
    assert streamed.finish_reason == "tool_calls"


async def test_responses_web_search_url_citations(harness: Any) -> None:
    """Answers grounded by web search carry ``url_citation`` annotations on their ``output_text``
    (streamed, on the message's ``output_item.done``; also as ``annotation.added`` events). They
    become citations whose spans index the whole answer (here the second message's), the same
    streamed and not; citations without indexes (xAI) keep their source."""
    first = {"type": "message", "id": "m1", "role": "assistant", "content": [{"type": "output_text", "text": "Ok. "}]}
    cite = {"type": "url_citation", "start_index": 0, "end_index": 4, "url": "https://reef.example", "title": "Reef"}
    bare = {"type": "url_citation", "url": "https://kelp.example"}
    second = {
        "type": "message",
        "id": "m2",
        "role": "assistant",
        "content": [{"type": "output_text", "text": "Reef is warm.", "annotations": [cite, bare]}],
    }
    _, streamed = await responses_stream(
        harness,
        {"type": "response.output_text.delta", "item_id": "m1", "output_index": 0, "delta": "Ok. "},
        {"type": "response.output_item.done", "output_index": 0, "item": first},
        {"type": "response.output_text.delta", "item_id": "m2", "output_index": 1, "delta": "Reef is warm."},
        {"type": "response.output_text.annotation.added", "item_id": "m2", "annotation": cite},
        {"type": "response.output_item.done", "output_index": 1, "item": second},
        {"type": "response.completed", "response": response_object([first, second])},
    )
    assert streamed.citations == (
        Citation("Reef", 4, 8, ({"type": "url_citation", "url": "https://reef.example", "title": "Reef"},)),
        Citation("", None, None, ({"type": "url_citation", "url": "https://kelp.example"},)),
    )
    harness.server.script(json_reply(response_object([first, second])))
    assert await harness.generate("Hi", model=REASONING_MODEL) == streamed
