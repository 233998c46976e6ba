"""Focused tests of the wire format, without a server: quick to run, and the place for the
details of {{ cookiecutter.plugin_name }}'s format that the conformance suite does not know about."""

from __future__ import annotations

from typing import Any

import pytest

import lluminary
from lluminary.sdk import (
    Finish,
    Message,
    TextDelta,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallPart,
    ToolCallStart,
    build_chat_request,
)
from {{ cookiecutter.__package }} import wire
from {{ cookiecutter.__package }}.provider import normalize_base_url

MODEL = "{{ cookiecutter.prefix }}:{{ cookiecutter.model }}"
PROVIDER = "{{ cookiecutter.prefix }}"


def test_chat_body() -> None:
    request = build_chat_request(MODEL, "Hi", system="Be brief.", max_tokens=10, stop=["END"])
    body = wire.chat_body(request, stream=True)
    assert body["model"] == "{{ cookiecutter.model }}"
    assert body["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    assert body["max_completion_tokens"] == 10
    assert body["stop"] == ["END"]
    assert body["stream"] is True


def test_options_never_replace_what_lluminary_sets() -> None:
    request = build_chat_request(MODEL, "Hi", options={PROVIDER: {"model": "other", "user": "u-1"}})
    body = wire.chat_body(request, stream=False)
    assert body["model"] == "{{ cookiecutter.model }}"
    assert body["user"] == "u-1"


def test_tool_call_history() -> None:
    call = ToolCallPart("call_1", "get_weather", {"city": "Paris"})
    messages = [Message.user("Weather?"), Message.assistant([call]), Message.tool("call_1", "sunny")]
    body = wire.chat_body(build_chat_request(MODEL, None, messages=messages), stream=False)
    assistant, tool = body["messages"][1:]
    assert assistant["content"] is None
    assert assistant["tool_calls"][0]["function"] == {"name": "get_weather", "arguments": '{"city": "Paris"}'}
    assert tool == {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}


def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    """A stream chunk with one choice."""
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}


def arguments(fragment: str) -> dict[str, Any]:
    """A delta carrying a fragment of the first tool call's arguments."""
    return {"tool_calls": [{"index": 0, "function": {"arguments": fragment}}]}


def test_stream_tool_call_fragments() -> None:
    parser = wire.ChunkParser(PROVIDER)
    start = {"index": 0, "id": "call_1", "function": {"name": "get_weather", "arguments": ""}}
    events = [
        *parser.feed(chunk({"content": "On it."}, id="a1", model="m")),
        *parser.feed(chunk({"tool_calls": [start]})),
        *parser.feed(chunk(arguments('{"ci'))),
        *parser.feed(chunk(arguments('ty": "Oslo"}'))),
        *parser.feed(chunk({}, "tool_calls")),
        *parser.end(),
    ]
    assert events == [
        TextDelta("On it."),
        ToolCallStart(0, "call_1", "get_weather"),
        ToolCallDelta(0, '{"ci'),
        ToolCallDelta(0, 'ty": "Oslo"}'),
        ToolCallEnd(0, ToolCallPart("call_1", "get_weather", {"city": "Oslo"})),
        Finish("tool_calls", "tool_calls", "m", "a1"),
    ]


def test_error_answer() -> None:
    body = b'{"error": {"message": "This request was flagged.", "type": "invalid_request_error", "code": "content_filter"}}'
    error = wire.error_from_response(400, body, {"x-request-id": "req_1"}, provider=PROVIDER)
    assert isinstance(error, lluminary.ContentFilteredError)
    assert error.message == "This request was flagged."
    assert error.request_id == "req_1"


def test_invalid_json_is_malformed() -> None:
    with pytest.raises(lluminary.MalformedResponseError):
        wire.loads(b'{"choices": [', provider=PROVIDER)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.example.com", "https://api.example.com/v1"),
        ("https://api.example.com/v1/", "https://api.example.com/v1"),
        ("https://api.example.com/api/v2", "https://api.example.com/api/v2"),
    ],
)
def test_normalize_base_url(url: str, expected: str) -> None:
    assert normalize_base_url(url) == expected
