"""``usage.details``: the message's usage object as Anthropic sent it; for a stream, the
``message_start`` usage updated by the ``message_delta`` usage, as the final message holds it."""

from __future__ import annotations

from typing import Any

import pytest

from lluminary.sdk import ChatResponse, Usage, UsageEvent, from_json, to_json

#: A message's usage as the API sends it, plus a field no version of the plugin knows.
USAGE: dict[str, Any] = {
    "input_tokens": 12,
    "cache_creation_input_tokens": 8,
    "cache_read_input_tokens": 100,
    "cache_creation": {"ephemeral_5m_input_tokens": 8, "ephemeral_1h_input_tokens": 0},
    "output_tokens": 45,
    "output_tokens_details": {"thinking_tokens": 30},
    "server_tool_use": {"web_search_requests": 1},
    "service_tier": "standard",
    "future_usage_field": {"nested": [1, 2]},
}
NORMALISED = Usage(120, 45, cache_read_tokens=100, cache_write_tokens=8, reasoning_tokens=30)


def message(usage: Any, content: list[Any] | None = None) -> dict[str, Any]:
    return {
        "id": "msg_u",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-5-5",
        "content": [{"type": "text", "text": "ok"}] if content is None else content,
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": usage,
    }


def frames(start_usage: Any, *delta_usages: Any) -> list[tuple[str, Any]]:
    """A streamed answer "ok" whose message_start carries ``start_usage`` and whose
    message_delta events carry ``delta_usages``."""
    out: list[tuple[str, Any]] = [
        ("message_start", {"type": "message_start", "message": message(start_usage, [])}),
        (
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        ),
        (
            "content_block_delta",
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "ok"}},
        ),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
    ]
    stop = {"stop_reason": "end_turn", "stop_sequence": None}
    out.extend(("message_delta", {"type": "message_delta", "delta": stop, "usage": usage}) for usage in delta_usages)
    out.append(("message_stop", {"type": "message_stop"}))
    return out


async def test_generate_keeps_the_usage_object(harness: Any) -> None:
    harness.server.script(harness.json_reply(message(USAGE)))
    response = await harness.generate()
    assert response.usage == NORMALISED
    assert response.usage.details == USAGE
    assert from_json(to_json(response), ChatResponse).usage.details == USAGE


async def test_stream_details_are_the_start_usage_updated_by_the_deltas(harness: Any) -> None:
    start = {key: value for key, value in USAGE.items() if key not in ("output_tokens_details", "server_tool_use")}
    start["output_tokens"] = 1
    first_delta = {"output_tokens": 20}
    final_delta = {
        "input_tokens": 12,
        "cache_creation_input_tokens": 8,
        "cache_read_input_tokens": 100,
        "output_tokens": 45,
        "output_tokens_details": {"thinking_tokens": 30},
        "server_tool_use": {"web_search_requests": 1},
    }
    harness.server.script(
        harness.sse_reply(frames(start, first_delta, final_delta)), harness.json_reply(message(USAGE))
    )
    events, streamed = await harness.stream()
    generated = await harness.generate()
    assert streamed.usage == generated.usage == NORMALISED
    assert streamed.usage.details == USAGE
    assert streamed.usage.details == generated.usage.details
    running = [e.usage.details for e in events if isinstance(e, UsageEvent)]
    assert running[0] == {**start, "output_tokens": 20}  # each event holds the total so far, not a shared dict


async def test_a_null_in_a_later_usage_keeps_the_earlier_value(harness: Any) -> None:
    start = {"input_tokens": 7, "cache_read_input_tokens": 3, "output_tokens": 1}
    harness.server.script(harness.sse_reply(frames(start, {"output_tokens": 5, "cache_read_input_tokens": None})))
    _, response = await harness.stream()
    assert response.usage == Usage(10, 5, cache_read_tokens=3)
    assert response.usage.details == {"input_tokens": 7, "cache_read_input_tokens": 3, "output_tokens": 5}


@pytest.mark.parametrize("wire", [None, [1, 2], "garbage", 3], ids=repr)
async def test_a_usage_that_is_not_an_object_keeps_nothing(harness: Any, wire: Any) -> None:
    harness.server.script(harness.json_reply(message(wire)), harness.sse_reply(frames(wire, wire)))
    generated = await harness.generate()
    _, streamed = await harness.stream()
    for response in (generated, streamed):
        assert response.usage == Usage()
        assert response.usage.details == {}
