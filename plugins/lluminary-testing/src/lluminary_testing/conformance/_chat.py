"""Plain chat: generate, stream, the stream/response equivalence, system prompt, stop, max tokens, usage."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from lluminary import (
    ChatResponse,
    Client,
    ConfigurationError,
    Finish,
    Message,
    TextDelta,
    TextPart,
    ToolCallPart,
    Usage,
    UsageEvent,
)
from lluminary.sdk import from_json, to_json
from lluminary_testing.scenario import Scenario, ToolCallSpec
from lluminary_testing.server import FakeServer, Fault

from ._base import TIME_TOOL, WEATHER_TOOL, ConformanceBase
from ._guard import covered_by

EQUIVALENCE_SCENARIOS = {
    "text": Scenario(text=["Hel", "lo, ", "wor", "ld!"]),
    "tool_call": Scenario(tool_calls=[ToolCallSpec("call_eq_1", "get_weather", '{"city": "Paris"}')]),
    "text_and_tool": Scenario(
        text=["Let me ", "check."],
        tool_calls=[ToolCallSpec("call_eq_2", "get_weather", '{"city": "Rome"}', ('{"ci', 'ty": "R', 'ome"}'))],
    ),
    "parallel_tools": Scenario(
        tool_calls=[
            ToolCallSpec("call_eq_3", "get_weather", '{"city": "Oslo"}'),
            ToolCallSpec("call_eq_4", "get_time", "{}"),
        ]
    ),
}


class ChatTests(ConformanceBase):
    @covered_by("supports_response_ids")
    @pytest.mark.asyncio
    async def test_generate_text(self, client: Client, server: FakeServer) -> None:
        """A non-streamed call returns the scripted text, finish reason, model, id and usage.

        Troubleshooting: if this fails, check the request path your provider posts to, that it
        parses the text of the final response body and maps its finish reason to "stop"."""
        scenario = Scenario(text="Hello there!", id="resp_conf_1", model="fake-model-1")
        server.script(scenario)
        response = await self.generate(client, server)
        assert response.text == "Hello there!"
        assert response.finish_reason == "stop"
        assert response.message.role == "assistant"
        assert response.message.content == (TextPart("Hello there!"),)
        assert response.model == "fake-model-1"
        if self.supports_response_ids:
            assert response.id == "resp_conf_1"
        assert response.provider == self.provider
        assert response.usage.input_tokens == scenario.usage.input_tokens
        assert response.usage.output_tokens == scenario.usage.output_tokens
        assert not self.wire_stream_requested(self.body(server)), "generate asked for a stream"

    @pytest.mark.asyncio
    async def test_stream_text(self, client: Client, server: FakeServer) -> None:
        """A streamed call yields the text pieces as they come, usage, and a Finish as the last event.

        Troubleshooting: check that the provider asks for a stream, decodes every frame, yields a
        TextDelta per text piece, turns the provider's usage into a UsageEvent and ends with
        exactly one Finish."""
        self.need_streaming()
        pieces = ["Hel", "lo, ", "wor", "ld!"]
        server.script(Scenario(text=pieces))
        events, response = await self.stream(client, server)
        assert [e.text for e in events if isinstance(e, TextDelta) and e.text] == pieces
        assert isinstance(events[-1], Finish), f"the last event is {events[-1]!r}, not a Finish"
        assert sum(isinstance(e, Finish) for e in events) == 1, "more than one Finish"
        assert any(isinstance(e, UsageEvent) for e in events), "no usage in the stream"
        assert response.text == "Hello, world!"
        assert response.finish_reason == "stop"
        assert self.wire_stream_requested(self.body(server)), "stream did not ask for a stream"

    @pytest.mark.asyncio
    @pytest.mark.parametrize("case", sorted(EQUIVALENCE_SCENARIOS))
    async def test_stream_equals_generate(self, client: Client, server: FakeServer, case: str) -> None:
        """For the same scenario, the accumulated stream equals the non-streamed response.

        Troubleshooting: compare the two responses field by field (the assertion shows both):
        usually a text part split differently, a tool call whose arguments parse differently, a
        finish reason or usage only one of the two paths maps, or an id/model taken from
        different places."""
        self.need_streaming()
        scenario = EQUIVALENCE_SCENARIOS[case]
        if scenario.tool_calls:
            self.need_tools()
        if len(scenario.tool_calls) > 1:
            self.need(self.supports_parallel_tools, f"{self.provider}: supports_parallel_tools = False")
        tools = [WEATHER_TOOL, TIME_TOOL] if scenario.tool_calls else None
        server.script(scenario, scenario)
        generated = await self.generate(client, server, "Weather?", tools=tools)
        _, streamed = await self.stream(client, server, "Weather?", tools=tools)
        assert streamed == generated

    @pytest.mark.asyncio
    @pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
    async def test_usage_reported(self, client: Client, server: FakeServer, streamed: bool) -> None:
        """Every usage field the provider reports (cached and reasoning tokens included) arrives in
        the response, streamed or not, following lluminary's token conventions.

        Troubleshooting: input_tokens must count all input (cache reads included) and
        output_tokens all output (reasoning included); check the provider's usage mapping and,
        for streams, that usage is requested (e.g. stream_options) and read from the last frames."""
        usage = Usage(
            input_tokens=120, output_tokens=45, cache_read_tokens=100, cache_write_tokens=8, reasoning_tokens=30
        )
        server.script(Scenario(text="ok", usage=usage))
        response = await self.call(streamed, client, server)
        for field in sorted(self.usage_fields):
            assert getattr(response.usage, field) == getattr(usage, field), f"usage.{field}"

    @covered_by("supports_usage_details")
    @pytest.mark.asyncio
    @pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
    async def test_usage_details_kept(self, client: Client, server: FakeServer, streamed: bool) -> None:
        """The provider's own usage object comes back in ``usage.details`` as it was sent: the
        scripted counts are among its numbers, it survives lluminary's JSON converter unchanged,
        and a stream ends with the same details as the non-streamed answer.

        Troubleshooting: put the wire usage object (a plain dict, unknown keys kept, nothing
        renamed) in ``Usage(details=...)`` on every path; for a stream, the details of its final
        usage (providers that send usage in parts merge them the way the final object reads)."""
        self.need(self.supports_usage_details, f"{self.provider}: supports_usage_details = False")
        plain = Usage(input_tokens=1234, output_tokens=567)
        server.script(Scenario(text="ok", usage=plain))
        response = await self.call(streamed, client, server)
        details = response.usage.details
        assert isinstance(details, dict), f"usage.details is not a plain dict: {details!r}"
        assert details, "usage.details is empty"
        numbers = set(_numbers(details))
        assert {1234, 567} <= numbers, f"the scripted counts 1234 and 567 are not in usage.details: {details!r}"
        restored = from_json(to_json(response), ChatResponse)
        assert restored.usage.details == details, "usage.details changed through to_json/from_json"
        if streamed:
            rich = Usage(
                input_tokens=120, output_tokens=45, cache_read_tokens=100, cache_write_tokens=8, reasoning_tokens=30
            )
            server.script(Scenario(text="ok", usage=rich), Scenario(text="ok", usage=rich))
            generated = await self.generate(client, server)
            streamed_response = (await self.stream(client, server))[1]
            assert generated.usage.details, "usage.details is empty"
            assert streamed_response.usage.details == generated.usage.details

    @covered_by("supports_system_prompt")
    @pytest.mark.asyncio
    @pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
    async def test_system_prompt(self, client: Client, server: FakeServer, streamed: bool) -> None:
        """The system prompt reaches the wire where the provider expects it.

        Troubleshooting: look at where the provider puts system instructions (a system message,
        a top-level field) and at the wire_system hook of the test class."""
        self.need(self.supports_system_prompt, f"{self.provider}: supports_system_prompt = False")
        server.script(Scenario(text="Arr!"))
        response = await self.call(streamed, client, server, "Hi", system="You are a pirate.")
        assert response.text == "Arr!"
        assert self.wire_system(self.body(server)) == "You are a pirate."

    @pytest.mark.asyncio
    async def test_multi_turn_history(self, client: Client, server: FakeServer) -> None:
        """Earlier turns, the assistant's included, are sent in order and the reply is the new turn.

        Troubleshooting: check the message conversion of assistant text parts and that nothing
        in the history is dropped or reordered (the server received the body shown)."""
        server.script(Scenario(text="Your name is Ada."))
        messages = [Message.user("My name is Ada."), Message.assistant("Nice to meet you, Ada."), Message.user("Name?")]
        response = await self.generate(client, server, None, messages=messages)
        assert response.text == "Your name is Ada."
        raw = server.last_request.body.decode("utf-8")
        assert raw.index("My name is Ada.") < raw.index("Nice to meet you, Ada.") < raw.index("Name?")

    @covered_by("supports_stop_sequences")
    @pytest.mark.asyncio
    @pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
    async def test_stop_sequences(self, client: Client, server: FakeServer, streamed: bool) -> None:
        """Stop sequences are sent, and stopping on one is a normal "stop".

        Troubleshooting: check the field the provider uses for stop sequences (wire_stop) and that
        a stop-sequence finish (Anthropic's "stop_sequence") maps to "stop"."""
        self.need(self.supports_stop_sequences, f"{self.provider}: supports_stop_sequences = False")
        server.script(Scenario(text="one, two", stop_sequence="three"))
        response = await self.call(streamed, client, server, "Count", stop=["three", "END"])
        assert self.wire_stop(self.body(server)) == ["three", "END"]
        assert response.finish_reason == "stop"
        assert response.text == "one, two"

    @covered_by("supports_max_tokens")
    @pytest.mark.asyncio
    @pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
    async def test_max_tokens_finish_length(self, client: Client, server: FakeServer, streamed: bool) -> None:
        """max_tokens is sent, and running out of tokens finishes with "length".

        Troubleshooting: check the output-limit field (wire_max_tokens) and the finish-reason map
        ("length", "max_tokens", "max_output_tokens" → "length")."""
        self.need(self.supports_max_tokens, f"{self.provider}: supports_max_tokens = False")
        server.script(Scenario(text="Once upon a", finish="length"))
        response = await self.call(streamed, client, server, "Tell a story", max_tokens=3)
        assert self.wire_max_tokens(self.body(server)) == 3
        assert response.finish_reason == "length"
        assert response.text == "Once upon a"

    @covered_by("supports_content_filter_finish")
    @pytest.mark.asyncio
    @pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
    async def test_content_filter_finish(self, client: Client, server: FakeServer, streamed: bool) -> None:
        """A provider-side refusal or safety stop finishes with "content_filter".

        Troubleshooting: check that the provider's safety finish reason (content_filter,
        refusal, SAFETY, ...) maps to "content_filter" on both paths."""
        self.need(self.supports_content_filter_finish, f"{self.provider}: supports_content_filter_finish = False")
        server.script(Scenario(text="I can't help with that.", finish="content_filter"))
        response = await self.call(streamed, client, server, "Something bad")
        assert response.finish_reason == "content_filter"

    @pytest.mark.asyncio
    async def test_stream_multibyte_text_split_anywhere(self, client: Client, server: FakeServer) -> None:
        """Text with multi-byte characters survives a stream whose bytes are split mid-character.

        Troubleshooting: decode UTF-8 only on complete lines (the kernel's SSEDecoder /
        LineDecoder do), never chunk by chunk."""
        self.need_streaming()
        pieces = ["Grüße ", "aus ", "東京 ", "🎉 ", "café"]
        server.script(Scenario(text=pieces, fault=Fault(rechunk=3)))
        _, response = await self.stream(client, server)
        assert response.text == "".join(pieces)

    def test_sync_api(self, server: FakeServer) -> None:
        """The sync twins (Client.generate / Client.stream) work through the same provider.

        Troubleshooting: the sync API runs the provider on lluminary's background loop; a
        provider that keeps loop-bound state (a client made at import, an asyncio.Lock created
        eagerly) fails here."""
        client = self.make_client()
        server.script(Scenario(text="sync"), Scenario(text=["s", "tream"]))
        assert client.generate(self.model, "Hi", **self.call_options(server)).text == "sync"
        if self.supports_streaming:
            with client.stream(self.model, "Hi", **self.call_options(server)) as stream:
                texts = [e.text for e in stream if isinstance(e, TextDelta)]
                assert "".join(texts) == "stream"
                assert stream.response().text == "stream"

    @pytest.mark.asyncio
    async def test_api_key_sent(self, client: Client, server: FakeServer) -> None:
        """The per-call API key is what goes on the wire.

        Troubleshooting: check that request.api_key (a Secret: call .get()) wins over the
        environment and reaches the auth header (wire_api_key)."""
        server.script(Scenario(text="ok"))
        await self.generate(client, server)
        assert self.wire_api_key(server.last_request) == self.api_key

    @pytest.mark.asyncio
    async def test_missing_api_key(self, client: Client, server: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without a key in the call or the environment, the error names the variable to set.

        Troubleshooting: raise lluminary.ConfigurationError(..., env_var=NAME) before any I/O
        when neither request.api_key nor the environment variable is set."""
        env = self.api_key_env
        self.need(env is not None, f"{self.provider}: api_key_env = None (the provider needs no key)")
        assert env is not None
        monkeypatch.delenv(env, raising=False)
        options = self.call_options(server)
        del options["api_key"]
        with pytest.raises(ConfigurationError) as info:
            await self.within(client.agenerate(self.model, "Hi", **options))
        assert env in str(info.value)
        assert not server.requests, "a request was sent without a key"

    @pytest.mark.asyncio
    async def test_base_url_variants(self, client: Client, server: FakeServer) -> None:
        """The base URL works written with or without the API version suffix and trailing slash.

        Troubleshooting: normalise the base URL once (strip a trailing "/", add or keep the
        version segment) and check the request paths the server recorded."""
        paths = []
        for variant in self.base_url_variants:
            server.script(Scenario(text="ok"))
            url = variant.format(base=server.base_url)
            response = await self.within(
                client.agenerate(self.model, "Hi", base_url=url, api_key=self.api_key), self.hang_limit
            )
            assert response.text == "ok", f"base_url={url!r}"
            paths.append(server.last_request.path)
        assert len(set(paths)) == 1, f"different request paths for the base URL variants: {paths}"

    @pytest.mark.asyncio
    async def test_echo_when_unscripted(self, client: Client, server: FakeServer) -> None:
        """With nothing scripted the fake server echoes the last user message (demos rely on it).

        Troubleshooting: the fake server's default_responder should render
        Scenario(text=<last user text>); this checks the fake more than the provider."""
        response: ChatResponse = await self.generate(client, server, "echo me")
        assert "echo me" in response.text
        assert not any(isinstance(p, ToolCallPart) for p in response.message.content)


def _numbers(value: Any) -> Iterator[int | float]:
    """Every number in a JSON value, however deep (usage objects nest counts in objects and lists)."""
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _numbers(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _numbers(item)
