"""The circuit breaker on a clock the test moves: one report per outage, skips while down, one probe
at a time, doubling back-off, and late calls that cannot open or close it."""

from __future__ import annotations

import logging

import pytest

from lluminary_redis.breaker import Breaker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def breaker(clock: Clock) -> Breaker:
    return Breaker("Redis cache at redis://h:1/0", 1.0, 4.0, clock=clock)


def test_an_outage_is_reported_once_and_its_end_once(
    breaker: Breaker, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="lluminary_redis")
    calls = [breaker.admit() for _ in range(3)]  # in flight when Redis goes away
    assert calls == [0, 0, 0]
    assert breaker.failed(0, "ConnectionError: refused") is True
    assert breaker.failed(0, "ConnectionError: refused") is False
    assert breaker.failed(0, "ConnectionError: refused") is False
    assert breaker.down
    assert breaker.admit() is None, "skipped while down"
    clock.now += 1.0
    probe = breaker.admit()
    assert probe == 1
    assert breaker.admit() is None, "one probe at a time"
    breaker.succeeded(probe)
    assert not breaker.down
    assert breaker.admit() == 2
    records = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert records == [
        (
            "WARNING",
            "Redis cache at redis://h:1/0 is unavailable (ConnectionError: refused): going on without it, next try in 1 s",
        ),
        ("INFO", "Redis cache at redis://h:1/0 is back after 1.0 s"),
    ]


def test_failed_probes_double_the_skip_up_to_the_cap(breaker: Breaker, clock: Clock) -> None:
    breaker.failed(breaker.admit() or 0, "down")
    waits = []
    for _ in range(4):
        waits.append(breaker.retry_in())
        clock.now += breaker.retry_in()
        probe = breaker.admit()
        assert probe is not None
        assert breaker.failed(probe, "still down") is False
    assert waits == [1.0, 2.0, 4.0, 4.0]
    clock.now += breaker.retry_in()
    breaker.succeeded(breaker.admit() or 0)
    breaker.failed(breaker.admit() or 0, "down again")
    assert breaker.retry_in() == 1.0, "a new outage starts from the first back-off"


def test_late_calls_change_nothing(breaker: Breaker, clock: Clock) -> None:
    before = breaker.admit()
    assert before == 0
    breaker.failed(breaker.admit() or 0, "down")
    clock.now += 1
    probe = breaker.admit()
    assert probe is not None
    breaker.succeeded(probe)
    # a call admitted before the outage fails only now: the outage it saw is over
    assert breaker.failed(before, "late") is False
    assert not breaker.down
    # and one admitted before, succeeding during a new outage, does not end it
    current = breaker.admit()
    assert current is not None
    breaker.failed(current, "down")
    breaker.succeeded(before)
    assert breaker.down


def test_a_cancelled_probe_lets_another_call_probe(breaker: Breaker, clock: Clock) -> None:
    breaker.failed(breaker.admit() or 0, "down")
    clock.now += 1
    probe = breaker.admit()
    assert probe is not None
    assert breaker.admit() is None
    breaker.abandoned(probe)
    assert breaker.admit() == probe
