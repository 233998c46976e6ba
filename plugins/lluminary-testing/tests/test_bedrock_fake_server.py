"""The fake Bedrock Runtime checked against the service model (``specs/bedrock-runtime-service-2.json.gz``,
botocore's own ``service-2.json``), against botocore's event-stream decoder, and against botocore's
real client, which signs, sends and parses exactly as boto3 users do.

botocore is a dependency of lluminary-bedrock, not of this kit: without it these tests skip.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

botocore = pytest.importorskip("botocore")

from botocore.config import Config  # noqa: E402
from botocore.eventstream import ChecksumMismatch, EventStreamBuffer  # noqa: E402
from botocore.exceptions import ClientError, EventStreamError  # noqa: E402
from botocore.session import Session  # noqa: E402

from lluminary import Usage  # noqa: E402
from lluminary_testing import ErrorScenario, Fault, Reply, Scenario, ToolCallSpec, eventstream  # noqa: E402
from lluminary_testing.bedrock_server import (  # noqa: E402
    ERRORS,
    FakeBedrockServer,
    content_blocks,
    converse_problem,
    render_converse,
    render_stream,
    unit_vector,
)
from lluminary_testing.openapi import load_spec  # noqa: E402

SPEC_NAME = "bedrock-runtime-service-2.json"
MODEL = "anthropic.claude-haiku-4-5-20251001-v1:0"
ARN = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0"
HELLO = [{"role": "user", "content": [{"text": "Hello there"}]}]


@pytest.fixture(scope="module")
def model() -> Mapping[str, Any]:
    """botocore's service model, pinned in the repository's ``specs/`` (``specs/README.md``)."""
    return load_spec(SPEC_NAME, __file__)


class Shapes:
    """Checks a JSON value against a shape of the service model: required members, unions with
    exactly one member, enums, lists, maps and scalar types. ``extra`` names keys allowed beyond
    the model (the stream's ``"p"`` padding)."""

    def __init__(self, model: Mapping[str, Any], extra: frozenset[str] = frozenset()) -> None:
        self.shapes = model["shapes"]
        self.extra = extra

    def check(self, value: Any, shape_name: str, where: str = "$") -> list[str]:
        shape = self.shapes[shape_name]
        kind = shape["type"]
        if kind == "structure":
            if shape.get("document"):
                return []
            if not isinstance(value, dict):
                return [f"{where}: expected an object for {shape_name}"]
            members = {k: v for k, v in shape["members"].items() if v.get("location") is None}
            problems = [
                f"{where}: missing required {name}"
                for name in shape.get("required", [])
                if name in members and name not in value
            ]
            if shape.get("union") and len(value) != 1:
                problems.append(f"{where}: union {shape_name} must set exactly one member, not {sorted(value)}")
            for key, item in value.items():
                if key in members:
                    problems += self.check(item, members[key]["shape"], f"{where}.{key}")
                elif key not in self.extra:
                    problems.append(f"{where}: {key!r} is not a member of {shape_name}")
            return problems
        if kind == "list":
            if not isinstance(value, list):
                return [f"{where}: expected a list"]
            return [
                p for i, item in enumerate(value) for p in self.check(item, shape["member"]["shape"], f"{where}[{i}]")
            ]
        if kind == "map":
            if not isinstance(value, dict):
                return [f"{where}: expected a map"]
            return [p for k, v in value.items() for p in self.check(v, shape["value"]["shape"], f"{where}.{k}")]
        if kind == "string":
            if not isinstance(value, str):
                return [f"{where}: expected a string"]
            if "enum" in shape and value not in shape["enum"]:
                return [f"{where}: {value!r} is not one of {shape['enum']}"]
            return []
        if kind in ("integer", "long"):
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= shape.get("min", value)
            return [] if ok else [f"{where}: expected an integer >= {shape.get('min')}"]
        if kind in ("float", "double"):
            return [] if isinstance(value, (int, float)) else [f"{where}: expected a number"]
        if kind == "boolean":
            return [] if isinstance(value, bool) else [f"{where}: expected a boolean"]
        if kind == "blob":
            try:
                base64.b64decode(value, validate=True)
            except (TypeError, ValueError):
                return [f"{where}: expected base64"]
            return []
        if kind == "timestamp":
            return []
        return [f"{where}: unhandled shape type {kind}"]


SCENARIOS = {
    "text": Scenario(text=["Hel", "lo"]),
    "tools": Scenario(
        text="Checking.",
        tool_calls=[
            ToolCallSpec("tooluse_1", "get_weather", '{"city": "Paris"}', ('{"ci', 'ty": "Paris"}')),
            ToolCallSpec("tooluse_2", "get_time", ""),
        ],
    ),
    "reasoning": Scenario(reasoning=["Let me ", "think."], signature="c2lnbmF0dXJl", text="42"),
    "redacted": Scenario(redacted_reasoning=base64.b64encode(b"secret thoughts").decode(), text="ok"),
    "cache": Scenario(text="cached", usage=Usage(100, 5, 80, 10)),
    "length": Scenario(text="Once upon", finish="length"),
    "stop_sequence": Scenario(text="one", stop_sequence="two"),
    "filtered": Scenario(text="I can't.", finish="content_filter"),
    "text_after_tools": Scenario(text="done", tool_calls=[ToolCallSpec("t", "get_time", "{}")], text_after_tools=True),
}


def frames_of(data: bytes) -> list[Any]:
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return list(buffer)


@pytest.fixture
def client(fake_bedrock: FakeBedrockServer) -> Any:
    """botocore's own bedrock-runtime client, pointed at the fake with its test credentials."""
    return Session().create_client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=fake_bedrock.base_url,
        aws_access_key_id=fake_bedrock.ACCESS_KEY,
        aws_secret_access_key=fake_bedrock.SECRET_KEY,
        config=Config(retries={"total_max_attempts": 1}),
    )


@pytest.fixture(autouse=True)
def _no_ambient_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_BEARER_TOKEN_BEDROCK", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return


# --------------------------------------------------------------------------- the event-stream encoder


def test_encoder_round_trips_every_header_type_through_botocore() -> None:
    stamp = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    headers: dict[str, Any] = {
        "true": True,
        "false": False,
        "byte": eventstream.Typed(eventstream.BYTE, -7),
        "short": eventstream.Typed(eventstream.SHORT, -300),
        "integer": eventstream.Typed(eventstream.INTEGER, 70_000),
        "long": 2**40,
        "bytes": b"\x00\xff",
        "string": "héllo",
        "timestamp": stamp,
        "uuid": ident,
    }
    [message] = frames_of(eventstream.encode_message(headers, b"payload"))
    assert message.headers == {
        "true": True,
        "false": False,
        "byte": -7,
        "short": -300,
        "integer": 70_000,
        "long": 2**40,
        "bytes": b"\x00\xff",
        "string": "héllo",
        "timestamp": int(stamp.timestamp() * 1000),
        "uuid": ident.bytes,
    }
    assert message.payload == b"payload"


def test_frames_decode_fed_one_byte_at_a_time() -> None:
    data = b"".join(render_stream(SCENARIOS["tools"], pad=lambda: "pad"))
    buffer = EventStreamBuffer()
    messages = []
    for i in range(len(data)):
        buffer.add_data(data[i : i + 1])
        messages.extend(buffer)
    assert [m.headers[":event-type"] for m in messages][:2] == ["messageStart", "contentBlockDelta"]
    assert b"".join(render_stream(SCENARIOS["tools"], pad=lambda: "pad")) == data


@pytest.mark.parametrize("offset", [0, 5, 9, 20, -1])
def test_a_flipped_byte_breaks_a_crc(offset: int) -> None:
    frame = eventstream.event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "x"}})
    broken = eventstream.corrupt(frame, offset if offset >= 0 else -1)
    with pytest.raises(botocore.eventstream.ParserError):
        frames_of(broken)
    with pytest.raises(ChecksumMismatch):
        frames_of(eventstream.corrupt(frame))


def test_exception_and_error_frames() -> None:
    [exc, err] = frames_of(
        eventstream.exception("throttlingException", "slow down") + eventstream.error("Boom", "it broke")
    )
    assert exc.headers[":message-type"] == "exception"
    assert exc.headers[":exception-type"] == "throttlingException"
    assert json.loads(exc.payload) == {"message": "slow down"}
    assert err.headers == {":error-code": "Boom", ":error-message": "it broke", ":message-type": "error"}


# --------------------------------------------------------------------------- the wire against the service model


@pytest.mark.parametrize("case", sorted(SCENARIOS))
def test_converse_response_matches_the_model(model: Mapping[str, Any], case: str) -> None:
    body = render_converse(SCENARIOS[case])
    assert Shapes(model).check(body, "ConverseResponse") == []


@pytest.mark.parametrize("case", sorted(SCENARIOS))
def test_stream_events_match_the_model_and_the_response(model: Mapping[str, Any], case: str) -> None:
    scenario = SCENARIOS[case]
    output = model["shapes"]["ConverseStreamOutput"]["members"]
    shapes = Shapes(model, extra=frozenset({"p"}))
    messages = frames_of(b"".join(render_stream(scenario, pad=lambda: "abcdefghij")))
    names = []
    for message in messages:
        assert message.headers[":message-type"] == "event"
        assert message.headers[":content-type"] == "application/json"
        name = message.headers[":event-type"]
        names.append(name)
        payload = json.loads(message.payload)
        assert payload.pop("p") == "abcdefghij"
        assert shapes.check(payload, output[name]["shape"], name) == []
    assert names[0] == "messageStart"
    assert names[-2:] == ["messageStop", "metadata"]
    # The deltas rebuild the non-streamed content, block by block.
    blocks: dict[int, dict[str, Any]] = {}
    for message in messages:
        payload = json.loads(message.payload)
        index = payload.get("contentBlockIndex")
        if message.headers[":event-type"] == "contentBlockStart":
            tool = payload["start"]["toolUse"]
            blocks[index] = {"toolUse": {"toolUseId": tool["toolUseId"], "name": tool["name"], "input": ""}}
        elif message.headers[":event-type"] == "contentBlockDelta":
            delta = payload["delta"]
            if "text" in delta:
                blocks.setdefault(index, {"text": ""})["text"] += delta["text"]
            elif "toolUse" in delta:
                blocks[index]["toolUse"]["input"] += delta["toolUse"]["input"]
            elif "redactedContent" in delta["reasoningContent"]:
                blocks[index] = {"reasoningContent": {"redactedContent": delta["reasoningContent"]["redactedContent"]}}
            else:
                text = blocks.setdefault(index, {"reasoningContent": {"reasoningText": {"text": ""}}})
                reasoning = text["reasoningContent"]["reasoningText"]
                if "text" in delta["reasoningContent"]:
                    reasoning["text"] += delta["reasoningContent"]["text"]
                else:
                    reasoning["signature"] = delta["reasoningContent"]["signature"]
    rebuilt = [blocks[i] for i in sorted(blocks)]
    for block in rebuilt:
        if "toolUse" in block:
            raw = block["toolUse"]["input"]
            block["toolUse"]["input"] = json.loads(raw) if raw.strip() else {}
    assert rebuilt == content_blocks(scenario)
    stop = json.loads(messages[-2].payload)["stopReason"]
    assert stop == render_converse(scenario)["stopReason"]


def test_usage_leaves_cache_tokens_out_of_input_tokens() -> None:
    usage = render_converse(SCENARIOS["cache"])["usage"]
    assert usage == {
        "inputTokens": 10,
        "outputTokens": 5,
        "totalTokens": 105,
        "cacheReadInputTokens": 80,
        "cacheWriteInputTokens": 10,
    }


@pytest.mark.parametrize("kind", sorted(ERRORS))
def test_error_answers(fake_bedrock: FakeBedrockServer, model: Mapping[str, Any], kind: str) -> None:
    import httpx2

    fake_bedrock.script(ErrorScenario(kind, request_id="rid-e"))  # type: ignore[arg-type]
    status, error_type, _ = ERRORS[kind]
    response = httpx2.post(
        f"{fake_bedrock.base_url}/model/{MODEL}/converse",
        json={"messages": HELLO},
        headers={"authorization": "Bearer k"},
    )
    assert response.status_code == status
    assert response.headers["x-amzn-errortype"].split(":")[0] == error_type
    assert response.headers["x-amzn-requestid"] == "rid-e"
    assert set(response.json()) == {"message"}
    declared = model["shapes"].get(error_type)
    if declared is not None:  # the signing front end's exceptions are not in the service model
        assert declared["error"]["httpStatusCode"] == status


# --------------------------------------------------------------------------- botocore's own client against the fake


def test_botocore_client_converse(fake_bedrock: FakeBedrockServer, client: Any) -> None:
    fake_bedrock.script(SCENARIOS["tools"], SCENARIOS["reasoning"])
    tools = {"tools": [{"toolSpec": {"name": "get_weather", "inputSchema": {"json": {"type": "object"}}}}]}
    answer = client.converse(modelId=ARN, messages=HELLO, toolConfig=tools)
    assert answer["stopReason"] == "tool_use"
    assert answer["output"]["message"]["content"][1]["toolUse"] == {
        "toolUseId": "tooluse_1",
        "name": "get_weather",
        "input": {"city": "Paris"},
    }
    assert answer["ResponseMetadata"]["RequestId"] == "resp_fake_1"
    answer = client.converse(modelId=MODEL, messages=HELLO)
    assert answer["output"]["message"]["content"][0]["reasoningContent"]["reasoningText"] == {
        "text": "Let me think.",
        "signature": "c2lnbmF0dXJl",
    }
    assert fake_bedrock.requests[0].path.startswith("/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A")


def test_botocore_client_converse_stream(fake_bedrock: FakeBedrockServer, client: Any) -> None:
    fake_bedrock.script(
        Scenario(
            text=["a", "b"], tool_calls=[ToolCallSpec("t1", "get_time", '{"tz": "UTC"}')], usage=Usage(30, 4, 20, 6)
        )
    )
    answer = client.converse_stream(modelId=ARN, messages=HELLO)
    events = list(answer["stream"])
    kinds = [next(iter(e)) for e in events]
    assert kinds == [
        "messageStart",
        "contentBlockDelta",
        "contentBlockDelta",
        "contentBlockStop",
        "contentBlockStart",
        "contentBlockDelta",
        "contentBlockStop",
        "messageStop",
        "metadata",
    ]
    assert events[4]["contentBlockStart"]["start"] == {"toolUse": {"toolUseId": "t1", "name": "get_time"}}
    assert events[-1]["metadata"]["usage"] == {
        "inputTokens": 4,
        "outputTokens": 4,
        "totalTokens": 34,
        "cacheReadInputTokens": 20,
        "cacheWriteInputTokens": 6,
    }


def test_botocore_client_sees_errors_as_aws_errors(fake_bedrock: FakeBedrockServer, client: Any) -> None:
    fake_bedrock.script(
        ErrorScenario("rate_limit", message="slow down please"), ErrorScenario("server", in_stream=True)
    )
    with pytest.raises(ClientError) as caught:
        client.converse(modelId=MODEL, messages=HELLO)
    assert caught.value.response["Error"]["Code"] == "ThrottlingException"
    assert caught.value.response["Error"]["Message"] == "slow down please"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    stream = client.converse_stream(modelId=MODEL, messages=HELLO)["stream"]
    with pytest.raises(EventStreamError) as streamed:
        list(stream)
    assert streamed.value.response["Error"]["Code"] == "internalServerException"


def test_botocore_client_count_tokens_and_embeddings(fake_bedrock: FakeBedrockServer, client: Any) -> None:
    counted = client.count_tokens(modelId=MODEL, input={"converse": {"messages": HELLO}})
    assert counted["inputTokens"] > 0
    body = json.dumps({"inputText": "hello", "dimensions": 256, "normalize": True})
    answer = client.invoke_model(modelId="amazon.titan-embed-text-v2:0", body=body, contentType="application/json")
    payload = json.loads(answer["body"].read())
    assert payload["embedding"] == unit_vector("hello", 256)
    assert payload["inputTextTokenCount"] == 1
    headers = answer["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-bedrock-input-token-count"] == "1"


# --------------------------------------------------------------------------- authentication


def test_a_wrong_secret_is_rejected_like_aws_does(fake_bedrock: FakeBedrockServer) -> None:
    wrong = Session().create_client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=fake_bedrock.base_url,
        aws_access_key_id=fake_bedrock.ACCESS_KEY,
        aws_secret_access_key="not-the-secret",
        config=Config(retries={"total_max_attempts": 1}),
    )
    with pytest.raises(ClientError) as caught:
        wrong.converse(modelId=MODEL, messages=HELLO)
    assert caught.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert fake_bedrock.pending == 0


def test_session_tokens_and_regions_are_checked(fake_bedrock: FakeBedrockServer) -> None:
    fake_bedrock.credentials = {"ASIAX": ("secret", "token-1")}
    fake_bedrock.region = "eu-west-1"

    def make(token: str | None, region: str) -> Any:
        return Session().create_client(
            "bedrock-runtime",
            region_name=region,
            endpoint_url=fake_bedrock.base_url,
            aws_access_key_id="ASIAX",
            aws_secret_access_key="secret",
            aws_session_token=token,
            config=Config(retries={"total_max_attempts": 1}),
        )

    assert make("token-1", "eu-west-1").converse(modelId=MODEL, messages=HELLO)["stopReason"] == "end_turn"
    with pytest.raises(ClientError, match="UnrecognizedClientException"):
        make("token-2", "eu-west-1").converse(modelId=MODEL, messages=HELLO)
    with pytest.raises(ClientError, match="InvalidSignatureException"):
        make("token-1", "us-east-1").converse(modelId=MODEL, messages=HELLO)


def test_bearer_keys_and_missing_auth(fake_bedrock: FakeBedrockServer) -> None:
    import httpx2

    url = f"{fake_bedrock.base_url}/model/{MODEL}/converse"
    fake_bedrock.bearer_tokens = {"good-key"}
    assert httpx2.post(url, json={"messages": HELLO}, headers={"authorization": "Bearer good-key"}).status_code == 200
    rejected = httpx2.post(url, json={"messages": HELLO}, headers={"authorization": "Bearer bad-key"})
    assert rejected.status_code == 403
    missing = httpx2.post(url, json={"messages": HELLO})
    assert missing.status_code == 403
    assert missing.headers["x-amzn-errortype"].startswith("MissingAuthenticationTokenException")


# --------------------------------------------------------------------------- routes and request checks


def test_an_unencoded_arn_lands_on_no_route(fake_bedrock: FakeBedrockServer) -> None:
    import httpx2

    response = httpx2.post(
        f"{fake_bedrock.base_url}/model/{ARN}/converse", json={"messages": HELLO}, headers={"authorization": "Bearer k"}
    )
    assert response.status_code == 404
    assert response.headers["x-amzn-errortype"].startswith("UnknownOperationException")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"messages": []}, "must start with a user message"),
        ({"messages": [{"role": "assistant", "content": [{"text": "hi"}]}]}, "must start with a user message"),
        ({"messages": HELLO + HELLO}, "must alternate"),
        ({"messages": [{"role": "user", "content": [{"text": "  "}]}]}, "is blank"),
        ({"messages": [{"role": "user", "content": [{"text": "a", "image": {}}]}]}, "exactly one"),
        (
            {"messages": [{"role": "user", "content": [{"toolResult": {"toolUseId": "t", "content": []}}]}]},
            "toolConfig field must be defined",
        ),
        (
            {
                "messages": [
                    *HELLO,
                    {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t9", "name": "f", "input": {}}}]},
                    {"role": "user", "content": [{"text": "and?"}]},
                ],
                "toolConfig": {"tools": [{"toolSpec": {"name": "f", "inputSchema": {"json": {}}}}]},
            },
            "Expected toolResult blocks",
        ),
        ({"messages": HELLO, "inferenceConfig": {"temperature": 1.5}}, "temperature"),
        ({"messages": HELLO, "system": [{"text": ""}]}, "is blank"),
        (
            {
                "messages": HELLO,
                "toolConfig": {
                    "tools": [{"toolSpec": {"name": "f", "inputSchema": {"json": {}}}}],
                    "toolChoice": {"tool": {"name": "g"}},
                },
            },
            "not defined",
        ),
    ],
)
def test_request_checks(body: dict[str, Any], fragment: str) -> None:
    problem = converse_problem(body)
    assert problem is not None
    assert fragment in problem


def test_a_valid_tool_loop_passes_the_checks() -> None:
    body = {
        "messages": [
            *HELLO,
            {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t1", "name": "f", "input": {}}}]},
            {
                "role": "user",
                "content": [{"toolResult": {"toolUseId": "t1", "content": [{"json": {"a": 1}}], "status": "error"}}],
            },
        ],
        "toolConfig": {"tools": [{"toolSpec": {"name": "f", "inputSchema": {"json": {}}}}]},
    }
    assert converse_problem(body) is None


def test_echo_count_tokens_and_embeddings_by_default(fake_bedrock: FakeBedrockServer) -> None:
    import httpx2

    auth = {"authorization": "Bearer k"}
    base = fake_bedrock.base_url
    fake_bedrock.script(Scenario(text="scripted"))
    counted = httpx2.post(
        f"{base}/model/{MODEL}/count-tokens", json={"input": {"converse": {"messages": HELLO}}}, headers=auth
    )
    assert counted.json() == {"inputTokens": 1 + 3 + 2}
    assert httpx2.post(f"{base}/model/{MODEL}/converse", json={"messages": HELLO}, headers=auth).json()["output"][
        "message"
    ]["content"] == [{"text": "scripted"}]
    echoed = httpx2.post(f"{base}/model/{MODEL}/converse", json={"messages": HELLO}, headers=auth).json()
    assert echoed["output"]["message"]["content"] == [{"text": "Hello there"}]
    cohere = httpx2.post(
        f"{base}/model/cohere.embed-english-v3/invoke",
        json={"texts": ["a", "b"], "input_type": "search_query"},
        headers=auth,
    ).json()
    assert cohere["embeddings"] == [unit_vector("a", 1024), unit_vector("b", 1024)]
    assert cohere["response_type"] == "embeddings_floats"


def test_unknown_events_and_malformed_answers() -> None:
    odd = frames_of(b"".join(render_stream(Scenario(text="x", unknown_events=True))))
    assert "futureAnnotation" in [m.headers[":event-type"] for m in odd]
    assert all("futureField" in json.loads(m.payload) for m in odd if m.headers[":event-type"] != "futureAnnotation")
    broken = frames_of(b"".join(render_stream(Scenario(text="x", malformed=True))))
    with pytest.raises(ValueError):
        json.loads(broken[1].payload)
    body = render_converse(Scenario(text="x", unknown_events=True))
    assert body["futureField"] == {"nested": True}


def test_faults_apply_per_frame(fake_bedrock: FakeBedrockServer) -> None:
    import httpx2

    fake_bedrock.script(Scenario(text=["a", "b", "c"], fault=Fault(end_after=2)))
    with httpx2.stream(
        "POST",
        f"{fake_bedrock.base_url}/model/{MODEL}/converse-stream",
        json={"messages": HELLO},
        headers={"authorization": "Bearer k"},
    ) as response:
        data = response.read()
    assert [m.headers[":event-type"] for m in frames_of(data)] == ["messageStart", "contentBlockDelta"]
    assert isinstance(fake_bedrock.render(Reply.json({}), fake_bedrock.requests[-1]), Reply)
