"""What differs between the chat APIs the gateway serves (OpenAI's, Anthropic's): how a whole
answer, a stream and an error inside a stream are written. Everything else — keys, limits,
deployments, settling the cost — is one path, :meth:`lluminary_gateway.app.Gateway.serve_chat`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import attrs

from lluminary import ChatResponse, StreamEvent

from .errors import GatewayError


class StreamWriter(Protocol):
    """Kernel stream events as one API's server-sent events."""

    def start(self) -> bytes: ...

    def frames(self, event: StreamEvent) -> bytes: ...


@attrs.frozen
class ChatWire:
    """``response_json``: a whole answer's body; ``stream_writer``: a writer for the model
    answering; ``error_frame``: an error that ends a stream already under way."""

    response_json: Callable[[ChatResponse], Any]
    stream_writer: Callable[[str], StreamWriter]
    error_frame: Callable[[GatewayError], bytes]
