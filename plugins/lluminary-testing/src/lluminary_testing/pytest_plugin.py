"""pytest fixtures for the fake provider servers. This plugin only adds fixtures: it changes
nothing else in a test run (no hooks, no options, no collection changes)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest

#: fixture name -> "module:class" of the fake server it starts (imported only when used).
SERVERS = {
    "fake_openai": "lluminary_testing.openai_server:FakeOpenAIServer",
    "fake_anthropic": "lluminary_testing.anthropic_server:FakeAnthropicServer",
}


def _start(target: str) -> Iterator[Any]:
    module_name, _, class_name = target.partition(":")
    server = getattr(importlib.import_module(module_name), class_name)()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake_openai() -> Iterator[Any]:
    """A fresh fake OpenAI server on loopback (``.base_url``, ``.script(...)``, ``.requests``)."""
    yield from _start(SERVERS["fake_openai"])


@pytest.fixture
def fake_anthropic() -> Iterator[Any]:
    """A fresh fake Anthropic server on loopback."""
    yield from _start(SERVERS["fake_anthropic"])
