"""Finish reasons: OpenAI's words → lluminary's."""

from __future__ import annotations

from lluminary.sdk import FinishReason

CHAT_FINISH: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
    "eos": "stop",  # some compatible servers
    "end_turn": "stop",
    "max_tokens": "length",
    "model_length": "length",
    "error": "error",
}
INCOMPLETE_FINISH: dict[str, FinishReason] = {
    "max_output_tokens": "length",
    "content_filter": "content_filter",
}


def chat_finish(raw: str | None, *, tool_calls: bool, refused: bool) -> FinishReason:
    """A Chat Completions ``finish_reason``. A forced tool call finishes with "stop" on OpenAI:
    a turn that called tools is reported as "tool_calls" either way; a refusal as "content_filter"."""
    if refused:
        return "content_filter"
    reason = CHAT_FINISH.get(raw or "stop", "other")
    return "tool_calls" if tool_calls and reason == "stop" else reason


def response_finish(
    status: str | None, incomplete_reason: str | None, *, tool_calls: bool, refused: bool
) -> FinishReason:
    """A Responses API ``status`` (+ ``incomplete_details.reason``)."""
    if refused:
        return "content_filter"
    if status == "incomplete":
        return INCOMPLETE_FINISH.get(incomplete_reason or "", "other")
    if status in ("completed", None):
        return "tool_calls" if tool_calls else "stop"
    return "other"
