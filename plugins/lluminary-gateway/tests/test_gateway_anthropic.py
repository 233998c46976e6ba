"""``/v1/messages`` with the official Anthropic SDK: any upstream, Anthropic's wire format."""

from __future__ import annotations

from typing import Any

import anthropic
import pytest

from lluminary import Usage
from lluminary_testing.scenario import Scenario, ToolCallSpec

pytestmark = pytest.mark.integration  # the gateway and the fake servers on loopback

WEATHER = {
    "name": "get_weather",
    "description": "Current weather in a city.",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
HELLO = [{"role": "user", "content": "Hi"}]


@pytest.fixture
def claude(gateway: Any, master_key: str) -> Any:
    client = anthropic.Anthropic(base_url=gateway.url, api_key=master_key, max_retries=0, timeout=10)
    yield client
    client.close()


@pytest.mark.parametrize("alias", ["claude", "gpt", "gemini"])
def test_message_equals_a_direct_call(alias, upstreams, claude):
    scenario = Scenario(text="Hello!", usage=Usage(input_tokens=30, output_tokens=5))
    upstreams.server(alias).script(scenario)
    with upstreams.direct_client(alias) as client:
        expected = client.generate(upstreams.model(alias), messages=HELLO, max_tokens=100)
    upstreams.server(alias).script(scenario)

    message = claude.messages.create(model=alias, max_tokens=100, messages=HELLO)

    assert [block.type for block in message.content] == ["text"]
    assert message.content[0].text == expected.text == "Hello!"
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens == expected.usage.input_tokens - expected.usage.cache_read_tokens
    assert message.usage.output_tokens == expected.usage.output_tokens == 5
    assert message.model == expected.model


@pytest.mark.parametrize("alias", ["claude", "gpt"])
def test_stream_with_tool_use(alias, upstreams, claude):
    fragments = ('{"ci', 'ty": "Li', 'ma"}')
    upstreams.server(alias).script(
        Scenario(
            text=["Checking", " now."],
            tool_calls=(ToolCallSpec("toolu_9", "get_weather", "".join(fragments), fragments),),
            usage=Usage(input_tokens=40, output_tokens=12),
        )
    )
    with claude.messages.stream(model=alias, max_tokens=200, messages=HELLO, tools=[WEATHER]) as stream:
        deltas = [event for event in stream if event.type == "content_block_delta"]
        final = stream.get_final_message()
    assert [block.type for block in final.content] == ["text", "tool_use"]
    assert final.content[0].text == "Checking now."
    tool = final.content[1]
    assert (tool.id, tool.name, tool.input) == ("toolu_9", "get_weather", {"city": "Lima"})
    assert final.stop_reason == "tool_use"
    assert final.usage.output_tokens == 12
    json_deltas = [d.delta.partial_json for d in deltas if d.delta.type == "input_json_delta"]
    assert "".join(json_deltas) == "".join(fragments)


def test_tool_result_round_trip(upstreams, claude):
    upstreams.openai.script(Scenario(text="It is 20C."))
    messages = [
        {"role": "user", "content": "Weather in Lima?"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "call_7", "name": "get_weather", "input": {"city": "Lima"}}],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_7", "content": "20C"}]},
    ]
    reply = claude.messages.create(model="gpt", max_tokens=50, system="Be brief.", messages=messages, tools=[WEATHER])
    assert reply.content[0].text == "It is 20C."
    sent = upstreams.openai.last_request.json()
    roles = [m["role"] for m in sent["messages"]]
    assert roles == ["system", "user", "assistant", "tool"]
    assert sent["messages"][3]["tool_call_id"] == "call_7"


def test_errors_in_anthropic_shape(claude):
    with pytest.raises(anthropic.NotFoundError) as caught:
        claude.messages.create(model="nope", max_tokens=10, messages=HELLO)
    assert caught.value.body["error"]["type"] == "not_found_error"
    with pytest.raises(anthropic.BadRequestError):
        claude.messages.create(model="claude", max_tokens=10, messages=[])


def test_bad_key_is_401(gateway):
    client = anthropic.Anthropic(base_url=gateway.url, api_key="sk-ant-wrong-0123456789", max_retries=0)
    with pytest.raises(anthropic.AuthenticationError):
        client.messages.create(model="claude", max_tokens=10, messages=HELLO)
