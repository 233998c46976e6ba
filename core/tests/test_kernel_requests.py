"""Requests are checked before any I/O, and the friendly call signature is typed (issue 10, items
14-16).

* Every bad argument raises :class:`RequestValidationError` naming the argument, through every
  entry point (async, sync, stream, count_tokens, the module-level functions), and the provider
  sees no request; a bad ``LLUMINARY_MAX_CONNECTIONS`` is a :class:`ConfigurationError`.
* ``system`` messages inside ``messages`` are lifted to ``system``; OpenAI's ``response_format``
  shapes are read as what they are, and an ambiguous dict is rejected.
* ``**kwargs`` are ``Unpack[ChatOptions]`` / ``Unpack[EmbedOptions]``: mypy catches a misspelt
  keyword.
"""

from __future__ import annotations

import inspect
import math
import subprocess
import sys
import textwrap
import typing
from pathlib import Path
from typing import Any

import pytest

import lluminary
import lluminary.sdk
from lluminary import Client, ConfigurationError, RequestValidationError
from lluminary._plugins import PluginManager
from lluminary._retry import RetryPolicy
from lluminary.sdk import (
    ChatRequest,
    EmbedRequest,
    ImagePart,
    Message,
    ReasoningConfig,
    ResponseFormat,
    ScriptedProvider,
    Secret,
    TextPart,
    ToolCallPart,
    build_chat_request,
    build_embed_request,
)

NAN = math.nan
INF = math.inf
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"name": {"type": "string"}},
    "required": ["name"],
    "additionalProperties": False,
}


@pytest.fixture(autouse=True)
def _no_installed_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLUMINARY_PLUGINS", "")


def make() -> tuple[Client, ScriptedProvider]:
    pm = PluginManager()
    provider = ScriptedProvider("scripted")
    pm.register(provider)
    return Client(plugins=pm, retries=RetryPolicy(max_attempts=1)), provider


def call_args(case: dict[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    kwargs = dict(case)
    return kwargs.pop("model", "scripted:m"), kwargs.pop("prompt", "Hi"), kwargs


# --------------------------------------------------------------------------- bad chat arguments

#: id -> (the call's arguments over model="scripted:m", prompt="Hi"; the argument the error names)
BAD_CHAT: dict[str, tuple[dict[str, Any], str]] = {
    "model None": ({"model": None}, "model"),
    "model int": ({"model": 42}, "model"),
    "model without a provider": ({"model": "gpt-4o"}, "model"),
    "prompt bytes": ({"prompt": b"Hi"}, "prompt"),
    "prompt int": ({"prompt": 42}, "prompt"),
    "prompt empty": ({"prompt": ""}, "prompt"),
    "messages a string": ({"messages": "Hi"}, "messages"),
    "messages an int": ({"messages": 42}, "messages"),
    "system int": ({"system": 42}, "system"),
    "stop int": ({"stop": 123}, "stop"),
    "stop bytes": ({"stop": b"END"}, "stop"),
    "stop list holding an int": ({"stop": ["END", 1]}, "stop"),
    "api_key int": ({"api_key": 123}, "api_key"),
    "api_key bytes": ({"api_key": b"sk-abc"}, "api_key"),
    "options value a string": ({"options": {"openai": "x"}}, "options"),
    "options a list": ({"options": ["openai"]}, "options"),
    "options key not a string": ({"options": {1: {}}}, "options"),
    "timeout a string": ({"timeout": "x"}, "timeout"),
    "timeout negative": ({"timeout": -1}, "timeout"),
    "timeout zero": ({"timeout": 0}, "timeout"),
    "timeout nan": ({"timeout": NAN}, "timeout"),
    "timeout inf": ({"timeout": INF}, "timeout"),
    "timeout bool": ({"timeout": True}, "timeout"),
    "temperature nan": ({"temperature": NAN}, "temperature"),
    "temperature inf": ({"temperature": INF}, "temperature"),
    "temperature -inf": ({"temperature": -INF}, "temperature"),
    "temperature negative": ({"temperature": -0.1}, "temperature"),
    "temperature a string": ({"temperature": "0.2"}, "temperature"),
    "temperature bool": ({"temperature": True}, "temperature"),
    "top_p nan": ({"top_p": NAN}, "top_p"),
    "top_p inf": ({"top_p": INF}, "top_p"),
    "top_p above 1": ({"top_p": 1.5}, "top_p"),
    "top_p negative": ({"top_p": -0.5}, "top_p"),
    "max_tokens 0": ({"max_tokens": 0}, "max_tokens"),
    "max_tokens -1": ({"max_tokens": -1}, "max_tokens"),
    "max_tokens 1.5": ({"max_tokens": 1.5}, "max_tokens"),
    "max_tokens bool": ({"max_tokens": True}, "max_tokens"),
    "max_tokens a string": ({"max_tokens": "10"}, "max_tokens"),
    "seed a string": ({"seed": "7"}, "seed"),
    "seed float": ({"seed": 7.0}, "seed"),
    "seed bool": ({"seed": False}, "seed"),
    "reasoning extreme": ({"reasoning": "extreme"}, "reasoning"),
    "reasoning int": ({"reasoning": 3}, "reasoning"),
    "reasoning config with an unknown effort": ({"reasoning": ReasoningConfig(effort="extreme")}, "reasoning"),  # type: ignore[arg-type]
    "reasoning budget not an int": ({"reasoning": ReasoningConfig(budget_tokens=1.5)}, "reasoning"),  # type: ignore[arg-type]
    "base_url int": ({"base_url": 42}, "base_url"),
    "base_url empty": ({"base_url": ""}, "base_url"),
    "base_url with a space": ({"base_url": "http://exa mple.com"}, "base_url"),
    "base_url with a port that is no number": ({"base_url": "http://localhost:abc/v1"}, "base_url"),
    "base_url file": ({"base_url": "file:///etc/passwd"}, "base_url"),
    "base_url ftp": ({"base_url": "ftp://example.com"}, "base_url"),
    "base_url without a host": ({"base_url": "http://"}, "base_url"),
    "metadata a list": ({"metadata": ["user"]}, "metadata"),
    "metadata value not a string": ({"metadata": {"user": 1}}, "metadata"),
    "metadata key not a string": ({"metadata": {1: "x"}}, "metadata"),
    "tools an int": ({"tools": 42}, "tools"),
    "tool_choice an int": ({"tool_choice": 42}, "tool_choice"),
    "response_format an int": ({"response_format": 42}, "response_format"),
    "response_format an unknown string": ({"response_format": "yaml"}, "response_format"),
    "empty text message": ({"messages": [Message("user", "")]}, "messages"),
    "message of empty text parts": ({"messages": [Message.user([TextPart(""), TextPart("")])]}, "messages"),
    "empty assistant text": ({"messages": [Message.user("Q"), Message.assistant("")]}, "messages"),
    "message without parts": ({"messages": [Message.assistant([])]}, "messages"),
    "mapping with empty content": ({"messages": [{"role": "user", "content": ""}]}, "messages"),
    "empty system message": ({"messages": [{"role": "system", "content": ""}]}, "messages"),
    "system message holding an image": (
        {"messages": [Message("system", [ImagePart(url="https://example.com/a.png")])]},  # type: ignore[arg-type]
        "messages",
    ),
    "system message content not text": ({"messages": [{"role": "system", "content": 42}]}, "messages"),
    "unknown role": ({"messages": [{"role": "developer", "content": "x"}]}, "messages"),
}


def _assert_names(exc: pytest.ExceptionInfo[RequestValidationError], argument: str) -> None:
    assert argument in str(exc.value), f"{argument!r} not named in {str(exc.value)!r}"


@pytest.mark.parametrize(("case", "argument"), list(BAD_CHAT.values()), ids=list(BAD_CHAT))
async def test_bad_chat_arguments_are_rejected_before_the_provider_sees_a_request(
    case: dict[str, Any], argument: str
) -> None:
    client, provider = make()
    model, prompt, kwargs = call_args(case)
    with pytest.raises(RequestValidationError) as caught:
        await client.agenerate(model, prompt, **kwargs)
    _assert_names(caught, argument)
    with pytest.raises(RequestValidationError) as caught:
        client.astream(model, prompt, **kwargs)
    _assert_names(caught, argument)
    with pytest.raises(RequestValidationError) as caught:
        await client.acount_tokens(model, prompt, **kwargs)
    _assert_names(caught, argument)
    with pytest.raises(RequestValidationError) as caught:
        build_chat_request(model, prompt, **kwargs)
    _assert_names(caught, argument)
    assert provider.requests == []


@pytest.mark.parametrize(
    ("case", "argument"),
    [BAD_CHAT["temperature nan"], BAD_CHAT["model None"], BAD_CHAT["empty text message"], BAD_CHAT["stop int"]],
    ids=["temperature nan", "model None", "empty text message", "stop int"],
)
def test_bad_chat_arguments_are_rejected_by_the_sync_api(case: dict[str, Any], argument: str) -> None:
    client, provider = make()
    model, prompt, kwargs = call_args(case)
    with pytest.raises(RequestValidationError) as caught:
        client.generate(model, prompt, **kwargs)
    _assert_names(caught, argument)
    with pytest.raises(RequestValidationError) as caught:
        client.stream(model, prompt, **kwargs)
    _assert_names(caught, argument)
    with pytest.raises(RequestValidationError) as caught:
        client.count_tokens(model, prompt, **kwargs)
    _assert_names(caught, argument)
    assert provider.requests == []


async def test_bad_arguments_are_rejected_by_the_module_level_functions() -> None:
    provider = ScriptedProvider("modreq")
    name = lluminary.register(provider)
    try:
        with pytest.raises(RequestValidationError, match="temperature"):
            lluminary.generate("modreq:m", "Hi", temperature=NAN)
        with pytest.raises(RequestValidationError, match="max_tokens"):
            lluminary.stream("modreq:m", "Hi", max_tokens=0)
        with pytest.raises(RequestValidationError, match="reasoning"):
            await lluminary.agenerate("modreq:m", "Hi", reasoning="extreme")
        with pytest.raises(RequestValidationError, match="stop"):
            lluminary.astream("modreq:m", "Hi", stop=123)
        with pytest.raises(RequestValidationError, match="dimensions"):
            lluminary.embed("modreq:e", "x", dimensions=-3)
        with pytest.raises(RequestValidationError, match="input_type"):
            await lluminary.aembed("modreq:e", "x", input_type="questions")
        assert provider.requests == []
        # the client-level keywords still pass through the module-level functions
        reply = lluminary.generate("modreq:m", "Hi", cache=False, fallbacks=[], parent_id="p-1", deadline=30)
        assert reply.text == "Hi"
        streamed = lluminary.stream("modreq:m", "Hey", cache=False, fallbacks=[], parent_id="p-1", deadline=30)
        assert streamed.response().text == "Hey"
        assert len(lluminary.embed("modreq:e", "x", cache=False, parent_id="p-1", deadline=30).embeddings) == 1
    finally:
        lluminary.unregister(name=name)


#: id -> (arguments that are valid; what the provider receives, as ChatRequest field -> value)
GOOD_CHAT: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "temperature 0 as an int": ({"temperature": 0}, {"temperature": 0}),
    "temperature 2": ({"temperature": 2.0}, {"temperature": 2.0}),
    "top_p bounds": ({"top_p": 1}, {"top_p": 1}),
    "max_tokens 1": ({"max_tokens": 1}, {"max_tokens": 1}),
    "negative seed": ({"seed": -5}, {"seed": -5}),
    "timeout as an int": ({"timeout": 3}, {"timeout": 3}),
    "stop as a string": ({"stop": "END"}, {"stop": ("END",)}),
    "stop as a tuple": ({"stop": ("A", "B")}, {"stop": ("A", "B")}),
    "reasoning effort": ({"reasoning": "minimal"}, {"reasoning": ReasoningConfig(effort="minimal")}),
    "reasoning budget": ({"reasoning": ReasoningConfig(budget_tokens=0)}, {"reasoning": ReasoningConfig(None, 0)}),
    "https base_url": ({"base_url": "HTTPS://example.com/v1"}, {"base_url": "HTTPS://example.com/v1"}),
    "http base_url with a port": ({"base_url": "http://127.0.0.1:9/v1"}, {"base_url": "http://127.0.0.1:9/v1"}),
    # the OLLAMA_HOST form, which the Ollama plugin documents for base_url= too
    "host and port without a scheme": ({"base_url": "127.0.0.1:11434"}, {"base_url": "127.0.0.1:11434"}),
    "host name and port without a scheme": ({"base_url": "gpu-box:11434"}, {"base_url": "gpu-box:11434"}),
    "metadata": ({"metadata": {"user": "u-1"}}, {"metadata": {"user": "u-1"}}),
    "options": ({"options": {"scripted": {"logprobs": True}}}, {"options": {"scripted": {"logprobs": True}}}),
    "a Secret api_key": ({"api_key": Secret("sk-x-0123456789abcdef")}, {}),
    "an assistant message holding only a tool call": (
        {
            "messages": [
                Message.user("Weather?"),
                Message.assistant([ToolCallPart("c1", "weather", {"city": "Paris"})]),
                Message.tool("c1", "sunny"),
            ],
        },
        {},
    ),
    "an empty text part next to a tool call": (
        {
            "messages": [
                Message.user("Weather?"),
                Message.assistant([TextPart(""), ToolCallPart("c1", "weather", {})]),
                Message.tool("c1", "sunny"),
            ],
        },
        {},
    ),
    "an empty text part next to text": (
        {"messages": [Message.user([TextPart("one"), TextPart("")])]},
        {},
    ),
}


@pytest.mark.parametrize(("case", "expected"), list(GOOD_CHAT.values()), ids=list(GOOD_CHAT))
async def test_good_chat_arguments_reach_the_provider(case: dict[str, Any], expected: dict[str, Any]) -> None:
    client, provider = make()
    model, prompt, kwargs = call_args(case)
    await client.agenerate(model, prompt, **kwargs)
    (request,) = provider.requests
    for field, value in expected.items():
        assert getattr(request, field) == value


# --------------------------------------------------------------------------- bad embed arguments

BAD_EMBED: dict[str, tuple[dict[str, Any], str]] = {
    "model None": ({"model": None}, "model"),
    "model int": ({"model": 42}, "model"),
    "inputs bytes": ({"inputs": b"x"}, "inputs"),
    "inputs an int": ({"inputs": 42}, "inputs"),
    "inputs holding bytes": ({"inputs": ["x", b"y"]}, "inputs"),
    "dimensions -3": ({"dimensions": -3}, "dimensions"),
    "dimensions 0": ({"dimensions": 0}, "dimensions"),
    "dimensions 1.5": ({"dimensions": 1.5}, "dimensions"),
    "dimensions bool": ({"dimensions": True}, "dimensions"),
    "dimensions a string": ({"dimensions": "8"}, "dimensions"),
    "unknown input_type": ({"input_type": "questions"}, "input_type"),
    "input_type an int": ({"input_type": 1}, "input_type"),
    "options value a string": ({"options": {"openai": "x"}}, "options"),
    "api_key int": ({"api_key": 123}, "api_key"),
    "base_url ftp": ({"base_url": "ftp://example.com"}, "base_url"),
    "timeout nan": ({"timeout": NAN}, "timeout"),
    "timeout a string": ({"timeout": "x"}, "timeout"),
    "timeout zero": ({"timeout": 0}, "timeout"),
}


@pytest.mark.parametrize(("case", "argument"), list(BAD_EMBED.values()), ids=list(BAD_EMBED))
async def test_bad_embed_arguments_are_rejected_before_the_provider_sees_a_request(
    case: dict[str, Any], argument: str
) -> None:
    client, provider = make()
    kwargs = dict(case)
    model = kwargs.pop("model", "scripted:e")
    inputs = kwargs.pop("inputs", ["x"])
    with pytest.raises(RequestValidationError) as caught:
        await client.aembed(model, inputs, **kwargs)
    _assert_names(caught, argument)
    with pytest.raises(RequestValidationError) as caught:
        client.embed(model, inputs, **kwargs)
    _assert_names(caught, argument)
    assert provider.requests == []


async def test_good_embed_arguments_reach_the_provider() -> None:
    client, provider = make()
    response = await client.aembed("scripted:e", ["a", "b"], dimensions=4, input_type="query", timeout=5)
    assert [len(v) for v in response.embeddings] == [4, 4]
    (request,) = provider.requests
    assert isinstance(request, EmbedRequest)
    assert (request.dimensions, request.input_type, request.timeout) == (4, "query", 5)


# --------------------------------------------------------------------------- prebuilt requests

BAD_PREBUILT: dict[str, tuple[ChatRequest | EmbedRequest, str]] = {
    "chat temperature nan": (ChatRequest("scripted:m", (Message.user("Hi"),), temperature=NAN), "temperature"),
    "chat max_tokens 0": (ChatRequest("scripted:m", (Message.user("Hi"),), max_tokens=0), "max_tokens"),
    "chat empty message": (ChatRequest("scripted:m", (Message.user(""),)), "messages"),
    "chat stop not a tuple of strings": (
        ChatRequest("scripted:m", (Message.user("Hi"),), stop=(1,)),  # type: ignore[arg-type]
        "stop",
    ),
    "chat base_url": (ChatRequest("scripted:m", (Message.user("Hi"),), base_url="file:///etc"), "base_url"),
    "chat options": (ChatRequest("scripted:m", (Message.user("Hi"),), options={"x": "y"}), "options"),  # type: ignore[dict-item]
    "embed dimensions": (EmbedRequest("scripted:e", ("x",), dimensions=-3), "dimensions"),
    "embed input_type": (EmbedRequest("scripted:e", ("x",), input_type="questions"), "input_type"),  # type: ignore[arg-type]
    "embed empty inputs": (EmbedRequest("scripted:e", ()), "inputs"),
}


@pytest.mark.parametrize(("request_", "argument"), list(BAD_PREBUILT.values()), ids=list(BAD_PREBUILT))
async def test_a_prebuilt_request_is_checked_the_same_way(request_: ChatRequest | EmbedRequest, argument: str) -> None:
    client, provider = make()
    call = client.agenerate(request_) if isinstance(request_, ChatRequest) else client.aembed(request_)
    with pytest.raises(RequestValidationError) as caught:
        await call
    _assert_names(caught, argument)
    assert provider.requests == []


def test_a_valid_prebuilt_request_is_passed_on_unchanged() -> None:
    request = ChatRequest("scripted:m", (Message.user("Hi"),), temperature=0.5, max_tokens=3, stop=("x",))
    assert build_chat_request(request) is request
    embed = EmbedRequest("scripted:e", ("x",), dimensions=3, input_type="document")
    assert build_embed_request(embed) is embed


# --------------------------------------------------------------------------- LLUMINARY_MAX_CONNECTIONS


@pytest.mark.parametrize("value", ["abc", "1.5", "0", "-4"])
def test_a_bad_max_connections_variable_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    from lluminary import _settings

    monkeypatch.setattr(_settings, "_default_pool", None)
    monkeypatch.setenv("LLUMINARY_MAX_CONNECTIONS", value)
    with pytest.raises(ConfigurationError) as caught:
        _settings.ProviderSettings().pool_options()
    assert "LLUMINARY_MAX_CONNECTIONS" in str(caught.value)
    assert repr(value) in str(caught.value)
    assert caught.value.env_var == "LLUMINARY_MAX_CONNECTIONS"


def test_a_good_max_connections_variable_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    from lluminary import _settings

    monkeypatch.setattr(_settings, "_default_pool", None)
    monkeypatch.setenv("LLUMINARY_MAX_CONNECTIONS", " 7 ")
    assert _settings.ProviderSettings().pool_options().max_connections == 7


# --------------------------------------------------------------------------- system messages

#: id -> (messages, system=, the request's system, the request's messages' texts)
SYSTEM_MESSAGES: dict[str, tuple[list[Any], str | None, str, list[str]]] = {
    "a mapping": (
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Q"}],
        None,
        "Be brief.",
        ["Q"],
    ),
    "after system=": ([{"role": "system", "content": "B"}, Message.user("Q")], "A", "A\n\nB", ["Q"]),
    "several": (
        [{"role": "system", "content": "B"}, {"role": "system", "content": "C"}, Message.user("Q")],
        "A",
        "A\n\nB\n\nC",
        ["Q"],
    ),
    "after the first user turn": (
        [Message.user("Q"), Message.assistant("R"), {"role": "system", "content": "Now be formal."}],
        None,
        "Now be formal.",
        ["Q", "R"],
    ),
    "a Message with role system": ([Message("system", "Be kind."), Message.user("Q")], None, "Be kind.", ["Q"]),  # type: ignore[arg-type]
    "text parts": (
        [{"role": "system", "content": [{"type": "text", "text": "One"}, {"type": "text", "text": " two"}]}],
        None,
        "One two",
        [],
    ),
    "system= empty": ([{"role": "system", "content": "B"}], "", "B", []),
}


@pytest.mark.parametrize(
    ("messages", "system", "expected_system", "texts"), list(SYSTEM_MESSAGES.values()), ids=list(SYSTEM_MESSAGES)
)
async def test_system_messages_are_lifted_to_system(
    messages: list[Any], system: str | None, expected_system: str, texts: list[str]
) -> None:
    client, provider = make()
    prompt = None if texts else "Hi"
    await client.agenerate("scripted:m", prompt, messages=messages, system=system)
    (request,) = provider.requests
    assert isinstance(request, ChatRequest)
    assert request.system == expected_system
    assert [m.text for m in request.messages] == (texts or ["Hi"])
    assert all(m.role != "system" for m in request.messages)


async def test_only_system_messages_are_still_no_conversation() -> None:
    client, provider = make()
    with pytest.raises(RequestValidationError, match="at least one message"):
        await client.agenerate("scripted:m", messages=[{"role": "system", "content": "Be brief."}])
    assert provider.requests == []


async def test_a_prebuilt_request_with_a_system_message_is_lifted() -> None:
    client, provider = make()
    request = ChatRequest("scripted:m", (Message("system", "S"), Message.user("Hi")), system="A")  # type: ignore[arg-type]
    await client.agenerate(request)
    (sent,) = provider.requests
    assert isinstance(sent, ChatRequest)
    assert (sent.system, sent.messages) == ("A\n\nS", (Message.user("Hi"),))


# --------------------------------------------------------------------------- response_format shapes

#: id -> (the response_format given, the ResponseFormat the provider receives)
RESPONSE_FORMATS: dict[str, tuple[Any, ResponseFormat | None]] = {
    "OpenAI json_schema wrapper": (
        {"type": "json_schema", "json_schema": {"name": "person", "schema": SCHEMA, "strict": True}},
        ResponseFormat("json_schema", SCHEMA, "person", strict=True),
    ),
    "OpenAI wrapper, strict false": (
        {"type": "json_schema", "json_schema": {"name": "person", "schema": SCHEMA, "strict": False}},
        ResponseFormat("json_schema", SCHEMA, "person", strict=False),
    ),
    "OpenAI wrapper without strict (OpenAI's default: false)": (
        {"type": "json_schema", "json_schema": {"name": "person", "schema": SCHEMA}},
        ResponseFormat("json_schema", SCHEMA, "person", strict=False),
    ),
    "OpenAI wrapper with a description": (
        {"type": "json_schema", "json_schema": {"name": "p", "description": "A person.", "schema": SCHEMA}},
        ResponseFormat("json_schema", SCHEMA, "p", strict=False),
    ),
    "OpenAI inner object": (
        {"name": "person", "schema": SCHEMA, "strict": True},
        ResponseFormat("json_schema", SCHEMA, "person", strict=True),
    ),
    "OpenAI inner object, strict None": (
        {"name": "person", "schema": SCHEMA, "strict": None},
        ResponseFormat("json_schema", SCHEMA, "person", strict=False),
    ),
    "OpenAI Responses API text.format": (
        {"type": "json_schema", "name": "person", "schema": SCHEMA, "strict": True},
        ResponseFormat("json_schema", SCHEMA, "person", strict=True),
    ),
    "json_object": ({"type": "json_object"}, ResponseFormat("json")),
    "the string json": ("json", ResponseFormat("json")),
    "a plain schema": (SCHEMA, ResponseFormat("json_schema", SCHEMA, "response", strict=True)),
    "a plain schema with a title": (
        {**SCHEMA, "title": "Person"},
        ResponseFormat("json_schema", {**SCHEMA, "title": "Person"}, "Person", strict=True),
    ),
    "a schema with only properties": (
        {"properties": {"a": {"type": "integer"}}},
        ResponseFormat("json_schema", {"properties": {"a": {"type": "integer"}}}),
    ),
    "a schema with only anyOf": (
        {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        ResponseFormat("json_schema", {"anyOf": [{"type": "string"}, {"type": "integer"}]}),
    ),
    "a schema with only $schema and $ref": (
        {"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": "#/$defs/a", "$defs": {"a": {}}},
        ResponseFormat(
            "json_schema",
            {"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": "#/$defs/a", "$defs": {"a": {}}},
        ),
    ),
    "an array schema": (
        {"type": "array", "items": {"type": "string"}},
        ResponseFormat("json_schema", {"type": "array", "items": {"type": "string"}}),
    ),
    "a ResponseFormat": (
        ResponseFormat("json_schema", SCHEMA, "x", False),
        ResponseFormat("json_schema", SCHEMA, "x", False),
    ),
    "None": (None, None),
}


@pytest.mark.parametrize(("given", "expected"), list(RESPONSE_FORMATS.values()), ids=list(RESPONSE_FORMATS))
async def test_response_format_shapes(given: Any, expected: ResponseFormat | None) -> None:
    client, provider = make()
    await client.agenerate("scripted:m", "Hi", response_format=given)
    (request,) = provider.requests
    assert isinstance(request, ChatRequest)
    assert request.response_format == expected


BAD_RESPONSE_FORMATS: dict[str, Any] = {
    "schema plus an unknown key": {"name": "person", "schema": SCHEMA, "format": "json"},
    "schema plus schema keywords": {"schema": SCHEMA, "type": "object"},
    "wrapper without json_schema": {"type": "json_schema"},
    "Responses API form with an unknown key": {"type": "json_schema", "name": "p", "schema": SCHEMA, "x": 1},
    "wrapper with an unknown key": {"type": "json_schema", "json_schema": {"name": "p", "schema": SCHEMA}, "x": 1},
    "wrapper with a bad inner object": {"type": "json_schema", "json_schema": {"name": "p", "schemas": SCHEMA}},
    "wrapper with json_schema not a mapping": {"type": "json_schema", "json_schema": "person"},
    "inner object without a schema": {"name": "person", "strict": True},
    "inner schema not a mapping": {"name": "person", "schema": "object"},
    "inner name not a string": {"name": 42, "schema": SCHEMA},
    "inner strict not a bool": {"name": "p", "schema": SCHEMA, "strict": "yes"},
    "json_object with extra keys": {"type": "json_object", "schema": SCHEMA},
    "type text": {"type": "text"},
    "neither a schema nor a wrapper": {"foo": 1},
    "an empty dict": {},
    "an unknown type": {"type": "yaml"},
    "a ResponseFormat without a schema": ResponseFormat("json_schema", None),
}


@pytest.mark.parametrize("given", list(BAD_RESPONSE_FORMATS.values()), ids=list(BAD_RESPONSE_FORMATS))
async def test_an_ambiguous_response_format_is_rejected(given: Any) -> None:
    client, provider = make()
    with pytest.raises(RequestValidationError, match="response_format"):
        await client.agenerate("scripted:m", "Hi", response_format=given)
    assert provider.requests == []


# --------------------------------------------------------------------------- typed keyword arguments


def _keyword_only(function: Any) -> set[str]:
    return {
        name for name, p in inspect.signature(function).parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY
    }


def test_the_options_typeddicts_list_exactly_the_request_builders_keywords() -> None:
    assert lluminary.ChatOptions is lluminary.sdk.ChatOptions
    assert lluminary.EmbedOptions is lluminary.sdk.EmbedOptions
    assert "ChatOptions" in lluminary.__all__
    assert "EmbedOptions" in lluminary.sdk.__all__
    assert set(typing.get_type_hints(lluminary.ChatOptions)) == _keyword_only(build_chat_request)
    assert set(typing.get_type_hints(lluminary.EmbedOptions)) == _keyword_only(build_embed_request)
    assert lluminary.ChatOptions.__total__ is False
    assert lluminary.EmbedOptions.__total__ is False


@pytest.mark.parametrize(
    "function",
    [
        Client.agenerate,
        Client.astream,
        Client.generate,
        Client.stream,
        Client.acount_tokens,
        Client.count_tokens,
        Client.aembed,
        Client.embed,
        lluminary.agenerate,
        lluminary.astream,
        lluminary.generate,
        lluminary.stream,
        lluminary.aembed,
        lluminary.embed,
    ],
    ids=lambda f: f.__qualname__,
)
def test_every_api_function_types_its_keyword_arguments(function: Any) -> None:
    hints = typing.get_type_hints(function)
    kwargs = hints["kwargs"]
    assert typing.get_origin(kwargs) is typing.Unpack
    (options,) = typing.get_args(kwargs)
    assert options is (lluminary.EmbedOptions if "embed" in function.__name__ else lluminary.ChatOptions)
    if "count_tokens" not in function.__name__:
        assert {"cache", "parent_id", "deadline"} <= _keyword_only(function)


TYPED_CALLS = """\
    import lluminary
    from lluminary import Client


    async def main(client: Client) -> None:
        await client.agenerate("openai:gpt-4o", "hi", {typo}=0.2)
        client.generate("openai:gpt-4o", "hi", {typo}=0.2, fallbacks=["anthropic:claude-haiku-4-5"])
        client.astream("openai:gpt-4o", "hi", {typo}=0.2, cache=False)
        client.stream("openai:gpt-4o", "hi", {typo}=0.2, deadline=30)
        await client.acount_tokens("openai:gpt-4o", "hi", {typo}=0.2)
        await client.aembed("openai:text-embedding-3-small", "hi", {embed_typo}=256)
        lluminary.generate("openai:gpt-4o", "hi", {typo}=0.2, parent_id="p")
        lluminary.embed("openai:text-embedding-3-small", "hi", {embed_typo}=256)
        await client.agenerate("openai:gpt-4o", "hi", reasoning={reasoning!r}, max_tokens=10, stop=["x"])
"""


@pytest.mark.integration
def test_a_type_checker_catches_a_misspelt_keyword(tmp_path: Path) -> None:
    """mypy --strict, run as a user would: the misspelt keywords (and an effort that does not exist)
    are errors, the same calls spelt right are clean."""
    bad = tmp_path / "bad_calls.py"
    good = tmp_path / "good_calls.py"
    bad.write_text(textwrap.dedent(TYPED_CALLS.format(typo="temprature", embed_typo="dimension", reasoning="extreme")))
    good.write_text(textwrap.dedent(TYPED_CALLS.format(typo="temperature", embed_typo="dimensions", reasoning="high")))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--show-error-codes",
            "--cache-dir",
            str(tmp_path / ".mypy_cache"),
            str(bad),
            str(good),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    errors = [line for line in output.splitlines() if ": error:" in line]
    assert errors, output
    assert not [line for line in errors if "good_calls.py" in line], output
    bad_lines = {int(line.split(":")[1]) for line in errors if "bad_calls.py" in line}
    assert bad_lines == set(range(6, 15)), output  # every call of the bad file, and nothing else
    assert any('"temprature"' in line for line in errors), output
    assert any('"dimension"' in line for line in errors), output
    assert any('"extreme"' in line or "reasoning" in line for line in errors), output
