"""Mistral's error answers to lluminary's typed errors.

Bodies seen in the wild: 422 ``{"detail": [{"loc", "msg", "type"}]}`` (the only one the OpenAPI
spec documents), 401 ``{"detail": "Unauthorized"}``, 429 ``{"message": "..."}``, and the
OpenAI-like ``{"object": "error", "message", "type", "param", "code"}`` (whose ``message`` may itself
be a JSON document). A prompt that does not fit is a 400 saying it is "too large for model with N
maximum context length".
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from lluminary import sdk as errors
from lluminary.sdk import json_or_text, status_error

from .config import NAME

_CONTEXT = re.compile(r"too large for model with \d+ maximum context length|context length|context window", re.I)
_CORRELATION_HEADERS = ("x-request-id", "mistral-correlation-id", "x-kong-request-id")


def describe(body: Any) -> tuple[str, str | None, str | None]:
    """(message, code, type) from any of Mistral's error bodies."""
    if isinstance(body, str):
        text = body.strip()
        if text.startswith(("{", "[")):
            try:
                return describe(json.loads(text))
            except ValueError:
                pass
        return text, None, None
    if isinstance(body, list):
        return _detail_list(body), None, None
    if not isinstance(body, dict):
        return str(body), None, None
    code = body.get("code")
    kind = body.get("type")
    if isinstance(body.get("error"), dict):  # OpenAI-style envelope from a compatible proxy
        inner, inner_code, inner_kind = describe(body["error"])
        return inner, inner_code or _str(code), inner_kind or _str(kind)
    detail = body.get("detail")

    if isinstance(detail, list):
        message = _detail_list(detail)
    elif detail is not None and not body.get("message"):
        message = describe(detail)[0]
    else:
        raw = body.get("message", detail if detail is not None else body.get("error", ""))
        message = describe(raw)[0] if not isinstance(raw, str) or raw.strip().startswith(("{", "[")) else raw
    return message, _str(code), _str(kind)


def _str(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _detail_list(items: list[Any]) -> str:
    messages = []
    for item in items:
        if isinstance(item, dict):
            loc = item.get("loc") or ()
            where = ".".join(str(p) for p in loc if p != "body") if isinstance(loc, list) else ""
            msg = str(item.get("msg", item.get("message", "")))
            messages.append(f"{where}: {msg}" if where else msg)
        else:
            messages.append(str(item))
    return "; ".join(m for m in messages if m)


def from_response(status: int, body: bytes, headers: Mapping[str, str]) -> errors.ProviderError:
    """The typed error for an HTTP error answer."""
    message, code, kind = describe(json_or_text(body))
    cls: type[errors.ProviderError] | None = None
    lowered = f"{message} {code or ''} {kind or ''}".lower()
    if status in (400, 413, 422) and _CONTEXT.search(lowered):
        cls = errors.ContextLengthExceededError
    elif status in (400, 403) and any(word in lowered for word in ("content_filter", "moderation", "guardrail")):
        cls = errors.ContentFilteredError
    err = status_error(status, message or f"HTTP {status}", provider=NAME, headers=headers, code=code or kind, cls=cls)
    if err.request_id is None:
        err.request_id = next((headers[h] for h in _CORRELATION_HEADERS if headers.get(h)), None)
    return err


def from_stream_event(data: Mapping[str, Any]) -> errors.ProviderError:
    """An error object sent inside a 200 stream."""
    message, code, kind = describe(dict(data))
    lowered = f"{message} {code or ''} {kind or ''}".lower()
    status = _status_of(code) or _status_of(data.get("status"))
    if status is not None:
        return status_error(status, message, provider=NAME, code=code or kind)
    if "rate" in lowered and "limit" in lowered:
        return errors.RateLimitError(message, provider=NAME, code=code or kind)
    if _CONTEXT.search(lowered):
        return errors.ContextLengthExceededError(message, provider=NAME, code=code or kind)
    if "invalid" in lowered:
        return errors.InvalidRequestError(message, provider=NAME, code=code or kind)
    return errors.ServerError(message or "the stream reported an error", provider=NAME, code=code or kind)


def _status_of(value: Any) -> int | None:
    try:
        status = int(value)
    except (TypeError, ValueError):
        return None
    return status if 400 <= status <= 599 else None
