"""A minimal provider of the OpenAI chat-completions wire, for tests of the kernel and of
non-provider plugins (budgets, cost ledgers, counters) that need real HTTP calls to the kit's fake
OpenAI server without depending on ``lluminary-openai``.

It sends the model, the messages' text, ``max_tokens`` and (streamed) ``stream_options``, and
reads the text and the usage back: the fake server echoes the prompt's words, one output token
each, so a test prices a call exactly. Its prefix is ``wire`` (``wire:gpt-test``)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from lluminary.sdk import (
    ChatRequest,
    ChatResponse,
    Finish,
    HTTPProvider,
    Message,
    SettingsSpec,
    StreamEvent,
    TextDelta,
    TextPart,
    Usage,
    UsageEvent,
)

__all__ = ["WireChat"]


class WireChat(HTTPProvider):
    """The OpenAI chat-completions wire, as little of it as such tests need."""

    name = "wire"
    spec = SettingsSpec(provider="Wire", default_base_url="http://wire.invalid", api_key_env=(), base_url_env=())

    @staticmethod
    def body(request: ChatRequest, stream: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": request.model_name,
            "messages": [{"role": m.role, "content": m.text} for m in request.messages],
        }
        if request.max_tokens:
            body["max_tokens"] = request.max_tokens
        if stream:
            body |= {"stream": True, "stream_options": {"include_usage": True}}
        return body

    async def generate(self, request: ChatRequest) -> ChatResponse:
        answer = await self.endpoint(request).post_json("/v1/chat/completions", self.body(request))
        data = answer.json()
        usage = data["usage"]
        return ChatResponse(
            Message("assistant", (TextPart(data["choices"][0]["message"]["content"]),)),
            usage=Usage(usage["prompt_tokens"], usage["completion_tokens"]),
            model=data["model"],
        )

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        endpoint = self.endpoint(request)
        async with endpoint.stream("/v1/chat/completions", self.body(request, stream=True)) as answer:
            async for data in answer.sse_data():
                if data == "[DONE]":
                    break
                chunk = json.loads(data)
                if chunk.get("usage"):
                    yield UsageEvent(Usage(chunk["usage"]["prompt_tokens"], chunk["usage"]["completion_tokens"]))
                for choice in chunk["choices"]:
                    if choice["delta"].get("content"):
                        yield TextDelta(choice["delta"]["content"])
        yield Finish("stop", "stop", request.model_name)
