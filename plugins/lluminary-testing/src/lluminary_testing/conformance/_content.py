"""Structured output, images and reasoning carried across turns."""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import AsyncIterator
from typing import TypeVar

import pytest

from lluminary import (
    Client,
    ImagePart,
    Message,
    OutputValidationError,
    ReasoningPart,
    ResponseFormat,
    TextPart,
    ToolCallPart,
)
from lluminary_testing.scenario import Scenario, ToolCallSpec
from lluminary_testing.server import FakeServer

from ._base import WEATHER_TOOL, ConformanceBase
from ._guard import covered_by

PERSON_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}
T = TypeVar("T")


@dataclasses.dataclass
class Person:
    """The type whose strict schema is :data:`PERSON_SCHEMA`."""

    name: str
    age: int


async def _collect(items: AsyncIterator[T]) -> list[T]:
    return [item async for item in items]


#: The smallest valid PNG (1x1, transparent).
PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


class ContentTests(ConformanceBase):
    @covered_by("supports_structured_output")
    @pytest.mark.asyncio
    @pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
    async def test_structured_output(self, client: Client, server: FakeServer, streamed: bool) -> None:
        """A JSON-schema response format is sent with the schema, and the answer parses against it.

        Troubleshooting: check the provider's structured-output field (wire_json_schema) carries
        the schema unchanged (name and strictness are the provider's business)."""
        self.need(self.supports_structured_output, f"{self.provider}: supports_structured_output = False")
        server.script(Scenario(text=['{"name": "Ada", ', '"age": 36}']))
        response_format = ResponseFormat("json_schema", PERSON_SCHEMA, name="person")
        response = await self.call(streamed, client, server, "Who?", response_format=response_format)
        assert json.loads(response.text) == {"name": "Ada", "age": 36}
        assert self.wire_json_schema(self.body(server)) == PERSON_SCHEMA

    @covered_by("supports_structured_output")
    @pytest.mark.asyncio
    @pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
    async def test_structured_output_from_a_type(self, client: Client, server: FakeServer, streamed: bool) -> None:
        """A dataclass as the response format: its strict JSON schema goes on the wire and the
        reply's ``parsed`` is an instance of it, streamed or not.

        Troubleshooting: the schema is derived by the kernel; if it arrives changed, check the
        provider's structured-output mapping (wire_json_schema) passes it through untouched."""
        self.need(self.supports_structured_output, f"{self.provider}: supports_structured_output = False")
        server.script(Scenario(text=['{"name": ', '"Ada", "age"', ": 36}"]))
        response = await self.call(streamed, client, server, "Who?", response_format=Person)
        assert response.parsed == Person("Ada", 36)
        assert self.wire_json_schema(self.body(server)) == PERSON_SCHEMA

    @covered_by("supports_structured_output", "supports_streaming")
    @pytest.mark.asyncio
    async def test_structured_output_streams_partial_objects(self, client: Client, server: FakeServer) -> None:
        """While the answer streams, ``partial_objects()`` yields the object as it grows; the last
        one is the whole answer, and the response parses into the type.

        Troubleshooting: partial objects are built from the text deltas; a provider that sends the
        JSON anywhere else (a tool call, a separate field) must turn it into text deltas."""
        self.need(self.supports_structured_output, f"{self.provider}: supports_structured_output = False")
        self.need_streaming()
        server.script(Scenario(text=['{"name": "A', 'da", ', '"age": 3', "6}"]))
        stream = client.astream(self.model, "Who?", **self.call_options(server, response_format=Person))
        try:
            partials = await self.within(_collect(stream.partial_objects()))
            response = await stream.response()
        finally:
            await stream.aclose()
        assert partials[-1] == {"name": "Ada", "age": 36}
        assert len(partials) >= 2  # it grew in steps, not all at once at the end
        assert response.parsed == Person("Ada", 36)

    @covered_by("supports_structured_output")
    @pytest.mark.asyncio
    @pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
    async def test_structured_output_that_does_not_validate(
        self, client: Client, server: FakeServer, streamed: bool
    ) -> None:
        """An answer that does not fit the type raises ``OutputValidationError`` carrying the raw
        text (nothing is lost), streamed or not.

        Troubleshooting: the kernel validates the answer's text; if ``raw`` differs from what the
        server sent, the provider changed the text on the way (trimmed it, joined parts wrongly)."""
        self.need(self.supports_structured_output, f"{self.provider}: supports_structured_output = False")
        server.script(Scenario(text='{"name": "Ada"}'))
        with pytest.raises(OutputValidationError) as info:
            await self.call(streamed, client, server, "Who?", response_format=Person)
        assert info.value.raw == '{"name": "Ada"}'

    @covered_by("supports_images", "supports_image_urls")
    @pytest.mark.asyncio
    async def test_image_url(self, client: Client, server: FakeServer) -> None:
        """An image given by URL is sent next to the text of the same message.

        Troubleshooting: check the image part conversion (wire_images); providers without URL
        images set supports_image_urls = False."""
        self.need(self.supports_images, f"{self.provider}: supports_images = False")
        self.need(self.supports_image_urls, f"{self.provider}: supports_image_urls = False")
        server.script(Scenario(text="A cat."))
        url = "https://example.com/cat.png"
        message = Message.user([TextPart("What is this?"), ImagePart(url=url)])
        response = await self.generate(client, server, None, messages=[message])
        assert response.text == "A cat."
        images = self.wire_images(self.body(server))
        assert len(images) == 1
        assert images[0].url == url

    @covered_by("supports_images")
    @pytest.mark.asyncio
    async def test_image_bytes(self, client: Client, server: FakeServer) -> None:
        """An image given as bytes is sent base64-encoded with its media type.

        Troubleshooting: check the image part conversion: base64 of the raw bytes (standard
        alphabet, padded) and the media type, as a data URL or a source block."""
        self.need(self.supports_images, f"{self.provider}: supports_images = False")
        server.script(Scenario(text="A dot."))
        message = Message.user([TextPart("What is this?"), ImagePart(data=PNG_1X1, media_type="image/png")])
        response = await self.generate(client, server, None, messages=[message])
        assert response.text == "A dot."
        images = self.wire_images(self.body(server))
        assert len(images) == 1
        assert images[0].media_type == "image/png"
        assert images[0].data is not None
        assert base64.b64decode(images[0].data) == PNG_1X1

    @covered_by("supports_reasoning")
    @pytest.mark.asyncio
    @pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
    async def test_reasoning_across_tool_turn(self, client: Client, server: FakeServer, streamed: bool) -> None:
        """Reasoning comes back as a ReasoningPart (with its signature where the provider signs it)
        and is sent back unchanged in the next turn of a tool-call loop.

        Troubleshooting: the reasoning part must keep its provider, id and opaque token
        (signature or encrypted content, see reasoning_token) and the message conversion must put
        it back before the tool call it preceded (wire_reasoning_tokens)."""
        self.need(self.supports_reasoning, f"{self.provider}: supports_reasoning = False")
        self.need_tools()
        model = self.reasoning_model or self.model
        signature = "sig-opaque-Zm9vYmFy/123==" if self.supports_reasoning_signature else None
        first = Scenario(
            reasoning=["The user wants ", "the weather."],
            signature=signature,
            tool_calls=[ToolCallSpec("call_th1", "get_weather", '{"city": "Paris"}')],
        )
        server.script(first, Scenario(text="It is sunny in Paris."))
        kwargs = {"tools": [WEATHER_TOOL], **self.reasoning_kwargs()}
        turn1 = await self.call(streamed, client, server, "Weather in Paris?", model=model, **kwargs)
        reasoning = [p for p in turn1.message.content if isinstance(p, ReasoningPart)]
        assert len(reasoning) == 1, f"expected one reasoning part, got {turn1.message.content!r}"
        part = reasoning[0]
        assert part.text == "The user wants the weather."
        assert part.provider == self.provider
        if signature is not None:
            assert self.reasoning_token(part) == signature
        assert turn1.tool_calls == (ToolCallPart("call_th1", "get_weather", {"city": "Paris"}),)
        history = [Message.user("Weather in Paris?"), turn1.message, Message.tool("call_th1", "18C, sunny")]
        turn2 = await self.call(streamed, client, server, None, model=model, messages=history, **kwargs)
        assert turn2.text == "It is sunny in Paris."
        if signature is not None:
            assert signature in self.wire_reasoning_tokens(self.body(server))
