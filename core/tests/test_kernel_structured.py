"""Structured output from Python types: the schema sent, the answer parsed into the type, a bad
answer as a typed error that keeps the raw text, and partial objects while streaming."""

from __future__ import annotations

import dataclasses
from typing import Any, TypedDict

import attrs
import pytest

from lluminary import Client, OutputValidationError
from lluminary._plugins import PluginManager
from lluminary._structured import strict_schema
from lluminary.sdk import ChatResponse, Finish, Message, ScriptedProvider, TextDelta, TextPart, Usage, UsageEvent


@pytest.fixture(autouse=True)
def _no_installed_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLUMINARY_PLUGINS", "")


@dataclasses.dataclass
class Weather:
    city: str
    celsius: float
    note: str = ""


@attrs.define
class Forecast:
    days: list[Weather]
    source: str | None = None


class Point(TypedDict):
    x: int
    y: int


def answer(text: str) -> ChatResponse:
    return ChatResponse(Message("assistant", (TextPart(text),)), "stop", usage=Usage(3, 4))


def make(*script: Any) -> tuple[Client, ScriptedProvider]:
    pm = PluginManager()
    provider = ScriptedProvider("scripted", script)
    pm.register(provider)
    return Client(plugins=pm, retries=1), provider


async def test_a_dataclass_answer_is_parsed_and_its_strict_schema_sent() -> None:
    client, provider = make(answer('{"city": "Paris", "celsius": 21, "note": null}'))
    reply = await client.agenerate("scripted:m", "weather?", response_format=Weather)
    assert reply.parsed == Weather("Paris", 21.0)
    sent = provider.requests[0].response_format
    assert sent.name == "Weather"
    assert sent.strict is True
    assert sent.json_schema == {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "celsius": {"type": "number"},
            "note": {"type": ["string", "null"]},
        },
        "required": ["city", "celsius", "note"],
        "additionalProperties": False,
    }


async def test_nested_attrs_and_typed_dict_answers() -> None:
    client, _ = make(
        answer('{"days": [{"city": "Oslo", "celsius": -3.5, "note": "snow"}], "source": null}'),
        answer('{"x": 1, "y": 2}'),
    )
    forecast = (await client.agenerate("scripted:m", "forecast", response_format=Forecast)).parsed
    assert forecast == Forecast([Weather("Oslo", -3.5, "snow")])
    assert (await client.agenerate("scripted:m", "point", response_format=Point)).parsed == {"x": 1, "y": 2}


async def test_an_answer_that_does_not_validate_keeps_its_raw_text() -> None:
    client, _ = make(answer('{"city": "Paris"}'), answer("Sunny, 21 degrees."))
    with pytest.raises(OutputValidationError, match="does not match Weather") as info:
        await client.agenerate("scripted:m", "weather?", response_format=Weather)
    assert info.value.raw == '{"city": "Paris"}'
    assert "celsius" in info.value.errors
    with pytest.raises(OutputValidationError, match="not valid JSON") as bad:
        await client.agenerate("scripted:m", "weather?", response_format=Weather)
    assert bad.value.raw == "Sunny, 21 degrees."


async def test_a_stream_grows_a_partial_object_then_parses_the_whole() -> None:
    pieces = ['{"city": "Par', 'is", "cel', 'sius": 2', "1.5", ', "note": "warm"}']
    events = [TextDelta(p) for p in pieces] + [UsageEvent(Usage(3, 9)), Finish("stop")]
    client, _ = make(events)
    stream = client.astream("scripted:m", "weather?", response_format=Weather)
    partials = [dict(p) async for p in stream.partial_objects()]
    assert partials[0] == {}
    assert {"city": "Paris"} in partials
    assert partials[-1] == {"city": "Paris", "celsius": 21.5, "note": "warm"}
    assert (await stream.response()).parsed == Weather("Paris", 21.5, "warm")


async def test_a_cached_answer_is_parsed_again() -> None:
    pm = PluginManager()
    provider = ScriptedProvider("scripted", [answer('{"x": 3, "y": 4}')])
    pm.register(provider)
    client = Client(plugins=pm, cache="memory://?structured=1")
    first = await client.agenerate("scripted:m", "p", response_format=Point)
    again = await client.agenerate("scripted:m", "p", response_format=Point)
    assert again.cached
    assert again.parsed == first.parsed == {"x": 3, "y": 4}


async def test_a_pydantic_model_is_used_through_its_own_methods() -> None:
    pydantic = pytest.importorskip("pydantic")

    class City(pydantic.BaseModel):  # type: ignore[name-defined,misc]
        name: str
        population: int | None = None

    client, provider = make(answer('{"name": "Lyon", "population": null}'))
    reply = await client.agenerate("scripted:m", "a city", response_format=City)
    assert reply.parsed == City(name="Lyon")
    schema = provider.requests[0].response_format.json_schema
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["name", "population"]


def test_strict_schema_handles_refs_arrays_and_unions() -> None:
    schema = {
        "type": "object",
        "properties": {"items": {"type": "array", "items": {"$ref": "#/$defs/Item"}}},
        "$defs": {
            "Item": {
                "type": "object",
                "properties": {"a": {"type": "integer"}, "b": {"anyOf": [{"type": "string"}]}},
                "required": ["a"],
            }
        },
    }
    strict = strict_schema(schema)
    item = strict["$defs"]["Item"]
    assert item["required"] == ["a", "b"]
    assert item["additionalProperties"] is False
    assert item["properties"]["b"] == {"anyOf": [{"anyOf": [{"type": "string"}]}, {"type": "null"}]}
    assert strict["required"] == ["items"]
    assert schema["$defs"]["Item"]["required"] == ["a"]  # the input is not changed


def test_a_type_that_is_not_a_record_is_rejected_before_any_io() -> None:
    from lluminary import RequestValidationError

    client, provider = make(answer("{}"))
    with pytest.raises(RequestValidationError, match="response_format type int"):
        client.generate("scripted:m", "hi", response_format=int)
    assert provider.requests == []
