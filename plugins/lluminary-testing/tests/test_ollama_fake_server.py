"""The fake Ollama server against Ollama's OpenAPI document (the repository's
``specs/ollama-openapi.yaml.gz``) and against the wire facts the document does not state (NDJSON framing,
whole tool calls in a ``done: false`` line, errors inside a 200 stream)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx2
import pytest

from lluminary import ImagePart, Message, ReasoningPart, ResponseFormat, TextPart, Tool, ToolCallPart, Usage
from lluminary.sdk import build_chat_request
from lluminary_testing import ErrorScenario, Scenario, ToolCallSpec
from lluminary_testing.ollama_server import (
    FakeOllamaServer,
    render_chat,
    render_embeddings,
    render_error,
    render_lines,
    render_stream,
    render_tags,
)
from lluminary_testing.openapi import assert_matches, load_spec, schema

SCENARIOS = {
    "text": Scenario(text=["Hel", "lo"]),
    "thinking": Scenario(reasoning=["Let me ", "think."], text="4"),
    "tools": Scenario(
        tool_calls=[ToolCallSpec("call_1", "get_weather", '{"city": "Oslo"}'), ToolCallSpec("call_2", "get_time", "")]
    ),
    "text_after_tools": Scenario(text="done", tool_calls=[ToolCallSpec("call_1", "f", "{}")], text_after_tools=True),
    "length": Scenario(text="a", finish="length", usage=Usage(9, 1)),
}


@pytest.fixture(scope="module")
def spec() -> Mapping[str, Any]:
    return load_spec("ollama-openapi.yaml", __file__)


@pytest.fixture
def server(fake_ollama: FakeOllamaServer) -> FakeOllamaServer:
    return fake_ollama


def post(server: FakeOllamaServer, path: str, body: Any) -> httpx2.Response:
    return httpx2.post(server.base_url + path, json=body, timeout=5)


CHAT = {"model": "llama3.2", "messages": [{"role": "user", "content": "Hello there"}]}


# --------------------------------------------------------------------------- against the spec


@pytest.mark.parametrize("case", sorted(SCENARIOS))
def test_chat_matches_chat_response(spec: Mapping[str, Any], case: str) -> None:
    body = render_chat(SCENARIOS[case])
    assert_matches(body, schema("ChatResponse"), spec)
    assert body["done"] is True
    assert isinstance(body["eval_count"], int)


@pytest.mark.parametrize("case", sorted(SCENARIOS))
def test_lines_match_chat_stream_event(spec: Mapping[str, Any], case: str) -> None:
    lines = list(render_lines(SCENARIOS[case]))
    for line in lines:
        assert_matches(line, schema("ChatStreamEvent"), spec)
    assert [line["done"] for line in lines] == [False] * (len(lines) - 1) + [True]
    final = lines[-1]
    assert_matches(final, schema("ChatResponse"), spec)
    assert final["done_reason"] in ("stop", "length")
    assert final["prompt_eval_count"] == SCENARIOS[case].usage.input_tokens


def test_tool_calls_whole_in_one_line(spec: Mapping[str, Any]) -> None:
    raw = b"".join(render_stream(SCENARIOS["tools"])).decode("utf-8")
    lines = [json.loads(line) for line in raw.splitlines()]
    with_calls = [line for line in lines if line["message"].get("tool_calls")]
    assert len(with_calls) == 1
    assert with_calls[0]["done"] is False
    calls = with_calls[0]["message"]["tool_calls"]
    assert calls == [
        {"function": {"index": 0, "name": "get_weather", "arguments": {"city": "Oslo"}}, "id": "call_1"},
        {"function": {"index": 1, "name": "get_time", "arguments": {}}, "id": "call_2"},
    ]
    assert lines[-1]["done_reason"] == "stop", "Ollama says stop after tool calls"
    assert '"arguments": {"city": "Oslo"}' in raw, "the scenario's own argument text is on the wire"


def test_embed_tags_and_errors_match(spec: Mapping[str, Any]) -> None:
    assert_matches(
        render_embeddings({"model": "nomic-embed-text", "input": ["a", "b"], "dimensions": 8}),
        schema("EmbedResponse"),
        spec,
    )
    assert_matches(render_tags(["llama3.2:latest"]), schema("ListResponse"), spec)
    for kind in ("not_found", "server", "context_length", "rate_limit", "overloaded"):
        reply = render_error(ErrorScenario(kind))  # type: ignore[arg-type]
        assert_matches(json.loads(b"".join(reply.chunks)), schema("ErrorResponse"), spec)


def test_provider_requests_match_chat_request(spec: Mapping[str, Any]) -> None:
    """What lluminary-ollama sends is a valid ChatRequest."""
    pytest.importorskip("lluminary_ollama")
    from lluminary_ollama.wire import chat_body

    weather = Tool("get_weather", "Weather", {"type": "object", "properties": {"city": {"type": "string"}}})
    messages = [
        Message.user([TextPart("Look"), ImagePart(data=b"\x89PNG", media_type="image/png")]),
        Message.assistant([ReasoningPart("hmm"), ToolCallPart("c1", "get_weather", {"city": "Oslo"})]),
        Message.tool("c1", "cold"),
    ]
    request = build_chat_request(
        "ollama:qwen3",
        messages=messages,
        system="Be brief.",
        tools=[weather],
        temperature=0.5,
        max_tokens=10,
        stop=["x"],
        seed=1,
        response_format=ResponseFormat("json_schema", {"type": "object"}),
        reasoning="low",
        options={"ollama": {"num_ctx": 4096, "keep_alive": "5m"}},
    )
    for stream in (False, True):
        assert_matches(chat_body(request, stream=stream), schema("ChatRequest"), spec)


# --------------------------------------------------------------------------- the wire, over HTTP


def test_streams_by_default_as_ndjson(server: FakeOllamaServer) -> None:
    server.script(SCENARIOS["thinking"])
    response = post(server, "/api/chat", CHAT)  # no "stream": Ollama streams
    assert response.headers["content-type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert [line["message"].get("thinking") for line in lines[:2]] == ["Let me ", "think."]
    assert lines[-1]["done"] is True


def test_not_streamed_when_asked(server: FakeOllamaServer) -> None:
    server.script(SCENARIOS["thinking"])
    body = post(server, "/api/chat", {**CHAT, "stream": False}).json()
    assert body["message"] == {"role": "assistant", "content": "4", "thinking": "Let me think."}


def test_echo_tags_version_and_embed(server: FakeOllamaServer) -> None:
    assert post(server, "/api/chat", {**CHAT, "stream": False}).json()["message"]["content"] == "Hello there"
    assert [m["name"] for m in httpx2.get(server.base_url + "/api/tags").json()["models"]] == server.installed
    assert httpx2.get(server.base_url + "/api/version").json() == {"version": "0.12.6"}
    vectors = post(server, "/api/embed", {"model": "nomic-embed-text", "input": ["x", "x"]}).json()["embeddings"]
    assert len(vectors[0]) == 768
    assert vectors[0] == vectors[1]


def test_tags_do_not_consume_a_chat_scenario(server: FakeOllamaServer) -> None:
    server.script(Scenario(text="for chat"))
    httpx2.get(server.base_url + "/api/tags")
    assert post(server, "/api/chat", {**CHAT, "stream": False}).json()["message"]["content"] == "for chat"


def test_rejects_what_ollama_rejects(server: FakeOllamaServer) -> None:
    server.only_installed = True
    missing = post(server, "/api/chat", {**CHAT, "model": "phi4"})
    assert (missing.status_code, missing.json()) == (404, {"error": "model 'phi4' not found"})
    assert post(server, "/api/chat", {"messages": []}).json() == {"error": "model is required"}
    url_image = {**CHAT, "messages": [{"role": "user", "content": "x", "images": ["https://x/y.png"]}]}
    assert post(server, "/api/chat", url_image).status_code == 400
    assert post(server, "/api/chat", {**CHAT, "format": 3}).status_code == 400


def test_error_line_inside_a_200_stream(server: FakeOllamaServer) -> None:
    server.script(ErrorScenario("server", message="runner crashed", in_stream=True))
    response = post(server, "/api/chat", CHAT)
    assert response.status_code == 200
    assert json.loads(response.text.splitlines()[-1]) == {"error": "runner crashed"}


def test_no_tool_call_ids_when_asked(server: FakeOllamaServer) -> None:
    server.tool_call_ids = False
    server.script(SCENARIOS["tools"])
    calls = post(server, "/api/chat", {**CHAT, "stream": False}).json()["message"]["tool_calls"]
    assert all("id" not in c for c in calls)
