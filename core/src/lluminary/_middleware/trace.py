"""Trace: one start event per attempt, then first chunk, end or error, with usage, cost, the
answering model, response id, finish reason and time to first chunk. In the chain only while an
exporter listens, so tracing costs nothing until one is enabled."""

from __future__ import annotations

import time
from typing import Any

from lluminary._call import Call, EventStream, Handler, Result
from lluminary._types import ChatResponse, TraceEvent


class TraceStep:
    __slots__ = ()

    async def __call__(self, call: Call, call_next: Handler) -> Result:
        client = call.client
        request = call.request
        started = time.perf_counter()
        client.emit(
            TraceEvent(
                "start",
                call.id,
                call.operation,
                request.model,
                time.time(),
                None,
                call.attempt,
                metadata=request.metadata,
                parent_id=call.parent_id,
                provider=request.provider,
            )
        )
        try:
            result = await call_next(call)
        except Exception as exc:
            client.emit(_error(call, started, exc))
            raise
        if type(result) is EventStream:
            first = time.perf_counter() - started
            if result.first is not None:
                client.emit(
                    TraceEvent(
                        "first_chunk",
                        call.id,
                        call.operation,
                        request.model,
                        time.time(),
                        first,
                        call.attempt,
                        parent_id=call.parent_id,
                        provider=request.provider,
                        time_to_first_chunk=first,
                    )
                )

            async def finished(response: ChatResponse) -> ChatResponse:
                client.emit(_end(call, started, response, first))
                return response

            def aborted(error: BaseException | None) -> None:
                client.emit(_error(call, started, error))

            result.on_finish(finished)
            result.on_abort(aborted)
            return result
        client.emit(_end(call, started, result, None))
        return result


def _end(call: Call, started: float, response: Any, first: float | None) -> TraceEvent:
    chat = isinstance(response, ChatResponse)
    return TraceEvent(
        "end",
        call.id,
        call.operation,
        call.request.model,
        time.time(),
        time.perf_counter() - started,
        call.attempt,
        response.usage,
        response.cost,
        parent_id=call.parent_id,
        provider=call.request.provider,
        response_model=response.model or None,
        response_id=response.id if chat else None,
        finish_reason=response.finish_reason if chat else None,
        time_to_first_chunk=first,
    )


def _error(call: Call, started: float, error: BaseException | None) -> TraceEvent:
    if error is None:
        message, kind = "the caller closed the stream before it finished", "closed"
    else:
        message, kind = str(error), type(error).__name__
    return TraceEvent(
        "error",
        call.id,
        call.operation,
        call.request.model,
        time.time(),
        time.perf_counter() - started,
        call.attempt,
        error=message,
        error_type=kind,
        parent_id=call.parent_id,
        provider=call.request.provider,
    )
