"""A fake Gemini API (and Vertex AI) on loopback, speaking the real wire.

Routes, under any base path (``/v1beta`` for the Gemini API, ``/v1`` for Vertex AI):

* ``models/{m}:generateContent`` — a :class:`~lluminary_testing.scenario.Scenario` as one
  ``GenerateContentResponse``;
* ``models/{m}:streamGenerateContent?alt=sse`` — the same as data-only server-sent events, one whole
  ``GenerateContentResponse`` per event, ``\\r\\n`` line ends, no event names and no ``[DONE]``;
  without ``alt=sse`` the chunks come as one JSON array written as it goes, as the real API sends
  them (``[{...}``, then ``\\r\\n,\\r\\n{...}`` per chunk, then ``\\r\\n]``, each chunk
  pretty-printed); :attr:`FakeGeminiServer.array_streams` answers every stream that way, as behind a
  proxy that drops ``alt=sse``;
* ``models/{m}:countTokens`` — ``{"totalTokens": N}`` computed from the body;
* ``models/{m}:embedContent`` / ``:batchEmbedContents`` (and Vertex's ``:predict``) — deterministic
  vectors.

The Vertex AI spellings of the model path (``projects/{p}/locations/{l}/publishers/google/models/{m}``,
and ``publishers/google/models/{m}`` for express mode) are served the same way.

Streams look like the real ones: every chunk carries ``modelVersion``, ``responseId`` and a running
``usageMetadata``; thoughts (``thought: true``) come first, then text, then each ``functionCall``
whole in a chunk of its own (with an ``id`` only when :attr:`FakeGeminiServer.call_ids` is on — the
Gemini API often sends none); the last chunk carries ``finishReason`` and the final usage, and, when
the answer ends with a function call, an empty text part. A ``Scenario.signature`` rides as
``thoughtSignature`` on the last thought part, else on the first function call, else in an
empty-text part of the last chunk (where Gemini puts a text answer's signature).

Real traffic the server reproduces on request: a :class:`GeminiScenario` can carry ``grounding``
(the candidate's ``groundingMetadata``: Google Search sources and the spans they support, offsets in
UTF-8 bytes), which a stream sends as ``"groundingMetadata": {}`` on every chunk and the whole
object on the last, and ``text_signature_first`` (Gemini 2.5 signs a text answer on its first text
chunk, not in a trailing empty part). A request whose ``toolConfig.functionCallingConfig`` sets
``streamFunctionCallArguments`` (Vertex AI) gets each call streamed the way Vertex streams it: the
name with ``willContinue``, one ``partialArgs`` part per leaf value (strings sent in two pieces, the
first with ``willContinue``), then an empty ``functionCall``.

Errors are Google's: ``{"error": {"code", "message", "status", "details"}}`` with ``ErrorInfo`` /
``RetryInfo`` details; a bad key is a 400 ``INVALID_ARGUMENT`` with reason ``API_KEY_INVALID``; a
content-filter error is a 200 whose ``promptFeedback.blockReason`` is set and has no candidates;
``in_stream`` errors are a ``data: {"error": ...}`` event after the first chunk.

Like the real API, the server rejects what the real API rejects before generating (``validate``):
no credentials, no contents, empty parts, unknown roles or fields, a function response without a
name, function responses that do not answer the previous turn's calls one for one, and — for
Gemini 3 models — a model turn whose function calls lost their ``thoughtSignature``.

With nothing scripted, it echoes the last user text back.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs

from lluminary import Usage

from .answers import echo, unit_vector, word_count
from .scenario import ErrorScenario, Scenario
from .server import FakeServer, RecordedRequest, Reply

#: ``.../models/{model}:{method}`` with the Gemini API or a Vertex AI resource path before it.
PATH = re.compile(
    r"^(?P<base>.*?)/(?:(?P<vertex>projects/[^/]+/locations/[^/]+/publishers/google/)|(?P<express>publishers/google/))?"
    r"models/(?P<model>[^/:]+):(?P<method>[A-Za-z]+)$"
)
CHAT_METHODS = frozenset({"generateContent", "streamGenerateContent"})

#: unified finish reason -> Gemini ``finishReason``
FINISH_REASONS = {
    "stop": "STOP",
    "tool_calls": "STOP",
    "length": "MAX_TOKENS",
    "content_filter": "SAFETY",
    "error": "MALFORMED_FUNCTION_CALL",
    "other": "OTHER",
}

ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
QUOTA_FAILURE = "type.googleapis.com/google.rpc.QuotaFailure"
HELP = "type.googleapis.com/google.rpc.Help"
LOCALIZED = "type.googleapis.com/google.rpc.LocalizedMessage"

API_KEY_INVALID_MESSAGE = "API key not valid. Please pass a valid API key."
NO_CALLER_MESSAGE = (
    "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or "
    "other form of API consumer identity to call this API."
)
CONTEXT_LENGTH_MESSAGE = "The input token count ({tokens}) exceeds the maximum number of tokens allowed ({maximum})."
TOO_LARGE_MESSAGE = "Request payload size exceeds the limit: 20971520 bytes."
QUOTA_MESSAGE = (
    "You exceeded your current quota, please check your plan and billing details. For more information on this "
    "error, head to: https://ai.google.dev/gemini-api/docs/rate-limits."
)
INTERNAL_MESSAGE = "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"
OVERLOADED_MESSAGE = "The model is overloaded. Please try again later."
#: ``ErrorScenario.message`` when a test gives none: then the server words the error as Google does.
DEFAULT_SCRIPTED_MESSAGE = "scripted failure"

#: Fields of a GenerateContentRequest (camelCase; the real API takes snake_case too).
REQUEST_FIELDS = frozenset(
    {
        "model",
        "contents",
        "systemInstruction",
        "tools",
        "toolConfig",
        "safetySettings",
        "generationConfig",
        "cachedContent",
        "labels",
        "serviceTier",
        "store",
    }
)
GENERATION_FIELDS = frozenset(
    {
        "stopSequences",
        "responseMimeType",
        "responseSchema",
        "responseJsonSchema",
        "responseModalities",
        "candidateCount",
        "maxOutputTokens",
        "temperature",
        "topP",
        "topK",
        "seed",
        "presencePenalty",
        "frequencyPenalty",
        "responseLogprobs",
        "logprobs",
        "enableEnhancedCivicAnswers",
        "speechConfig",
        "thinkingConfig",
        "imageConfig",
        "mediaResolution",
        "audioTranscriptionConfig",
    }
)
#: The fields of a Part that hold its data (a part holds exactly one).
DATA_FIELDS = (
    "text",
    "inlineData",
    "fileData",
    "functionCall",
    "functionResponse",
    "executableCode",
    "codeExecutionResult",
    "toolCall",
    "toolResponse",
)
PART_FIELDS = frozenset(
    {*DATA_FIELDS, "thought", "thoughtSignature", "videoMetadata", "partMetadata", "mediaResolution"}
)

_CAMEL = re.compile(r"_([a-z])")


def camel(key: str) -> str:
    return _CAMEL.sub(lambda m: m.group(1).upper(), key)


@attrs.frozen
class GeminiScenario(Scenario):
    """A :class:`Scenario` with what only Gemini has: ``grounding``, the ``groundingMetadata`` of the
    answer (``groundingChunks``, ``groundingSupports``, ``webSearchQueries``, ...; give offsets in
    UTF-8 bytes, as Google does), and ``text_signature_first``, Gemini 2.5's placement of a text
    answer's ``signature`` on the first text chunk of a stream."""

    grounding: Mapping[str, Any] | None = None
    text_signature_first: bool = False


class FakeGeminiServer(FakeServer):
    """Serves the Gemini API routes from its script.

    ``validate`` (default on) rejects requests the real API would reject, with the real status and
    error body. ``call_ids`` (default on) puts the scenario's call ids on ``functionCall`` parts;
    turn it off to get calls without ids, as the Gemini API often sends them. ``array_streams``
    (default off) answers every ``streamGenerateContent`` with the JSON-array framing, as the API
    does when ``alt=sse`` is lost on the way (a proxy that drops the query parameter).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        validate: bool = True,
        call_ids: bool = True,
        array_streams: bool = False,
    ) -> None:
        super().__init__(host, port)
        self.validate = validate
        self.call_ids = call_ids
        self.array_streams = array_streams
        self._ids = itertools.count(1)

    # ---- scripting

    def takes(self, item: Any, request: RecordedRequest) -> bool:
        # countTokens and embeddings never consume a Scenario meant for the next chat call.
        return _method(request) in CHAT_METHODS or not isinstance(item, Scenario)

    def default_responder(self, request: RecordedRequest) -> Any:
        route = PATH.match(request.path)
        if route is None or request.method != "POST":
            return error_reply(404, "NOT_FOUND", f"Method not found: {request.method} {request.path}")
        method = route["method"]
        if method not in CHAT_METHODS:
            return _Utility()
        body = request.json_or_none()
        text = last_user_text(body.get("contents", ())) if isinstance(body, dict) else ""
        tokens = count_tokens(body) if isinstance(body, dict) else 1
        return echo(text, model=route["model"], input_tokens=tokens, id=f"fake-echo-{next(self._ids)}")

    # ---- rendering

    def render(self, item: Any, request: RecordedRequest) -> Reply:
        if isinstance(item, Reply):
            return item
        route = PATH.match(request.path)
        method = route["method"] if route else ""
        array = not self.sse_asked(request)
        if isinstance(item, ErrorScenario):
            streamed = method == "streamGenerateContent"
            return render_error(item, streamed=streamed, vertex=_is_vertex(route), array=array)
        if isinstance(item, _Utility) or (isinstance(item, Scenario) and method not in CHAT_METHODS):
            rejected = self.check(request, route)
            return rejected if rejected is not None else self.utility(request, method)
        if isinstance(item, Scenario):
            rejected = self.check(request, route)
            if rejected is not None:
                return rejected.with_fault(item.fault)
            model = route["model"] if route else ""
            chunks = list(
                stream_chunks(item, call_ids=self.call_ids, model=model, stream_arguments=_streams_arguments(request))
            )
            if method == "streamGenerateContent":
                if not array:
                    frames = [sse_frame(c) for c in chunks]
                    if item.malformed:
                        frames.insert(1, b'data: {"candidates": [{"content": \r\n\r\n')
                    reply = Reply(200, {"content-type": "text/event-stream"}, frames, stream=True)
                else:
                    elements = json_array(chunks)
                    if item.malformed:  # an element whose braces balance but whose JSON does not parse
                        elements.insert(1, b'\r\n,\r\n{\n  "candidates": [{"content": }]\n}')
                    reply = Reply(200, ARRAY_HEADERS, elements, stream=True)
            else:
                raw = json.dumps(
                    render_response(item, call_ids=self.call_ids, model=model), ensure_ascii=False, indent=2
                )
                data = raw.encode("utf-8")
                if item.malformed:
                    data = data[: len(data) // 2]
                reply = Reply(200, {"content-type": "application/json; charset=UTF-8"}, (data,))
            return reply.with_fault(item.fault)
        raise TypeError(f"{type(self).__name__} cannot render {item!r}")

    def sse_asked(self, request: RecordedRequest) -> bool:
        """Whether a stream is answered as server-sent events: ``alt=sse`` reached the server."""
        return "sse" in request.query.get("alt", []) and not self.array_streams

    def utility(self, request: RecordedRequest, method: str) -> Reply:
        """countTokens and the embedding routes."""
        body = request.json()
        if method == "countTokens":
            inner = body.get("generateContentRequest", body)
            return json_reply({"totalTokens": count_tokens(inner), "promptTokensDetails": [{"modality": "TEXT"}]})
        if method == "embedContent":
            text = _embed_text(body.get("content"))
            config = body.get("embedContentConfig", body)
            vector = unit_vector(text, config.get("outputDimensionality") or 8)
            return json_reply({"embedding": {"values": vector}})
        if method == "batchEmbedContents":
            requests = body.get("requests") or []
            vectors = [
                {"values": unit_vector(_embed_text(r.get("content")), r.get("outputDimensionality") or 8)}
                for r in requests
            ]
            return json_reply({"embeddings": vectors})
        if method == "predict":
            size = (body.get("parameters") or {}).get("outputDimensionality") or 8
            predictions = [
                {
                    "embeddings": {
                        "values": unit_vector(str(i.get("content", "")), size),
                        "statistics": {
                            "token_count": word_count(str(i.get("content", ""))),
                            "truncated": False,
                        },
                    }
                }
                for i in body.get("instances") or []
            ]
            return json_reply({"predictions": predictions, "metadata": {"billableCharacterCount": 1}})
        return error_reply(404, "NOT_FOUND", f"Method not found: {method}")

    # ---- what the real API rejects before generating

    def check(self, request: RecordedRequest, route: re.Match[str] | None) -> Reply | None:
        """The error reply the real API would give this request, or None when it is acceptable."""
        if not self.validate:
            return None
        if route is None:
            return error_reply(404, "NOT_FOUND", f"Method not found: {request.path}")
        headers = request.headers
        if _is_vertex(route) and not route["express"]:
            if not headers.get("authorization", "").startswith("Bearer "):
                return error_reply(
                    401,
                    "UNAUTHENTICATED",
                    "Request is missing required authentication credential. Expected OAuth 2 access token, login "
                    "cookie or other valid authentication credential.",
                    reason="CREDENTIALS_MISSING",
                )
        elif not headers.get("x-goog-api-key") and "key" not in request.query:
            return error_reply(403, "PERMISSION_DENIED", NO_CALLER_MESSAGE, reason="SERVICE_DISABLED")
        body = request.json_or_none()
        if not isinstance(body, dict):
            return error_reply(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        method = route["method"]
        if method in CHAT_METHODS:
            problem = request_problem(body, route["model"])
        elif method == "countTokens":
            inner = body.get("generateContentRequest")
            problem = request_problem(inner, route["model"]) if isinstance(inner, dict) else None
            if inner is None and not body.get("contents"):
                problem = "* CountTokensRequest.contents: contents is not specified"
        else:
            problem = None
        if problem is not None:
            return error_reply(400, "INVALID_ARGUMENT", problem)
        return None


class _Utility:
    """The default answer to a countTokens or embedding request."""


# --------------------------------------------------------------------------- request checks


def request_problem(body: Mapping[str, Any], model: str) -> str | None:
    """What the real API would say is wrong with this GenerateContentRequest (None: nothing)."""
    for key in body:
        if camel(key) not in REQUEST_FIELDS:
            return f'Invalid JSON payload received. Unknown name "{key}": Cannot find field.'
    config = body.get("generationConfig") or body.get("generation_config") or {}
    for key in config:
        if camel(key) not in GENERATION_FIELDS:
            return f"Invalid JSON payload received. Unknown name \"{key}\" at 'generation_config': Cannot find field."
    thinking = config.get("thinkingConfig") or {}
    if "thinkingBudget" in thinking and "thinkingLevel" in thinking:
        return "You can only set only one of thinking budget and thinking level."
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        return "* GenerateContentRequest.contents: contents is not specified"
    gemini3 = (_generation(model) or 0) >= 3
    previous_calls = 0
    for n, content in enumerate(contents):
        role = content.get("role", "user") if isinstance(content, dict) else None
        if role not in ("user", "model"):
            return "Please use a valid role: user, model."
        parts = content.get("parts")
        if not isinstance(parts, list) or not parts:
            return f"* GenerateContentRequest.contents[{n}].parts: contents.parts must not be empty."
        for k, part in enumerate(parts):
            where = f"GenerateContentRequest.contents[{n}].parts[{k}]"
            if not isinstance(part, dict):
                return f"* {where}: invalid part"
            for key in part:
                if camel(key) not in PART_FIELDS:
                    return f"Invalid JSON payload received. Unknown name \"{key}\" at 'contents[{n}].parts[{k}]': Cannot find field."
            if not any(f in part for f in DATA_FIELDS) and "thoughtSignature" not in part:
                return f"* {where}.data: required oneof field 'data' must have one initialized field"
            response = part.get("functionResponse")
            if response is not None and not response.get("name"):
                return f"* {where}.function_response.name: Name cannot be empty."
            call = part.get("functionCall")
            if call is not None and not call.get("name"):
                return f"* {where}.function_call.name: Name cannot be empty."
        calls = [p for p in parts if "functionCall" in p]
        responses = [p for p in parts if "functionResponse" in p]
        if role == "model" and calls and gemini3 and "thoughtSignature" not in calls[0]:
            return (
                f"Function call is missing a thought_signature in functionCall parts. This is required for tools to "
                f"work correctly, and missing thought_signature may lead to degraded model performance. Additional "
                f"data, function call `default_api:{calls[0]['functionCall'].get('name')}` , position {n + 1}. Please "
                f"refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details."
            )
        if responses and len(responses) != previous_calls:
            return (
                "Please ensure that the number of function response parts is equal to the number of function call "
                "parts of the function call turn."
            )
        previous_calls = len(calls) if role == "model" else 0
    return None


def _generation(model: str) -> int | None:
    found = re.search(r"gemini-(\d+)", model)
    return int(found.group(1)) if found else None


# --------------------------------------------------------------------------- rendering scenarios


def wire_usage(usage: Usage, *, final: bool = True) -> dict[str, Any]:
    """The unified usage as Gemini reports it: ``promptTokenCount`` includes the cached tokens,
    ``candidatesTokenCount`` excludes the thoughts."""
    meta: dict[str, Any] = {"promptTokenCount": usage.input_tokens}
    if final:
        candidates = max(usage.output_tokens - usage.reasoning_tokens, 0)
        meta["candidatesTokenCount"] = candidates
        meta["totalTokenCount"] = usage.input_tokens + usage.output_tokens
        if usage.reasoning_tokens:
            meta["thoughtsTokenCount"] = usage.reasoning_tokens
    else:
        meta["totalTokenCount"] = usage.input_tokens
    if usage.cache_read_tokens:
        meta["cachedContentTokenCount"] = usage.cache_read_tokens
    meta["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": usage.input_tokens}]
    return meta


def _arguments(raw: str) -> Any:
    try:
        return json.loads(raw) if raw.strip() else {}
    except ValueError:
        return raw  # invalid JSON cannot be an object: the client must notice


def _call_part(spec: Any, *, call_ids: bool) -> dict[str, Any]:
    call: dict[str, Any] = {"name": spec.name, "args": _arguments(spec.arguments)}
    if call_ids:
        call["id"] = spec.id
    return {"functionCall": call}


def _signature_target(scenario: Scenario, model: str) -> str | None:
    """Which part carries ``scenario.signature``: ``thought``, ``call`` or ``text``.

    Gemini 3 signs the first function call of a step; Gemini 2.5 may sign the thought part; a
    text answer's signature rides on its (last) text part."""
    if scenario.signature is None:
        return None
    if scenario.tool_calls and (_generation(model) or 0) >= 3:
        return "call"
    if scenario.full_reasoning:
        return "thought"
    if scenario.tool_calls:
        return "call"
    return "text"


def _streams_arguments(request: RecordedRequest) -> bool:
    """Whether the request asks Vertex AI to stream function call arguments."""
    body = request.json_or_none()
    config = body.get("toolConfig") if isinstance(body, dict) else None
    calling = config.get("functionCallingConfig") if isinstance(config, dict) else None
    return isinstance(calling, dict) and bool(calling.get("streamFunctionCallArguments"))


def _leaves(value: Any, path: str = "$") -> Iterator[tuple[str, Any]]:
    """Every leaf of a JSON value with its ``jsonPath``."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            step = f".{key}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) else f"[{json.dumps(key)}]"
            yield from _leaves(item, path + step)
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from _leaves(item, f"{path}[{index}]")
    elif path != "$":
        yield path, value


def _partial_arg(path: str, value: Any) -> list[dict[str, Any]]:
    """The ``partialArgs`` pieces Vertex AI sends for one leaf value."""
    if isinstance(value, str):
        half = len(value) // 2 or len(value)
        pieces = [value[:half], value[half:]] if value[half:] else [value, ""]
        return [
            {"jsonPath": path, "stringValue": pieces[0], "willContinue": True},
            {"jsonPath": path, "stringValue": pieces[1]},
        ]
    if isinstance(value, bool):
        return [{"jsonPath": path, "boolValue": value}]
    if isinstance(value, (int, float)):
        return [{"jsonPath": path, "numberValue": value}]
    if value is None:
        return [{"jsonPath": path, "nullValue": "NULL_VALUE"}]
    return [{"jsonPath": path, "structValue" if isinstance(value, dict) else "listValue": value}]


def _streamed_call_chunks(part: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """One whole ``functionCall`` part as the chunks of a call whose arguments stream."""
    call = part["functionCall"]
    args = call.get("args")
    if not isinstance(args, dict):
        return [[part]]  # arguments that are not an object cannot be streamed by path
    start: dict[str, Any] = {"name": call["name"], "willContinue": True}
    if "id" in call:
        start["id"] = call["id"]
    first: dict[str, Any] = {"functionCall": start}
    if "thoughtSignature" in part:
        first["thoughtSignature"] = part["thoughtSignature"]
    chunks: list[list[dict[str, Any]]] = [[first]]
    chunks.extend(
        [{"functionCall": {"partialArgs": [piece], "willContinue": True}}]
        for path, value in _leaves(args)
        for piece in _partial_arg(path, value)
    )
    chunks.append([{"functionCall": {}}])
    return chunks


def stream_chunks(
    scenario: Scenario, *, call_ids: bool = True, model: str = "", stream_arguments: bool = False
) -> Iterator[dict[str, Any]]:
    """The ``GenerateContentResponse`` chunks of the streamed answer (``model``: the one asked for;
    ``stream_arguments``: Vertex AI's ``streamFunctionCallArguments``)."""
    target = _signature_target(scenario, model)
    grounding = scenario.grounding if isinstance(scenario, GeminiScenario) else None
    signature_first = isinstance(scenario, GeminiScenario) and scenario.text_signature_first and target == "text"
    parts: list[list[dict[str, Any]]] = []
    thoughts = [p for p in scenario.reasoning_pieces if p]
    for n, piece in enumerate(thoughts):
        part: dict[str, Any] = {"text": piece, "thought": True}
        if target == "thought" and n == len(thoughts) - 1:
            part["thoughtSignature"] = scenario.signature
        parts.append([part])
    texts: list[list[dict[str, Any]]] = [[{"text": p}] for p in scenario.text_pieces if p]
    if signature_first and texts:
        texts[0][0]["thoughtSignature"] = scenario.signature
    calls: list[list[dict[str, Any]]] = []
    for n, spec in enumerate(scenario.tool_calls):
        part = _call_part(spec, call_ids=call_ids)
        if target == "call" and n == 0:
            part["thoughtSignature"] = scenario.signature
        calls.extend(_streamed_call_chunks(part) if stream_arguments else [[part]])
    parts.extend([*calls, *texts] if scenario.text_after_tools else [*texts, *calls])
    final: list[dict[str, Any]] = []
    if target == "text" and not (signature_first and texts):
        final.append({"text": "", "thoughtSignature": scenario.signature})
    elif parts and "functionCall" in parts[-1][0]:
        final.append({"text": ""})
    elif parts and "text" in parts[-1][0] and not parts[-1][0].get("thought"):
        final = parts.pop()  # the real API sends the last text piece with the finish reason
    if scenario.unknown_events:
        parts.insert(0, [{"futurePart": {"kind": "unknown"}}])
    base = {"modelVersion": scenario.model, "responseId": scenario.id}
    for chunk_parts in parts:
        streamed: dict[str, Any] = {"content": {"parts": chunk_parts, "role": "model"}, "index": 0}
        if grounding is not None:
            streamed["groundingMetadata"] = {}
        chunk: dict[str, Any] = {
            "candidates": [streamed],
            "usageMetadata": wire_usage(scenario.usage, final=False),
            **base,
        }
        if scenario.unknown_events:
            chunk["futureField"] = {"nested": True}
        yield chunk
    candidate: dict[str, Any] = {"finishReason": FINISH_REASONS.get(scenario.finish_reason, "STOP"), "index": 0}
    if final:
        candidate["content"] = {"parts": final, "role": "model"}
    if scenario.finish_reason == "content_filter":
        candidate["safetyRatings"] = [
            {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": True}
        ]
    if grounding is not None:
        candidate["groundingMetadata"] = dict(grounding)
    yield {"candidates": [candidate], "usageMetadata": wire_usage(scenario.usage), **base}


def render_response(scenario: Scenario, *, call_ids: bool = True, model: str = "") -> dict[str, Any]:
    """The non-streamed ``GenerateContentResponse``: the chunks' parts merged the way the real API
    gives them (one thought part, one text part, one part per function call)."""
    target = _signature_target(scenario, model)
    parts: list[dict[str, Any]] = []
    if scenario.full_reasoning:
        thought: dict[str, Any] = {"text": scenario.full_reasoning, "thought": True}
        if target == "thought":
            thought["thoughtSignature"] = scenario.signature
        parts.append(thought)
    text: list[dict[str, Any]] = [{"text": scenario.full_text}] if scenario.full_text else []
    if target == "text":
        if text:
            text[0]["thoughtSignature"] = scenario.signature
        else:
            text = [{"text": "", "thoughtSignature": scenario.signature}]
    calls = []
    for n, spec in enumerate(scenario.tool_calls):
        part = _call_part(spec, call_ids=call_ids)
        if target == "call" and n == 0:
            part["thoughtSignature"] = scenario.signature
        calls.append(part)
    parts.extend([*calls, *text] if scenario.text_after_tools else [*text, *calls])
    if scenario.unknown_events:
        parts.insert(0, {"futurePart": {"kind": "unknown"}})
    candidate: dict[str, Any] = {
        "content": {"parts": parts, "role": "model"},
        "finishReason": FINISH_REASONS.get(scenario.finish_reason, "STOP"),
        "index": 0,
    }
    if not parts:
        del candidate["content"]
    if isinstance(scenario, GeminiScenario) and scenario.grounding is not None:
        candidate["groundingMetadata"] = dict(scenario.grounding)
    response: dict[str, Any] = {
        "candidates": [candidate],
        "usageMetadata": wire_usage(scenario.usage),
        "modelVersion": scenario.model,
        "responseId": scenario.id,
    }
    if scenario.unknown_events:
        response["futureField"] = {"nested": True}
    return response


def sse_frame(chunk: Mapping[str, Any]) -> bytes:
    """One data-only event, with the ``\\r\\n`` line ends the real API uses."""
    return b"data: " + json.dumps(chunk, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\r\n\r\n"


#: The headers of a stream answered without ``alt=sse``.
ARRAY_HEADERS = {"content-type": "application/json; charset=UTF-8"}


def json_array(chunks: Sequence[Mapping[str, Any]]) -> list[bytes]:
    """The chunks as the JSON array the real API streams without ``alt=sse``, one piece per chunk
    as it is written: ``[{...}``, then ``\\r\\n,\\r\\n{...}`` for each further chunk, then
    ``\\r\\n]``; each chunk pretty-printed (two-space indent, ``\\n`` inside)."""
    out = []
    for n, chunk in enumerate(chunks):
        text = json.dumps(chunk, ensure_ascii=False, indent=2)
        out.append((("[" if n == 0 else "\r\n,\r\n") + text).encode("utf-8"))
    out.append(b"\r\n]" if out else b"[]")
    return out


# --------------------------------------------------------------------------- errors


def error_body(code: int, status: str, message: str, *, details: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = list(details)
    return {"error": error}


def error_reply(
    code: int, status: str, message: str, *, reason: str | None = None, details: Sequence[Mapping[str, Any]] = ()
) -> Reply:
    extra = list(details)
    if reason is not None:
        extra.insert(
            0,
            {
                "@type": ERROR_INFO,
                "reason": reason,
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            },
        )
    return json_reply(error_body(code, status, message, details=extra), status=code)


def render_error(
    scenario: ErrorScenario, *, streamed: bool = False, vertex: bool = False, array: bool = False
) -> Reply:
    """An :class:`ErrorScenario` the way Google answers that kind of error (``array``: a stream in the
    JSON-array framing, as without ``alt=sse``)."""
    kind = scenario.kind
    message = scenario.message
    if kind == "content_filter":
        blocked = {
            "promptFeedback": {
                "blockReason": "SAFETY",
                "safetyRatings": [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH"}],
            },
            "usageMetadata": {"promptTokenCount": 7, "totalTokenCount": 7},
            "modelVersion": "gemini-fake",
            "responseId": scenario.request_id,
        }
        if streamed:
            return _stream_reply([blocked], array)
        return json_reply(blocked)
    reply = _error_for(kind, message, scenario.retry_after, vertex=vertex)
    if not scenario.in_stream:
        return reply
    first = {
        "candidates": [{"content": {"parts": [{"text": "Partial"}], "role": "model"}, "index": 0}],
        "modelVersion": "gemini-fake",
        "responseId": scenario.request_id,
    }
    error = json.loads(reply.chunks[0])
    return _stream_reply([first, error], array)


def _stream_reply(chunks: Sequence[Mapping[str, Any]], array: bool) -> Reply:
    if array:
        return Reply(200, ARRAY_HEADERS, json_array(chunks), stream=True)
    return Reply(200, {"content-type": "text/event-stream"}, [sse_frame(c) for c in chunks], stream=True)


def _error_for(kind: str, scripted: str, retry_after: float | None, *, vertex: bool) -> Reply:
    """The error reply for ``kind``: Google's own wording, or the scripted message when the test
    gave one (kept next to the wording that identifies the error, where the text is what does)."""
    custom = scripted if scripted and scripted != DEFAULT_SCRIPTED_MESSAGE else None
    if kind == "authentication":
        if vertex:
            text = custom or (
                "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
                "other valid authentication credential."
            )
            return error_reply(401, "UNAUTHENTICATED", text, reason="ACCESS_TOKEN_TYPE_UNSUPPORTED")
        text = custom or API_KEY_INVALID_MESSAGE
        localized = {"@type": LOCALIZED, "locale": "en-US", "message": text}
        return error_reply(400, "INVALID_ARGUMENT", text, reason="API_KEY_INVALID", details=[localized])
    if kind == "permission":
        return error_reply(403, "PERMISSION_DENIED", custom or "The caller does not have permission")
    if kind == "not_found":
        return error_reply(404, "NOT_FOUND", custom or "models/x is not found for API version v1beta")
    if kind == "rate_limit":
        details: list[dict[str, Any]] = [
            {
                "@type": QUOTA_FAILURE,
                "violations": [
                    {
                        "quotaMetric": "generativelanguage.googleapis.com/generate_content_paid_tier_input_token_count",
                        "quotaId": "GenerateContentPaidTierInputTokensPerModelPerMinute",
                        "quotaValue": "1000000",
                    }
                ],
            },
            {
                "@type": HELP,
                "links": [{"description": "Learn more", "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}],
            },
        ]
        if retry_after is not None:
            details.append({"@type": RETRY_INFO, "retryDelay": f"{retry_after:g}s"})
        return error_reply(429, "RESOURCE_EXHAUSTED", custom or QUOTA_MESSAGE, details=details)
    if kind == "context_length":
        text = CONTEXT_LENGTH_MESSAGE.format(tokens=1200000, maximum=1048576)
        return error_reply(400, "INVALID_ARGUMENT", f"{text} {custom}" if custom else text)
    if kind == "request_too_large":
        return error_reply(400, "INVALID_ARGUMENT", f"{TOO_LARGE_MESSAGE} {custom}" if custom else TOO_LARGE_MESSAGE)
    if kind == "invalid_request":
        return error_reply(400, "INVALID_ARGUMENT", custom or "Invalid value at 'generation_config.temperature'")
    if kind == "overloaded":
        return error_reply(503, "UNAVAILABLE", custom or OVERLOADED_MESSAGE)
    if kind == "server":
        return error_reply(500, "INTERNAL", custom or INTERNAL_MESSAGE)
    raise ValueError(f"unknown error kind {kind!r}")


# --------------------------------------------------------------------------- helpers


def json_reply(body: Any, status: int = 200) -> Reply:
    data = json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8")
    return Reply(status, {"content-type": "application/json; charset=UTF-8"}, (data,))


def last_user_text(contents: Any) -> str:
    if not isinstance(contents, list):
        return ""
    for content in reversed(contents):
        if isinstance(content, dict) and content.get("role", "user") == "user":
            texts = [p.get("text", "") for p in content.get("parts", ()) if isinstance(p, dict) and "text" in p]
            if texts:
                return "".join(texts)
    return ""


def count_tokens(body: Mapping[str, Any]) -> int:
    """A deterministic token count of a request: words and punctuation of every text, plus the
    tool declarations."""
    texts: list[str] = []
    instruction = body.get("systemInstruction")
    if isinstance(instruction, dict):
        texts.extend(p.get("text", "") for p in instruction.get("parts", ()) if isinstance(p, dict))
    for content in body.get("contents", ()) if isinstance(body.get("contents"), list) else ():
        for part in content.get("parts", ()) if isinstance(content, dict) else ():
            if isinstance(part, dict):
                if "text" in part:
                    texts.append(str(part["text"]))
                texts.extend(json.dumps(part[key]) for key in ("functionCall", "functionResponse") if key in part)
    if body.get("tools"):
        texts.append(json.dumps(body["tools"]))
    return max(sum(word_count(t) for t in texts), 1)


def _embed_text(content: Any) -> str:
    if isinstance(content, dict):
        return "".join(str(p.get("text", "")) for p in content.get("parts", ()) if isinstance(p, dict))
    return ""


def _method(request: RecordedRequest) -> str:
    route = PATH.match(request.path)
    return route["method"] if route else ""


def _is_vertex(route: re.Match[str] | None) -> bool:
    return route is not None and bool(route["vertex"] or route["express"])
