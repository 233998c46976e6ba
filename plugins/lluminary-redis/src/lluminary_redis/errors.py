"""The one error a Redis outage raises, and how a failure is told apart from an answer."""

from __future__ import annotations

from lluminary.sdk import LluminaryError, redact


class RedisUnavailableError(LluminaryError):
    """Redis could not be reached, or did not answer in time. ``first`` is True for the failure
    that began an outage (the one to report); False for the others, and for calls that were not
    even tried because Redis is known to be down."""

    def __init__(self, message: str, *, first: bool) -> None:
        super().__init__(message)
        self.first = first


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` means Redis is not serving (unreachable, slow, loading, read-only, out of
    memory), as opposed to an answer about the command (a wrong type, a script's error)."""
    from redis.exceptions import DataError, ReadOnlyError, ResponseError

    if isinstance(exc, ReadOnlyError) or type(exc).__name__ == "OutOfMemoryError":
        return True
    return not isinstance(exc, (ResponseError, DataError))


def describe(exc: BaseException) -> str:
    """A short reason for a failure, without secrets."""
    return redact(f"{type(exc).__name__}: {exc or 'no details'}")
