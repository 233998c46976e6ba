"""The fake {{ cookiecutter.plugin_name }} server the tests run against."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lluminary_testing.openai_server import FakeOpenAIServer


@pytest.fixture
def fake_{{ cookiecutter.__snake }}() -> Iterator[FakeOpenAIServer]:
    """lluminary-testing's fake OpenAI server on loopback, switched to behave like {{ cookiecutter.plugin_name }}'s
    server: reasoning comes in ``reasoning_content`` deltas, as DeepSeek and vLLM send it. Its
    other switches (``usage``, ``obfuscation``, ``done_marker``, ``require_auth``; see the class
    docstring) match other servers' quirks."""
    server = FakeOpenAIServer()
    server.reasoning_field = "reasoning_content"
    server.start()
    try:
        yield server
    finally:
        server.stop()
