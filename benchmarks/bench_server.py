"""A provider's fake server in its own process, answering every request with bytes rendered once.

The benchmark clients and this server must not share a GIL, and the server must cost the same
for every client, so each answer (a short chat completion, or a stream of ``--pieces`` text
deltas) is rendered by the provider's fake server once, at start-up, and then replayed as raw
bytes. Run: ``python benchmarks/bench_server.py openai --pieces 10000``; it prints its port.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from lluminary._types import Usage
from lluminary_testing import FakeServer, RecordedRequest, Reply, Scenario

SERVERS = {
    "openai": ("lluminary_testing.openai_server", "FakeOpenAIServer"),
    "anthropic": ("lluminary_testing.anthropic_server", "FakeAnthropicServer"),
    "google": ("lluminary_testing.gemini_server", "FakeGeminiServer"),
    "bedrock": ("lluminary_testing.bedrock_server", "FakeBedrockServer"),
    "cohere": ("lluminary_testing.cohere_server", "FakeCohereServer"),
    "mistral": ("lluminary_testing.mistral_server", "FakeMistralServer"),
    "ollama": ("lluminary_testing.ollama_server", "FakeOllamaServer"),
}

#: provider -> (path, body) of a streamed request and of a plain one, as its client sends them.
MESSAGES = [{"role": "user", "content": "hi"}]
REQUESTS: dict[str, tuple[tuple[str, dict[str, Any]], tuple[str, dict[str, Any]]]] = {
    "openai": (
        (
            "/v1/chat/completions",
            {"model": "gpt-4o-mini", "messages": MESSAGES, "stream": True, "stream_options": {"include_usage": True}},
        ),
        ("/v1/chat/completions", {"model": "gpt-4o-mini", "messages": MESSAGES}),
    ),
    "anthropic": (
        ("/v1/messages", {"model": "claude-haiku-4-5", "max_tokens": 64, "messages": MESSAGES, "stream": True}),
        ("/v1/messages", {"model": "claude-haiku-4-5", "max_tokens": 64, "messages": MESSAGES}),
    ),
    "google": (
        (
            "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
            {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]},
        ),
        (
            "/v1beta/models/gemini-2.5-flash:generateContent",
            {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]},
        ),
    ),
    "bedrock": (
        (
            "/model/amazon.nova-lite-v1%3A0/converse-stream",
            {"messages": [{"role": "user", "content": [{"text": "hi"}]}]},
        ),
        ("/model/amazon.nova-lite-v1%3A0/converse", {"messages": [{"role": "user", "content": [{"text": "hi"}]}]}),
    ),
    "cohere": (
        ("/v2/chat", {"model": "command-a-03-2025", "messages": MESSAGES, "stream": True}),
        ("/v2/chat", {"model": "command-a-03-2025", "messages": MESSAGES}),
    ),
    "mistral": (
        ("/v1/chat/completions", {"model": "mistral-small-latest", "messages": MESSAGES, "stream": True}),
        ("/v1/chat/completions", {"model": "mistral-small-latest", "messages": MESSAGES}),
    ),
    "ollama": (
        ("/api/chat", {"model": "llama3.2", "messages": MESSAGES, "stream": True}),
        ("/api/chat", {"model": "llama3.2", "messages": MESSAGES, "stream": False}),
    ),
}


def is_streamed(provider: str, request: RecordedRequest) -> bool:
    """Whether the client asked for a stream, the way this provider's API says it."""
    if provider == "google":
        return "streamGenerateContent" in request.path
    if provider == "bedrock":
        return request.path.endswith("/converse-stream")
    body = request.json() or {}
    if provider == "ollama":
        return body.get("stream", True) is not False
    return body.get("stream") is True


def build(provider: str, pieces: int) -> tuple[FakeServer, Reply, Reply]:
    import importlib

    module, name = SERVERS[provider]
    cls = getattr(importlib.import_module(module), name)
    kwargs: dict[str, Any] = {"validate": False}
    if provider == "bedrock":
        kwargs["verify_auth"] = False
    server: FakeServer = cls(**kwargs)
    if hasattr(server, "require_auth"):
        server.require_auth = False  # type: ignore[attr-defined]
    long = Scenario(
        text=tuple(f"tok{i % 10} " for i in range(pieces)),
        usage=Usage(input_tokens=9, output_tokens=pieces),
        model="bench-model",
        id="bench-stream",
    )
    short = Scenario(text="Hello from the benchmark server.", usage=Usage(9, 7), model="bench-model", id="bench-1")
    (stream_path, stream_body), (plain_path, plain_body) = REQUESTS[provider]
    headers = {"content-type": "application/json", "authorization": "Bearer bench", "x-api-key": "bench"}
    streamed = server.render(long, _request(stream_path, stream_body, headers))
    plain = server.render(short, _request(plain_path, plain_body, headers))
    return server, streamed, plain


def _request(path: str, body: dict[str, Any], headers: dict[str, str]) -> RecordedRequest:
    base, _, query = path.partition("?")
    return RecordedRequest(
        "POST", base, {"alt": ["sse"]} if query or "stream" in base else {}, headers, json.dumps(body).encode()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("provider", choices=sorted(SERVERS))
    parser.add_argument("--pieces", type=int, default=10_000)
    args = parser.parse_args()
    server, streamed, plain = build(args.provider, args.pieces)
    provider = args.provider
    server.responder = lambda request: streamed if is_streamed(provider, request) else plain
    server.start()
    print(server.port, flush=True)
    try:
        sys.stdin.read()  # runs until the benchmark closes our stdin
    finally:
        server.stop()


if __name__ == "__main__":
    main()
