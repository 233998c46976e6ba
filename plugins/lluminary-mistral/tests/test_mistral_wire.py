"""Focused wire tests for the Mistral provider: exact request bodies, odd streams, errors, faults."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from lluminary import _errors as errors
from lluminary._client import Client
from lluminary._plugins import PluginManager
from lluminary._retry import RetryPolicy
from lluminary._types import (
    ImagePart,
    Message,
    ReasoningConfig,
    ReasoningPart,
    ResponseFormat,
    TextPart,
    Tool,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallPart,
    ToolCallStart,
    ToolChoice,
    Usage,
)
from lluminary.sdk import aclose_default_pools
from lluminary_mistral import MistralProvider
from lluminary_testing import ErrorScenario, Fault, Reply, Scenario, ToolCallSpec, sse
from lluminary_testing.mistral_server import FakeMistralServer

KEY = "sk-mistral-test-0123456789"
MODEL = "mistral:mistral-small-latest"
WEATHER = Tool("get_weather", "Weather", {"type": "object", "properties": {"city": {"type": "string"}}})


@pytest.fixture
def server(fake_mistral: FakeMistralServer) -> FakeMistralServer:
    return fake_mistral


@pytest_asyncio.fixture
async def client() -> AsyncIterator[Client]:
    plugins = PluginManager()
    plugins.register(MistralProvider(), name="mistral-under-test")
    yield Client(plugins=plugins, cache=False, retries=RetryPolicy(max_attempts=1), exporters=[])
    await aclose_default_pools()


def opts(server: FakeMistralServer, **kwargs: Any) -> dict[str, Any]:
    return {"base_url": server.base_url, "api_key": KEY, **kwargs}


async def stream(
    client: Client, server: FakeMistralServer, prompt: str | None = "Hi", **kwargs: Any
) -> tuple[list[Any], Any]:
    s = client.astream(MODEL, prompt, **opts(server, **kwargs))
    events = [e async for e in s]
    return events, await s.response()


def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }


def raw_stream(*objects: Any, done: bool = True) -> Reply:
    return Reply(200, {"content-type": "text/event-stream"}, sse([(None, o) for o in objects], done=done), stream=True)


# --------------------------------------------------------------------------- request bodies


async def test_request_body_every_feature(client: Client, server: FakeMistralServer) -> None:
    server.script(Scenario(text="ok"))
    await client.agenerate(
        MODEL,
        "Hi",
        **opts(
            server,
            system="Be brief.",
            temperature=0.3,
            top_p=0.9,
            max_tokens=64,
            stop=["END"],
            seed=7,
            tools=[WEATHER],
            tool_choice="auto",
            options={"mistral": {"safe_prompt": True, "parallel_tool_calls": False, "random_seed": 11}},
        ),
    )
    body = server.last_request.json()
    assert body == {
        "model": "mistral-small-latest",
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
        "temperature": 0.3,
        "top_p": 0.9,
        "max_tokens": 64,
        "stop": ["END"],
        "random_seed": 11,  # the pass-through option wins over seed=
        "tools": [
            {
                "type": "function",
                "function": {"name": "get_weather", "description": "Weather", "parameters": WEATHER.parameters},
            }
        ],
        "tool_choice": "auto",
        "safe_prompt": True,
        "parallel_tool_calls": False,
    }
    assert server.last_request.headers["authorization"] == f"Bearer {KEY}"
    assert server.last_request.path == "/v1/chat/completions"


@pytest.mark.parametrize(
    ("choice", "wire"),
    [
        (ToolChoice("auto"), "auto"),
        (ToolChoice("none"), "none"),
        (ToolChoice("required"), "any"),
        (ToolChoice.tool("get_weather"), {"type": "function", "function": {"name": "get_weather"}}),
    ],
)
async def test_tool_choice(client: Client, server: FakeMistralServer, choice: ToolChoice, wire: Any) -> None:
    server.script(Scenario(text="ok"))
    await client.agenerate(MODEL, "Hi", **opts(server, tools=[WEATHER], tool_choice=choice))
    assert server.last_request.json()["tool_choice"] == wire


async def test_tool_choice_required_as_option(client: Client, server: FakeMistralServer) -> None:
    server.script(Scenario(text="ok"))
    await client.agenerate(
        MODEL, "Hi", **opts(server, tools=[WEATHER], options={"mistral": {"tool_choice": "required"}})
    )
    assert server.last_request.json()["tool_choice"] == "required"


async def test_structured_output_and_json_mode(client: Client, server: FakeMistralServer) -> None:
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    server.script(Scenario(text='{"a": 1}'), Scenario(text="{}"))
    await client.agenerate(
        MODEL, "Hi", **opts(server, response_format=ResponseFormat("json_schema", schema, name="thing"))
    )
    assert server.last_request.json()["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "thing", "schema": schema, "strict": True},
    }
    await client.agenerate(MODEL, "Hi", **opts(server, response_format="json"))
    assert server.last_request.json()["response_format"] == {"type": "json_object"}


async def test_assistant_prefix(client: Client, server: FakeMistralServer) -> None:
    server.script(Scenario(text=" Paris."))
    messages = [Message.user("Capital of France?"), Message.assistant("The capital is")]
    response = await client.agenerate(MODEL, None, **opts(server, messages=messages))
    assert response.text == " Paris."
    assert server.last_request.json()["messages"][-1] == {
        "role": "assistant",
        "content": "The capital is",
        "prefix": True,
    }


async def test_history_tool_calls_results_images_and_thinking(client: Client, server: FakeMistralServer) -> None:
    server.script(Scenario(text="done"))
    messages = [
        Message.user(
            [TextPart("Look"), ImagePart(data=b"\x89PNG", media_type="image/png"), ImagePart(url="https://x/y.png")]
        ),
        Message.assistant(
            [
                ReasoningPart("hmm", provider="mistral"),
                ReasoningPart("other's", provider="anthropic", signature="sig"),
                TextPart("Checking."),
                ToolCallPart("abcdefghi", "get_weather", {"city": "Paris"}),
            ]
        ),
        Message("tool", (Message.tool("abcdefghi", "sunny").content[0],)),
    ]
    await client.agenerate(MODEL, None, **opts(server, messages=messages, tools=[WEATHER]))
    sent = server.last_request.json()["messages"]
    assert sent[0] == {
        "role": "user",
        "content": [
            {"type": "text", "text": "Look"},
            {"type": "image_url", "image_url": "data:image/png;base64,iVBORw=="},
            {"type": "image_url", "image_url": "https://x/y.png"},
        ],
    }
    assert sent[1] == {
        "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": [{"type": "text", "text": "hmm"}]},
            {"type": "text", "text": "Checking."},
        ],
        "tool_calls": [
            {
                "id": "abcdefghi",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
            }
        ],
    }
    assert sent[2] == {"role": "tool", "tool_call_id": "abcdefghi", "name": "get_weather", "content": "sunny"}


@pytest.mark.parametrize(("effort", "wire"), [("high", "high"), ("low", "high"), ("minimal", "none")])
async def test_reasoning_effort(client: Client, server: FakeMistralServer, effort: str, wire: str) -> None:
    server.script(Scenario(text="ok"))
    await client.agenerate("mistral:magistral-medium-latest", "Hi", **opts(server, reasoning=ReasoningConfig(effort=effort)))  # type: ignore[arg-type]
    assert server.last_request.json()["reasoning_effort"] == wire


async def test_reserved_option_rejected_before_io(client: Client, server: FakeMistralServer) -> None:
    with pytest.raises(errors.RequestValidationError):
        await client.agenerate(MODEL, "Hi", **opts(server, options={"mistral": {"stream": True}}))
    assert not server.requests


async def test_missing_key_names_variable(
    client: Client, server: FakeMistralServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MISTRAL_API_KEY", raising=False)
    with pytest.raises(errors.ConfigurationError, match="MISTRAL_API_KEY"):
        await client.agenerate(MODEL, "Hi", base_url=server.base_url)


async def test_key_and_base_url_from_environment(
    client: Client, server: FakeMistralServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MISTRAL_API_KEY", "env-key-0123456789")
    monkeypatch.setenv("MISTRAL_BASE_URL", server.base_url + "/v1")
    server.script(Scenario(text="ok"))
    assert (await client.agenerate(MODEL, "Hi")).text == "ok"
    assert server.last_request.headers["authorization"] == "Bearer env-key-0123456789"
    assert server.last_request.path == "/v1/chat/completions"


# --------------------------------------------------------------------------- answers


async def test_usage_with_cached_tokens(client: Client, server: FakeMistralServer) -> None:
    usage = Usage(input_tokens=100, output_tokens=5, cache_read_tokens=80)
    server.script(Scenario(text="ok", usage=usage), Scenario(text="ok", usage=usage))
    assert (await client.agenerate(MODEL, "Hi", **opts(server))).usage == usage
    _, response = await stream(client, server)
    assert response.usage == usage


async def test_old_cached_token_field(client: Client, server: FakeMistralServer) -> None:
    body = {
        "id": "x",
        "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12, "num_cached_tokens": 6},
    }
    server.script(Reply.json(body))
    assert (await client.agenerate(MODEL, "Hi", **opts(server))).usage == Usage(10, 2, cache_read_tokens=6)


@pytest.mark.parametrize(
    ("raw", "reason"), [("model_length", "length"), ("error", "error"), ("length", "length"), ("weird", "other")]
)
async def test_finish_reasons(client: Client, server: FakeMistralServer, raw: str, reason: str) -> None:
    server.script(raw_stream(chunk({"role": "assistant", "content": "a"}), chunk({"content": ""}, raw)))
    _, response = await stream(client, server)
    assert (response.finish_reason, response.raw_finish_reason) == (reason, raw)


async def test_object_arguments_streamed_and_generated(client: Client, server: FakeMistralServer) -> None:
    server.object_arguments = True
    scenario = Scenario(tool_calls=[ToolCallSpec("abcdefghi", "get_weather", '{"city": "Zürich"}')])
    server.script(scenario, scenario)
    generated = await client.agenerate(MODEL, "Hi", **opts(server, tools=[WEATHER]))
    events, streamed = await stream(client, server, tools=[WEATHER])
    assert generated == streamed
    assert generated.tool_calls == (ToolCallPart("abcdefghi", "get_weather", {"city": "Zürich"}),)
    deltas = [e for e in events if isinstance(e, ToolCallDelta)]
    assert [json.loads(d.arguments) for d in deltas] == [{"city": "Zürich"}]
    assert all(isinstance(d.arguments, str) for d in deltas)


async def test_fragmented_arguments_and_missing_ids(client: Client, server: FakeMistralServer) -> None:
    """A Mistral-compatible server that fragments arguments OpenAI-style and sends no ids."""
    server.script(
        raw_stream(
            chunk({"role": "assistant", "content": ""}),
            chunk({"tool_calls": [{"index": 0, "function": {"name": "get_weather", "arguments": '{"ci'}}]}),
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'ty": "Oslo"}'}}]}),
            chunk({"tool_calls": [{"id": "null", "index": 1, "function": {"name": "get_weather", "arguments": ""}}]}),
            chunk({"content": ""}, "tool_calls", usage={"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}),
        )
    )
    events, response = await stream(client, server, tools=[WEATHER])
    starts = [e for e in events if isinstance(e, ToolCallStart)]
    ends = [e for e in events if isinstance(e, ToolCallEnd)]
    assert [s.index for s in starts] == [0, 1]
    assert [e.index for e in ends] == [0, 1]
    assert starts[0].id.startswith("call_0_")
    assert starts[1].id.startswith("call_1_")
    assert response.tool_calls[0].arguments == {"city": "Oslo"}
    assert response.tool_calls[1].arguments == {}


async def test_index_only_on_the_first_fragment(client: Client, server: FakeMistralServer) -> None:
    """Mistral-compatible servers that stream a call OpenAI-style may put the ``index`` on its
    first fragment only: later fragments without id and index continue the open call (they used
    to open a nameless second call)."""
    server.script(
        raw_stream(
            chunk({"tool_calls": [{"index": 0, "id": "k1", "function": {"name": "get_weather", "arguments": ""}}]}),
            chunk({"tool_calls": [{"function": {"arguments": '{"city":'}}]}),
            chunk({"tool_calls": [{"function": {"arguments": ' "Bergen"}'}}]}, "tool_calls"),
        )
    )
    events, response = await stream(client, server, tools=[WEATHER])
    assert response.tool_calls == (ToolCallPart("k1", "get_weather", {"city": "Bergen"}),)
    assert [e.index for e in events if isinstance(e, ToolCallStart)] == [0]


async def test_cumulative_arguments(client: Client, server: FakeMistralServer) -> None:
    """Some OpenAI-compatible servers resend the whole arguments so far on every fragment; only
    what is new in each is kept (before, the concatenation was invalid JSON)."""
    server.script(
        raw_stream(
            chunk({"tool_calls": [{"index": 0, "id": "k2", "function": {"name": "get_weather", "arguments": '{"ci'}}]}),
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city": "Tro'}}]}),
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city": "Tromsø"}'}}]}),
            chunk({"content": ""}, "tool_calls"),
        )
    )
    events, response = await stream(client, server, tools=[WEATHER])
    assert response.tool_calls == (ToolCallPart("k2", "get_weather", {"city": "Tromsø"}),)
    assert "".join(e.arguments for e in events if isinstance(e, ToolCallDelta)) == '{"city": "Tromsø"}'


async def test_a_fragment_that_only_looks_like_a_resend(client: Client, server: FakeMistralServer) -> None:
    """An ordinary fragment that begins with everything sent so far (a key starting with ``{"``)
    is appended as it is when that makes the whole object."""
    server.script(
        raw_stream(
            chunk({"tool_calls": [{"index": 0, "id": "k3", "function": {"name": "get_weather", "arguments": '{"'}}]}),
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{": 1}'}}]}),
            chunk({"content": ""}, "tool_calls"),
        )
    )
    _, response = await stream(client, server, tools=[WEATHER])
    assert response.tool_calls == (ToolCallPart("k3", "get_weather", {"{": 1}),)


async def test_recorded_stream_shape_padding_and_typed_text(client: Client, server: FakeMistralServer) -> None:
    """The live API's stream (as the fake server now renders it): a ``p`` padding key on chunks,
    thinking and then text as typed chunk lists, ``prompt_tokens_details`` in the usage; the stream
    equals the non-streamed answer, whose thinking chunk says ``"closed": true``."""
    scenario = Scenario(reasoning=["Two ", "plus two."], text=["Fo", "ur."])
    server.script(scenario, scenario)
    generated = await client.agenerate(MODEL, "Hi", **opts(server))
    _, streamed = await stream(client, server)
    assert generated == streamed
    assert streamed.message.content == (ReasoningPart("Two plus two.", provider="mistral"), TextPart("Four."))


async def test_repeated_whole_tool_call_ignored(client: Client, server: FakeMistralServer) -> None:
    call = {"id": "abcdefghi", "function": {"name": "get_weather", "arguments": '{"city": "Rome"}'}, "index": 0}
    server.script(
        raw_stream(
            chunk({"tool_calls": [call]}),
            chunk({"tool_calls": [call]}, "tool_calls"),
        )
    )
    _, response = await stream(client, server, tools=[WEATHER])
    assert response.tool_calls == (ToolCallPart("abcdefghi", "get_weather", {"city": "Rome"}),)


async def test_invalid_tool_arguments_are_a_typed_error(client: Client, server: FakeMistralServer) -> None:
    server.script(Scenario(tool_calls=[ToolCallSpec("abcdefghi", "get_weather", '{"city": ')]))
    with pytest.raises(errors.MalformedResponseError) as info:
        await stream(client, server, tools=[WEATHER])
    assert info.value.raw_arguments == '{"city": '  # type: ignore[attr-defined]


async def test_magistral_reasoning_content_chunks(client: Client, server: FakeMistralServer) -> None:
    scenario = Scenario(reasoning=["Let me ", "think."], text=["The ", "answer."])
    server.script(scenario, scenario)
    generated = await client.agenerate(MODEL, "Hi", **opts(server))
    _, streamed = await stream(client, server)
    assert generated == streamed
    assert generated.reasoning == "Let me think."
    assert generated.text == "The answer."
    assert generated.message.content[0] == ReasoningPart("Let me think.", provider="mistral")


async def test_empty_deltas_padding_and_unknown_chunks(client: Client, server: FakeMistralServer) -> None:
    server.script(
        raw_stream(
            chunk({"role": "assistant", "content": None}),
            chunk({}),
            {"id": "c1", "choices": []},
            chunk(
                {"content": [{"type": "reference", "reference_ids": [1]}, {"type": "text", "text": "Hi"}]}, p="pad" * 10
            ),
            chunk({"content": ""}, "stop", usage={"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}),
        )
    )
    _events, response = await stream(client, server)
    assert response.text == "Hi"
    assert response.message.content == (TextPart("Hi"),)


async def test_stream_without_done_after_finish_is_complete(client: Client, server: FakeMistralServer) -> None:
    server.script(raw_stream(chunk({"content": "Hi"}), chunk({"content": ""}, "stop"), done=False))
    _, response = await stream(client, server)
    assert response.text == "Hi"


async def test_json_answer_to_a_stream_request(client: Client, server: FakeMistralServer) -> None:
    from lluminary_testing.mistral_server import render_completion

    server.script(Reply.json(render_completion(Scenario(text="whole"))))
    _, response = await stream(client, server)
    assert response.text == "whole"


# --------------------------------------------------------------------------- errors


async def test_422_detail_messages_joined(client: Client, server: FakeMistralServer) -> None:
    detail = [
        {"loc": ["body", "temperature"], "msg": "Input should be less than or equal to 1.5", "type": "less_than_equal"},
        {
            "loc": ["body", "messages", 0, "user", "name"],
            "msg": "Extra inputs are not permitted",
            "type": "extra_forbidden",
        },
    ]
    server.script(Reply.json({"detail": detail}, 422))
    with pytest.raises(errors.InvalidRequestError) as info:
        await client.agenerate(MODEL, "Hi", **opts(server))
    assert info.value.message == (
        "temperature: Input should be less than or equal to 1.5; messages.0.user.name: Extra inputs are not permitted"
    )
    assert info.value.status == 422


async def test_fake_server_rejects_unknown_fields_with_422(client: Client, server: FakeMistralServer) -> None:
    with pytest.raises(errors.InvalidRequestError, match="Extra inputs are not permitted"):
        await client.agenerate(MODEL, "Hi", **opts(server, options={"mistral": {"logit_bias": {}}}))


async def test_object_error_with_json_message(client: Client, server: FakeMistralServer) -> None:
    inner = json.dumps({"detail": [{"loc": ["body", "model"], "msg": "bad model", "type": "value_error"}]})
    server.script(
        Reply.json({"object": "error", "message": inner, "type": "invalid_request_error", "code": "1000"}, 400)
    )
    with pytest.raises(errors.InvalidRequestError) as info:
        await client.agenerate(MODEL, "Hi", **opts(server))
    assert info.value.message == "model: bad model"
    assert info.value.code == "1000"


async def test_context_length_400(client: Client, server: FakeMistralServer) -> None:
    server.script(ErrorScenario("context_length"))
    with pytest.raises(errors.ContextLengthExceededError, match="maximum context length"):
        await client.agenerate(MODEL, "Hi", **opts(server))


async def test_rate_limit_retry_after_and_request_id(client: Client, server: FakeMistralServer) -> None:
    server.script(
        ErrorScenario("rate_limit", message="Requests rate limit exceeded", retry_after=2, request_id="rid-9")
    )
    with pytest.raises(errors.RateLimitError) as info:
        await client.agenerate(MODEL, "Hi", **opts(server))
    assert info.value.retry_after == 2
    assert info.value.request_id == "rid-9"


async def test_unauthorized_and_key_never_leaks(client: Client, server: FakeMistralServer) -> None:
    server.script(Reply.json({"detail": f"Unauthorized key {KEY}"}, 401))
    with pytest.raises(errors.AuthenticationError) as info:
        await client.agenerate(MODEL, "Hi", **opts(server))
    assert KEY not in str(info.value)
    assert KEY not in repr(info.value)


async def test_in_stream_error_object(client: Client, server: FakeMistralServer) -> None:
    server.script(
        raw_stream(
            chunk({"content": "Par"}),
            {"object": "error", "message": "boom", "type": "internal_server_error", "code": None},
        )
    )
    with pytest.raises(errors.ServerError, match="boom"):
        await stream(client, server)


@pytest.mark.parametrize("fault", [Fault(rechunk=1), Fault(rechunk=7)])
async def test_rechunked_stream(client: Client, server: FakeMistralServer, fault: Fault) -> None:
    server.script(Scenario(text=["Grüße ", "東京"], reasoning=["ü"], fault=fault))
    _, response = await stream(client, server)
    assert response.text == "Grüße 東京"
    assert response.reasoning == "ü"


@pytest.mark.parametrize("fault", [Fault(truncate_after=2), Fault(end_after=2), Fault(reset_after=2)])
async def test_cut_streams_raise_connection_errors(client: Client, server: FakeMistralServer, fault: Fault) -> None:
    server.script(Scenario(text=["a", "b", "c", "d"], fault=fault))
    with pytest.raises(errors.APIConnectionError):
        await stream(client, server)


async def test_timeout(client: Client, server: FakeMistralServer) -> None:
    server.script(Scenario(text="late", fault=Fault(delay_headers=2.0)))
    with pytest.raises(errors.APITimeoutError):
        await client.agenerate(MODEL, "Hi", **opts(server, timeout=0.2))


# --------------------------------------------------------------------------- embeddings, tokens, catalogue


async def test_embeddings_batched_in_order(client: Client, server: FakeMistralServer) -> None:
    texts = [f"text {i}" for i in range(5)]
    response = await client.aembed(
        "mistral:mistral-embed",
        texts,
        base_url=server.base_url,
        api_key=KEY,
        dimensions=8,
        options={"mistral": {"batch_size": 2}},
    )
    assert len(server.requests) == 3
    bodies = sorted((r.json() for r in server.requests), key=lambda b: b["input"][0])
    assert [b["input"] for b in bodies] == [["text 0", "text 1"], ["text 2", "text 3"], ["text 4"]]
    assert all(b["output_dimension"] == 8 for b in bodies)
    single = await client.aembed(
        "mistral:mistral-embed", ["text 3"], base_url=server.base_url, api_key=KEY, dimensions=8
    )
    assert response.embeddings[3] == single.embeddings[0]
    assert response.usage.input_tokens == 10


async def test_count_tokens_offline(client: Client) -> None:
    from lluminary_mistral import tokens

    request_kwargs = {"system": "Be brief.", "tools": [WEATHER]}
    count = await client.acount_tokens(MODEL, "Hello world, how are you?", **request_kwargs)
    assert count > 10
    if tokens.have_tokenizer():
        # open-mistral-nemo is one of the models mistral-common names: counted exactly, template
        # included: <s> [INST] + 7 text tokens + [/INST].
        exact = await client.acount_tokens("mistral:open-mistral-nemo", "Hello world, how are you?")
        assert exact == 10


def test_token_estimate_without_tokenizer() -> None:
    from lluminary._requests import build_chat_request
    from lluminary_mistral import tokens

    request = build_chat_request(MODEL, "x" * 400)
    assert tokens.estimate(request) == 1 + 100 + tokens.MESSAGE_OVERHEAD


def test_catalogue_prices() -> None:
    models = {m.id: m for m in MistralProvider().models()}
    large = models["mistral:mistral-large-2512"]
    assert (large.input_price, large.output_price, large.cache_read_price) == (0.5, 1.5, 0.05)
    assert models["mistral:mistral-embed"].kind == "embedding"
    assert all(m.id.startswith("mistral:") for m in models.values())


async def test_count_tokens_without_mistral_common(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    from lluminary._requests import build_chat_request
    from lluminary_mistral import tokens

    monkeypatch.setattr(tokens, "have_tokenizer", lambda: False)
    count = await client.acount_tokens(MODEL, "x" * 40)
    assert count == tokens.estimate(build_chat_request(MODEL, "x" * 40)) == 1 + 10 + tokens.MESSAGE_OVERHEAD


@pytest.mark.parametrize(
    ("model", "exact"),
    [
        ("open-mistral-nemo", True),
        ("mistral-large-2411", True),
        ("codestral-2405", True),
        ("mistral-medium-3.5", False),
    ],
)
def test_tokenizer_choice(model: str, exact: bool) -> None:
    from lluminary_mistral import tokens

    assert tokens.tokenizer_for(model)[2] is exact
