"""``sdk.CallObserver``: an exporter's step sees each logical call begin once and end exactly
once — answered, failed, a stream read to its end, closed early, or dropped unread — and its own
failures never break a call."""

from __future__ import annotations

import gc
import warnings
from typing import Any

import pytest

import lluminary
from lluminary import ChatResponse, Client, ServerError, TraceEvent, TraceWarning
from lluminary._plugins import PluginManager
from lluminary._retry import RetryPolicy
from lluminary.sdk import CallObserver, Message, ScriptedProvider, TextPart, Usage


@pytest.fixture(autouse=True)
def _no_installed_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLUMINARY_PLUGINS", "")


def reply(text: str = "Hello!") -> ChatResponse:
    return ChatResponse(
        Message("assistant", (TextPart(text),)), "stop", "stop", Usage(5, 2), model="m", provider="scripted"
    )


class Seen(CallObserver[str]):
    """Records begin and end; optionally fails in either."""

    label = "test exporter"

    def __init__(self, *, fail_begin: bool = False, fail_end: bool = False) -> None:
        self.log: list[tuple[Any, ...]] = []
        self.inside = False
        self.fail_begin, self.fail_end = fail_begin, fail_end

    async def begin(self, call: Any) -> str:
        if self.fail_begin:
            raise RuntimeError("begin broke")
        self.log.append(("begin", call.operation))
        return str(call.id)

    def running(self, state: str) -> Any:
        observer = self

        class Scope:
            def __enter__(self) -> None:
                observer.inside = True

            def __exit__(self, *exc: object) -> None:
                observer.inside = False

        return Scope()

    def end(
        self, state: str, *, error: BaseException | None = None, response: Any = None, closed: bool = False
    ) -> None:
        self.log.append(("end", type(error).__name__ if error else None, getattr(response, "text", None), closed))
        if self.fail_end:
            raise RuntimeError("end broke")


class Exporter:
    """A plugin that listens (so the client traces) and adds the observer to the chain."""

    def __init__(self, observer: Seen) -> None:
        self.observer = observer
        self.inside_during_call: list[bool] = []

    @lluminary.hookimpl
    def lluminary_trace(self, event: TraceEvent) -> None:
        if event.kind == "start":
            self.inside_during_call.append(self.observer.inside)

    @lluminary.hookimpl
    def lluminary_middleware(self, client: Any) -> list[Any]:
        return [self.observer]


def make(observer: Seen, *script: Any) -> tuple[Client, Exporter]:
    plugins = PluginManager()
    plugins.register(ScriptedProvider("scripted", script))
    exporter = Exporter(observer)
    plugins.register(exporter, name="exporter")
    return Client(plugins=plugins, retries=RetryPolicy(max_attempts=1)), exporter


async def test_a_generate_call_begins_and_ends_once_inside_its_scope() -> None:
    observer = Seen()
    client, exporter = make(observer, reply("one"))
    assert (await client.agenerate("scripted:m", "hi")).text == "one"
    assert observer.log == [("begin", "generate"), ("end", None, "one", False)]
    assert exporter.inside_during_call == [True]
    assert not observer.inside


async def test_a_failed_call_ends_with_its_error() -> None:
    observer = Seen()
    client, _ = make(observer, ServerError("down", provider="scripted"))
    with pytest.raises(ServerError):
        await client.agenerate("scripted:m", "hi")
    assert observer.log == [("begin", "generate"), ("end", "ServerError", None, False)]


async def test_a_stream_ends_when_read_to_its_end_not_before() -> None:
    observer = Seen()
    client, _ = make(observer, reply("streamed"))
    stream = client.astream("scripted:m", "hi")
    await stream.__anext__()
    assert observer.log == [("begin", "stream")]
    assert (await stream.response()).text == "streamed"
    assert observer.log[-1] == ("end", None, "streamed", False)
    assert len(observer.log) == 2


async def test_a_stream_closed_early_ends_once_as_closed() -> None:
    observer = Seen()
    client, _ = make(observer, reply("a long answer"))
    stream = client.astream("scripted:m", "hi")
    await stream.__anext__()
    await stream.aclose()
    del stream
    gc.collect()
    assert observer.log == [("begin", "stream"), ("end", None, None, True)]


async def test_a_stream_dropped_unread_ends_once_as_closed() -> None:
    observer = Seen()
    client, _ = make(observer, reply("never read"))
    stream = client.astream("scripted:m", "hi")
    await stream.__anext__()
    del stream
    for _ in range(3):
        gc.collect()
    assert observer.log == [("begin", "stream"), ("end", None, None, True)]


async def test_an_observer_that_fails_to_begin_leaves_the_call_unobserved() -> None:
    observer = Seen(fail_begin=True)
    client, _ = make(observer, reply("fine"))
    with pytest.warns(TraceWarning, match="test exporter failed: RuntimeError: begin broke"):
        assert (await client.agenerate("scripted:m", "hi")).text == "fine"
    assert observer.log == []


async def test_an_observer_that_fails_to_end_warns_and_the_call_answers() -> None:
    observer = Seen(fail_end=True)
    client, _ = make(observer, reply("fine"), reply("streamed"))
    with pytest.warns(TraceWarning, match="end broke"):
        assert (await client.agenerate("scripted:m", "hi")).text == "fine"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert (await client.astream("scripted:m", "hi").response()).text == "streamed"
    assert [w.category for w in caught] == [TraceWarning]
    assert [entry[0] for entry in observer.log] == ["begin", "end", "begin", "end"]


async def test_an_observer_needs_no_trace_exporter() -> None:
    observer = Seen()
    plugins = PluginManager()
    plugins.register(ScriptedProvider("scripted", [reply()]))
    client = Client(plugins=plugins, middleware=[observer])  # nobody listens to trace events
    await client.agenerate("scripted:m", "hi")
    assert not client.tracing
    assert observer.log == [("begin", "generate"), ("end", None, "Hello!", False)]


class Attempts(CallObserver[Any]):
    """Keeps each call's ``attempts`` as they are when the call ends, and whether a stream's
    first event was reported."""

    def __init__(self) -> None:
        self.seen: list[list[tuple[str, str, int, str | None]]] = []
        self.started_streams = 0

    async def begin(self, call: Any) -> Any:
        return call

    def stream_started(self, state: Any, stream: Any) -> None:
        self.started_streams += 1

    def end(self, call: Any, *, error: BaseException | None = None, response: Any = None, closed: bool = False) -> None:
        self.seen.append(
            [(a.kind, a.model, a.attempt, type(a.error).__name__ if a.error else None) for a in call.attempts]
        )


def attempts_client(*scripts: tuple[str, list[Any]]) -> tuple[Client, Attempts]:
    observer = Attempts()
    plugins = PluginManager()
    for name, script in scripts:
        plugins.register(ScriptedProvider(name, script))
    client = Client(plugins=plugins, middleware=[observer], retries=RetryPolicy(3, initial_delay=0, max_delay=0))
    return client, observer


async def test_a_call_that_answers_at_once_has_no_attempts() -> None:
    client, observer = attempts_client(("scripted", [reply()]))
    await client.agenerate("scripted:m", "hi")
    assert observer.seen == [[]]


async def test_failed_attempts_retries_and_fallbacks_are_kept_in_order() -> None:
    client, observer = attempts_client(
        (
            "scripted",
            [ServerError("boom", status=503), ServerError("again", status=503), ServerError("out", status=503)],
        ),
        ("backup", [reply("from backup")]),
    )
    answer = await client.agenerate("scripted:m", "hi", fallbacks=["backup:b"])
    assert answer.text == "from backup"
    assert observer.seen == [
        [
            ("failed", "scripted:m", 1, "ServerError"),
            ("retry", "scripted:m", 2, None),
            ("failed", "scripted:m", 2, "ServerError"),
            ("retry", "scripted:m", 3, None),
            ("failed", "scripted:m", 3, "ServerError"),
            ("fallback", "backup:b", 1, None),
        ]
    ]


async def test_a_stream_reports_its_first_event_and_its_attempts() -> None:
    streamed = [lluminary.TextDelta("streamed"), lluminary.Finish("stop")]
    client, observer = attempts_client(("scripted", [ServerError("boom", status=503), streamed]))
    assert (await client.astream("scripted:m", "hi").response()).text == "streamed"
    assert observer.started_streams == 1
    assert observer.seen == [[("failed", "scripted:m", 1, "ServerError"), ("retry", "scripted:m", 2, None)]]
