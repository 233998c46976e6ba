"""Failure handling: typed errors, Retry-After, timeouts, resets, truncated and malformed streams,
cancellation, and the API key kept out of every error, log line and repr."""

from __future__ import annotations

import logging
import time
import traceback

import pytest

from lluminary import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    Client,
    MalformedResponseError,
    ProviderError,
    RateLimitError,
    TextDelta,
)
from lluminary.sdk import build_chat_request, to_json
from lluminary_testing.scenario import ErrorScenario, Scenario
from lluminary_testing.server import FakeServer, Fault

from ._base import ConformanceBase
from ._guard import covered_by

LONG_TEXT = [f"word{i} " for i in range(40)]


class FailureTests(ConformanceBase):
    @pytest.mark.asyncio
    @pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
    async def test_error_kinds(
        self, client: Client, server: FakeServer, streamed: bool, error_kind: str | None
    ) -> None:
        """Each error the provider can answer with becomes the declared typed error, keeping the
        provider's message, the HTTP status and the request id.

        Troubleshooting: check the provider's ``error_from_response`` (an HTTPProvider method; it
        builds the error with lluminary.sdk.status_error): the parsing of the error body (message
        and code) and the headers passed on for the request id; error_kinds on the test class
        declares what each kind must become."""
        if error_kind is None:
            pytest.skip(f"{self.provider}: error_kinds is empty")
        if streamed:
            self.need_streaming()
        expected = self.error_kinds[error_kind]
        scenario = ErrorScenario(error_kind, message=f"scripted {error_kind} failure", request_id="req_conf_42")  # type: ignore[arg-type]
        server.script(scenario, scenario, scenario)  # the kernel retries what is retryable
        with pytest.raises(ProviderError) as info:
            await self.call(streamed, client, server, "Hi")
        error = info.value
        assert type(error) is expected, f"{error_kind} became {type(error).__name__}, expected {expected.__name__}"
        assert f"scripted {error_kind} failure" in error.message
        if self.supports_request_ids:
            assert error.request_id == "req_conf_42"
        assert error.status is not None
        assert error.status >= 400
        assert error.provider == self.provider

    @pytest.mark.asyncio
    async def test_in_stream_error(self, client: Client, server: FakeServer, in_stream_error_kind: str | None) -> None:
        """An error sent inside a 200 stream raises the declared typed error with its message.

        Troubleshooting: look for the provider's in-stream error frame (an "error" event, a data
        object with an "error" key) and raise from it instead of ignoring it or ending quietly."""
        if in_stream_error_kind is None:
            pytest.skip(f"{self.provider}: in_stream_error_kinds is empty (the provider sends no in-stream errors)")
        self.need_streaming()
        expected = self.in_stream_error_kinds[in_stream_error_kind]
        scenario = ErrorScenario(in_stream_error_kind, message="scripted stream failure", in_stream=True)  # type: ignore[arg-type]
        server.script(scenario, scenario, scenario)
        with pytest.raises(ProviderError) as info:
            await self.stream(client, server)
        assert isinstance(info.value, expected), f"got {type(info.value).__name__}, expected {expected.__name__}"
        assert "scripted stream failure" in info.value.message

    @covered_by("supports_retry_after")
    @pytest.mark.asyncio
    @pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
    async def test_retry_after_honoured(self, client: Client, server: FakeServer, streamed: bool) -> None:
        """A 429 with Retry-After is retried after the wait it asks for, and the retry succeeds.

        Troubleshooting: the RateLimitError must carry retry_after (lluminary.sdk.status_error
        reads retry-after-ms / retry-after from the headers you pass it)."""
        if "rate_limit" not in self.error_kinds:
            pytest.skip(f"{self.provider}: no rate_limit error kind")
        self.need(self.supports_retry_after, f"{self.provider}: supports_retry_after = False (no wait to honour)")
        server.script(ErrorScenario("rate_limit", retry_after=0.4), Scenario(text="finally"))
        started = time.monotonic()
        response = await self.call(streamed, client, server, "Hi")
        elapsed = time.monotonic() - started
        assert response.text == "finally"
        assert len(server.requests) == 2
        assert elapsed >= 0.35, f"retried after {elapsed:.3f}s, before the 0.4s Retry-After"

    @covered_by("supports_retry_after")
    @pytest.mark.asyncio
    async def test_rate_limit_keeps_retry_after(self, client: Client, server: FakeServer) -> None:
        """When every attempt is rate limited, the RateLimitError raised says how long to wait.

        Troubleshooting: pass the response headers to lluminary.sdk.status_error (or read
        Retry-After yourself) so that RateLimitError.retry_after is set."""
        if "rate_limit" not in self.error_kinds:
            pytest.skip(f"{self.provider}: no rate_limit error kind")
        self.need(self.supports_retry_after, f"{self.provider}: supports_retry_after = False (no wait to keep)")
        limited = ErrorScenario("rate_limit", retry_after=0.05)
        server.script(limited, limited, limited)
        with pytest.raises(RateLimitError) as info:
            await self.generate(client, server)
        assert info.value.retry_after is not None
        assert info.value.retry_after > 0
        assert len(server.requests) == 3

    @pytest.mark.asyncio
    @pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
    async def test_timeout_before_headers(self, client: Client, server: FakeServer, streamed: bool) -> None:
        """A server that never answers raises APITimeoutError within the request timeout (per
        attempt), never hangs.

        Troubleshooting: resolve the call's settings with ``self.endpoint(request)`` (an
        HTTPProvider method), which carries request.timeout to the pooled transport as a
        per-request timeout; the transport turns httpx2 timeouts into APITimeoutError."""
        slow = Scenario(text="too late", fault=Fault(delay_headers=5.0))
        server.script(slow, slow, slow)
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            await self.call(streamed, client, server, "Hi", timeout=self.request_timeout)
        assert time.monotonic() - started < 3 * self.request_timeout + 2.0

    @pytest.mark.asyncio
    async def test_timeout_between_chunks(self, client: Client, server: FakeServer) -> None:
        """A stream that stalls after it started raises APITimeoutError, never hangs.

        Troubleshooting: the read timeout must apply to every chunk of a stream; wrap the body
        iteration so that httpx2's ReadTimeout becomes APITimeoutError."""
        self.need_streaming()
        stalled = Scenario(text=LONG_TEXT, fault=Fault(chunk_delay=5.0))
        server.script(stalled, stalled, stalled)  # a stall before the first event is retried
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            await self.stream(client, server, timeout=self.request_timeout)
        assert time.monotonic() - started < 3 * self.request_timeout + 2.0

    @pytest.mark.asyncio
    async def test_connection_reset_mid_stream(self, client: Client, server: FakeServer) -> None:
        """A connection reset in the middle of a stream raises APIConnectionError.

        Troubleshooting: read the body through the SDK's StreamAnswer (``answer.sse()``,
        ``sse_data()``, ``lines()``), which turns httpx2's ReadError / RemoteProtocolError into
        typed errors."""
        self.need_streaming()
        reset = Scenario(text=LONG_TEXT, fault=Fault(reset_after=4))
        server.script(reset, reset, reset)
        with pytest.raises(APIConnectionError):
            await self.stream(client, server)

    @pytest.mark.asyncio
    async def test_connection_reset_before_body(self, client: Client, server: FakeServer) -> None:
        """A connection reset right after the headers of a plain answer raises APIConnectionError
        (after the kernel's retries).

        Troubleshooting: reading the body must happen inside the error translation, not only
        sending the request."""
        broken = Scenario(text="lost", fault=Fault(reset_after=0))
        server.script(broken, broken, broken)
        with pytest.raises(APIConnectionError):
            await self.generate(client, server)

    @pytest.mark.asyncio
    @pytest.mark.parametrize("how", ["truncate", "end"])
    async def test_truncated_stream(self, client: Client, server: FakeServer, how: str) -> None:
        """A stream cut short (connection closed mid-body, or the body ending before the
        provider's end marker) raises APIConnectionError instead of returning a partial answer.

        Troubleshooting: remember whether the provider's end of stream ([DONE], message_stop,
        response.completed, done: true) arrived; if the body ends without it, raise
        APIConnectionError."""
        self.need_streaming()
        fault = Fault(truncate_after=4) if how == "truncate" else Fault(end_after=4)
        cut = Scenario(text=LONG_TEXT, fault=fault)
        server.script(cut, cut, cut)
        with pytest.raises(APIConnectionError):
            await self.stream(client, server)

    @pytest.mark.asyncio
    @pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
    async def test_malformed_response(self, client: Client, server: FakeServer, streamed: bool) -> None:
        """An answer that is not valid JSON (a broken stream frame or body) raises
        MalformedResponseError.

        Troubleshooting: catch json.JSONDecodeError (ValueError) and UnicodeDecodeError around
        decoding and raise MalformedResponseError with the provider name."""
        bad = Scenario(text=LONG_TEXT[:6], malformed=True)
        server.script(bad, bad, bad)
        with pytest.raises(MalformedResponseError):
            await self.call(streamed, client, server, "Hi")

    @pytest.mark.asyncio
    @pytest.mark.parametrize("streamed", [False, True], ids=["generate", "stream"])
    async def test_unknown_events_ignored(self, client: Client, server: FakeServer, streamed: bool) -> None:
        """Event types and JSON keys the provider adds later are ignored, not fatal.

        Troubleshooting: dispatch on the event types you know and skip the rest; read keys with
        .get() and never require the set of keys to be closed."""
        server.script(Scenario(text=["Hel", "lo"], unknown_events=True))
        response = await self.call(streamed, client, server, "Hi")
        assert response.text == "Hello"
        assert response.finish_reason == "stop"

    @pytest.mark.asyncio
    async def test_cancel_stream_closes_connection(self, client: Client, server: FakeServer) -> None:
        """Closing a stream early closes its HTTP connection: the server sees the client leave.

        Troubleshooting: the provider's stream must be an async generator that closes the httpx2
        response in a finally block (aclose), so an unread body is not left open in the pool."""
        self.need_streaming()
        server.script(Scenario(text=[f"chunk{i} " for i in range(300)], fault=Fault(chunk_delay=0.01)))
        stream = client.astream(self.model, "Hi", **self.call_options(server))
        seen = 0
        async for event in stream:
            if isinstance(event, TextDelta) and event.text:
                seen += 1
                if seen == 3:
                    break
        await self.within(stream.aclose())
        assert await self.eventually(lambda: server.closed_early >= 1, 5.0), "the server never saw the client go away"

    @pytest.mark.asyncio
    async def test_api_key_never_leaks(
        self, client: Client, server: FakeServer, caplog: pytest.LogCaptureFixture
    ) -> None:
        """The API key appears in no exception (str, repr, traceback), log record or request repr,
        even when the provider echoes it back in an error message.

        Troubleshooting: keep the key in a lluminary.Secret, call register_secret on it, build
        errors from lluminary's error classes (which redact), and never log headers."""
        key = self.api_key
        server.script(ErrorScenario("authentication", message=f"Incorrect API key provided: {key}."))
        server.script(Scenario(text="fine"))
        with caplog.at_level(logging.DEBUG):
            with pytest.raises(AuthenticationError) as info:
                await self.generate(client, server)
            await self.generate(client, server)
        error = info.value
        request = build_chat_request(self.model, "Hi", api_key=key, base_url=server.base_url)
        texts = {
            "str(error)": str(error),
            "repr(error)": repr(error),
            "traceback": "".join(traceback.format_exception(error)),
            "log": caplog.text,
            "log args": " ".join(repr(r.args) for r in caplog.records),
            "repr(request)": repr(request),
            "str(request)": str(request),
            "to_json(request)": to_json(request),
        }
        for where, text in texts.items():
            assert key not in text, f"the API key leaked into {where}"
        assert self.wire_api_key(server.requests[0]) == key
