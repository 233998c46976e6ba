"""The middleware step that gives each logical call its span: it sits outside the kernel's cache,
fallback and retry steps, so it sees the call begin once and end once."""

from __future__ import annotations

from typing import Any

from opentelemetry import context as otel_context, trace

from lluminary.sdk import CallObserver

from ._recorder import CallRecord, Recorder


class CallSpans(CallObserver[tuple[str, CallRecord]]):
    """Opens the call's span, makes it current while the call runs (so transport spans nest under
    it), and closes it when the answer, the failure, or the end of the stream comes back."""

    label = "otel exporter"
    __slots__ = ("recorder",)

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    async def begin(self, call: Any) -> tuple[str, CallRecord]:
        return call.id, self.recorder.open_call(call)

    def running(self, state: tuple[str, CallRecord]) -> _Current:
        return _Current(state[1].span)

    def end(
        self,
        state: tuple[str, CallRecord],
        *,
        error: BaseException | None = None,
        response: Any = None,
        closed: bool = False,
    ) -> None:
        self.recorder.close_call(state[0], error, closed=closed, response=response)


class _Current:
    """The span is the current one while the rest of the chain runs."""

    __slots__ = ("span", "token")

    def __init__(self, span: Any) -> None:
        self.span = span
        self.token: object = None

    def __enter__(self) -> None:
        self.token = otel_context.attach(trace.set_span_in_context(self.span))

    def __exit__(self, *exc: object) -> None:
        otel_context.detach(self.token)  # type: ignore[arg-type]
