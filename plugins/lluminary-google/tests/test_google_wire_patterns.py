"""Patterns seen in real Gemini API / Vertex AI traffic that our own fake server did not produce.

Each test hand-writes the bytes of one pattern (our own values, not a recording) and checks that
nothing is lost and that ``generate`` equals the accumulated ``stream`` of the same answer.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from lluminary._types import (
    Citation,
    Message,
    ReasoningPart,
    TextPart,
    Tool,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallPart,
    ToolCallStart,
)
from lluminary_google.response import json_path
from lluminary_testing.gemini_server import GeminiScenario
from lluminary_testing.scenario import Scenario, ToolCallSpec

PLAN = Tool(
    "plan_trip",
    "Plan a trip.",
    {"type": "object", "properties": {"city": {"type": "string"}, "stops": {"type": "array"}}},
)


def two_ways(harness: Any, chunks: list[dict[str, Any]], merged: dict[str, Any]) -> None:
    """Script the same answer streamed (``chunks``) and not (``merged``)."""
    harness.server.script(harness.json_reply(merged), harness.sse_reply(chunks))


def call_part(call: dict[str, Any], signature: str | None = None) -> dict[str, Any]:
    part: dict[str, Any] = {"functionCall": call}
    if signature is not None:
        part["thoughtSignature"] = signature
    return part


async def test_streamed_function_call_arguments_are_assembled_into_one_call(harness: Any) -> None:
    """Vertex AI ``streamFunctionCallArguments``: a ``functionCall`` with the name and
    ``willContinue``, then ``partialArgs`` pieces (a string written over several pieces, a number,
    array items by ``jsonPath``), a keep-alive ``{"willContinue": true}``, and an empty
    ``functionCall`` that ends it. It must be one call with its arguments, not a series of nameless
    empty calls."""
    chunks = [
        harness.chunk([call_part({"name": "plan_trip", "willContinue": True}, "U0lHLTE=")]),
        harness.chunk(
            [
                call_part(
                    {
                        "partialArgs": [{"jsonPath": "$.city", "stringValue": "Lis", "willContinue": True}],
                        "willContinue": True,
                    }
                )
            ]
        ),
        harness.chunk(
            [call_part({"partialArgs": [{"jsonPath": "$.city", "stringValue": "bon"}], "willContinue": True})]
        ),
        harness.chunk([call_part({"willContinue": True})]),
        harness.chunk(
            [
                call_part(
                    {
                        "partialArgs": [
                            {"jsonPath": "$.stops[0].name", "stringValue": "Alfama"},
                            {"jsonPath": "$.stops[0].hours", "numberValue": 2.5},
                            {"jsonPath": "$.stops[1].name", "stringValue": "Belém"},
                            {"jsonPath": "$.stops[1].paid", "boolValue": True},
                            {"jsonPath": "$.note", "nullValue": "NULL_VALUE"},
                        ],
                        "willContinue": True,
                    }
                )
            ]
        ),
        harness.chunk([call_part({})]),
        harness.chunk([call_part({"name": "plan_trip", "willContinue": True})]),
        harness.chunk([call_part({"partialArgs": [{"jsonPath": "$['city']", "stringValue": "Porto"}]})]),
        harness.chunk([{"text": ""}], finish="STOP", usage={"promptTokenCount": 30, "candidatesTokenCount": 12}),
    ]
    first_args = {
        "city": "Lisbon",
        "stops": [{"name": "Alfama", "hours": 2.5}, {"name": "Belém", "paid": True}],
        "note": None,
    }
    merged = harness.chunk(
        [
            call_part({"name": "plan_trip", "args": first_args}, "U0lHLTE="),
            call_part({"name": "plan_trip", "args": {"city": "Porto"}}),
        ],
        finish="STOP",
        usage={"promptTokenCount": 30, "candidatesTokenCount": 12},
    )
    two_ways(harness, chunks, merged)
    generated = await harness.generate("Plan it", tools=[PLAN])
    events, streamed = await harness.stream("Plan it", tools=[PLAN])
    assert streamed == generated
    assert generated.message.content == (
        ToolCallPart("gcall_resp-1_0", "plan_trip", first_args, "U0lHLTE="),
        ToolCallPart("gcall_resp-1_1", "plan_trip", {"city": "Porto"}),
    )
    assert generated.finish_reason == "tool_calls"
    calls = [e for e in events if isinstance(e, (ToolCallStart, ToolCallDelta, ToolCallEnd))]
    assert [type(e) for e in calls] == [ToolCallStart, ToolCallDelta, ToolCallEnd] * 2
    assert json.loads(calls[1].arguments) == first_args  # type: ignore[union-attr]


async def test_streamed_call_whose_end_part_never_comes(harness: Any) -> None:
    """A streamed call may end with a last ``partialArgs`` that has no ``willContinue`` (no empty
    ``functionCall`` after it), or not be closed at all before the finish chunk."""
    chunks = [
        harness.chunk([call_part({"name": "plan_trip", "willContinue": True})]),
        harness.chunk([call_part({"partialArgs": [{"jsonPath": "$.city", "stringValue": "Faro"}]})]),
        harness.chunk([call_part({"name": "plan_trip", "willContinue": True})]),
        harness.chunk(
            [call_part({"partialArgs": [{"jsonPath": "$.city", "stringValue": "Evora"}], "willContinue": True})]
        ),
        harness.chunk([{"text": ""}], finish="STOP"),
    ]
    harness.server.script(harness.sse_reply(chunks))
    _, response = await harness.stream("Plan it", tools=[PLAN])
    assert response.tool_calls == (
        ToolCallPart("gcall_resp-1_0", "plan_trip", {"city": "Faro"}),
        ToolCallPart("gcall_resp-1_1", "plan_trip", {"city": "Evora"}),
    )


def test_json_paths() -> None:
    assert json_path("$.a.b[2].c") == ("a", "b", 2, "c")
    assert json_path("$['a b'][0]") == ("a b", 0)
    assert json_path('$["x"]') == ("x",)
    assert json_path("a.b") is None
    assert json_path("$.a[") is None


async def test_signature_on_the_first_text_chunk_keeps_the_text_one_part(harness: Any) -> None:
    """Gemini 2.5 streams a text answer's ``thoughtSignature`` on its first text chunk; the
    non-streamed answer has one text part carrying it. The stream must not split the text in two
    around the signature, and the signature goes back on that text next turn."""
    chunks = [
        harness.chunk([{"text": "Mulling it over.", "thought": True}]),
        harness.chunk([{"text": "Cross at ", "thoughtSignature": "Rmlyc3Q="}]),
        harness.chunk([{"text": "the lights."}]),
        harness.chunk([{"text": " Look both ways."}], finish="STOP"),
    ]
    merged = harness.chunk(
        [
            {"text": "Mulling it over.", "thought": True},
            {"text": "Cross at the lights. Look both ways.", "thoughtSignature": "Rmlyc3Q="},
        ],
        finish="STOP",
    )
    two_ways(harness, chunks, merged)
    generated = await harness.generate("How?")
    _, streamed = await harness.stream("How?")
    assert streamed == generated
    assert streamed.message.content == (
        ReasoningPart("Mulling it over.", provider="google"),
        TextPart("Cross at the lights. Look both ways."),
        ReasoningPart("", "Rmlyc3Q=", provider="google"),
    )
    harness.server.script(Scenario(text="ok"))
    await harness.generate(None, messages=[Message.user("How?"), streamed.message, Message.user("And?")])
    assert harness.body()["contents"][1]["parts"][1] == {
        "text": "Cross at the lights. Look both ways.",
        "thoughtSignature": "Rmlyc3Q=",
    }


SEARCH_CHUNKS = [
    {"web": {"uri": "https://example.org/harbour", "title": "example.org"}},
    {"web": {"uri": "https://example.net/tides", "title": "example.net"}},
]


async def test_grounding_metadata_becomes_citations(harness: Any) -> None:
    """Google Search grounding: every streamed chunk carries ``groundingMetadata: {}``, the last one
    the sources (``groundingChunks``) and the spans they support (``groundingSupports``). Spans are
    UTF-8 byte offsets (``startIndex`` omitted when 0); lluminary's are character offsets."""
    first = "Water: 18°C. "
    second = "Tide: low at noon."
    supports = [
        {"segment": {"endIndex": 13, "text": "Water: 18°C."}, "groundingChunkIndices": [0]},
        {
            "segment": {"startIndex": 14, "endIndex": 32, "text": second},
            "groundingChunkIndices": [1, 0],
        },
    ]
    grounding = {
        "webSearchQueries": ["harbour water temperature"],
        "searchEntryPoint": {"renderedContent": "<div>search</div>"},
        "groundingChunks": SEARCH_CHUNKS,
        "groundingSupports": supports,
    }

    def with_grounding(chunk: dict[str, Any], metadata: dict[str, Any]) -> dict[str, Any]:
        chunk["candidates"][0]["groundingMetadata"] = metadata
        return chunk

    chunks = [
        with_grounding(harness.chunk([{"text": first}]), {}),
        with_grounding(harness.chunk([{"text": second}], finish="STOP"), grounding),
    ]
    merged = with_grounding(harness.chunk([{"text": first + second}], finish="STOP"), grounding)
    two_ways(harness, chunks, merged)
    generated = await harness.generate("Harbour?")
    _, streamed = await harness.stream("Harbour?")
    assert streamed == generated
    assert generated.citations == (
        Citation("Water: 18°C.", 0, 12, (SEARCH_CHUNKS[0],)),
        Citation(second, 13, 31, (SEARCH_CHUNKS[1], SEARCH_CHUNKS[0])),
    )
    assert generated.text[13:31] == second


async def test_repeated_grounding_sources_without_spans_and_recitations(harness: Any) -> None:
    """Metadata repeated chunk after chunk counts once; sources with no supported span are kept
    (no offsets); ``citationMetadata`` recitation sources (``citationSources`` on the Gemini API,
    ``citations`` on Vertex AI) become citations of the text they cover."""
    only_sources = {"groundingChunks": SEARCH_CHUNKS}
    recited = {"startIndex": 4, "endIndex": 9, "uri": "https://example.com/poem", "license": "CC-BY"}
    vertex_recited = {"endIndex": 3, "uri": "https://example.com/old", "title": "Old"}

    def candidate_meta(chunk: dict[str, Any], **meta: Any) -> dict[str, Any]:
        chunk["candidates"][0].update(meta)
        return chunk

    chunks = [
        candidate_meta(harness.chunk([{"text": "The rose is red."}]), groundingMetadata=only_sources),
        candidate_meta(
            harness.chunk([{"text": ""}], finish="STOP"),
            groundingMetadata=only_sources,
            citationMetadata={"citationSources": [recited]},
        ),
        candidate_meta(harness.chunk([]), citationMetadata={"citations": [vertex_recited]}),
    ]
    harness.server.script(harness.sse_reply(chunks))
    _, response = await harness.stream("A poem")
    assert response.citations == (
        Citation("", None, None, tuple(SEARCH_CHUNKS)),
        Citation("rose ", 4, 9, (recited,)),
        Citation("The", 0, 3, (vertex_recited,)),
    )


CODE = {"executableCode": {"language": "PYTHON", "code": "print(6 * 7)", "id": "x1"}, "thoughtSignature": "Q09ERQ=="}
RESULT = {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "42\n", "id": "x1"}}
SEARCH_CALL = {
    "toolCall": {"toolType": "GOOGLE_SEARCH_WEB", "args": {"queries": ["answer"]}, "id": "s1"},
    "thoughtSignature": "U0VBUkNI",
}
SEARCH_RESULT = {
    "toolResponse": {"id": "s1", "response": {"search_suggestions": "<div/>"}},
    "thoughtSignature": "UkVTVUxU",
}


@pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
async def test_code_execution_and_server_side_tool_parts_are_kept_and_sent_back(harness: Any, streamed: bool) -> None:
    """Code execution (``executableCode`` / ``codeExecutionResult``) and server-side tool
    invocations (``toolCall`` / ``toolResponse``) have no lluminary type; they used to be dropped,
    and their ``thoughtSignature`` glued onto a neighbouring thought. They are kept whole and go
    back unchanged, each with its own signature, on the next turn."""
    parts = [
        {"text": "Let me compute.", "thought": True},
        CODE,
        RESULT,
        SEARCH_CALL,
        SEARCH_RESULT,
        {"text": "It is 42."},
    ]
    if streamed:
        harness.server.script(
            harness.sse_reply(
                [harness.chunk([part]) for part in parts] + [harness.chunk([{"text": ""}], finish="STOP")]
            )
        )
    else:
        harness.server.script(harness.json_reply(harness.chunk(parts, finish="STOP")))
    response = await harness.call(streamed, "6*7?")
    assert response.text == "It is 42."
    assert response.reasoning == "Let me compute."
    assert len(response.message.content) == 6
    assert response.message.content[0] == ReasoningPart("Let me compute.", provider="google")
    harness.server.script(Scenario(text="ok"))
    await harness.generate(None, messages=[Message.user("6*7?"), response.message, Message.user("Thanks")])
    assert harness.body()["contents"][1] == {
        "role": "model",
        "parts": [
            {"text": "Let me compute.", "thought": True},
            CODE,
            RESULT,
            SEARCH_CALL,
            SEARCH_RESULT,
            {"text": "It is 42."},
        ],
    }


async def test_kept_parts_are_dropped_for_other_providers(harness: Any) -> None:
    """A kept Gemini part is Gemini's: another provider's history entry of that shape is ignored."""
    foreign = ReasoningPart(redacted='gemini-part:{"executableCode": {"code": "1"}}', provider="anthropic")
    harness.server.script(Scenario(text="ok"))
    await harness.generate(
        None, messages=[Message.user("a"), Message.assistant([foreign, TextPart("b")]), Message.user("c")]
    )
    assert harness.body()["contents"][1] == {"role": "model", "parts": [{"text": "b"}]}


@pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
async def test_model_armor_block_of_the_answer(harness: Any, streamed: bool) -> None:
    """Vertex AI Model Armor blocks an answer with ``finishReason: MODEL_ARMOR`` and a
    ``finishMessage``, no content: a content filter, not an unknown stop."""
    chunk = harness.chunk(None, finish="MODEL_ARMOR")
    chunk["candidates"][0]["finishMessage"] = "The response violated the safety filters."
    harness.server.script(harness.sse_reply([chunk]) if streamed else harness.json_reply(chunk))
    response = await harness.call(streamed, "Hi")
    assert response.finish_reason == "content_filter"
    assert response.raw_finish_reason == "MODEL_ARMOR"


@pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
async def test_fake_server_streams_call_arguments_when_asked(harness: Any, streamed: bool) -> None:
    """The fake server streams arguments as Vertex AI does when the request asks for it
    (``streamFunctionCallArguments``): the call comes out the same as a whole one."""
    arguments = '{"city": "Braga", "stops": [{"name": "Sé", "hours": 1.5}], "guided": false}'
    harness.server.script(Scenario(tool_calls=[ToolCallSpec("t1", "plan_trip", arguments)], signature="U0lH"))
    options = {"google": {"tool_config": {"functionCallingConfig": {"streamFunctionCallArguments": True}}}}
    response = await harness.call(streamed, "Plan it", model="google:gemini-3.5-flash", tools=[PLAN], options=options)
    assert response.tool_calls == (ToolCallPart("t1", "plan_trip", json.loads(arguments), "U0lH"),)
    assert harness.body()["toolConfig"] == {"functionCallingConfig": {"streamFunctionCallArguments": True}}


@pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
async def test_fake_server_grounded_answer(harness: Any, streamed: bool) -> None:
    """A grounded answer from the fake server (``{}`` metadata on early chunks, the sources last)
    gives the same citations streamed or not, with Gemini 2.5's first-chunk text signature."""
    text = ["Über ", "the bridge."]
    grounding = {
        "groundingChunks": SEARCH_CHUNKS,
        "groundingSupports": [
            {"segment": {"startIndex": 6, "endIndex": 17, "text": "the bridge."}, "groundingChunkIndices": [1]}
        ],
    }
    scenario = GeminiScenario(text=text, grounding=grounding, signature="Rmlyc3Q=", text_signature_first=True)
    harness.server.script(scenario)
    response = await harness.call(streamed, "Route?")
    assert response.citations == (Citation("the bridge.", 5, 16, (SEARCH_CHUNKS[1],)),)
    assert response.message.content == (
        TextPart("Über the bridge."),
        ReasoningPart("", "Rmlyc3Q=", provider="google"),
    )


async def test_parts_signed_apart_stay_apart(harness: Any) -> None:
    """Two thought parts (or two text parts) each with its own signature are two parts, each with
    its signature, streamed or not — holding a run's signature must not merge them."""
    parts = [
        {"text": "First idea.", "thought": True, "thoughtSignature": "QQ=="},
        {"text": "Second idea.", "thought": True, "thoughtSignature": "Qg=="},
        {"text": "One.", "thoughtSignature": "Qw=="},
        {"text": "Two.", "thoughtSignature": "RA=="},
    ]
    two_ways(
        harness,
        [harness.chunk([part]) for part in parts] + [harness.chunk([{"text": ""}], finish="STOP")],
        harness.chunk(parts, finish="STOP"),
    )
    generated = await harness.generate("Ideas?")
    _, streamed = await harness.stream("Ideas?")
    assert streamed == generated
    assert generated.message.content == (
        ReasoningPart("First idea.", "QQ==", provider="google"),
        ReasoningPart("Second idea.", "Qg==", provider="google"),
        TextPart("One."),
        ReasoningPart("", "Qw==", provider="google"),
        TextPart("Two."),
        ReasoningPart("", "RA==", provider="google"),
    )
    harness.server.script(Scenario(text="ok"))
    await harness.generate(None, messages=[Message.user("Ideas?"), generated.message, Message.user("More")])
    assert harness.body()["contents"][1]["parts"] == parts
