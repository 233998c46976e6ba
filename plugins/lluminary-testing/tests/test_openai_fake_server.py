"""The fake OpenAI server checked against OpenAI's own OpenAPI spec: every object it renders
(chat completions, chunks, responses, stream events, embeddings, errors) has the fields the spec
requires, of the types it declares, and the SSE framing is what clients parse.

The spec is the repository's ``specs/openai-openapi.yaml.gz`` (``specs/README.md`` says which
version), read by :func:`lluminary_testing.openapi.load_spec`.
"""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Iterator, Mapping
from typing import Any, get_args

import httpx2
import pytest

from lluminary import Usage
from lluminary.sdk import SSEDecoder
from lluminary_testing import ErrorScenario, Fault, Scenario, ToolCallSpec
from lluminary_testing.openai_server import FakeOpenAIServer, embedding_vector
from lluminary_testing.openapi import load_spec
from lluminary_testing.scenario import ErrorKind

KEY = {"authorization": "Bearer sk-test-0123456789abcdef"}


# --------------------------------------------------------------------------- the spec


@pytest.fixture(scope="module")
def schemas() -> Mapping[str, Any]:
    found: Mapping[str, Any] = load_spec("openai-openapi.yaml", __file__)["components"]["schemas"]
    return found


# --------------------------------------------------------------------------- checking objects


_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def problems(value: Any, schema: Any, schemas: Mapping[str, Any], where: str = "$", depth: int = 0) -> list[str]:
    """Where ``value`` breaks ``schema``: required fields, declared types and enums."""
    if depth > 40 or not isinstance(schema, Mapping):
        return []
    if value is None and schema.get("nullable"):
        return []
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return problems(value, schemas[ref.rsplit("/", 1)[-1]], schemas, where, depth + 1)
    found: list[str] = []
    for sub in schema.get("allOf") or ():
        found += problems(value, sub, schemas, where, depth + 1)
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if options:
            results = [problems(value, option, schemas, where, depth + 1) for option in options]
            if all(results):
                found.append(f"{where}: matches none of the {key} alternatives: {min(results, key=len)}")
    if value is None:
        if schema.get("type") not in (None, "null") and not schema.get("nullable"):
            found.append(f"{where}: null where {schema.get('type')} is required")
        return found
    declared = schema.get("type")
    if isinstance(declared, str) and declared in _TYPES:
        ok = isinstance(value, _TYPES[declared]) and not (declared in ("integer", "number") and isinstance(value, bool))
        if not ok:
            return [*found, f"{where}: {type(value).__name__} where {declared} is declared"]
    enum = schema.get("enum")
    if enum and value not in enum:
        found.append(f"{where}: {value!r} not in {enum}")
    if isinstance(value, dict):
        for name in schema.get("required") or ():
            if name not in value:
                found.append(f"{where}: missing required {name!r}")
        required = schema.get("required") or ()
        for name, sub in (schema.get("properties") or {}).items():
            # OpenAI sends null for optional fields it has no value for yet (usage while in progress)
            if name in value and (value[name] is not None or name in required):
                found += problems(value[name], sub, schemas, f"{where}.{name}", depth + 1)
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for i, item in enumerate(value):
            found += problems(item, schema["items"], schemas, f"{where}[{i}]", depth + 1)
    return found


def assert_conforms(value: Any, name: str, schemas: Mapping[str, Any]) -> None:
    found = problems(value, schemas[name], schemas)
    assert not found, f"{name}:\n  " + "\n  ".join(found)


def stream_event_schema(kind: str, schemas: Mapping[str, Any]) -> str | None:
    """The ResponseStreamEvent variant whose ``type`` enum holds ``kind``."""
    for option in schemas["ResponseStreamEvent"]["anyOf"]:
        name = option["$ref"].rsplit("/", 1)[-1]
        enum = ((schemas[name].get("properties") or {}).get("type") or {}).get("enum") or ()
        if kind in enum:
            return str(name)
    return None


def test_the_checker_has_teeth(schemas: Mapping[str, Any]) -> None:
    """The spec reader and checker catch missing fields, wrong types and bad enum values."""
    found = problems(
        {"object": "chat.completion", "created": "soon", "choices": [{"index": 0}]},
        schemas["CreateChatCompletionResponse"],
        schemas,
    )
    assert "$: missing required 'id'" in found
    assert any("created" in f and "integer" in f for f in found)
    assert "$.choices[0]: missing required 'message'" in found
    assert problems({"type": "nope"}, schemas["ResponseTextDeltaEvent"], schemas)
    assert stream_event_schema("response.output_text.delta", schemas) == "ResponseTextDeltaEvent"


# --------------------------------------------------------------------------- fixtures and helpers


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        yield fake  # type: ignore[misc]


def post(server: FakeOpenAIServer, path: str, body: Any, headers: Mapping[str, str] = KEY) -> httpx2.Response:
    return httpx2.post(server.base_url + path, json=body, headers=dict(headers), timeout=10)


def frames(response: httpx2.Response) -> list[tuple[str, str]]:
    decoder = SSEDecoder()
    events = list(decoder.feed(response.content))
    assert not decoder.flush(), "the stream ends inside a frame"
    return [(e.event, e.data) for e in events]


CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Weather?"}]}
RICH = Scenario(
    text=["Let me ", "check."],
    tool_calls=[
        ToolCallSpec("call_1", "get_weather", '{"city": "Paris"}', ('{"ci', 'ty": "Paris"}')),
        ToolCallSpec("call_2", "get_time", "{}"),
    ],
    usage=Usage(input_tokens=20, output_tokens=9, cache_read_tokens=8, reasoning_tokens=3),
    id="chatcmpl-rich",
    model="gpt-4o-mini-2024-07-18",
)


# --------------------------------------------------------------------------- chat completions


def test_chat_completion_conforms(server: FakeOpenAIServer, schemas: Mapping[str, Any]) -> None:
    server.script(RICH)
    response = post(server, "/v1/chat/completions", CHAT)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-request-id"]
    data = response.json()
    assert_conforms(data, "CreateChatCompletionResponse", schemas)
    assert_conforms(data["usage"], "CompletionUsage", schemas)
    message = data["choices"][0]["message"]
    assert message["content"] == "Let me check."
    assert [c["function"]["arguments"] for c in message["tool_calls"]] == ['{"city": "Paris"}', "{}"]
    assert data["choices"][0]["finish_reason"] == "tool_calls"
    assert data["usage"]["prompt_tokens_details"]["cached_tokens"] == 8
    assert data["usage"]["completion_tokens_details"]["reasoning_tokens"] == 3


def test_chat_stream_conforms(server: FakeOpenAIServer, schemas: Mapping[str, Any]) -> None:
    server.script(RICH)
    body = {**CHAT, "stream": True, "stream_options": {"include_usage": True}}
    response = post(server, "/v1/chat/completions", body)
    assert response.headers["content-type"].startswith("text/event-stream")
    events = frames(response)
    assert events[-1] == ("message", "[DONE]")
    chunks = [json.loads(data) for _, data in events[:-1]]
    for chunk in chunks:
        assert_conforms(chunk, "CreateChatCompletionStreamResponse", schemas)
        assert chunk["obfuscation"]
        assert chunk["system_fingerprint"]
        assert chunk["service_tier"]
        assert "usage" in chunk
    first = chunks[0]["choices"][0]["delta"]
    assert first == {"role": "assistant", "content": "", "refusal": None}
    # tool-call fragments: only index always present; the first carries id/type/name and "" arguments
    fragments = [tc for c in chunks if c["choices"] for tc in c["choices"][0]["delta"].get("tool_calls", ())]
    assert fragments[0] == {
        "index": 0,
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": ""},
    }
    assert fragments[1] == {"index": 0, "function": {"arguments": '{"ci'}}
    assert [f["index"] for f in fragments] == [0, 0, 0, 1, 1]
    # finish_reason on a chunk of its own, then the usage chunk with choices []
    finish_chunk, usage_chunk = chunks[-2], chunks[-1]
    assert finish_chunk["choices"][0] == {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "tool_calls"}
    assert all(c["usage"] is None for c in chunks[:-1])
    assert usage_chunk["choices"] == []
    assert usage_chunk["usage"]["total_tokens"] == 29


def test_chat_stream_opening_with_a_tool_call(server: FakeOpenAIServer) -> None:
    server.script(Scenario(tool_calls=[ToolCallSpec("call_9", "get_time", "{}")]))
    events = frames(post(server, "/v1/chat/completions", {**CHAT, "stream": True}))
    first = json.loads(events[0][1])
    assert "usage" not in first  # no include_usage, no usage key
    delta = first["choices"][0]["delta"]
    assert delta["role"] == "assistant"
    assert delta["content"] is None
    assert delta["tool_calls"][0]["id"] == "call_9"


def test_chat_stream_error_frame(server: FakeOpenAIServer) -> None:
    server.script(ErrorScenario("server", message="boom", in_stream=True, request_id="req_x"))
    response = post(server, "/v1/chat/completions", {**CHAT, "stream": True})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "req_x"
    data = [json.loads(d) for _, d in frames(response)]
    assert data[-1] == {"error": {"message": "boom", "type": "server_error", "param": None, "code": None}}


@pytest.mark.parametrize("kind", get_args(ErrorKind))
def test_errors_conform(server: FakeOpenAIServer, schemas: Mapping[str, Any], kind: ErrorKind) -> None:
    server.script(ErrorScenario(kind, message="nope", retry_after=1.5, request_id="req_err"))
    response = post(server, "/v1/chat/completions", CHAT)
    expected = {
        "authentication": 401,
        "permission": 403,
        "not_found": 404,
        "rate_limit": 429,
        "request_too_large": 413,
        "server": 500,
        "overloaded": 503,
    }
    assert response.status_code == expected.get(kind, 400)
    assert_conforms(response.json(), "ErrorResponse", schemas)
    assert response.headers["x-request-id"] == "req_err"
    assert response.headers["retry-after"] == "2"
    assert response.headers["retry-after-ms"] == "1500"
    if kind == "context_length":
        assert response.json()["error"]["code"] == "context_length_exceeded"


def test_validation_rejects_what_openai_rejects(server: FakeOpenAIServer) -> None:
    assert post(server, "/v1/chat/completions", CHAT, headers={}).status_code == 401
    assert post(server, "/chat/completions", CHAT).status_code == 404
    bad_tool_order = {
        "model": "m",
        "messages": [{"role": "user", "content": "x"}, {"role": "tool", "tool_call_id": "c", "content": "r"}],
    }
    assert (
        "preceeding message with 'tool_calls'"
        in post(server, "/v1/chat/completions", bad_tool_order).json()["error"]["message"]
    )
    options_without_stream = {**CHAT, "stream_options": {"include_usage": True}}
    assert post(server, "/v1/chat/completions", options_without_stream).status_code == 400
    assert post(server, "/v1/embeddings", {"model": "text-embedding-3-small", "input": ["x"] * 2049}).status_code == 400


def test_echo_by_default(server: FakeOpenAIServer) -> None:
    data = post(server, "/v1/chat/completions", CHAT).json()
    assert data["choices"][0]["message"]["content"] == "Weather?"
    assert data["model"] == "gpt-4o-mini"


def test_compatible_server_quirks(server: FakeOpenAIServer) -> None:
    server.reasoning_field = "reasoning_content"
    server.obfuscation = False
    server.usage = False
    server.script(Scenario(text="Hi", reasoning=["Think", "ing"]))
    chunks = [
        json.loads(d)
        for _, d in frames(
            post(server, "/v1/chat/completions", {**CHAT, "stream": True, "stream_options": {"include_usage": True}})
        )
        if d != "[DONE]"
    ]
    assert all("obfuscation" not in c and "usage" not in c for c in chunks)
    assert [c["choices"][0]["delta"].get("reasoning_content") for c in chunks[1:3]] == ["Think", "ing"]


def test_azure_filters_quirk(server: FakeOpenAIServer) -> None:
    """Azure OpenAI, as recorded: the stream opens with a ``prompt_filter_results`` chunk whose
    ``choices`` is empty and whose ``id``, ``model`` and ``object`` are empty strings; every choice
    carries ``content_filter_results``."""
    server.azure_filters = True
    server.script(Scenario(text="Hi"), Scenario(text="Hi"))
    chunks = [json.loads(d) for _, d in frames(post(server, "/v1/chat/completions", {**CHAT, "stream": True}))[:-1]]
    assert chunks[0]["choices"] == []
    assert chunks[0]["id"] == chunks[0]["model"] == ""
    assert "prompt_filter_results" in chunks[0]
    assert all("content_filter_results" in c["choices"][0] for c in chunks[1:] if c["choices"])
    data = post(server, "/v1/chat/completions", CHAT).json()
    assert "prompt_filter_results" in data
    assert "content_filter_results" in data["choices"][0]


def test_faults_apply_to_plain_answers(server: FakeOpenAIServer) -> None:
    server.script(Scenario(text="x" * 400, fault=Fault(reset_after=1)))
    with pytest.raises(httpx2.TransportError):
        post(server, "/v1/chat/completions", CHAT)
    server.script(Scenario(text="x", malformed=True))
    with pytest.raises(ValueError):
        post(server, "/v1/chat/completions", CHAT).json()


# --------------------------------------------------------------------------- responses


RESPONSES = {"model": "o4-mini", "input": "Weather?", "include": ["reasoning.encrypted_content"], "store": False}
REASONING = Scenario(
    reasoning=["Think", "ing"],
    signature="enc-abc",
    text="Sunny.",
    tool_calls=[ToolCallSpec("call_r", "get_weather", '{"city": "Oslo"}', ('{"city"', ': "Oslo"}'))],
    id="resp_1",
)


def test_response_conforms(server: FakeOpenAIServer, schemas: Mapping[str, Any]) -> None:
    server.script(REASONING)
    data = post(server, "/v1/responses", RESPONSES).json()
    assert_conforms(data, "Response", schemas)
    kinds = [item["type"] for item in data["output"]]
    assert kinds == ["reasoning", "message", "function_call"]
    assert data["output"][0]["encrypted_content"] == "enc-abc"
    assert_conforms(data["usage"], "ResponseUsage", schemas)


def test_response_stream_conforms(server: FakeOpenAIServer, schemas: Mapping[str, Any]) -> None:
    server.script(REASONING)
    events = frames(post(server, "/v1/responses", {**RESPONSES, "stream": True}))
    sequence = []
    for name, data in events:
        payload = json.loads(data)
        assert payload["type"] == name, "the event: line names the data's type"
        schema = stream_event_schema(name, schemas)
        assert schema is not None, f"{name} is not a ResponseStreamEvent"
        assert_conforms(payload, schema, schemas)
        sequence.append(payload["sequence_number"])
    assert sequence == list(range(len(events)))
    names = [name for name, _ in events]
    assert names[0] == "response.created"
    assert names[-1] == "response.completed"
    fc = names.index("response.function_call_arguments.delta")
    assert names[fc - 1] == "response.output_item.added"
    assert names[fc + 2 :][:2] == ["response.function_call_arguments.done", "response.output_item.done"]
    done_reasoning = next(json.loads(d) for n, d in events if n == "response.output_item.done" and '"reasoning"' in d)
    assert done_reasoning["item"]["encrypted_content"] == "enc-abc"


def test_response_stream_error_event(server: FakeOpenAIServer, schemas: Mapping[str, Any]) -> None:
    server.script(ErrorScenario("rate_limit", message="slow down", in_stream=True))
    events = frames(post(server, "/v1/responses", {**RESPONSES, "stream": True}))
    assert events[0][0] == "error"
    assert_conforms(json.loads(events[0][1]), "ResponseErrorEvent", schemas)


# --------------------------------------------------------------------------- embeddings


def test_embeddings_conform(server: FakeOpenAIServer, schemas: Mapping[str, Any]) -> None:
    data = post(
        server, "/v1/embeddings", {"model": "text-embedding-3-small", "input": ["a", "b"], "dimensions": 8}
    ).json()
    assert_conforms(data, "CreateEmbeddingResponse", schemas)
    assert [len(d["embedding"]) for d in data["data"]] == [8, 8]
    assert data["data"][0]["embedding"] == embedding_vector("a", 8)
    encoded = post(
        server,
        "/v1/embeddings",
        {"model": "text-embedding-3-small", "input": "a", "dimensions": 8, "encoding_format": "base64"},
    ).json()
    raw = base64.b64decode(encoded["data"][0]["embedding"])
    assert list(struct.unpack("<8f", raw)) == embedding_vector("a", 8)
    full = post(server, "/v1/embeddings", {"model": "text-embedding-3-large", "input": "a"}).json()
    assert len(full["data"][0]["embedding"]) == 3072
