"""Patterns of real Ollama ``/api/chat`` traffic (from the server's own streaming code and the
responses of real versions), each replayed with hand-written lines of our own."""

from __future__ import annotations

import json
from typing import Any

from lluminary import Client, ReasoningPart, TextPart, Tool, ToolCallPart
from lluminary_testing import Reply, ndjson
from lluminary_testing.ollama_server import FakeOllamaServer

MODEL = "ollama:qwen3:8b"
WEATHER = Tool("get_weather", "Weather", {"type": "object", "properties": {"city": {"type": "string"}}})


def line(done: bool = False, **message: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": "qwen3:8b",
        "created_at": "2026-02-03T04:05:06.789Z",
        "message": {"role": "assistant", "content": "", **message},
        "done": done,
    }
    if done:
        body.update(done_reason="stop", total_duration=900, prompt_eval_count=40, eval_count=11)
    return body


def lines(*objects: Any) -> Reply:
    return Reply(200, {"content-type": "application/x-ndjson"}, ndjson(objects), stream=True)


async def both(client: Client, server: FakeOllamaServer, streamed: Reply, whole: dict[str, Any]) -> tuple[Any, Any]:
    """The same answer streamed and not: (streamed, generated)."""
    server.script(
        streamed, Reply(200, {"content-type": "application/json; charset=utf-8"}, [json.dumps(whole).encode()])
    )
    s = client.astream(MODEL, "Weather?", base_url=server.base_url, tools=[WEATHER])
    [e async for e in s]
    return await s.response(), await client.agenerate(MODEL, "Weather?", base_url=server.base_url, tools=[WEATHER])


async def test_calls_without_ids_get_the_same_id_whatever_the_json_spacing(
    client: Client, fake_ollama: FakeOllamaServer
) -> None:
    """Ollama before ids (and servers that speak its API) send calls without ``id``. A line and a
    whole body (or a proxy that re-serialises) can space and order the arguments differently:
    the made-up id must not depend on that, or ``generate`` and ``stream`` disagree."""
    streamed = (
        b'{"model":"qwen3:8b","created_at":"2026-02-03T04:05:06Z","message":{"role":"assistant","content":"",'
        b'"tool_calls":[{"function":{"index":0,"name":"get_weather","arguments":{"city":"Oslo","unit":"c"}}}]},'
        b'"done":false}\n'
        b'{"model":"qwen3:8b","created_at":"2026-02-03T04:05:07Z","message":{"role":"assistant","content":""},'
        b'"done":true,"done_reason":"stop","prompt_eval_count":40,"eval_count":11}\n'
    )
    whole = line(
        True,
        tool_calls=[{"function": {"index": 0, "name": "get_weather", "arguments": {"unit": "c", "city": "Oslo"}}}],
    )
    reply = Reply(200, {"content-type": "application/x-ndjson"}, [streamed], stream=True)
    s, g = await both(client, fake_ollama, reply, whole)
    assert s == g
    assert s.tool_calls[0].arguments == {"city": "Oslo", "unit": "c"}


async def test_calls_that_share_an_id_are_both_kept(client: Client, fake_ollama: FakeOllamaServer) -> None:
    """A server that numbers ids per line gives two different calls the same ``id``: both are
    calls. The very same call sent twice still counts once."""
    paris = {"id": "call_0", "function": {"index": 0, "name": "get_weather", "arguments": {"city": "Paris"}}}
    rome = {"id": "call_0", "function": {"index": 0, "name": "get_weather", "arguments": {"city": "Rome"}}}
    fake_ollama.script(lines(line(tool_calls=[paris]), line(tool_calls=[rome, paris]), line(True)))
    s = client.astream(MODEL, "Weather?", base_url=fake_ollama.base_url, tools=[WEATHER])
    [e async for e in s]
    response = await s.response()
    assert response.tool_calls == (
        ToolCallPart("call_0", "get_weather", {"city": "Paris"}),
        ToolCallPart("call_0", "get_weather", {"city": "Rome"}),
    )


async def test_buffered_text_arrives_on_the_done_line(client: Client, fake_ollama: FakeOllamaServer) -> None:
    """With tools in the request, Ollama holds text back while it may still be a tool call: lines
    carry only ``logprobs`` (empty content) and the text comes with ``done: true``."""
    logprob = {"token": "Sun", "logprob": -0.2, "bytes": [83, 117, 110]}
    first = {**line(thinking="Is it a tool question?")}
    held = {**line(), "logprobs": [logprob]}
    last = {**line(True, content="Sunny, 21°C."), "logprobs": [logprob]}
    whole = line(True, content="Sunny, 21°C.", thinking="Is it a tool question?")
    s, g = await both(client, fake_ollama, lines(first, held, last), whole)
    assert s == g
    assert s.message.content == (
        ReasoningPart("Is it a tool question?", provider="ollama"),
        TextPart("Sunny, 21°C."),
    )
    assert (s.usage.input_tokens, s.usage.output_tokens) == (40, 11)
