"""A fake Ollama server on loopback, speaking the real wire.

``POST /api/chat`` answers a :class:`~lluminary_testing.scenario.Scenario` as one chat object
(``"stream": false``) or — by default, as Ollama does, since ``stream`` defaults to true — as NDJSON
(``application/x-ndjson``), one object per line:

* ``{"model", "created_at", "message": {"role": "assistant", "content": "", "thinking": piece}, "done": false}``
  per reasoning piece, then one line per text piece;
* tool calls arrive **whole** in one ``done: false`` line: ``{"function": {"index", "name",
  "arguments": {...}}, "id"}`` (``arguments`` is a JSON object; set
  :attr:`FakeOllamaServer.tool_call_ids` to False for the servers that send no ids);
* a last ``done: true`` line with ``done_reason`` (``stop`` after tool calls too, or ``length``),
  ``prompt_eval_count``, ``eval_count`` and the durations in nanoseconds.

``POST /api/embed`` returns one deterministic unit vector per input (``dimensions`` long, 768 by
default); ``GET /api/tags`` lists :attr:`FakeOllamaServer.installed`; ``GET /api/version`` answers.

An :class:`~lluminary_testing.scenario.ErrorScenario` is answered with ``{"error": "..."}`` and the
status Ollama uses; a model that is not pulled is 404 ``{"error": "model 'x' not found"}``. With
``in_stream`` the error is an ``{"error": ...}`` line inside a 200 stream, after some content.
When :attr:`FakeOllamaServer.only_installed` is set, chat and embed requests for models not in
:attr:`FakeOllamaServer.installed` get that 404, as the real server does.

With nothing scripted, it echoes the last user text back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from .answers import echo, last_user_text, rough_tokens, unit_vector
from .scenario import ErrorScenario, Scenario
from .server import FakeServer, RecordedRequest, Reply, ndjson, seconds

CHAT_PATH = "/api/chat"
EMBED_PATH = "/api/embed"
TAGS_PATH = "/api/tags"
VERSION_PATH = "/api/version"
CREATED_AT = "2025-10-17T23:14:07.414671Z"
DEFAULT_DIMENSIONS = 768

#: unified finish reason -> Ollama ``done_reason`` (Ollama says "stop" after tool calls too)
DONE_REASONS = {"stop": "stop", "length": "length", "tool_calls": "stop"}

#: ErrorScenario kind -> (status, message); ``{model}`` is the requested model
ERRORS: dict[str, tuple[int, str]] = {
    "authentication": (401, "unauthorized"),
    "permission": (403, "forbidden"),
    "not_found": (404, "model '{model}' not found"),
    "rate_limit": (429, "too many requests"),
    "context_length": (400, "the input length exceeds the context length"),
    "invalid_request": (400, "invalid message format"),
    "request_too_large": (413, "request entity too large"),
    "content_filter": (400, "content rejected"),
    "server": (500, "llama runner process has terminated: exit status 2"),
    "overloaded": (503, "server busy, please try again.  maximum pending requests exceeded"),
}
ROLES = frozenset({"system", "user", "assistant", "tool"})


class FakeOllamaServer(FakeServer):
    """Serves ``/api/chat``, ``/api/embed``, ``/api/tags`` and ``/api/version`` from its script."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, validate: bool = True) -> None:
        super().__init__(host, port)
        self.validate = validate
        #: what ``/api/tags`` lists
        self.installed: list[str] = ["llama3.2:latest", "qwen3:0.6b", "nomic-embed-text:latest"]
        #: answer 404 "model not found" for models not in :attr:`installed`
        self.only_installed = False
        #: send ``id`` with tool calls (recent Ollama versions do; older ones do not)
        self.tool_call_ids = True

    def takes(self, item: Any, request: RecordedRequest) -> bool:
        # /api/tags and /api/version never consume a Scenario meant for a chat call.
        return request.path not in (TAGS_PATH, VERSION_PATH) or isinstance(item, (Reply, ErrorScenario))

    def default_responder(self, request: RecordedRequest) -> Any:
        if request.path == TAGS_PATH:
            return Reply.json(render_tags(self.installed))
        if request.path == VERSION_PATH:
            return Reply.json({"version": "0.12.6"})
        if request.path == EMBED_PATH:
            return _Embeddings()
        if request.path != CHAT_PATH:
            return Reply(404, {"content-type": "text/plain"}, (b"404 page not found",))
        body = request.json_or_none()
        fields = body if isinstance(body, dict) else {}
        text, model = last_user_text(fields.get("messages")), str(fields.get("model", "llama3.2"))
        return echo(text, model=model, input_tokens=rough_tokens(body), output_tokens=max(len(text.split()), 1))

    def render(self, item: Any, request: RecordedRequest) -> Reply:
        if isinstance(item, Reply):
            return item
        body = request.json_or_none()
        model = str(body.get("model", "")) if isinstance(body, dict) else ""
        if isinstance(item, ErrorScenario):
            return render_error(item, model)
        if isinstance(item, _Embeddings) or (isinstance(item, Scenario) and request.path == EMBED_PATH):
            rejected = self.check(body, embeddings=True)
            return rejected if rejected is not None else Reply.json(render_embeddings(body))
        if isinstance(item, Scenario):
            rejected = self.check(body)
            if rejected is not None:
                return rejected.with_fault(item.fault)
            assert isinstance(body, dict)
            if body.get("stream", True) is not False:
                reply = Reply(
                    200,
                    {"content-type": "application/x-ndjson"},
                    render_stream(item, ids=self.tool_call_ids),
                    stream=True,
                )
            else:
                chat = render_chat(item, ids=self.tool_call_ids, placeholders=True)
                if item.unknown_events:
                    chat[FUTURE_KEY] = {"v": 2}
                    chat["message"][FUTURE_KEY] = True
                raw = dumps(chat, item).encode("utf-8")
                if item.malformed:  # a body cut off mid-object
                    raw = raw[: len(raw) // 2]
                reply = Reply(200, {"content-type": "application/json; charset=utf-8"}, (raw,))
            return reply.with_fault(item.fault)
        raise TypeError(f"{type(self).__name__} cannot render {item!r}")

    # ---- what the real server rejects

    def check(self, body: Any, *, embeddings: bool = False) -> Reply | None:
        if not self.validate:
            return None
        if not isinstance(body, dict):
            return error_reply(400, "invalid character looking for beginning of value")
        model = body.get("model")
        if not model:
            return error_reply(400, "model is required")
        if self.only_installed and model not in self.installed and f"{model}:latest" not in self.installed:
            return error_reply(404, f"model '{model}' not found")
        if embeddings:
            if "input" not in body:
                return error_reply(400, "invalid input type")
            return None
        messages = body.get("messages")
        if not isinstance(messages, list):
            return error_reply(400, "messages is required")
        for message in messages:
            if not isinstance(message, dict) or message.get("role") not in ROLES:
                return error_reply(400, "invalid message role")
            if not isinstance(message.get("content", ""), str):
                return error_reply(400, "json: cannot unmarshal array into Go struct field Message.messages.content")
            for image in message.get("images") or ():
                if not isinstance(image, str) or image.startswith(("http://", "https://")):
                    return error_reply(400, "illegal base64 data at input byte 4")
        fmt = body.get("format")
        if fmt is not None and fmt != "json" and not isinstance(fmt, dict):
            return error_reply(400, f"invalid format: {json.dumps(fmt)}")
        return None


class _Embeddings:
    """The default answer to an embed request."""


# --------------------------------------------------------------------------- rendering


def _arguments(raw: str) -> Any:
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        return raw  # invalid JSON cannot be an object: the client must notice


#: stands in for a tool call's arguments while a line is serialised, replaced by the raw JSON after
_RAW = "\x00raw-arguments-{}\x00"


def wire_tool_calls(scenario: Scenario, *, ids: bool, placeholders: bool = False) -> list[dict[str, Any]]:
    """The tool calls. With ``placeholders``, arguments that are a JSON object are placeholders that
    :func:`dumps` replaces with the scenario's own JSON text (so its spacing and escapes reach the
    client unchanged, as they would from a server that writes them that way)."""
    calls = []
    for index, call in enumerate(scenario.tool_calls):
        value = _arguments(call.arguments)
        raw = placeholders and isinstance(value, dict) and call.arguments.strip()
        arguments = _RAW.format(index) if raw else value
        entry: dict[str, Any] = {"function": {"index": index, "name": call.name, "arguments": arguments}}
        if ids:
            entry["id"] = call.id
        calls.append(entry)
    return calls


def _final(scenario: Scenario) -> dict[str, Any]:
    usage = scenario.usage
    return {
        "done": True,
        "done_reason": DONE_REASONS.get(scenario.finish_reason, "stop"),
        "total_duration": 174_560_334,
        "load_duration": 101_397_084,
        "prompt_eval_count": usage.input_tokens,
        "prompt_eval_duration": 13_074_791,
        "eval_count": usage.output_tokens,
        "eval_duration": 52_479_709,
    }


def dumps(obj: Any, scenario: Scenario) -> str:
    """``obj`` as one JSON line, with the raw tool-call arguments spliced in."""
    text = json.dumps(obj, ensure_ascii=False)
    for index, call in enumerate(scenario.tool_calls):
        text = text.replace(json.dumps(_RAW.format(index)), call.arguments)
    return text


def render_chat(scenario: Scenario, *, ids: bool = True, placeholders: bool = False) -> dict[str, Any]:
    """The non-streamed chat object."""
    message: dict[str, Any] = {"role": "assistant", "content": scenario.full_text}
    if scenario.full_reasoning:
        message["thinking"] = scenario.full_reasoning
    if scenario.tool_calls:
        message["tool_calls"] = wire_tool_calls(scenario, ids=ids, placeholders=placeholders)
    return {"model": scenario.model, "created_at": CREATED_AT, "message": message, **_final(scenario)}


def render_lines(scenario: Scenario, *, ids: bool = True, placeholders: bool = False) -> Iterator[dict[str, Any]]:
    """The NDJSON objects of a streamed answer."""

    def line(**message: Any) -> dict[str, Any]:
        return {
            "model": scenario.model,
            "created_at": CREATED_AT,
            "message": {"role": "assistant", "content": "", **message},
            "done": False,
        }

    for piece in scenario.reasoning_pieces:
        if piece:
            yield line(thinking=piece)
    if not scenario.text_after_tools:
        for piece in scenario.text_pieces:
            if piece:
                yield line(content=piece)
    if scenario.tool_calls:
        yield line(tool_calls=wire_tool_calls(scenario, ids=ids, placeholders=placeholders))
    if scenario.text_after_tools:
        for piece in scenario.text_pieces:
            if piece:
                yield line(content=piece)
    yield {
        "model": scenario.model,
        "created_at": CREATED_AT,
        "message": {"role": "assistant", "content": ""},
        **_final(scenario),
    }


#: what ``Scenario.unknown_events`` adds: a key no client knows
FUTURE_KEY = "x_future_field"


def render_stream(scenario: Scenario, *, ids: bool = True) -> list[bytes]:
    """The NDJSON body; with ``unknown_events`` unknown keys and a line of a kind no client knows,
    with ``malformed`` a line that is not JSON after the first one."""
    out: list[bytes] = []
    for n, line in enumerate(render_lines(scenario, ids=ids, placeholders=True)):
        if scenario.unknown_events:
            line[FUTURE_KEY] = {"v": 2}
            line["message"][FUTURE_KEY] = True
            if n == 1:
                out.extend(
                    ndjson([{"model": scenario.model, "created_at": CREATED_AT, "status": "future", "done": False}])
                )
        if scenario.malformed and n == 1:
            out.append(b'{"model": "' + scenario.model.encode() + b'", "message": {"content": "Hel\n')
        out.append((dumps(line, scenario) + "\n").encode("utf-8"))
    return out


def render_tags(models: list[str]) -> dict[str, Any]:
    return {
        "models": [
            {
                "name": name,
                "model": name,
                "modified_at": "2025-10-03T23:34:03.409490317-07:00",
                "size": 2_019_393_189,
                "digest": "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
                "details": {
                    "format": "gguf",
                    "family": "nomic-bert" if "embed" in name else "llama",
                    "families": ["nomic-bert" if "embed" in name else "llama"],
                    "parameter_size": "3.2B",
                    "quantization_level": "Q4_K_M",
                },
            }
            for name in models
        ]
    }


def render_embeddings(body: Mapping[str, Any]) -> dict[str, Any]:
    inputs = body.get("input")
    texts = [inputs] if isinstance(inputs, str) else list(inputs or [])
    size = int(body.get("dimensions") or DEFAULT_DIMENSIONS)
    return {
        "model": body.get("model", "nomic-embed-text"),
        "embeddings": [unit_vector(str(t), size) for t in texts],
        "total_duration": 14_143_917,
        "load_duration": 1_019_500,
        "prompt_eval_count": sum(max(len(str(t).split()), 1) for t in texts),
    }


def error_reply(status: int, message: str) -> Reply:
    return Reply.json({"error": message}, status)


def render_error(scenario: ErrorScenario, model: str = "") -> Reply:
    status, template = ERRORS.get(scenario.kind, (500, "{message}"))
    message = template.format(model=model or "unknown", message=scenario.message)
    if scenario.message != "scripted failure":
        # Where the text identifies the error, keep Ollama's words and add the scripted ones.
        identifying = scenario.kind in ("not_found", "context_length", "overloaded")
        message = f"{message}: {scenario.message}" if identifying else scenario.message
    # Local Ollama sends no request id; Ollama's cloud (behind its proxy) does: the fake sends one.
    headers = {"content-type": "application/json; charset=utf-8", "x-request-id": scenario.request_id}
    if scenario.retry_after is not None:
        headers["retry-after"] = seconds(scenario.retry_after)
    if not scenario.in_stream:
        return Reply(status, headers, (json.dumps({"error": message}).encode("utf-8"),))
    lines = [
        {
            "model": model,
            "created_at": CREATED_AT,
            "message": {"role": "assistant", "content": "Partial "},
            "done": False,
        },
        {"error": message},
    ]
    return Reply(200, {"content-type": "application/x-ndjson"}, ndjson(lines), stream=True)
