"""The fake Cohere server against Cohere's OpenAPI document (``cohere-openapi.yaml``, which its
licence keeps out of the repository: those checks skip unless a copy is in ``specs/`` or in
``shared/specs`` beside the repository) and against the wire facts the spec does not state
(stream framing)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx2
import pytest

from lluminary import Usage
from lluminary_testing import ErrorScenario, Fault, Scenario, ToolCallSpec
from lluminary_testing.cohere_server import (
    RESPONSE_MEDIA_TYPES,
    TEMPLATE_TOKENS,
    CohereScenario,
    FakeCohereServer,
    render_embeddings,
    render_error,
    render_response,
    render_tokens,
    stream_events,
)
from lluminary_testing.openapi import assert_matches, load_spec, schema, schema_problems
from lluminary_testing.server import RecordedRequest

STREAM_TYPES = {
    "message-start",
    "content-start",
    "content-delta",
    "content-end",
    "tool-plan-delta",
    "tool-call-start",
    "tool-call-delta",
    "tool-call-end",
    "citation-start",
    "citation-end",
    "message-end",
}  # and "debug", which the document derives from API v1's events (required event_type): not checked
SOURCE = {"type": "document", "id": "doc:0", "document": {"id": "doc:0", "text": "Oslo is cold."}}
CITATION = {"start": 0, "end": 4, "text": "Oslo", "sources": [SOURCE], "type": "TEXT_CONTENT"}

SCENARIOS = {
    "text": Scenario(text=["Hel", "lo"]),
    "thinking": Scenario(reasoning=["Let me ", "think."], text="4"),
    "tool_plan": Scenario(
        reasoning="I will call it.",
        tool_calls=[
            ToolCallSpec("c1", "get_weather", '{"city": "Oslo"}', ('{"ci', 'ty": "Oslo"}')),
            ToolCallSpec("c2", "get_time", ""),
        ],
    ),
    "text_after_tools": Scenario(text="done", tool_calls=[ToolCallSpec("c1", "f", "{}")], text_after_tools=True),
    "citations": CohereScenario(text="Oslo is cold.", citations=[CITATION]),
    "cached": Scenario(text="ok", usage=Usage(input_tokens=500, output_tokens=5, cache_read_tokens=448)),
    "stop_sequence": Scenario(text="a", stop_sequence="b"),
    "length": Scenario(text="a", finish="length"),
    "unknown_events": Scenario(text="a", unknown_events=True),
    "arguments_in_start": CohereScenario(
        tool_calls=[ToolCallSpec("c1", "f", '{"a": 1}', ('{"a"', ": 1}"))], arguments_in_start=True
    ),
}
ERROR_RESPONSES = {
    "authentication": "Unauthorized",
    "permission": "Forbidden",
    "not_found": "NotFound",
    "rate_limit": "RateLimit",
    "context_length": "BadRequest",
    "invalid_request": "BadRequest",
    "server": "InternalServerError",
    "overloaded": "ServiceUnavailable",
}


@pytest.fixture(scope="module")
def spec() -> Mapping[str, Any]:
    return load_spec("cohere-openapi.yaml", __file__)


@pytest.fixture
def server(fake_cohere: FakeCohereServer) -> FakeCohereServer:
    return fake_cohere


def post(server: FakeCohereServer, path: str, body: Any, *, key: str | None = "k-123") -> httpx2.Response:
    headers = {"authorization": f"Bearer {key}"} if key else {}
    return httpx2.post(server.base_url + path, json=body, headers=headers, timeout=5)


def sse_frames(raw: bytes) -> list[tuple[str, dict[str, Any]]]:
    frames = []
    for block in raw.decode("utf-8").split("\n\n"):
        if not block.strip():
            continue
        lines = block.split("\n")
        event = next(line[len("event: ") :] for line in lines if line.startswith("event: "))
        data = "\n".join(line[len("data: ") :] for line in lines if line.startswith("data: "))
        frames.append((event, json.loads(data)))
    return frames


CHAT = {"model": "command-a-03-2025", "messages": [{"role": "user", "content": "Hello there"}]}


# --------------------------------------------------------------------------- against the spec


@pytest.mark.parametrize("case", sorted(SCENARIOS))
def test_response_matches_chat_response_v2(spec: Mapping[str, Any], case: str) -> None:
    body = render_response(SCENARIOS[case])
    assert_matches(body, schema("ChatResponseV2"), spec)
    for key in ("id", "finish_reason", "message"):
        assert key in body


@pytest.mark.parametrize("case", sorted(SCENARIOS))
def test_stream_events_match_streamed_chat_response_v2(spec: Mapping[str, Any], case: str) -> None:
    target = spec["paths"]["/v2/chat"]["post"]["x-fern-streaming"]["response-stream"]
    for name, data in stream_events(SCENARIOS[case]):
        if name not in STREAM_TYPES:
            assert case == "unknown_events"
            continue
        assert_matches(data, target, spec)


def test_response_media_types_are_the_documents(spec: Mapping[str, Any]) -> None:
    for path, produced in RESPONSE_MEDIA_TYPES.items():
        assert tuple(spec["paths"][path]["post"]["responses"]["200"]["content"]) == produced


@pytest.mark.parametrize(
    ("accept", "status"),
    [
        (None, 200),
        ("*/*", 200),  # what Cohere's Python SDK sends (httpx's default)
        ("application/json", 200),
        ("application/json, text/event-stream", 200),
        ("application/*;q=0.5", 200),
        ("text/event-stream", 406),
        ("text/event-stream, application/json;q=0", 406),
        ("text/html", 406),
    ],
)
@pytest.mark.parametrize("streamed", [False, True], ids=["json", "stream"])
def test_accept_is_checked_as_the_document_says(
    server: FakeCohereServer, accept: str | None, status: int, streamed: bool
) -> None:
    """The document lists only application/json for /v2/chat (streams included), so a validator of
    it answers 406 to an Accept that admits nothing else, before looking at anything more."""
    server.script(Scenario(text="ok"))
    headers = {"authorization": "Bearer k-123"}
    if accept is not None:
        headers["accept"] = accept
    response = httpx2.post(server.base_url + "/v2/chat", json={**CHAT, "stream": streamed}, headers=headers, timeout=5)
    assert response.status_code == status, response.text
    if status == 406:
        assert "Accept" in response.json()["message"]
    else:
        assert response.headers["content-type"].startswith("text/event-stream" if streamed else "application/json")


def test_content_filter_uses_v1_finish_reason(spec: Mapping[str, Any]) -> None:
    """The one deliberate departure: v2 has no safety finish, so the fake sends v1's value."""
    body = render_response(Scenario(text="no", finish="content_filter"))
    assert body["finish_reason"] == "ERROR_TOXIC"
    assert "ERROR_TOXIC" in spec["components"]["schemas"]["FinishReason"]["enum"]


@pytest.mark.parametrize("kind", sorted(ERROR_RESPONSES))
def test_error_bodies_match(spec: Mapping[str, Any], kind: str) -> None:
    reply = render_error(ErrorScenario(kind, request_id="trace-1"))  # type: ignore[arg-type]
    body = json.loads(b"".join(reply.chunks))
    target = spec["components"]["responses"][ERROR_RESPONSES[kind]]["content"]["application/json"]["schema"]
    assert_matches(body, target, spec)
    assert isinstance(body["message"], str)
    assert reply.headers["x-debug-trace-id"] == "trace-1"
    assert ("id" in body) == (kind != "authentication")


def test_statuses_are_in_the_spec(spec: Mapping[str, Any]) -> None:
    declared = set(spec["paths"]["/v2/chat"]["post"]["responses"])
    for kind in ERROR_RESPONSES:
        assert str(render_error(ErrorScenario(kind)).status) in declared  # type: ignore[arg-type]


def test_embed_response_matches(spec: Mapping[str, Any]) -> None:
    body = render_embeddings({"model": "embed-v4.0", "texts": ["a", "b"], "output_dimension": 256})
    target = dict(spec["components"]["schemas"]["EmbedByTypeResponse"])
    # The document lists a top-level "api_version" as required without defining it; the API
    # reports it as meta.api_version, as the fake does.
    target["required"] = [k for k in target["required"] if k != "api_version"]
    assert_matches(body, target, spec)
    assert body["meta"]["api_version"]["version"]
    assert [len(v) for v in body["embeddings"]["float"]] == [256, 256]


def test_tokenize_response_matches(spec: Mapping[str, Any]) -> None:
    body = render_tokens({"text": "tokenize me! :D", "model": "command-a-03-2025"})
    target = spec["paths"]["/v1/tokenize"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert_matches(body, target, spec)
    assert len(body["tokens"]) == len(body["token_strings"]) == 5


def test_schema_problems_finds_problems(spec: Mapping[str, Any]) -> None:
    target = schema("ChatResponseV2")
    assert schema_problems({"id": "x", "finish_reason": "COMPLETE"}, target, spec) == [
        "$: the required 'message' is missing"
    ]
    problems = schema_problems({"id": 1, "finish_reason": "DONE", "message": {"role": "user"}}, target, spec)
    assert any("finish_reason" in p for p in problems)
    assert any("$.id" in p for p in problems)
    assert any("role" in p for p in problems)


# --------------------------------------------------------------------------- the stream framing


def test_stream_framing(server: FakeCohereServer) -> None:
    server.script(SCENARIOS["tool_plan"])
    response = post(server, "/v2/chat", {**CHAT, "stream": True})
    assert response.headers["content-type"] == "text/event-stream"
    frames = sse_frames(response.content)
    assert all(name == data["type"] for name, data in frames)
    names = [name for name, _ in frames]
    assert names[0] == "message-start"
    assert names[-1] == "message-end"
    assert names.count("tool-call-start") == names.count("tool-call-end") == 2
    starts = [data for name, data in frames if name == "tool-call-start"]
    assert all(isinstance(s["delta"]["message"]["tool_calls"], dict) for s in starts)  # one object, not a list
    assert all(s["delta"]["message"]["tool_calls"]["function"]["arguments"] == "" for s in starts)
    assert names.index("tool-plan-delta") < names.index("tool-call-start")
    end = frames[-1][1]["delta"]
    assert end["finish_reason"] == "TOOL_CALL"
    assert end["usage"]["billed_units"] == {"input_tokens": 12, "output_tokens": 7}
    assert end["usage"]["tokens"] == {"input_tokens": 12 + TEMPLATE_TOKENS, "output_tokens": 7}


def test_thinking_block_and_cached_usage(server: FakeCohereServer) -> None:
    server.script(SCENARIOS["thinking"], SCENARIOS["cached"])
    frames = sse_frames(post(server, "/v2/chat", {**CHAT, "stream": True}).content)
    starts = [d["delta"]["message"]["content"]["type"] for n, d in frames if n == "content-start"]
    assert starts == ["thinking", "text"]
    body = post(server, "/v2/chat", CHAT).json()
    assert body["usage"] == {
        "billed_units": {"input_tokens": 500, "output_tokens": 5},
        "tokens": {"input_tokens": 566, "output_tokens": 5},  # the prompt template is counted, not billed
        "cached_tokens": 448,
    }


def test_done_line(server: FakeCohereServer) -> None:
    server.send_done = True
    server.script(Scenario(text="a"))
    raw = post(server, "/v2/chat", {**CHAT, "stream": True}).content
    assert raw.endswith(b"data: [DONE]\n\n")


def test_in_stream_error(server: FakeCohereServer) -> None:
    server.script(ErrorScenario("server", message="boom", in_stream=True))
    response = post(server, "/v2/chat", {**CHAT, "stream": True})
    assert response.status_code == 200
    name, data = sse_frames(response.content)[-1]
    assert name == "message-end"
    assert data["delta"]["finish_reason"] == "ERROR"
    assert data["delta"]["error"] == "boom"


def test_malformed(server: FakeCohereServer) -> None:
    server.script(Scenario(text="a", malformed=True), Scenario(text="a", malformed=True))
    with pytest.raises(ValueError):
        sse_frames(post(server, "/v2/chat", {**CHAT, "stream": True}).content)
    with pytest.raises(ValueError):
        json.loads(post(server, "/v2/chat", CHAT).content)


# --------------------------------------------------------------------------- defaults and checks


def test_echo(server: FakeCohereServer) -> None:
    body = post(server, "/v2/chat", CHAT).json()
    assert body["message"]["content"] == [{"type": "text", "text": "Hello there"}]
    assert body["finish_reason"] == "COMPLETE"
    frames = sse_frames(post(server, "/v2/chat", {**CHAT, "stream": True}).content)
    text = "".join(d["delta"]["message"]["content"]["text"] for n, d in frames if n == "content-delta")
    assert text == "Hello there"


def test_embed_and_tokenize_leave_chat_scenarios_alone(server: FakeCohereServer) -> None:
    server.script(Scenario(text="for chat"))
    embedded = post(server, "/v2/embed", {"model": "embed-v4.0", "texts": ["a"], "input_type": "search_query"})
    assert len(embedded.json()["embeddings"]["float"][0]) == 1536
    tokens = post(server, "/v1/tokenize", {"model": "command-a-03-2025", "text": "a b"})
    assert tokens.json()["token_strings"] == ["a", "b"]
    assert server.pending == 1
    assert post(server, "/v2/chat", CHAT).json()["message"]["content"][0]["text"] == "for chat"


def test_deterministic_embeddings(server: FakeCohereServer) -> None:
    body = {"model": "embed-english-v3.0", "texts": ["x", "y", "x"], "input_type": "clustering"}
    vectors = post(server, "/v2/embed", body).json()["embeddings"]["float"]
    assert vectors[0] == vectors[2] != vectors[1]
    assert len(vectors[0]) == 1024


@pytest.mark.parametrize(
    ("path", "body", "key", "status", "needle"),
    [
        ("/v2/chat", CHAT, None, 401, "no api key"),
        ("/v2/chat", {"messages": CHAT["messages"]}, "k", 400, "model"),
        ("/v2/chat", {**CHAT, "messages": []}, "k", 400, "messages"),
        ("/v2/chat", {**CHAT, "tool_choice": "REQUIRED"}, "k", 400, "tool_choice requires tools"),
        (
            "/v2/chat",
            {**CHAT, "tool_choice": "AUTO", "tools": [{"type": "function", "function": {"name": "f"}}]},
            "k",
            400,
            "REQUIRED or NONE",
        ),
        (
            "/v2/chat",
            {**CHAT, "messages": [{"role": "tool", "tool_call_id": "x", "content": "r"}]},
            "k",
            400,
            "answers no",
        ),
        ("/v2/chat", {**CHAT, "messages": [{"role": "bot", "content": "x"}]}, "k", 400, "role"),
        ("/v2/embed", {"model": "embed-v4.0", "texts": ["a"]}, "k", 400, "input_type"),
        (
            "/v2/embed",
            {"model": "embed-v4.0", "texts": ["a"] * 97, "input_type": "search_query"},
            "k",
            400,
            "at most 96",
        ),
        ("/v1/tokenize", {"model": "command-a-03-2025", "text": ""}, "k", 400, "1 to 65536"),
        ("/v2/rerank", {}, "k", 404, "route not found"),
    ],
)
def test_rejections(server: FakeCohereServer, path: str, body: Any, key: str | None, status: int, needle: str) -> None:
    response = post(server, path, body, key=key)
    assert response.status_code == status
    assert needle in response.json()["message"]
    assert response.headers["x-debug-trace-id"]


def test_faults_apply_to_rendered_scenarios(server: FakeCohereServer) -> None:
    server.script(Scenario(text=["a", "b", "c"], fault=Fault(end_after=2)))
    frames = sse_frames(post(server, "/v2/chat", {**CHAT, "stream": True}).content)
    assert len(frames) == 2


def test_requests_are_recorded(server: FakeCohereServer) -> None:
    post(server, "/v2/chat", CHAT)
    recorded: RecordedRequest = server.last_request
    assert recorded.path == "/v2/chat"
    assert recorded.json() == CHAT
