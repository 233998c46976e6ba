"""The fake Gemini server checked against the Gemini wire (WIRE.md and the field names of
googleapis/python-genai ``types.py``; there is no machine-readable Gemini spec in specs/).

Every field a client relies on is checked for presence and type: a ``GenerateContentResponse``
has ``candidates[].content{role: "model", parts}``, a ``finishReason`` from Google's enum, a
``usageMetadata`` whose ``totalTokenCount`` adds up, ``modelVersion`` and ``responseId``; a stream
is data-only SSE without ``[DONE]``; an error is ``{"error": {code, message, status}}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import httpx2
import pytest

from lluminary import Usage
from lluminary_testing import ErrorScenario, Fault, Scenario, ToolCallSpec
from lluminary_testing.gemini_server import FakeGeminiServer, GeminiScenario, count_tokens

KEY = {"x-goog-api-key": "AIzaFAKE-key-0000000000000000000000"}
CHAT = "/v1beta/models/gemini-2.5-flash:generateContent"
STREAM = "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
VERTEX = "/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent"
HELLO = {"contents": [{"role": "user", "parts": [{"text": "Hello there"}]}]}

#: google.genai.types.FinishReason
FINISH_REASONS = {
    "FINISH_REASON_UNSPECIFIED",
    "STOP",
    "MAX_TOKENS",
    "SAFETY",
    "RECITATION",
    "LANGUAGE",
    "OTHER",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "MALFORMED_FUNCTION_CALL",
    "IMAGE_SAFETY",
    "UNEXPECTED_TOOL_CALL",
    "TOO_MANY_TOOL_CALLS",
}
#: google.genai.types.BlockedReason
BLOCK_REASONS = {"BLOCKED_REASON_UNSPECIFIED", "SAFETY", "OTHER", "BLOCKLIST", "PROHIBITED_CONTENT", "IMAGE_SAFETY"}
#: google.rpc.Code names
STATUSES = {
    "INVALID_ARGUMENT",
    "FAILED_PRECONDITION",
    "UNAUTHENTICATED",
    "PERMISSION_DENIED",
    "NOT_FOUND",
    "RESOURCE_EXHAUSTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DEADLINE_EXCEEDED",
}
USAGE_FIELDS = {
    "promptTokenCount",
    "candidatesTokenCount",
    "totalTokenCount",
    "cachedContentTokenCount",
    "thoughtsTokenCount",
    "toolUsePromptTokenCount",
    "promptTokensDetails",
}


@pytest.fixture
def server() -> Iterator[FakeGeminiServer]:
    with FakeGeminiServer() as fake:
        yield fake


def post(
    server: FakeGeminiServer, path: str, body: Any, *, headers: Mapping[str, str] = KEY, **params: str
) -> httpx2.Response:
    with httpx2.Client(base_url=server.base_url, timeout=10) as client:
        return client.post(path, json=body, headers=dict(headers), params=params)


def sse_chunks(response: httpx2.Response) -> list[dict[str, Any]]:
    text = response.text
    assert "\r\n\r\n" in text, "Gemini ends SSE lines with \\r\\n"
    chunks = []
    for frame in text.split("\r\n\r\n"):
        if not frame:
            continue
        assert frame.startswith("data: "), f"not a data-only frame: {frame[:40]!r}"
        assert "\nevent:" not in frame
        assert not frame.startswith("event:")
        data = frame[len("data: ") :]
        assert data != "[DONE]"
        chunks.append(json.loads(data))
    return chunks


def check_response(chunk: Mapping[str, Any], *, final: bool) -> None:
    """A GenerateContentResponse as google.genai.types defines it."""
    assert isinstance(chunk["modelVersion"], str)
    assert chunk["modelVersion"]
    assert isinstance(chunk["responseId"], str)
    assert chunk["responseId"]
    (candidate,) = chunk["candidates"]
    assert candidate["index"] == 0
    if "content" in candidate:
        assert candidate["content"]["role"] == "model"
        assert isinstance(candidate["content"]["parts"], list)
        for part in candidate["content"]["parts"]:
            assert isinstance(part, dict)
            assert part
            if "functionCall" in part:
                assert isinstance(part["functionCall"]["name"], str)
                assert isinstance(part["functionCall"]["args"], dict)
            if "thought" in part:
                assert part["thought"] is True
                assert isinstance(part["text"], str)
            if "thoughtSignature" in part:
                assert isinstance(part["thoughtSignature"], str)
    if final:
        assert candidate["finishReason"] in FINISH_REASONS
    else:
        assert "finishReason" not in candidate
    usage = chunk["usageMetadata"]
    assert set(usage) <= USAGE_FIELDS
    assert all(isinstance(v, int) for k, v in usage.items() if k != "promptTokensDetails")
    if final:
        total = usage["promptTokenCount"] + usage["candidatesTokenCount"] + usage.get("thoughtsTokenCount", 0)
        assert usage["totalTokenCount"] == total


def test_generate_content(server: FakeGeminiServer) -> None:
    usage = Usage(input_tokens=30, output_tokens=12, cache_read_tokens=10, reasoning_tokens=5)
    server.script(Scenario(text="Hi!", reasoning="Think.", usage=usage, model="gemini-x", id="r-1"))
    response = post(server, CHAT, HELLO)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    check_response(body, final=True)
    assert body["candidates"][0]["content"]["parts"] == [{"text": "Think.", "thought": True}, {"text": "Hi!"}]
    assert body["usageMetadata"] == {
        "promptTokenCount": 30,
        "candidatesTokenCount": 7,
        "totalTokenCount": 42,
        "thoughtsTokenCount": 5,
        "cachedContentTokenCount": 10,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 30}],
    }
    assert (body["modelVersion"], body["responseId"]) == ("gemini-x", "r-1")


def test_stream_is_data_only_sse(server: FakeGeminiServer) -> None:
    calls = [ToolCallSpec("c1", "get_weather", '{"city": "Paris"}', ('{"ci', 'ty": "Paris"}')), ToolCallSpec("c2", "t")]
    server.script(Scenario(text=["a", "b"], tool_calls=calls))
    response = post(server, STREAM, HELLO, alt="sse")
    assert response.headers["content-type"] == "text/event-stream"
    chunks = sse_chunks(response)
    for chunk in chunks[:-1]:
        check_response(chunk, final=False)
    check_response(chunks[-1], final=True)
    parts = [p for c in chunks for p in c["candidates"][0].get("content", {}).get("parts", ())]
    assert parts == [
        {"text": "a"},
        {"text": "b"},
        {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}, "id": "c1"}},
        {"functionCall": {"name": "t", "args": {}, "id": "c2"}},
        {"text": ""},
    ]
    # each function call arrives whole, in a chunk of its own
    assert [len(c["candidates"][0]["content"]["parts"]) for c in chunks[2:4]] == [1, 1]


def test_last_text_piece_rides_with_the_finish_reason(server: FakeGeminiServer) -> None:
    server.script(Scenario(text=["x", "y"], finish="length"))
    chunks = sse_chunks(post(server, STREAM, HELLO, alt="sse"))
    assert len(chunks) == 2
    assert chunks[-1]["candidates"][0] == {
        "finishReason": "MAX_TOKENS",
        "index": 0,
        "content": {"parts": [{"text": "y"}], "role": "model"},
    }


def test_stream_without_alt_sse_is_a_json_array(server: FakeGeminiServer) -> None:
    """Written as it goes, like the real API: ``[{`` first, each further chunk after
    ``\\r\\n,\\r\\n``, ``\\r\\n]`` last, every chunk pretty-printed."""
    server.script(Scenario(text=["a", "b", "c"]))
    response = post(server, STREAM, HELLO)
    assert response.headers["content-type"] == "application/json; charset=UTF-8"
    text = response.text
    assert text.startswith("[{\n  ")
    assert text.count("\r\n,\r\n{\n") == 2
    assert text.endswith("}\r\n]")
    chunks = json.loads(text)
    assert isinstance(chunks, list)
    assert len(chunks) == 3
    check_response(chunks[-1], final=True)


def test_array_streams_ignore_alt_sse(server: FakeGeminiServer) -> None:
    """``array_streams``: what a proxy that drops ``alt=sse`` gets back, errors included."""
    server.array_streams = True
    server.script(Scenario(text=["a", "b"]), ErrorScenario("server", in_stream=True))
    chunks = json.loads(post(server, STREAM, HELLO, alt="sse").text)
    assert len(chunks) == 2
    check_response(chunks[-1], final=True)
    first, error = json.loads(post(server, STREAM, HELLO, alt="sse").text)
    assert first["candidates"][0]["content"]["parts"] == [{"text": "Partial"}]
    assert error["error"]["status"] == "INTERNAL"


@pytest.mark.parametrize(
    ("model", "carrier"),
    [("gemini-2.5-flash", "thought"), ("gemini-3.5-flash", "call")],
)
def test_signature_placement(server: FakeGeminiServer, model: str, carrier: str) -> None:
    scenario = Scenario(reasoning="r", signature="SIG", tool_calls=[ToolCallSpec("c", "t"), ToolCallSpec("d", "t")])
    server.script(scenario)
    body = post(server, f"/v1beta/models/{model}:generateContent", HELLO).json()
    parts = body["candidates"][0]["content"]["parts"]
    signed = [p for p in parts if "thoughtSignature" in p]
    assert len(signed) == 1
    assert ("thought" in signed[0]) == (carrier == "thought")
    assert ("functionCall" in signed[0]) == (carrier == "call")


def test_text_signature_in_an_empty_final_part(server: FakeGeminiServer) -> None:
    server.script(Scenario(text="hello", signature="SIG"))
    chunks = sse_chunks(post(server, STREAM, HELLO, alt="sse"))
    assert chunks[-1]["candidates"][0]["content"]["parts"] == [{"text": "", "thoughtSignature": "SIG"}]


def test_text_signature_on_the_first_text_chunk(server: FakeGeminiServer) -> None:
    """Gemini 2.5 signs a streamed text answer on its first text chunk."""
    server.script(GeminiScenario(text=["he", "llo"], signature="SIG", text_signature_first=True))
    chunks = sse_chunks(post(server, STREAM, HELLO, alt="sse"))
    parts = [p for c in chunks for p in c["candidates"][0].get("content", {}).get("parts", ())]
    assert parts == [{"text": "he", "thoughtSignature": "SIG"}, {"text": "llo"}]


GROUNDING = {
    "webSearchQueries": ["q"],
    "groundingChunks": [{"web": {"uri": "https://example.org/a", "title": "example.org"}}],
    "groundingSupports": [{"segment": {"endIndex": 2, "text": "ab"}, "groundingChunkIndices": [0]}],
}


def test_grounding_metadata(server: FakeGeminiServer) -> None:
    """Search grounding: ``{}`` on every streamed chunk, the whole metadata on the last one and on
    the non-streamed candidate."""
    server.script(GeminiScenario(text=["ab", "c", "d"], grounding=GROUNDING))
    chunks = sse_chunks(post(server, STREAM, HELLO, alt="sse"))
    assert [c["candidates"][0]["groundingMetadata"] for c in chunks] == [{}, {}, GROUNDING]
    server.script(GeminiScenario(text="abcd", grounding=GROUNDING))
    assert post(server, CHAT, HELLO).json()["candidates"][0]["groundingMetadata"] == GROUNDING


def test_streamed_function_call_arguments(server: FakeGeminiServer) -> None:
    """``streamFunctionCallArguments`` (Vertex AI): the name with ``willContinue``, one
    ``partialArgs`` piece per leaf (strings in two), then an empty ``functionCall``."""
    arguments = '{"city": "Rome", "days": 2, "stops": [{"open": true}], "note": null}'
    server.script(Scenario(tool_calls=[ToolCallSpec("c1", "plan", arguments)]))
    body = {**HELLO, "toolConfig": {"functionCallingConfig": {"mode": "AUTO", "streamFunctionCallArguments": True}}}
    chunks = sse_chunks(post(server, STREAM, body, alt="sse"))
    parts = [p for c in chunks for p in c["candidates"][0].get("content", {}).get("parts", ())]
    calls = [p["functionCall"] for p in parts if "functionCall" in p]
    assert calls == [
        {"name": "plan", "willContinue": True, "id": "c1"},
        {"partialArgs": [{"jsonPath": "$.city", "stringValue": "Ro", "willContinue": True}], "willContinue": True},
        {"partialArgs": [{"jsonPath": "$.city", "stringValue": "me"}], "willContinue": True},
        {"partialArgs": [{"jsonPath": "$.days", "numberValue": 2}], "willContinue": True},
        {"partialArgs": [{"jsonPath": "$.stops[0].open", "boolValue": True}], "willContinue": True},
        {"partialArgs": [{"jsonPath": "$.note", "nullValue": "NULL_VALUE"}], "willContinue": True},
        {},
    ]
    assert chunks[-1]["candidates"][0]["content"]["parts"] == [{"text": ""}]


def test_call_ids_can_be_left_out(server: FakeGeminiServer) -> None:
    server.call_ids = False
    server.script(Scenario(tool_calls=[ToolCallSpec("c1", "t", "{}")]))
    body = post(server, CHAT, HELLO).json()
    assert body["candidates"][0]["content"]["parts"] == [{"functionCall": {"name": "t", "args": {}}}]


@pytest.mark.parametrize(
    ("kind", "status", "name"),
    [
        ("authentication", 400, "INVALID_ARGUMENT"),
        ("permission", 403, "PERMISSION_DENIED"),
        ("not_found", 404, "NOT_FOUND"),
        ("rate_limit", 429, "RESOURCE_EXHAUSTED"),
        ("context_length", 400, "INVALID_ARGUMENT"),
        ("invalid_request", 400, "INVALID_ARGUMENT"),
        ("request_too_large", 400, "INVALID_ARGUMENT"),
        ("server", 500, "INTERNAL"),
        ("overloaded", 503, "UNAVAILABLE"),
    ],
)
def test_error_bodies(server: FakeGeminiServer, kind: str, status: int, name: str) -> None:
    server.script(ErrorScenario(kind, retry_after=12))  # type: ignore[arg-type]
    response = post(server, CHAT, HELLO)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == status
    assert error["status"] == name
    assert name in STATUSES
    assert isinstance(error["message"], str)
    assert error["message"]
    details = error.get("details", [])
    assert all(d["@type"].startswith("type.googleapis.com/google.rpc.") for d in details)
    if kind == "authentication":
        assert details[0]["reason"] == "API_KEY_INVALID"
        assert error["message"] == "API key not valid. Please pass a valid API key."
    if kind == "rate_limit":
        assert {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "12s"} in details
    if kind == "context_length":
        assert "exceeds the maximum number of tokens allowed" in error["message"]


def test_content_filter_is_a_blocked_prompt(server: FakeGeminiServer) -> None:
    server.script(ErrorScenario("content_filter"), ErrorScenario("content_filter"))
    body = post(server, CHAT, HELLO).json()
    assert body["promptFeedback"]["blockReason"] in BLOCK_REASONS
    assert "candidates" not in body
    chunks = sse_chunks(post(server, STREAM, HELLO, alt="sse"))
    assert chunks[0]["promptFeedback"]["blockReason"] == "SAFETY"


def test_error_inside_a_stream(server: FakeGeminiServer) -> None:
    server.script(ErrorScenario("overloaded", in_stream=True))
    response = post(server, STREAM, HELLO, alt="sse")
    assert response.status_code == 200
    chunks = sse_chunks(response)
    assert chunks[0]["candidates"][0]["content"]["parts"] == [{"text": "Partial"}]
    assert chunks[1]["error"]["status"] == "UNAVAILABLE"
    assert chunks[1]["error"]["code"] == 503


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({}, "contents is not specified"),
        ({"contents": [{"role": "user", "parts": []}]}, "must not be empty"),
        ({"contents": [{"role": "assistant", "parts": [{"text": "x"}]}]}, "valid role"),
        ({**HELLO, "generation_config": {"max_tokens": 3}}, 'Unknown name "max_tokens"'),
        ({**HELLO, "stream": True}, 'Unknown name "stream"'),
        ({"contents": [{"parts": [{"functionResponse": {"response": {}}}]}]}, "Name cannot be empty"),
        ({"contents": [{"parts": [{"bogus": 1}]}]}, 'Unknown name "bogus"'),
        (
            {
                "contents": [
                    {"role": "model", "parts": [{"functionCall": {"name": "a"}}, {"functionCall": {"name": "b"}}]},
                    {"role": "user", "parts": [{"functionResponse": {"name": "a", "response": {}}}]},
                ]
            },
            "number of function response parts",
        ),
        (
            {**HELLO, "generationConfig": {"thinkingConfig": {"thinkingBudget": 1, "thinkingLevel": "LOW"}}},
            "only one of thinking budget and thinking level",
        ),
    ],
)
def test_rejects_what_the_real_api_rejects(server: FakeGeminiServer, body: Any, words: str) -> None:
    server.script(Scenario(text="never"))
    response = post(server, CHAT, body)
    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert words in response.json()["error"]["message"]


def test_gemini_3_needs_the_function_call_signature(server: FakeGeminiServer) -> None:
    history = {
        "contents": [
            {"role": "user", "parts": [{"text": "q"}]},
            {"role": "model", "parts": [{"functionCall": {"name": "a", "args": {}}}]},
            {"role": "user", "parts": [{"functionResponse": {"name": "a", "response": {}}}]},
        ]
    }
    server.script(Scenario(text="ok"), Scenario(text="ok"))
    refused = post(server, "/v1beta/models/gemini-3.5-flash:generateContent", history)
    assert refused.status_code == 400
    assert "thought_signature" in refused.json()["error"]["message"]
    history["contents"][1]["parts"][0]["thoughtSignature"] = "SIG"
    assert post(server, "/v1beta/models/gemini-3.5-flash:generateContent", history).status_code == 200
    assert post(server, CHAT, history | {"contents": history["contents"][:1]}).status_code == 200


def test_credentials_are_required(server: FakeGeminiServer) -> None:
    missing = post(server, CHAT, HELLO, headers={})
    assert missing.status_code == 403
    assert missing.json()["error"]["status"] == "PERMISSION_DENIED"
    assert post(server, CHAT, HELLO, headers={}, key="AIzaFAKE").status_code == 200
    vertex = post(server, VERTEX, HELLO)
    assert vertex.status_code == 401
    assert vertex.json()["error"]["status"] == "UNAUTHENTICATED"
    assert post(server, VERTEX, HELLO, headers={"authorization": "Bearer ya29.x"}).status_code == 200
    express = "/v1/publishers/google/models/gemini-2.5-flash:generateContent"
    assert post(server, express, HELLO).status_code == 200


def test_echo_when_unscripted(server: FakeGeminiServer) -> None:
    body = post(server, CHAT, HELLO).json()
    check_response(body, final=True)
    assert body["candidates"][0]["content"]["parts"] == [{"text": "Hello there"}]
    assert body["modelVersion"] == "gemini-2.5-flash"


def test_count_tokens_and_embeddings_leave_the_script_alone(server: FakeGeminiServer) -> None:
    server.script(Scenario(text="for the chat call"))
    counted = post(server, "/v1beta/models/gemini-2.5-flash:countTokens", HELLO).json()
    assert counted["totalTokens"] == count_tokens(HELLO) == 2
    wrapped = {"generateContentRequest": {"model": "models/gemini-2.5-flash", **HELLO}}
    assert post(server, "/v1beta/models/gemini-2.5-flash:countTokens", wrapped).json()["totalTokens"] == 2
    single = post(
        server,
        "/v1beta/models/gemini-embedding-001:embedContent",
        {"content": {"parts": [{"text": "a"}]}, "outputDimensionality": 4},
    ).json()
    assert len(single["embedding"]["values"]) == 4
    batch = post(
        server,
        "/v1beta/models/gemini-embedding-001:batchEmbedContents",
        {"requests": [{"model": "models/gemini-embedding-001", "content": {"parts": [{"text": t}]}} for t in "ab"]},
    ).json()
    assert [len(e["values"]) for e in batch["embeddings"]] == [8, 8]
    assert post(server, CHAT, HELLO).json()["candidates"][0]["content"]["parts"] == [{"text": "for the chat call"}]


def test_malformed_and_unknown(server: FakeGeminiServer) -> None:
    server.script(Scenario(text="abc", malformed=True), Scenario(text="abc", unknown_events=True))
    with pytest.raises(ValueError):
        json.loads(post(server, CHAT, HELLO).text)
    body = post(server, CHAT, HELLO).json()
    assert "futureField" in body
    assert {"futurePart": {"kind": "unknown"}} in body["candidates"][0]["content"]["parts"]


def test_faults_apply(server: FakeGeminiServer) -> None:
    server.script(Scenario(text=[f"w{i}" for i in range(10)], fault=Fault(end_after=3)))
    chunks = sse_chunks(post(server, STREAM, HELLO, alt="sse"))
    assert len(chunks) == 3
    assert all("finishReason" not in c["candidates"][0] for c in chunks)
