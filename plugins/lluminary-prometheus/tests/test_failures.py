"""Errors by type, retries and fallbacks inside one logical call, and an exporter that fails
without failing a call."""

from __future__ import annotations

from typing import Any

import pytest

import lluminary
from lluminary import RateLimitError, Usage
from lluminary_testing.scenario import ErrorScenario, Scenario

from .conftest import FAST_RETRY, MODEL, Harness

CALL = {"provider": "openai", "model": "gpt-4o-mini", "operation": "generate"}


async def test_a_429_is_an_error_request_with_its_error_type(h: Harness) -> None:
    h.server.script(ErrorScenario("rate_limit", "slow down", retry_after=0))
    with pytest.raises(RateLimitError):
        await h.client.agenerate(MODEL, "hi")
    assert h.value("lluminary_requests_total", **CALL, status="error") == 1
    assert h.value("lluminary_requests_total", **CALL, status="ok") == 0
    assert h.value("lluminary_errors_total", **CALL, error_type="RateLimitError") == 1
    assert h.total("lluminary_errors_total") == 1  # the attempt's error is the call's: once
    assert h.value("lluminary_request_duration_seconds_count", **CALL) == 1
    assert h.value("lluminary_in_flight_requests", **CALL) == 0
    assert h.total("lluminary_tokens_total") == 0


async def test_a_stream_that_fails_before_its_first_event_is_an_error(h: Harness) -> None:
    h.server.script(ErrorScenario("server"))
    with pytest.raises(lluminary.ServerError):
        await h.client.astream(MODEL, "hi").response()
    labels = {**CALL, "operation": "stream"}
    assert h.value("lluminary_requests_total", **labels, status="error") == 1
    assert h.value("lluminary_errors_total", **labels, error_type="ServerError") == 1
    assert h.value("lluminary_in_flight_requests", **labels) == 0


async def test_retries_are_counted_inside_one_request(harness: Any) -> None:
    h = harness(retries=FAST_RETRY)
    h.server.script(ErrorScenario("rate_limit", retry_after=0), ErrorScenario("overloaded"), Scenario("ok"))
    assert (await h.client.agenerate(MODEL, "hi")).text == "ok"
    assert h.value("lluminary_requests_total", **CALL, status="ok") == 1
    assert h.total("lluminary_requests_total") == 1
    assert h.value("lluminary_retries_total", **CALL) == 2
    assert h.value("lluminary_errors_total", **CALL, error_type="RateLimitError") == 1
    assert h.value("lluminary_errors_total", **CALL, error_type="OverloadedError") == 1
    assert h.value("lluminary_request_duration_seconds_count", **CALL) == 1


async def test_a_fallback_is_counted_and_its_tokens_and_cost_go_to_the_model_that_answered(harness: Any) -> None:
    h = harness(fallbacks=["openai:gpt-4o"])
    h.server.script(ErrorScenario("server"), Scenario("from the fallback", usage=Usage(40, 4)))
    assert (await h.client.agenerate(MODEL, "hi")).text == "from the fallback"
    assert h.value("lluminary_requests_total", **CALL, status="ok") == 1
    assert h.value("lluminary_fallbacks_total", **CALL, fallback_model="gpt-4o") == 1
    assert h.value("lluminary_errors_total", **CALL, error_type="ServerError") == 1
    answered = {"provider": "openai", "model": "gpt-4o", "operation": "generate"}
    assert h.value("lluminary_tokens_total", **answered, type="input") == 40
    assert h.value("lluminary_tokens_total", **CALL, type="input") == 0
    assert h.value("lluminary_cost_usd_total", **answered) == pytest.approx(h.client.cost.total)
    assert h.client.cost.total > 0


async def test_a_call_that_fails_outside_any_attempt_still_counts_its_error(harness: Any) -> None:
    h = harness(deadline=0.2)
    h.server.script(Scenario("late", fault=_delay(2.0)))
    with pytest.raises(lluminary.APITimeoutError):
        await h.client.agenerate(MODEL, "hi")
    assert h.value("lluminary_requests_total", **CALL, status="error") == 1
    assert h.value("lluminary_errors_total", **CALL, error_type="APITimeoutError") == 1
    assert h.value("lluminary_in_flight_requests", **CALL) == 0


class Exploding:
    """A metric family whose updates raise, or series whose calls can start but not be counted."""

    def at(self, labels: Any) -> Any:
        raise RuntimeError("family exploded")

    def __call__(self, labels: tuple[str, str, str], tags: tuple[str, ...]) -> Any:
        return self

    labels = ("openai", "gpt-4o-mini", "generate")
    tags = ()

    def start(self) -> None:
        pass

    def finish(self, status: str, seconds: float) -> None:
        raise RuntimeError("family exploded")

    def account(self, usage: Any, cost: Any, output: bool) -> None:
        raise RuntimeError("family exploded")


class Unopenable:
    """Series that cannot even be made."""

    def __call__(self, labels: tuple[str, str, str], tags: tuple[str, ...]) -> Any:
        raise RuntimeError("family exploded")


async def test_an_exporter_failing_inside_warns_and_the_calls_still_answer(h: Harness) -> None:
    recorder = h.exporter.recorder
    recorder.metrics.series = Exploding()  # type: ignore[method-assign]
    h.server.script(Scenario("one"), Scenario("two"))
    with pytest.warns(lluminary.TraceWarning, match="family exploded"):
        assert (await h.client.agenerate(MODEL, "hi")).text == "one"
    with pytest.warns(lluminary.TraceWarning, match="family exploded"):
        assert (await h.client.astream(MODEL, "hi").response()).text == "two"


async def test_an_exporter_that_cannot_open_a_call_warns_and_the_call_answers(h: Harness) -> None:
    recorder = h.exporter.recorder
    recorder.metrics.series = Unopenable()  # type: ignore[method-assign]
    h.server.script(Scenario("fine"))
    with pytest.warns(lluminary.TraceWarning, match="family exploded"):
        assert (await h.client.agenerate(MODEL, "hi")).text == "fine"


def _delay(seconds: float) -> Any:
    from lluminary_testing.server import Fault

    return Fault(delay_headers=seconds)
