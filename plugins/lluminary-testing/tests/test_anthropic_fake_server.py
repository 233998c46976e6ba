"""The fake Anthropic server checked against the Anthropic OpenAPI spec and WIRE.md.

The spec is an unlicensed community copy of Anthropic's from November 2024, so no clone carries
it (``specs/README.md``): these checks run where a copy is in ``specs/`` or ``shared/specs``. Where
the API grew since (thinking blocks and deltas, newer stop reasons and error types, the cache
counters in usage) the newer values listed in WIRE.md are accepted, and everything the spec
requires is still checked.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import httpx2
import pytest

from lluminary import Usage
from lluminary_testing import ErrorScenario, Fault, Scenario, ToolCallSpec
from lluminary_testing.anthropic_server import FakeAnthropicServer, count_input_tokens
from lluminary_testing.openapi import load_spec

SPEC_NAME = "anthropic-openapi-unofficial-2024.json"
HEADERS = {"x-api-key": "sk-ant-fake-key-0000", "anthropic-version": "2023-06-01"}

#: Values newer than the 2024 spec, from WIRE.md (discriminator or enum value -> accepted).
NEWER = {
    "thinking",
    "redacted_thinking",
    "thinking_delta",
    "signature_delta",
    "citations_delta",
    "pause_turn",
    "refusal",
    "model_context_window_exceeded",
    "billing_error",
    "request_too_large",
    "timeout_error",
}


@pytest.fixture(scope="module")
def spec() -> Mapping[str, Any]:
    return load_spec(SPEC_NAME, __file__)


class Validator:
    """The subset of JSON Schema the spec uses: $ref, allOf, oneOf/anyOf (with discriminators),
    const, enum, type, required, properties, items. Extra keys are allowed (responses grow)."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.schemas = spec["components"]["schemas"]

    def resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        while "$ref" in schema:
            schema = self.schemas[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def problems(self, value: Any, schema: Mapping[str, Any] | str, where: str = "$") -> list[str]:
        schema = self.resolve(self.schemas[schema] if isinstance(schema, str) else schema)
        found: list[str] = []
        for part in schema.get("allOf", ()):
            found += self.problems(value, part, where)
        alternatives = schema.get("oneOf") or schema.get("anyOf")
        if alternatives:
            discriminator = schema.get("discriminator")
            if discriminator and isinstance(value, Mapping):
                tag = value.get(discriminator["propertyName"])
                target = discriminator["mapping"].get(tag)
                if target is None:
                    if tag not in NEWER:
                        found.append(f"{where}: unknown {discriminator['propertyName']} {tag!r}")
                else:
                    found += self.problems(value, {"$ref": target}, where)
            elif all(self.problems(value, alt, where) for alt in alternatives):
                found.append(f"{where}: matches none of {len(alternatives)} alternatives: {value!r:.120}")
        if "const" in schema and value != schema["const"]:
            found.append(f"{where}: {value!r} != {schema['const']!r}")
        if "enum" in schema and value not in schema["enum"] and value not in NEWER:
            found.append(f"{where}: {value!r} not in {schema['enum']}")
        kind = schema.get("type")
        if kind is not None and not _is_type(value, kind):
            found.append(f"{where}: {value!r:.80} is not {kind}")
            return found
        if isinstance(value, Mapping):
            for name in schema.get("required", ()):
                if name not in value:
                    found.append(f"{where}: required {name!r} missing")
            for name, sub in schema.get("properties", {}).items():
                if name in value:
                    found += self.problems(value[name], sub, f"{where}.{name}")
        if isinstance(value, list) and "items" in schema:
            for n, item in enumerate(value):
                found += self.problems(item, schema["items"], f"{where}[{n}]")
        return found


def _is_type(value: Any, kind: str) -> bool:
    return {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "object": isinstance(value, Mapping),
        "array": isinstance(value, list),
        "null": value is None,
    }[kind]


@pytest.fixture
def validator(spec: Mapping[str, Any]) -> Validator:
    return Validator(spec)


@pytest.fixture
def server() -> Iterator[FakeAnthropicServer]:
    with FakeAnthropicServer() as running:
        assert isinstance(running, FakeAnthropicServer)
        yield running


def post(
    server: FakeAnthropicServer, body: Mapping[str, Any], path: str = "/v1/messages", **headers: str
) -> httpx2.Response:
    with httpx2.Client() as client:
        return client.post(server.base_url + path, json=body, headers={**HEADERS, **headers})


def body(stream: bool = False, **extra: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "model": "claude-sonnet-5-5",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": "Hi"}],
    }
    if stream:
        value["stream"] = True
    value.update(extra)
    return value


def frames(response: httpx2.Response) -> list[tuple[str, dict[str, Any]]]:
    """``(event name, data)`` of an SSE body."""
    out = []
    for block in response.text.split("\n\n"):
        if not block.strip():
            continue
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        out.append((lines["event"], json.loads(lines["data"])))
    return out


SCENARIOS = {
    "text": Scenario(text=["Hel", "lo"]),
    "thinking_text_tools": Scenario(
        reasoning=["Let me ", "think."],
        signature="sig==",
        text="Calling tools.",
        tool_calls=[
            ToolCallSpec("toolu_1", "get_weather", '{"city": "Paris"}', ('{"ci', 'ty": "Paris"}')),
            ToolCallSpec("toolu_2", "get_time", ""),
        ],
        usage=Usage(100, 50, 60, 20, 10),
    ),
    "redacted": Scenario(redacted_reasoning="ENCRYPTED", text="ok"),
    "text_after_tools": Scenario(text="after", tool_calls=[ToolCallSpec("toolu_3", "f", "{}")], text_after_tools=True),
    "stop_sequence": Scenario(text="one two", stop_sequence="three"),
    "length": Scenario(text="Once upon", finish="length"),
    "refusal": Scenario(text="No.", finish="content_filter"),
}


@pytest.mark.parametrize("case", sorted(SCENARIOS))
def test_message_matches_the_spec(server: FakeAnthropicServer, validator: Validator, case: str) -> None:
    server.script(SCENARIOS[case])
    response = post(server, body())
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["request-id"]
    message = response.json()
    assert validator.problems(message, "Message") == []
    assert validator.problems(message["usage"], "PromptCachingBetaUsage") == []


@pytest.mark.parametrize("case", sorted(SCENARIOS))
def test_stream_matches_the_spec_and_the_message(server: FakeAnthropicServer, validator: Validator, case: str) -> None:
    scenario = SCENARIOS[case]
    server.script(scenario, scenario)
    streamed = post(server, body(stream=True))
    assert streamed.status_code == 200
    assert streamed.headers["content-type"].startswith("text/event-stream")
    events = frames(streamed)
    for name, data in events:
        assert data["type"] == name, "the event line and data.type agree"
        if name != "ping":
            assert validator.problems(data, "MessageStreamEvent") == [], name
    names = [name for name, _ in events if name != "ping"]
    assert names[0] == "message_start"
    assert names[-2:] == ["message_delta", "message_stop"]
    assert events[1][0] == "ping", "the real API pings right after message_start"
    start = events[0][1]["message"]
    assert start["content"] == []
    assert start["stop_reason"] is None
    assert validator.problems(start["usage"], "PromptCachingBetaUsage") == []
    # Rebuild the message from the events the way the SDK's accumulator does: it must equal the
    # non-streamed message, and block indexes must be positions in the content array.
    content: list[dict[str, Any]] = []
    buffers: dict[int, str] = {}
    final: dict[str, Any] = {}
    for name, data in events:
        if name == "content_block_start":
            assert data["index"] == len(content)
            content.append(dict(data["content_block"]))
        elif name == "content_block_delta":
            block, change = content[data["index"]], data["delta"]
            if change["type"] == "text_delta":
                block["text"] += change["text"]
            elif change["type"] == "thinking_delta":
                block["thinking"] += change["thinking"]
            elif change["type"] == "signature_delta":
                block["signature"] = change["signature"]
            elif change["type"] == "input_json_delta":
                if data["index"] not in buffers:
                    assert change["partial_json"] == "", "the first partial_json is empty"
                buffers[data["index"]] = buffers.get(data["index"], "") + change["partial_json"]
        elif name == "content_block_stop":
            if data["index"] in buffers:
                raw = buffers.pop(data["index"])
                content[data["index"]]["input"] = json.loads(raw) if raw else {}
        elif name == "message_delta":
            final = data
    message = post(server, body()).json()
    assert content == message["content"]
    assert final["delta"] == {"stop_reason": message["stop_reason"], "stop_sequence": message["stop_sequence"]}
    assert final["usage"]["output_tokens"] == message["usage"]["output_tokens"], "message_delta usage is cumulative"


def test_tool_block_indexes_are_content_positions(server: FakeAnthropicServer) -> None:
    server.script(SCENARIOS["thinking_text_tools"])
    starts = [d for n, d in frames(post(server, body(stream=True))) if n == "content_block_start"]
    assert [(d["index"], d["content_block"]["type"]) for d in starts] == [
        (0, "thinking"),
        (1, "text"),
        (2, "tool_use"),
        (3, "tool_use"),
    ]


def test_usage_convention(server: FakeAnthropicServer) -> None:
    """Anthropic's input_tokens excludes cache reads and writes; the unified one includes them."""
    server.script(Scenario(text="x", usage=Usage(100, 50, 60, 20, 10)))
    usage = post(server, body()).json()["usage"]
    assert usage["input_tokens"] + usage["cache_read_input_tokens"] + usage["cache_creation_input_tokens"] == 100
    assert (usage["cache_read_input_tokens"], usage["cache_creation_input_tokens"]) == (60, 20)
    assert usage["output_tokens"] == 50
    assert usage["output_tokens_details"] == {"thinking_tokens": 10}


@pytest.mark.parametrize(
    ("kind", "status", "error_type"),
    [
        ("authentication", 401, "authentication_error"),
        ("permission", 403, "permission_error"),
        ("not_found", 404, "not_found_error"),
        ("rate_limit", 429, "rate_limit_error"),
        ("context_length", 400, "invalid_request_error"),
        ("invalid_request", 400, "invalid_request_error"),
        ("request_too_large", 413, "request_too_large"),
        ("content_filter", 400, "invalid_request_error"),
        ("server", 500, "api_error"),
        ("overloaded", 529, "overloaded_error"),
    ],
)
def test_errors_as_anthropic_renders_them(
    server: FakeAnthropicServer, validator: Validator, kind: str, status: int, error_type: str
) -> None:
    server.script(ErrorScenario(kind, message="boom", retry_after=3, request_id="req_e1"))  # type: ignore[arg-type]
    response = post(server, body())
    assert response.status_code == status
    assert response.headers["request-id"] == "req_e1"
    assert response.headers["retry-after"] == "3"
    assert response.headers["x-should-retry"] == ("true" if status in (429, 500, 529) else "false")
    error = response.json()
    assert error["type"] == "error"
    assert error["request_id"] == "req_e1"
    assert error["error"]["type"] == error_type
    assert "boom" in error["error"]["message"]
    assert validator.problems(error, "ErrorResponse") == []
    if kind == "context_length":
        assert error["error"]["message"].startswith("prompt is too long: ")
        assert "tokens > 200000 maximum" in error["error"]["message"]
    if kind == "content_filter":
        assert error["error"]["message"].startswith("Output blocked by content filtering policy")


def test_in_stream_error_after_content(server: FakeAnthropicServer, validator: Validator) -> None:
    server.script(ErrorScenario("overloaded", message="Overloaded", in_stream=True))
    response = post(server, body(stream=True))
    assert response.status_code == 200
    events = frames(response)
    names = [name for name, _ in events]
    assert names == ["message_start", "ping", "content_block_start", "content_block_delta", "error"]
    error = events[-1][1]
    assert error["error"] == {"details": None, "type": "overloaded_error", "message": "Overloaded"}  # as sent
    assert validator.problems(error, "ErrorResponse") == []


def test_in_stream_error_on_a_plain_request_is_an_http_error(server: FakeAnthropicServer) -> None:
    server.script(ErrorScenario("overloaded", in_stream=True))
    assert post(server, body()).status_code == 529


def test_count_tokens(server: FakeAnthropicServer, validator: Validator) -> None:
    request = {
        "model": "claude-sonnet-5-5",
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "One two"}],
    }
    server.script(Scenario(text="kept for /v1/messages"))
    response = post(server, request, "/v1/messages/count_tokens")
    assert response.status_code == 200
    assert validator.problems(response.json(), "BetaCountMessageTokensResponse") == []
    assert response.json() == {"input_tokens": count_input_tokens(request)}
    assert count_input_tokens(request) == 1 + 3 + 3 + 2  # start, "Be brief ." , per message, "One two"
    assert post(server, body()).json()["content"] == [{"type": "text", "text": "kept for /v1/messages"}]


def test_echo_by_default(server: FakeAnthropicServer) -> None:
    message = post(
        server, body(messages=[{"role": "user", "content": [{"type": "text", "text": "echo me please"}]}])
    ).json()
    assert message["content"] == [{"type": "text", "text": "echo me please"}]
    assert message["model"] == "claude-sonnet-5-5"
    events = frames(post(server, body(stream=True, messages=[{"role": "user", "content": "one two three"}])))
    texts = [d["delta"]["text"] for n, d in events if n == "content_block_delta"]
    assert "".join(texts) == "one two three"
    assert len(texts) == 2


@pytest.mark.parametrize(
    ("headers", "request_body", "status", "fragment"),
    [
        ({"x-api-key": ""}, body(), 401, "x-api-key"),
        ({"anthropic-version": ""}, body(), 400, "anthropic-version"),
        ({}, {"model": "m", "messages": [{"role": "user", "content": "x"}]}, 400, "max_tokens"),
        ({}, body(messages=[]), 400, "messages"),
        ({}, body(messages=[{"role": "system", "content": "x"}]), 400, "role"),
        ({}, body(messages=[{"role": "user", "content": [{"type": "text", "text": ""}]}]), 400, "non-empty"),
        (
            {},
            body(
                messages=[
                    {"role": "user", "content": "q"},
                    {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {}}]},
                    {"role": "user", "content": "no result"},
                ]
            ),
            400,
            "tool_result",
        ),
        (
            {},
            body(
                messages=[
                    {"role": "user", "content": "q"},
                    {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {}}]},
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": "x"},
                            {"type": "tool_result", "tool_use_id": "t1", "content": "r"},
                        ],
                    },
                ]
            ),
            400,
            "must come first",
        ),
        ({}, body(thinking={"type": "enabled", "budget_tokens": 500}), 400, "budget_tokens"),
        ({}, body(thinking={"type": "enabled", "budget_tokens": 2000}), 400, "max_tokens"),
        (
            {},
            body(max_tokens=4000, thinking={"type": "enabled", "budget_tokens": 2000}, tool_choice={"type": "any"}),
            400,
            "forces tool use",
        ),
        (
            {},
            body(
                max_tokens=4000,
                thinking={"type": "enabled", "budget_tokens": 2000},
                messages=[
                    {"role": "user", "content": "q"},
                    {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {}}]},
                    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "r"}]},
                ],
            ),
            400,
            "must start with a thinking block",
        ),
        (
            {},
            body(
                messages=[
                    {"role": "user", "content": "q"},
                    {
                        "role": "assistant",
                        "content": [{"type": "thinking", "thinking": "x"}, {"type": "text", "text": "a"}],
                    },
                    {"role": "user", "content": "more"},
                ]
            ),
            400,
            "signature",
        ),
    ],
)
def test_rejects_what_the_api_rejects(
    server: FakeAnthropicServer, headers: dict[str, str], request_body: dict[str, Any], status: int, fragment: str
) -> None:
    server.script(Scenario(text="never sent"))
    response = post(server, request_body, **headers)
    assert response.status_code == status
    error = response.json()
    assert error["type"] == "error"
    assert fragment in error["error"]["message"]


def test_unknown_events_and_malformed(server: FakeAnthropicServer) -> None:
    server.script(Scenario(text="x", unknown_events=True), Scenario(text="x", unknown_events=True))
    names = [n for n, _ in frames(post(server, body(stream=True)))]
    assert "message_annotation" in names
    message = post(server, body()).json()
    assert message["content"][0]["type"] == "future_block"
    server.script(Scenario(text="x", malformed=True), Scenario(text="x", malformed=True))
    raw = post(server, body(stream=True)).text
    assert '"type": "text_del\n' in raw
    with pytest.raises(ValueError):
        json.loads(post(server, body()).text)


def test_faults_apply(server: FakeAnthropicServer) -> None:
    server.script(Scenario(text=["a", "b"], fault=Fault(rechunk=1)))
    assert [n for n, _ in frames(post(server, body(stream=True)))][-1] == "message_stop"
