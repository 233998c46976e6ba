"""The middleware step that gives each logical call its span: it sits outside the kernel's cache,
fallback and retry steps, so it sees the call begin once and end once."""

from __future__ import annotations

import warnings
import weakref
from typing import Any

from opentelemetry import context as otel_context, trace

from lluminary import EventStream, TraceWarning

from ._recorder import Recorder


class CallSpans:
    """Opens the call's span, makes it current while the call runs (so transport spans nest under
    it), and closes it when the answer, the failure, or the end of the stream comes back."""

    __slots__ = ("recorder",)

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    async def __call__(self, call: Any, call_next: Any) -> Any:
        if not call.id:  # the client is not tracing
            return await call_next(call)
        recorder = self.recorder
        try:
            record = recorder.open_call(call)
            token = otel_context.attach(trace.set_span_in_context(record.span))
        except Exception as exc:  # noqa: BLE001 - tracing must never break a call
            _warn(exc)
            return await call_next(call)
        call_id = call.id
        try:
            result = await call_next(call)
        except BaseException as exc:
            _guarded(recorder.close_call, call_id, exc)
            raise
        finally:
            otel_context.detach(token)
        if type(result) is EventStream:

            async def finished(response: Any) -> Any:
                _guarded(recorder.close_call, call_id, response=response)
                return response

            def aborted(error: BaseException | None) -> None:
                _guarded(recorder.close_call, call_id, error, closed=error is None)

            result.on_finish(finished)
            result.on_abort(aborted)
            # A stream dropped unread neither finishes nor aborts: end its span when it is collected.
            weakref.finalize(result, _guarded, recorder.close_call, call_id, None, closed=True)
        else:
            _guarded(recorder.close_call, call_id, response=result)
        return result


def _guarded(close: Any, *args: Any, **kwargs: Any) -> None:
    try:
        close(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - tracing must never break a call
        _warn(exc)


def _warn(exc: Exception) -> None:
    warnings.warn(f"otel exporter failed: {type(exc).__name__}: {exc}", TraceWarning, stacklevel=3)
