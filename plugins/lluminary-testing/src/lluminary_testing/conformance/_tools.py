"""Tool calling: calls, tool choice, results fed back, and tool calls in streams split every way."""

from __future__ import annotations

import json

import pytest

from lluminary import (
    Client,
    Finish,
    MalformedResponseError,
    Message,
    TextPart,
    ToolCallDelta,
    ToolCallEnd,
    ToolCallPart,
    ToolCallStart,
    ToolChoice,
    ToolResultPart,
    UsageEvent,
)
from lluminary_testing.scenario import Scenario, ToolCallSpec
from lluminary_testing.server import FakeServer, Fault

from ._base import TIME_TOOL, WEATHER_TOOL, ConformanceBase
from ._guard import covered_by

#: Arguments with an escaped quote, a \\u escape and multi-byte characters, and the fragments a
#: streaming provider might cut them into: mid-escape (between the backslash and the quote), mid
#: \\u00e9, and next to a multi-byte character.
TRICKY_ARGUMENTS = '{"city": "S\\"ao \\u00e9t\\u00e9 Z\u00fcrich \u6771\u4eac \U0001f600", "days": 3}'
TRICKY_FRAGMENTS = (
    '{"ci',
    'ty": "S\\',
    '"ao \\u0',
    "0e9t\\u00",
    "e9 Z",
    "\u00fc",
    "rich \u6771",
    "\u4eac \U0001f600",
    '", "days"',
    ": 3}",
)


#: Tool-call arguments a model cut off: not valid JSON.
BROKEN_ARGUMENTS = '{"city": "Oslo", "days": '


class ToolTests(ConformanceBase):
    @pytest.mark.asyncio
    @pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
    async def test_tool_call(self, client: Client, server: FakeServer, streamed: bool) -> None:
        """A tool call comes back with its id, name and parsed arguments, and finish "tool_calls";
        the tools were sent with their names.

        Troubleshooting: check the tool conversion (wire_tool_names), the parsing of the
        provider's tool-call blocks, and that a turn ending in a tool call maps to "tool_calls"."""
        self.need_tools()
        server.script(Scenario(tool_calls=[ToolCallSpec("call_t1", "get_weather", '{"city": "Paris"}')]))
        response = await self.call(streamed, client, server, "Weather in Paris?", tools=[WEATHER_TOOL, TIME_TOOL])
        assert response.tool_calls == (ToolCallPart("call_t1", "get_weather", {"city": "Paris"}),)
        assert response.finish_reason == "tool_calls"
        assert self.wire_tool_names(self.body(server)) == ["get_weather", "get_time"]

    @covered_by("supports_tool_choice")
    @pytest.mark.asyncio
    @pytest.mark.parametrize("mode", ["auto", "none", "required", "tool"])
    async def test_tool_choice(self, client: Client, server: FakeServer, mode: str) -> None:
        """Each tool_choice mode reaches the wire in the provider's spelling.

        Troubleshooting: compare the tool_choice field of the recorded body with wire_tool_choice;
        a mode the provider lacks belongs out of tool_choice_modes."""
        self.need_tools()
        self.need(self.supports_tool_choice, f"{self.provider}: supports_tool_choice = False")
        self.need(mode in self.tool_choice_modes, f"{self.provider}: tool_choice {mode!r} is not in tool_choice_modes")
        choice = ToolChoice.tool("get_weather") if mode == "tool" else ToolChoice(mode)  # type: ignore[arg-type]
        if mode == "none":
            server.script(Scenario(text="No tools needed."))
        else:
            server.script(Scenario(tool_calls=[ToolCallSpec("call_c1", "get_weather", '{"city": "Lima"}')]))
        response = await self.generate(client, server, "Weather?", tools=[WEATHER_TOOL, TIME_TOOL], tool_choice=choice)
        expected = (mode, "get_weather" if mode == "tool" else None)
        assert self.wire_tool_choice(self.body(server)) == expected
        if mode != "none":
            assert response.tool_calls[0].name == "get_weather"
            assert response.finish_reason == "tool_calls"

    @pytest.mark.asyncio
    @pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
    async def test_tool_results_fed_back(self, client: Client, server: FakeServer, streamed: bool) -> None:
        """Tool calls and their results (one of them an error) are sent back in the next turn.

        Troubleshooting: check how assistant tool calls and tool results are converted (ids kept,
        arguments serialised, one provider message per result where the provider wants that);
        wire_tool_calls and wire_tool_results show what the body held."""
        self.need_tools()
        server.script(Scenario(text="Paris is sunny; Rome's report failed."))
        calls = (
            ToolCallPart("call_r1", "get_weather", {"city": "Paris"}),
            ToolCallPart("call_r2", "get_weather", {"city": "Rome"}),
        )
        results = (
            ToolResultPart("call_r1", "18C and sunny", name="get_weather"),
            ToolResultPart("call_r2", "weather service unavailable", is_error=True, name="get_weather"),
        )
        messages = [Message.user("Weather in Paris and Rome?"), Message.assistant(calls), Message("tool", results)]
        response = await self.call(streamed, client, server, None, messages=messages, tools=[WEATHER_TOOL])
        assert response.text == "Paris is sunny; Rome's report failed."
        body = self.body(server)
        sent_calls = self.wire_tool_calls(body)
        assert [(c[0], c[1], dict(c[2])) for c in sent_calls] == [
            ("call_r1", "get_weather", {"city": "Paris"}),
            ("call_r2", "get_weather", {"city": "Rome"}),
        ]
        sent = self.wire_tool_results(body)
        assert [r.tool_call_id for r in sent] == ["call_r1", "call_r2"]
        assert "18C and sunny" in sent[0].content
        assert sent[0].is_error in (False, None)
        assert "weather service unavailable" in sent[1].content
        assert sent[1].is_error in (True, None)

    @pytest.mark.asyncio
    async def test_stream_tool_call_events(self, client: Client, server: FakeServer) -> None:
        """A streamed tool call is one ToolCallStart, ToolCallDeltas whose fragments join to the
        raw arguments, and one ToolCallEnd with the parsed call, then usage and Finish.

        Troubleshooting: fragments must be concatenated per tool-call index; a start must be
        emitted once even when ids or names repeat on later fragments; an end must come once
        per call, when the provider closes the block or the turn."""
        self.need_tools()
        self.need_streaming()
        spec = ToolCallSpec("call_s1", "get_weather", TRICKY_ARGUMENTS, TRICKY_FRAGMENTS)
        server.script(Scenario(tool_calls=[spec]))
        events, response = await self.stream(client, server, "Weather?", tools=[WEATHER_TOOL])
        starts = [e for e in events if isinstance(e, ToolCallStart)]
        ends = [e for e in events if isinstance(e, ToolCallEnd)]
        deltas = [e for e in events if isinstance(e, ToolCallDelta)]
        assert starts == [ToolCallStart(0, "call_s1", "get_weather")]
        joined = "".join(d.arguments for d in deltas)
        if self.streams_raw_tool_arguments:
            assert joined == TRICKY_ARGUMENTS
        else:
            assert json.loads(joined) == json.loads(TRICKY_ARGUMENTS)
        assert all(d.index == 0 for d in deltas)
        expected = ToolCallPart("call_s1", "get_weather", json.loads(TRICKY_ARGUMENTS))
        assert ends == [ToolCallEnd(0, expected)]
        assert events.index(starts[0]) < events.index(ends[0])
        assert any(isinstance(e, UsageEvent) for e in events), "no usage in a tool-call stream"
        assert isinstance(events[-1], Finish)
        assert response.tool_calls == (expected,)

    @pytest.mark.asyncio
    @pytest.mark.parametrize("rechunk", [1, 2, 3, 4, 5, 6, 7])
    async def test_stream_tool_call_split_mid_utf8(self, client: Client, server: FakeServer, rechunk: int) -> None:
        """Tool-call arguments survive an HTTP body cut into pieces of 1..7 bytes, which splits
        multi-byte UTF-8 characters, escapes and frame delimiters anywhere.

        Troubleshooting: buffer bytes until a frame is complete and decode UTF-8 only then; never
        decode each network chunk on its own."""
        self.need_tools()
        self.need_streaming()
        spec = ToolCallSpec("call_u1", "get_weather", TRICKY_ARGUMENTS, TRICKY_FRAGMENTS)
        server.script(Scenario(text="Checking \u00e9\u6771 ", tool_calls=[spec], fault=Fault(rechunk=rechunk)))
        _, response = await self.stream(client, server, "Weather?", tools=[WEATHER_TOOL])
        assert response.text == "Checking \u00e9\u6771 "
        assert response.tool_calls == (ToolCallPart("call_u1", "get_weather", json.loads(TRICKY_ARGUMENTS)),)

    @pytest.mark.asyncio
    @pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
    @pytest.mark.parametrize("raw", ["{}", ""], ids=["empty-object", "empty-string"])
    async def test_tool_call_without_arguments(
        self, client: Client, server: FakeServer, streamed: bool, raw: str
    ) -> None:
        """A tool that takes no arguments is called with {} (whether the provider sent "{}" or nothing).

        Troubleshooting: treat empty or whitespace-only argument text as {} (lluminary's
        parse_arguments does) and still emit start and end events for the call."""
        self.need_tools()
        server.script(Scenario(tool_calls=[ToolCallSpec("call_n1", "get_time", raw)]))
        response = await self.call(streamed, client, server, "Time?", tools=[TIME_TOOL])
        assert response.tool_calls == (ToolCallPart("call_n1", "get_time", {}),)

    @pytest.mark.asyncio
    @pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
    async def test_invalid_tool_arguments_keep_their_text(
        self, client: Client, server: FakeServer, streamed: bool
    ) -> None:
        """Tool-call arguments that are not valid JSON raise MalformedResponseError, whose
        raw_arguments holds them as the model wrote them (nothing is lost).

        Troubleshooting: parse argument text with lluminary.sdk.parse_arguments, which sets
        raw_arguments; where the wire carries arguments as a JSON value (an object that came
        back as a string), set error.raw_arguments to that value's text before raising."""
        self.need_tools()
        if streamed:
            self.need_streaming()
        server.script(Scenario(tool_calls=[ToolCallSpec("call_bad1", "get_weather", BROKEN_ARGUMENTS)]))
        with pytest.raises(MalformedResponseError) as info:
            await self.call(streamed, client, server, "Weather in Oslo?", tools=[WEATHER_TOOL])
        assert info.value.raw_arguments == BROKEN_ARGUMENTS
        assert info.value.provider == self.provider

    @covered_by("supports_parallel_tools")
    @pytest.mark.asyncio
    @pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
    async def test_parallel_tool_calls(self, client: Client, server: FakeServer, streamed: bool) -> None:
        """Several tool calls in one turn come back in order, each with its own id and arguments.

        Troubleshooting: key streamed fragments by the provider's per-call index (or block
        index), and number lluminary's ToolCallStart.index from 0 in order of appearance."""
        self.need_tools()
        self.need(self.supports_parallel_tools, f"{self.provider}: supports_parallel_tools = False")
        specs = [
            ToolCallSpec("call_p1", "get_weather", '{"city": "Oslo"}', ('{"city"', ': "Oslo"}')),
            ToolCallSpec("call_p2", "get_weather", '{"city": "Kyiv"}', ('{"ci', 'ty": "Kyiv"}')),
            ToolCallSpec("call_p3", "get_time", "{}"),
        ]
        server.script(Scenario(tool_calls=specs))
        response = await self.call(streamed, client, server, "Weather and time", tools=[WEATHER_TOOL, TIME_TOOL])
        assert response.tool_calls == (
            ToolCallPart("call_p1", "get_weather", {"city": "Oslo"}),
            ToolCallPart("call_p2", "get_weather", {"city": "Kyiv"}),
            ToolCallPart("call_p3", "get_time", {}),
        )
        assert response.finish_reason == "tool_calls"

    @pytest.mark.asyncio
    @pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
    async def test_text_and_tool_call_in_one_turn(self, client: Client, server: FakeServer, streamed: bool) -> None:
        """Text followed by a tool call in one turn keeps both, in order.

        Troubleshooting: a provider must not drop the text when a tool call follows, nor start
        a new text part for each delta; the message should be [TextPart, ToolCallPart]."""
        self.need_tools()
        spec = ToolCallSpec("call_m1", "get_weather", '{"city": "Cairo"}', ('{"city": ', '"Cairo"}'))
        server.script(Scenario(text=["Let me ", "look that up."], tool_calls=[spec]))
        response = await self.call(streamed, client, server, "Weather in Cairo?", tools=[WEATHER_TOOL])
        assert response.message.content == (
            TextPart("Let me look that up."),
            ToolCallPart("call_m1", "get_weather", {"city": "Cairo"}),
        )
        assert response.finish_reason == "tool_calls"
