"""The fake Mistral server against Mistral's OpenAPI document (the repository's
``specs/mistral-openapi.yaml.gz``) and against the wire facts the document does not state (stream framing,
the error bodies seen in the wild)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx2
import pytest

from lluminary import ImagePart, Message, ReasoningPart, ResponseFormat, TextPart, Tool, ToolCallPart, Usage
from lluminary.sdk import build_chat_request
from lluminary_testing import ErrorScenario, Scenario, ToolCallSpec
from lluminary_testing.mistral_server import (
    FakeMistralServer,
    render_completion,
    render_embeddings,
    render_error,
    render_stream,
    stream_chunks,
)
from lluminary_testing.openapi import assert_matches, load_spec, schema

SCENARIOS = {
    "text": Scenario(text=["Hel", "lo"]),
    "reasoning": Scenario(reasoning=["Let me ", "think."], text="4"),
    "tools": Scenario(
        tool_calls=[
            ToolCallSpec("abcdefghi", "get_weather", '{"city": "Oslo"}'),
            ToolCallSpec("bcdefghij", "get_time", ""),
        ]
    ),
    "text_after_tools": Scenario(text="done", tool_calls=[ToolCallSpec("abcdefghi", "f", "{}")], text_after_tools=True),
    "cached": Scenario(text="ok", usage=Usage(input_tokens=500, output_tokens=5, cache_read_tokens=448)),
    "length": Scenario(text="a", finish="length"),
    "error": Scenario(text="a", finish="error"),
}


@pytest.fixture(scope="module")
def spec() -> Mapping[str, Any]:
    return load_spec("mistral-openapi.yaml", __file__)


@pytest.fixture
def server(fake_mistral: FakeMistralServer) -> FakeMistralServer:
    return fake_mistral


def post(server: FakeMistralServer, path: str, body: Any, *, key: str | None = "k-123") -> httpx2.Response:
    headers = {"authorization": f"Bearer {key}"} if key else {}
    return httpx2.post(server.base_url + path, json=body, headers=headers, timeout=5)


CHAT = {"model": "mistral-small-latest", "messages": [{"role": "user", "content": "Hello there"}]}


# --------------------------------------------------------------------------- against the spec


@pytest.mark.parametrize("case", sorted(SCENARIOS))
@pytest.mark.parametrize("object_arguments", [False, True], ids=["string-args", "object-args"])
def test_completion_matches_chat_completion_response(
    spec: Mapping[str, Any], case: str, object_arguments: bool
) -> None:
    # The document lists "data" as required for a chat completion without defining it (a copy of
    # the embeddings response's list); no chat completion has it, and neither does the fake.
    base, extension = spec["components"]["schemas"]["ChatCompletionResponse"]["allOf"]
    target = {"allOf": [base, {**extension, "required": [k for k in extension["required"] if k != "data"]}]}
    body = render_completion(SCENARIOS[case], object_arguments=object_arguments)
    assert_matches(body, target, spec)
    assert "data" not in body


@pytest.mark.parametrize("case", sorted(SCENARIOS))
def test_chunks_match_completion_chunk(spec: Mapping[str, Any], case: str) -> None:
    chunks = list(stream_chunks(SCENARIOS[case]))
    for chunk in chunks:
        assert_matches(chunk, schema("CompletionChunk"), spec)
    finals = [c for c in chunks if c["choices"][0]["finish_reason"]]
    assert len(finals) == 1, "one finish_reason"
    assert finals[0] is chunks[-1], "the finish_reason on the last chunk"
    assert "usage" in chunks[-1], "the last chunk carries the usage"


def test_no_safety_finish_reason(spec: Mapping[str, Any]) -> None:
    """Mistral's schema has no safety finish reason, so the fake never sends one."""
    body = render_completion(Scenario(text="no", finish="content_filter"))
    assert body["choices"][0]["finish_reason"] == "stop"
    reasons = spec["components"]["schemas"]["ChatCompletionChoice"]["properties"]["finish_reason"]["enum"]
    assert not any("filter" in r or "safety" in r for r in reasons)


def test_embeddings_match(spec: Mapping[str, Any]) -> None:
    body = render_embeddings({"model": "mistral-embed", "input": ["a", "b"], "output_dimension": 32})
    assert_matches(body, schema("EmbeddingResponse"), spec)
    assert [len(d["embedding"]) for d in body["data"]] == [32, 32]


def test_validation_error_body_matches(spec: Mapping[str, Any]) -> None:
    reply = render_error(ErrorScenario("invalid_request", message="Field required"))
    assert reply.status == 422
    assert_matches(json.loads(b"".join(reply.chunks)), schema("HTTPValidationError"), spec)


@pytest.mark.parametrize(
    "kind", ["authentication", "rate_limit", "context_length", "not_found", "server", "overloaded", "request_too_large"]
)
def test_error_bodies_seen_in_the_wild(kind: str) -> None:
    reply = render_error(ErrorScenario(kind, request_id="rid-1"))  # type: ignore[arg-type]
    body = json.loads(b"".join(reply.chunks))
    assert reply.headers["x-request-id"] == "rid-1"
    if kind == "authentication":
        assert (reply.status, body) == (401, {"detail": "scripted failure"})
    elif kind == "rate_limit":
        assert (reply.status, body) == (429, {"message": "scripted failure"})
    elif kind == "context_length":
        assert reply.status == 400
        assert "too large for model with 131072 maximum context length" in body["message"]
    if kind not in ("authentication", "rate_limit", "request_too_large"):
        assert body["object"] == "error"
        assert set(body) == {"object", "message", "type", "param", "code"}


def test_provider_requests_match_chat_completion_request(spec: Mapping[str, Any]) -> None:
    """What lluminary-mistral sends is a valid, closed ChatCompletionRequest."""
    pytest.importorskip("lluminary_mistral")
    from lluminary_mistral.wire import chat_body

    weather = Tool(
        "get_weather", "Weather", {"type": "object", "properties": {"city": {"type": "string"}}}, strict=True
    )
    messages = [
        Message.user([TextPart("Look"), ImagePart(data=b"\x89PNG", media_type="image/png")]),
        Message.assistant(
            [ReasoningPart("hmm", provider="mistral"), ToolCallPart("abcdefghi", "get_weather", {"city": "Oslo"})]
        ),
        Message.tool("abcdefghi", "cold"),
        Message.assistant("So it is"),
    ]
    request = build_chat_request(
        "mistral:magistral-medium-latest",
        messages=messages,
        system="Be brief.",
        tools=[weather],
        tool_choice="get_weather",
        temperature=0.5,
        top_p=0.9,
        max_tokens=10,
        stop=["x"],
        seed=1,
        response_format=ResponseFormat("json_schema", {"type": "object"}, name="out"),
        reasoning="high",
        options={"mistral": {"safe_prompt": True, "parallel_tool_calls": False}},
    )
    for stream in (False, True):
        assert_matches(chat_body(request, stream=stream), schema("ChatCompletionRequest"), spec, closed=True)


# --------------------------------------------------------------------------- the wire, over HTTP


def test_sse_framing_data_only_with_done(server: FakeMistralServer) -> None:
    server.script(SCENARIOS["tools"])
    response = post(server, "/v1/chat/completions", {**CHAT, "stream": True})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    blocks = [b for b in response.text.split("\n\n") if b.strip()]
    assert all(b.startswith("data: ") and "\nevent:" not in b for b in blocks)
    assert blocks[-1] == "data: [DONE]"
    last = json.loads(blocks[-2][len("data: ") :])
    calls = last["choices"][0]["delta"]["tool_calls"]
    assert [c["function"]["arguments"] for c in calls] == ['{"city": "Oslo"}', ""], "each call whole, in one delta"
    assert last["choices"][0]["finish_reason"] == "tool_calls"
    assert last["usage"]["prompt_tokens"] == 12


def test_render_stream_is_the_chunks() -> None:
    frames = [b for b in b"".join(render_stream(SCENARIOS["text"])).split(b"\n\n") if b]
    assert len(frames) == len(list(stream_chunks(SCENARIOS["text"]))) + 1


def test_non_streamed_answer(server: FakeMistralServer) -> None:
    server.script(SCENARIOS["reasoning"])
    body = post(server, "/v1/chat/completions", CHAT).json()
    assert body["choices"][0]["message"]["content"] == [
        {"type": "thinking", "thinking": [{"type": "text", "text": "Let me think."}], "closed": True},
        {"type": "text", "text": "4"},
    ]
    assert body["usage"]["prompt_tokens_details"] == {"cached_tokens": 0}


def test_stream_padding_and_typed_text_after_thinking(server: FakeMistralServer) -> None:
    """As recorded from the live API: a ``p`` padding key on every chunk but the first, and the
    text of a turn that reasoned sent as typed ``text`` chunks, not as a string."""
    server.script(SCENARIOS["reasoning"])
    response = post(server, "/v1/chat/completions", {**CHAT, "stream": True})
    frames = [f[len("data: ") :] for f in response.text.split("\n\n") if f.startswith("data: {")]
    chunks = [json.loads(f) for f in frames]
    assert "p" not in chunks[0]
    assert all(isinstance(c.get("p"), str) and c["p"] for c in chunks[1:])
    contents = [c["choices"][0]["delta"].get("content") for c in chunks]
    assert [{"type": "text", "text": "4"}] in contents
    server.padding = False
    server.script(SCENARIOS["text"])
    plain = post(server, "/v1/chat/completions", {**CHAT, "stream": True}).text
    assert all("p" not in json.loads(f[len("data: ") :]) for f in plain.split("\n\n") if f.startswith("data: {"))


def test_echo_when_unscripted(server: FakeMistralServer) -> None:
    body = post(server, "/v1/chat/completions", CHAT).json()
    assert body["choices"][0]["message"]["content"] == "Hello there"


def test_rejects_what_mistral_rejects(server: FakeMistralServer) -> None:
    assert post(server, "/v1/chat/completions", CHAT, key=None).json() == {"detail": "Unauthorized"}
    extra = post(server, "/v1/chat/completions", {**CHAT, "seed": 1, "stream_options": {}})
    assert extra.status_code == 422
    assert [d["loc"] for d in extra.json()["detail"]] == [["body", "seed"], ["body", "stream_options"]]
    assert post(server, "/v1/chat/completions", {**CHAT, "temperature": 2}).status_code == 422
    assert post(server, "/v1/chat/completions", {**CHAT, "tool_choice": "function"}).status_code == 422
    last_assistant = {**CHAT, "messages": [*CHAT["messages"], {"role": "assistant", "content": "Hi"}]}  # type: ignore[list-item]
    answer = post(server, "/v1/chat/completions", last_assistant)
    assert answer.status_code == 400
    assert "prefix True" in answer.json()["message"]
    unanswered = {
        **CHAT,
        "messages": [
            {"role": "user", "content": "Hi"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [{"id": "a", "function": {"name": "f", "arguments": "{}"}}],
            },
            {"role": "user", "content": "well?"},
        ],
    }
    assert (
        post(server, "/v1/chat/completions", unanswered).json()["message"]
        == "Not the same number of function calls and responses"
    )
    assert post(server, "/v1/embeddings", {"model": "mistral-embed", "input": "a", "dimensions": 3}).status_code == 422


def test_embeddings_over_http(server: FakeMistralServer) -> None:
    body = post(server, "/v1/embeddings", {"model": "mistral-embed", "input": ["x", "y", "x"]}).json()
    vectors = [d["embedding"] for d in body["data"]]
    assert len(vectors[0]) == 1024
    assert vectors[0] == vectors[2]
    assert vectors[0] != vectors[1]
