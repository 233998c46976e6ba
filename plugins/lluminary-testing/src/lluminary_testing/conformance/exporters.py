"""The exporter conformance suite: what every trace exporter (``otel``, ``prometheus``, yours) owes
its users. It drives real calls through a :class:`lluminary.Client` and the OpenAI plugin
(``lluminary-openai``) against the kit's fake OpenAI server, with the exporter registered on the
client, then reads back what the exporter *delivered*.

A plugin subclasses :class:`ExporterTests` in a test module and provides:

* the fixture ``exporter``: a fresh exporter plugin object for this test, configured to deliver
  into something the test can read (an in-memory span exporter behind a batching processor, a
  registry of its own, ...). The suite registers it on each client it builds, by name, the way
  ``Client(exporters=[...])`` does, so ``Client.aclose()`` flushes it and shuts it down;
* the fixture ``failing_exporter``: an exporter of the same kind whose backend raises on every use
  (a tracer provider that cannot start spans, a registry that refuses samples, a subclass whose
  recording method raises);
* :meth:`ExporterTests.observed` ``(exporter)``: the calls delivered so far, as
  :class:`ObservedCall` records. An exporter that keeps one record per call (a span) returns one
  per call; one that aggregates (counters and histograms) returns one per label set with
  :attr:`ObservedCall.calls` and the token totals summed. The suite sums records by
  (operation, provider, model, outcome, error type) before comparing, so both shapes pass;
* :meth:`ExporterTests.open_calls` ``(exporter)``: how many calls the exporter has seen start but
  not end right now (open spans, an in-flight gauge);
* :meth:`ExporterTests.exported_text` ``(exporter)``: everything it delivered, as text (serialised
  spans and metric points, a scrape of the registry), for the secret check.

Set ``buffers_until_flush = True`` when the exporter delivers only on flush (a batching span
processor with a long delay, a periodic metric reader): the flush test then also checks that
nothing arrived before ``Client.aclose()``. Every call goes to ``openai:gpt-4o-mini`` with
retries off; ``model_name`` and ``provider_name`` say how the records name them.

Standard tests cannot be deleted or quietly replaced (an override needs
``@pytest.mark.xfail(reason=...)``), as in the other suites.
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import AsyncIterator, Iterable
from typing import Any, ClassVar, NamedTuple

import attrs
import pytest
import pytest_asyncio

import lluminary
from lluminary import Client, TraceWarning, Usage
from lluminary.sdk import PluginManager, hookimpl
from lluminary_testing.scenario import ErrorScenario, Scenario
from lluminary_testing.server import FakeServer

from ._base import TEST_API_KEY
from ._guard import GuardTests

#: The name the suite registers the exporter under (and lists in ``Client(exporters=[...])``).
EXPORTER_NAME = "conformance-exporter"
MODEL = "openai:gpt-4o-mini"
USAGE = Usage(input_tokens=12, output_tokens=7)


@attrs.frozen
class ObservedCall:
    """What an exporter delivered about one call, or about ``calls`` calls that share these labels.

    ``operation`` is lluminary's (``generate``, ``stream``, ``embed``); ``outcome`` is ``ok``,
    ``error`` (with ``error_type``, the exception's class name), ``cache_hit`` or ``closed`` (a
    stream the caller closed before it finished). ``first_chunks`` counts calls with a time to first
    chunk recorded. Tokens are those the provider reported (none for a cache hit).
    """

    operation: str
    provider: str
    model: str
    outcome: str
    error_type: str | None = None
    calls: int = 1
    input_tokens: int = 0
    output_tokens: int = 0
    first_chunks: int = 0


class Key(NamedTuple):
    operation: str
    provider: str
    model: str
    outcome: str
    error_type: str | None = None


class Totals(NamedTuple):
    calls: int
    input_tokens: int = 0
    output_tokens: int = 0
    first_chunks: int = 0


def summarise(records: Iterable[ObservedCall]) -> dict[Key, Totals]:
    """Records summed by what identifies a kind of call: per-call and aggregated exporters alike."""
    summary: dict[Key, Totals] = {}
    for r in records:
        key = Key(r.operation, r.provider, r.model, r.outcome, r.error_type)
        before = summary.get(key, Totals(0))
        summary[key] = Totals(
            before.calls + r.calls,
            before.input_tokens + r.input_tokens,
            before.output_tokens + r.output_tokens,
            before.first_chunks + r.first_chunks,
        )
    return summary


class ExplodingExporter:
    """Another exporter on the same client, broken: it raises on every trace event."""

    def __init__(self) -> None:
        self.raised = 0

    @hookimpl
    def lluminary_trace(self, event: Any) -> None:
        self.raised += 1
        raise RuntimeError("exploding exporter")


class ExporterTests(GuardTests):
    """Every behaviour a trace exporter owes its users. See the module docstring to subclass it."""

    standard_suite = True

    # ------------------------------------------------------------------ what a subclass sets

    #: The exporter delivers only when flushed: the flush test checks nothing arrived before.
    buffers_until_flush: ClassVar[bool] = False
    #: The pytest fixture that starts the fake provider server.
    server_fixture: ClassVar[str] = "fake_openai"
    #: How records name the model and the provider of ``openai:gpt-4o-mini``.
    model_name: ClassVar[str] = "gpt-4o-mini"
    provider_name: ClassVar[str] = "openai"

    @pytest.fixture
    def exporter(self) -> Any:
        """A fresh exporter for this test; a subclass overrides this fixture."""
        pytest.fail(f"{type(self).__name__} must define an `exporter` fixture (a fresh exporter plugin)")

    @pytest.fixture
    def failing_exporter(self) -> Any:
        """An exporter whose backend raises on every use; a subclass overrides this fixture."""
        pytest.fail(f"{type(self).__name__} must define a `failing_exporter` fixture (a broken exporter)")

    def observed(self, exporter: Any) -> list[ObservedCall]:
        """The calls ``exporter`` delivered so far; a subclass implements this."""
        pytest.fail(f"{type(self).__name__} must implement observed(exporter)")

    def open_calls(self, exporter: Any) -> int:
        """Calls ``exporter`` saw start and not end yet; a subclass implements this."""
        pytest.fail(f"{type(self).__name__} must implement open_calls(exporter)")

    def exported_text(self, exporter: Any) -> str:
        """Everything ``exporter`` delivered, as text; a subclass implements this."""
        pytest.fail(f"{type(self).__name__} must implement exported_text(exporter)")

    def provider_plugin(self) -> Any:
        """The provider the calls go through: the OpenAI plugin, which speaks to the fake server."""
        try:
            from lluminary_openai import OpenAIProvider
        except ImportError:  # pragma: no cover - a packaging mistake, said plainly
            pytest.fail("the exporter suite calls the fake OpenAI server through lluminary-openai: install it")
        return OpenAIProvider()

    # ------------------------------------------------------------------ fixtures and helpers

    @pytest.fixture
    def server(self, request: pytest.FixtureRequest) -> FakeServer:
        """The fake provider server, started for this test."""
        value: FakeServer = request.getfixturevalue(self.server_fixture)
        return value

    @pytest_asyncio.fixture
    async def clients(self) -> AsyncIterator[list[Client]]:
        """Every client a test built; closed after it (again, harmlessly, if the test did)."""
        made: list[Client] = []
        yield made
        for client in made:
            try:
                await client.aclose()
            except lluminary.LluminaryError:
                pass  # a failing exporter's flush; what matters is checked in the test

    def make_client(self, clients: list[Client], *exporters: Any, **options: Any) -> Client:
        """A client over the provider plugin and ``exporters`` (the first under test), retries off."""
        plugins = PluginManager()
        plugins.register(self.provider_plugin())
        names = []
        for index, exporter in enumerate(exporters):
            names.append(EXPORTER_NAME if index == 0 else f"{EXPORTER_NAME}-{index}")
            plugins.register(exporter, name=names[-1])
        options.setdefault("cache", False)
        client = Client(plugins=plugins, retries=1, exporters=names[:1], **options)
        clients.append(client)
        return client

    def call_options(self, server: FakeServer) -> dict[str, Any]:
        return {"base_url": server.base_url, "api_key": TEST_API_KEY}

    def summary(self, exporter: Any) -> dict[Key, Totals]:
        return summarise(self.observed(exporter))

    def key(self, operation: str, outcome: str = "ok", error_type: str | None = None) -> Key:
        return Key(operation, self.provider_name, self.model_name, outcome, error_type)

    # ------------------------------------------------------------------ the tests

    @pytest.mark.asyncio
    async def test_a_generate_call_is_observed_once(self, exporter: Any, server: FakeServer, clients: Any) -> None:
        """One generate call is delivered once, with provider, model and the tokens it used.

        Troubleshooting: open the call at its ``start`` (or in a middleware step) and close it at
        its ``end``; read tokens from ``TraceEvent.usage`` (or the response), the model without its
        ``provider:`` prefix from ``TraceEvent.model``; count the call once, not once per event."""
        client = self.make_client(clients, exporter)
        server.script(Scenario(text="Hello there", usage=USAGE))
        answer = await client.agenerate(MODEL, "Say hello", **self.call_options(server))
        assert answer.text == "Hello there"
        await client.aclose()
        assert self.summary(exporter) == {self.key("generate"): Totals(1, 12, 7, 0)}
        assert self.open_calls(exporter) == 0

    @pytest.mark.asyncio
    async def test_a_stream_is_observed_with_its_first_chunk_and_ends_with_it(
        self, exporter: Any, server: FakeServer, clients: Any
    ) -> None:
        """A streamed call stays open while the stream is read, records its time to first chunk,
        and ends (once) when the stream ends, with the stream's tokens.

        Troubleshooting: the call is not over when ``astream`` returns: end it on the ``end`` event
        (or the stream's finish callback), and take the time to first chunk from the
        ``first_chunk`` event."""
        client = self.make_client(clients, exporter)
        server.script(Scenario(text=("one ", "two ", "three"), usage=USAGE))
        stream = client.astream(MODEL, "Count", **self.call_options(server))
        await stream.__anext__()
        assert self.open_calls(exporter) == 1, "the call ended before its stream did"
        assert (await stream.response()).text == "one two three"
        assert self.open_calls(exporter) == 0, "the call is still open after its stream finished"
        await client.aclose()
        assert self.summary(exporter) == {self.key("stream"): Totals(1, 12, 7, 1)}

    @pytest.mark.asyncio
    async def test_a_stream_closed_early_is_observed_once_and_ended(
        self, exporter: Any, server: FakeServer, clients: Any
    ) -> None:
        """A stream the caller closes after its first chunk is delivered once, as ``closed`` (not
        an error), and is not left open.

        Troubleshooting: the kernel sends an ``error`` event with ``error_type == "closed"`` when
        the caller closes a stream early; end the call there, as closed rather than failed."""
        client = self.make_client(clients, exporter)
        server.script(Scenario(text=tuple(f"word{i} " for i in range(20)), usage=USAGE))
        stream = client.astream(MODEL, "Talk", **self.call_options(server))
        await stream.__anext__()
        await stream.aclose()
        assert self.open_calls(exporter) == 0, "the closed stream's call was left open"
        await client.aclose()
        summary = self.summary(exporter)
        assert list(summary) == [self.key("stream", "closed")], summary
        totals = summary[self.key("stream", "closed")]
        assert (totals.calls, totals.first_chunks) == (1, 1)

    @pytest.mark.asyncio
    async def test_an_error_is_observed_with_its_type(self, exporter: Any, server: FakeServer, clients: Any) -> None:
        """A 429 and a 500 (retries off) reach the caller as the usual typed errors, and are
        delivered as failed calls with ``RateLimitError`` / ``ServerError`` as their type.

        Troubleshooting: take the type from ``TraceEvent.error_type`` (the exception's class
        name), never the message (it may quote the request); never raise from the hook."""
        client = self.make_client(clients, exporter)
        server.script(ErrorScenario("rate_limit"), ErrorScenario("server"))
        with pytest.raises(lluminary.RateLimitError):
            await client.agenerate(MODEL, "Hello", **self.call_options(server))
        with pytest.raises(lluminary.ServerError):
            await client.agenerate(MODEL, "Hello", **self.call_options(server))
        assert self.open_calls(exporter) == 0
        await client.aclose()
        assert self.summary(exporter) == {
            self.key("generate", "error", "RateLimitError"): Totals(1),
            self.key("generate", "error", "ServerError"): Totals(1),
        }

    @pytest.mark.asyncio
    async def test_a_cache_hit_is_observed_as_a_hit(self, exporter: Any, server: FakeServer, clients: Any) -> None:
        """The second of two equal calls, answered by the memory cache, is delivered as a cache
        hit without tokens; the first as an ordinary call.

        Troubleshooting: the kernel sends one ``cache_hit`` event (no ``start``) for a call the
        cache answered; count it as a hit and spend no tokens on it."""
        client = self.make_client(clients, exporter, cache=f"memory://exporter-conformance-{uuid.uuid4().hex}")
        server.script(Scenario(text="Cached words", usage=USAGE))
        first = await client.agenerate(MODEL, "Same question", **self.call_options(server))
        second = await client.agenerate(MODEL, "Same question", **self.call_options(server))
        assert first.text == second.text == "Cached words"
        assert len(server.requests) == 1, "the cache did not answer the second call"
        await client.aclose()
        assert self.summary(exporter) == {
            self.key("generate"): Totals(1, 12, 7, 0),
            self.key("generate", "cache_hit"): Totals(1),
        }

    @pytest.mark.asyncio
    async def test_a_failing_exporter_does_not_break_calls(
        self, failing_exporter: Any, server: FakeServer, clients: Any
    ) -> None:
        """With the exporter's backend raising on every use, every kind of call still answers
        (or fails with its own typed error), and only TraceWarnings say so, without the key.

        Troubleshooting: the kernel isolates ``lluminary_trace``; a middleware step an exporter
        adds is the exporter's to guard: catch its own failures around the tracing work (never
        around ``call_next``) and warn with ``lluminary.TraceWarning``."""
        client = self.make_client(clients, failing_exporter, cache=f"memory://exporter-conformance-{uuid.uuid4().hex}")
        server.script(Scenario(text="Still here", usage=USAGE), Scenario(text=("a ", "b")), ErrorScenario("server"))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert (await client.agenerate(MODEL, "One", **self.call_options(server))).text == "Still here"
            assert (await client.agenerate(MODEL, "One", **self.call_options(server))).text == "Still here"
            assert (await client.astream(MODEL, "Two", **self.call_options(server)).response()).text == "a b"
            with pytest.raises(lluminary.ServerError):
                await client.agenerate(MODEL, "Three", **self.call_options(server))
            closing: BaseException | None = None
            try:
                await client.aclose()
            except lluminary.LluminaryError as exc:  # a flush that raised is reported, typed
                closing = exc
        assert TEST_API_KEY not in str(closing)
        unexpected = [w for w in caught if not issubclass(w.category, TraceWarning)]
        assert not unexpected, [str(w.message) for w in unexpected]
        assert all(TEST_API_KEY not in str(w.message) for w in caught)

    @pytest.mark.asyncio
    async def test_a_failing_neighbour_does_not_starve_the_exporter(
        self, exporter: Any, server: FakeServer, clients: Any
    ) -> None:
        """Another exporter on the client that raises on every event neither breaks the calls nor
        keeps this exporter from receiving them.

        Troubleshooting: this is the kernel's job (it hands each event to each exporter on its
        own); if it fails, an exporter is raising out of a step it added, or the kernel broadcast
        stops at the first exception."""
        neighbour = ExplodingExporter()
        client = self.make_client(clients, exporter, neighbour)
        server.script(Scenario(text="Fine", usage=USAGE), Scenario(text=("x ", "y"), usage=USAGE))
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            assert (await client.agenerate(MODEL, "One", **self.call_options(server))).text == "Fine"
            assert (await client.astream(MODEL, "Two", **self.call_options(server)).response()).text == "x y"
        await client.aclose()
        assert neighbour.raised > 0
        assert self.summary(exporter) == {
            self.key("generate"): Totals(1, 12, 7, 0),
            self.key("stream"): Totals(1, 12, 7, 1),
        }

    @pytest.mark.asyncio
    async def test_aclose_flushes_everything(self, exporter: Any, server: FakeServer, clients: Any) -> None:
        """``Client.aclose()`` delivers every call made, at once (no waiting for a timer).

        Troubleshooting: implement ``lluminary_flush`` (force-flush your processors, readers or
        queues, synchronously) and ``lluminary_shutdown`` (flush; release only what is yours)."""
        client = self.make_client(clients, exporter)
        server.script(*(Scenario(text=f"answer {i}", usage=USAGE) for i in range(3)))
        server.script(Scenario(text=("s ", "t"), usage=USAGE))
        for i in range(3):
            await client.agenerate(MODEL, f"Question {i}", **self.call_options(server))
        await client.astream(MODEL, "Stream", **self.call_options(server)).response()
        if self.buffers_until_flush:
            assert self.observed(exporter) == [], "buffers_until_flush is set, yet calls arrived before aclose()"
        await client.aclose()
        assert self.summary(exporter) == {
            self.key("generate"): Totals(3, 36, 21, 0),
            self.key("stream"): Totals(1, 12, 7, 1),
        }

    @pytest.mark.asyncio
    async def test_no_api_key_is_exported(self, exporter: Any, server: FakeServer, clients: Any) -> None:
        """Nothing delivered carries the API key: not for answers, streams, nor for errors whose
        message quotes the key.

        Troubleshooting: never export request headers, settings, ``repr`` of requests or error
        messages; export the error's type (``error.type``) and the fields the conventions name."""
        client = self.make_client(clients, exporter)
        server.script(
            Scenario(text="ok", usage=USAGE),
            Scenario(text=("s ", "t"), usage=USAGE),
            ErrorScenario("authentication", message=f"Incorrect API key provided: {TEST_API_KEY}"),
        )
        await client.agenerate(MODEL, "One", **self.call_options(server))
        await client.astream(MODEL, "Two", **self.call_options(server)).response()
        with pytest.raises(lluminary.AuthenticationError):
            await client.agenerate(MODEL, "Three", **self.call_options(server))
        await client.aclose()
        text = self.exported_text(exporter)
        assert text, "exported_text() returned nothing: the check would prove nothing"
        assert TEST_API_KEY not in text
        assert TEST_API_KEY[-8:] not in text
        calls = sum(totals.calls for totals in self.summary(exporter).values())
        assert calls == 3
