"""A fake Amazon Bedrock Runtime on loopback, speaking the real wire.

* ``POST /model/{modelId}/converse`` answers a :class:`~lluminary_testing.scenario.Scenario` as a
  Converse response (``output.message.content``, ``stopReason``, ``usage``, ``metrics``);
* ``POST /model/{modelId}/converse-stream`` answers it as AWS event-stream frames, built with
  :mod:`lluminary_testing.eventstream`: ``messageStart``, per content block ``contentBlockStart``
  (tool use only, as the real service does) / ``contentBlockDelta`` / ``contentBlockStop``,
  ``messageStop`` and ``metadata`` (the only event with usage); every payload carries the random
  ``"p"`` padding key the real service adds;
* ``POST /model/{modelId}/count-tokens`` returns ``{"inputTokens": N}``, counted from the body;
* ``POST /model/{modelId}/invoke`` embeds with a Titan or Cohere body (deterministic vectors).

``{modelId}`` must be percent-encoded as one path segment: an ARN whose ``/`` is sent raw lands on
no route and gets the real service's 404.

Authentication is checked first, as AWS does: a SigV4 ``Authorization`` header is verified by
recomputing the signature with botocore from the request exactly as received and the server's
:attr:`~FakeBedrockServer.credentials` (403 ``InvalidSignatureException`` when it does not match,
``UnrecognizedClientException`` for an unknown key); ``Authorization: Bearer`` is a Bedrock API key
(checked against :attr:`~FakeBedrockServer.bearer_tokens` when that is set). Then, with ``validate``
on, the body is checked the way Converse checks it (alternating roles, no blank text, tool blocks
only with a ``toolConfig``, every ``toolUse`` answered by a ``toolResult`` ...).

An :class:`~lluminary_testing.scenario.ErrorScenario` is answered as Bedrock answers that kind of
error: status, ``{"message"}`` body, ``x-amzn-errortype`` and ``x-amzn-requestid`` headers; with
``in_stream`` it becomes an ``:message-type exception`` frame inside a 200 stream, after some text.

With nothing scripted, it echoes the last user text back.
"""

from __future__ import annotations

import base64
import hmac
import itertools
import json
import random
import re
import string
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from lluminary import Usage

from . import eventstream
from .answers import echo, finish_of, last_user_text, uncached_input, unit_vector as _unit_vector, word_count
from .scenario import ErrorScenario, Scenario
from .server import FakeServer, RecordedRequest, Reply

EVENT_STREAM = "application/vnd.amazon.eventstream"
ROUTE = re.compile(r"^/model/([^/]+)/(converse|converse-stream|count-tokens|invoke)$")

#: unified finish reason -> Converse ``stopReason``
STOP_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "guardrail_intervened",
    "error": "malformed_model_output",
    "other": "future_stop_reason",
}

_MALFORMED_INPUT = "Malformed input request, please reformat your input and try again."
_INTERNAL_ERROR = "The server encountered an internal error while processing the request."
#: ErrorScenario kind -> (HTTP status, exception type, the service's own wording)
ERRORS: dict[str, tuple[int, str, str]] = {
    "authentication": (403, "UnrecognizedClientException", "The security token included in the request is invalid."),
    "permission": (403, "AccessDeniedException", "You don't have access to the model with the specified model ID."),
    "not_found": (404, "ResourceNotFoundException", "The provided model identifier is invalid."),
    "rate_limit": (429, "ThrottlingException", "Too many requests, please wait before trying again."),
    "context_length": (400, "ValidationException", "Input is too long for requested model."),
    "invalid_request": (400, "ValidationException", _MALFORMED_INPUT),
    "request_too_large": (400, "ValidationException", "The request payload size exceeds the maximum allowed size."),
    "content_filter": (400, "ValidationException", "Output blocked by content filtering policy"),
    "server": (500, "InternalServerException", _INTERNAL_ERROR),
    "overloaded": (503, "ServiceUnavailableException", "Bedrock is unable to process your request."),
}
#: ErrorScenario kind -> the exception event a stream carries for it
STREAM_EXCEPTIONS = {
    "rate_limit": "throttlingException",
    "context_length": "validationException",
    "invalid_request": "validationException",
    "content_filter": "validationException",
    "server": "internalServerException",
    "overloaded": "serviceUnavailableException",
}
DEFAULT_ERROR_MESSAGE = "scripted failure"
ERROR_TYPE_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.bedrock/"
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details."
)
_AUTH = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/,\s]+)/(?P<date>\d{8})/(?P<region>[^/,\s]+)/(?P<service>[^/,\s]+)"
    r"/aws4_request,\s*SignedHeaders=(?P<signed>[a-z0-9;\-]+),\s*Signature=(?P<signature>[0-9a-f]{64})$"
)
_PAD = string.ascii_letters + string.digits
MAX_SKEW_SECONDS = 15 * 60


class FakeBedrockServer(FakeServer):
    """Serves the Bedrock Runtime routes from its script. :meth:`env` gives the environment that
    points a client at it with the server's test credentials."""

    ACCESS_KEY = "AKIDFAKEBEDROCK00001"
    SECRET_KEY = "fAkE/bedrock/SecretKey/0123456789abcdef"
    REGION = "us-east-1"

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, verify_auth: bool = True, validate: bool = True
    ) -> None:
        super().__init__(host, port)
        self.verify_auth = verify_auth
        self.validate = validate
        #: access key id -> (secret key, session token or None) that SigV4 requests may sign with
        self.credentials: dict[str, tuple[str, str | None]] = {self.ACCESS_KEY: (self.SECRET_KEY, None)}
        #: the Bedrock API keys accepted as ``Authorization: Bearer`` (None: any non-empty one)
        self.bearer_tokens: set[str] | None = None
        #: whether a signature must be scoped to this region (None: any region)
        self.region: str | None = None
        self.padding = True
        self._ids = itertools.count(1)
        self._random = random.Random(20230930)

    def env(self, *, region: str | None = None) -> dict[str, str]:
        """Environment variables that make a SigV4 client use this server and its test credentials."""
        return {
            "AWS_ACCESS_KEY_ID": self.ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": self.SECRET_KEY,
            "AWS_REGION": region or self.REGION,
            "BEDROCK_ENDPOINT_URL": self.base_url,
        }

    # ---- scripting

    def _answer(self, request: RecordedRequest) -> Reply:
        # Credentials are checked first, as AWS does: a rejected request takes nothing from the script.
        rejected = self.check_auth(request)
        if rejected is None:
            return super()._answer(request)
        with self._lock:
            self.requests.append(request)
        return rejected

    def takes(self, item: Any, request: RecordedRequest) -> bool:
        # count-tokens and invoke never consume a Scenario meant for the next Converse call.
        match = ROUTE.match(request.path)
        return (match is not None and match.group(2) in ("converse", "converse-stream")) or not isinstance(
            item, Scenario
        )

    def default_responder(self, request: RecordedRequest) -> Any:
        match = ROUTE.match(request.path)
        if match is None or request.method != "POST":
            return error_reply(404, "UnknownOperationException", "", self._rid())
        operation = match.group(2)
        if operation in ("count-tokens", "invoke"):
            return _Default()
        body = request.json_or_none()
        text = last_user_text(body.get("messages") if isinstance(body, dict) else None)
        return echo(text, model=unquote(match.group(1)), input_tokens=count_tokens(body), id=self._rid())

    # ---- rendering

    def render(self, item: Any, request: RecordedRequest) -> Reply:
        if isinstance(item, Reply):
            return item
        match = ROUTE.match(request.path)
        operation = match.group(2) if match else ""
        if isinstance(item, ErrorScenario):
            return render_error(item, streamed=operation == "converse-stream", padding=self.padding)
        if match is None:
            return error_reply(404, "UnknownOperationException", "", self._rid())
        model_id = unquote(match.group(1))
        body = request.json_or_none()
        if not isinstance(body, dict):
            return error_reply(400, "SerializationException", "Unable to parse request body", self._rid())
        if operation == "count-tokens":
            problem = count_tokens_problem(body) if self.validate else None
            if problem is not None:
                return error_reply(400, "ValidationException", problem, self._rid())
            converse = body["input"].get("converse", {}) if isinstance(body.get("input"), dict) else {}
            return Reply.json({"inputTokens": count_tokens(converse)}, headers=self._headers())
        if operation == "invoke":
            return self._embed(model_id, body)
        if not isinstance(item, Scenario):
            raise TypeError(f"{type(self).__name__} cannot render {item!r}")
        problem = converse_problem(body) if self.validate else None
        if problem is not None:
            return error_reply(400, "ValidationException", problem, self._rid()).with_fault(item.fault)
        if operation == "converse-stream":
            headers = {"content-type": EVENT_STREAM, "x-amzn-requestid": item.id}
            pad = self._pad if self.padding else None
            return Reply(200, headers, render_stream(item, pad), stream=True, fault=item.fault)
        reply = Reply.json(render_converse(item), headers={"x-amzn-requestid": item.id}, malformed=item.malformed)
        return reply if item.malformed else reply.with_fault(item.fault)

    def _embed(self, model_id: str, body: Mapping[str, Any]) -> Reply:
        name = model_id.rsplit("/", 1)[-1]
        if name.split(".", 1)[0] in ("us", "eu", "apac", "global"):
            name = name.split(".", 1)[1]
        if name.startswith("amazon.titan-embed"):
            text = body.get("inputText")
            if not isinstance(text, str) or not text:
                return error_reply(
                    400, "ValidationException", "Malformed input request: inputText required", self._rid()
                )
            size = int(body.get("dimensions") or (1024 if "v2" in name else 1536))
            if "v2" in name and size not in (256, 512, 1024):
                return error_reply(
                    400,
                    "ValidationException",
                    "Malformed input request: dimensions must be 256, 512 or 1024",
                    self._rid(),
                )
            count = word_count(text)
            answer: dict[str, Any] = {"embedding": unit_vector(text, size), "inputTextTokenCount": count}
            return Reply.json(answer, headers=self._headers(tokens=count))
        if name.startswith("cohere.embed"):
            texts = body.get("texts")
            if not isinstance(texts, list) or not texts or len(texts) > 96:
                return error_reply(
                    400, "ValidationException", "Malformed input request: texts must hold 1 to 96 strings", self._rid()
                )
            if "input_type" not in body:
                return error_reply(
                    400, "ValidationException", "Malformed input request: input_type required", self._rid()
                )
            size = int(body.get("output_dimension") or (1536 if "v4" in name else 1024))
            vectors = [unit_vector(t, size) for t in texts]
            types = body.get("embedding_types")
            out: dict[str, Any] = {"id": f"emb-{next(self._ids)}", "texts": texts}
            if types or "v4" in name:
                out.update(embeddings={"float": vectors}, response_type="embeddings_by_type")
            else:
                out.update(embeddings=vectors, response_type="embeddings_floats")
            count = sum(word_count(t) for t in texts)
            return Reply.json(out, headers=self._headers(tokens=count))
        return error_reply(
            400, "ValidationException", f"The provided model {model_id} is not an embedding model", self._rid()
        )

    def _rid(self) -> str:
        return f"{next(self._ids):08d}-fake-4bed-rock-{self._random.getrandbits(48):012x}"

    def _headers(self, *, tokens: int | None = None) -> dict[str, str]:
        headers = {"x-amzn-requestid": self._rid()}
        if tokens is not None:
            headers["x-amzn-bedrock-input-token-count"] = str(tokens)
            headers["x-amzn-bedrock-invocation-latency"] = "42"
        return headers

    def _pad(self) -> str:
        return "".join(self._random.choice(_PAD) for _ in range(self._random.randint(1, 40)))

    # ---- authentication, the way AWS's front end checks it

    def check_auth(self, request: RecordedRequest) -> Reply | None:
        """The 403 the real service would give this request's credentials, or None."""
        if not self.verify_auth:
            return None
        auth = request.headers.get("authorization", "")
        if auth.startswith("Bearer "):
            token = auth[7:].strip()
            if not token or (self.bearer_tokens is not None and token not in self.bearer_tokens):
                return error_reply(
                    403,
                    "AccessDeniedException",
                    "Authentication failed: Please make sure your API Key is valid.",
                    self._rid(),
                )
            return None
        if not auth:
            return error_reply(403, "MissingAuthenticationTokenException", "Missing Authentication Token", self._rid())
        problem = self.sigv4_problem(request)
        if problem is not None:
            kind, message = problem
            return error_reply(403, kind, message, self._rid())
        return None

    def sigv4_problem(self, request: RecordedRequest) -> tuple[str, str] | None:
        """Why this request's SigV4 signature is not acceptable (exception type, message), or None."""
        match = _AUTH.match(request.headers.get("authorization", ""))
        if match is None:
            return (
                "IncompleteSignatureException",
                "Authorization header requires Credential, SignedHeaders and Signature.",
            )
        key, date, region, service = match["key"], match["date"], match["region"], match["service"]
        found = self.credentials.get(key)
        if found is None:
            return "UnrecognizedClientException", "The security token included in the request is invalid."
        secret, token = found
        if token is not None and request.headers.get("x-amz-security-token") != token:
            return "UnrecognizedClientException", "The security token included in the request is invalid."
        if service != "bedrock":
            return "InvalidSignatureException", "Credential should be scoped to correct service: 'bedrock'."
        if self.region is not None and region != self.region:
            return "InvalidSignatureException", f"Credential should be scoped to a valid region, not '{region}'."
        amz_date = request.headers.get("x-amz-date", "")
        try:
            signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        except ValueError:
            return (
                "IncompleteSignatureException",
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
            )
        if not amz_date.startswith(date):
            return (
                "InvalidSignatureException",
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP.",
            )
        if abs((datetime.now(UTC) - signed_at).total_seconds()) > MAX_SKEW_SECONDS:
            return "InvalidSignatureException", "Signature expired: the request time is too far from the server time."
        names = match["signed"].split(";")
        if "host" not in names or "x-amz-date" not in names or any(n not in request.headers for n in names):
            return "InvalidSignatureException", SIGNATURE_MISMATCH
        expected = sigv4_signature(request, names, key, secret, token, region, service, amz_date)
        if not hmac.compare_digest(expected, match["signature"]):
            return "InvalidSignatureException", SIGNATURE_MISMATCH
        return None


class _Default:
    """The default answer to a count-tokens or invoke request."""


def sigv4_signature(
    request: RecordedRequest,
    signed_headers: Sequence[str],
    access_key: str,
    secret_key: str,
    token: str | None,
    region: str,
    service: str,
    amz_date: str,
) -> str:
    """The signature botocore computes for ``request`` as the server received it: the same method,
    raw (still percent-encoded) path, body bytes and signed headers."""
    from botocore.auth import SigV4Auth  # type: ignore[import-untyped, unused-ignore]
    from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped, unused-ignore]
    from botocore.credentials import ReadOnlyCredentials  # type: ignore[import-untyped, unused-ignore]

    query = "&".join(f"{k}={v}" for k, values in request.query.items() for v in values)
    url = f"http://{request.headers['host']}{request.path}" + (f"?{query}" if query else "")
    headers = {name: request.headers[name] for name in signed_headers}
    aws = AWSRequest(method=request.method, url=url, data=request.body, headers=headers)
    aws.context["timestamp"] = amz_date
    signer = SigV4Auth(ReadOnlyCredentials(access_key, secret_key, token), service, region)
    canonical = signer.canonical_request(aws)
    return str(signer.signature(signer.string_to_sign(aws, canonical), aws))


# --------------------------------------------------------------------------- request checks


def converse_problem(body: Mapping[str, Any]) -> str | None:
    """What Converse would say is wrong with this request body (None: nothing)."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "A conversation must start with a user message. Try again with a conversation that starts with a user message."
    tools_configured = isinstance(body.get("toolConfig"), dict)
    if tools_configured:
        tools = body["toolConfig"].get("tools")
        if not isinstance(tools, list) or not tools:
            return "1 validation error detected: Value at 'toolConfig.tools' failed to satisfy constraint: Member must have length greater than or equal to 1"
        names = {t["toolSpec"]["name"] for t in tools if isinstance(t, dict) and isinstance(t.get("toolSpec"), dict)}
        choice = body["toolConfig"].get("toolChoice")
        if (
            isinstance(choice, dict)
            and isinstance(choice.get("tool"), dict)
            and choice["tool"].get("name") not in names
        ):
            return f"The tool {choice['tool'].get('name')} in toolChoice is not defined in toolConfig.tools."
    for system_block in body.get("system") or ():
        if isinstance(system_block, dict) and "text" in system_block and not str(system_block["text"]).strip():
            return (
                "The text field in the SystemContentBlock object is blank. Add text to the text field, and try again."
            )
    inference = body.get("inferenceConfig")
    if isinstance(inference, dict):
        max_tokens = inference.get("maxTokens")
        if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 1):
            return "1 validation error detected: Value at 'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1"
        temperature = inference.get("temperature")
        if temperature is not None and not 0 <= temperature <= 1:
            return "1 validation error detected: Value at 'inferenceConfig.temperature' failed to satisfy constraint: Member must have value less than or equal to 1"
    previous: Any = None
    pending: list[str] = []
    for n, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            return f"1 validation error detected: Value at 'messages.{n + 1}.member.role' failed to satisfy constraint"
        role = message["role"]
        if n == 0 and role != "user":
            return "A conversation must start with a user message. Try again with a conversation that starts with a user message."
        if previous == role:
            return "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again."
        previous = role
        content = message.get("content")
        if not isinstance(content, list) or not content:
            return f"The content field in the Message object at messages.{n} is empty. Add a ContentBlock object to the content field and try again."
        answered: list[str] = []
        called: list[str] = []
        for k, block in enumerate(content):
            problem = _block_problem(block, role, n, k, tools_configured)
            if problem is not None:
                return problem
            if "toolResult" in block:
                answered.append(block["toolResult"].get("toolUseId"))
            if "toolUse" in block:
                called.append(block["toolUse"].get("toolUseId"))
        if role == "user":
            missing = [i for i in pending if i not in answered]
            if missing:
                return f"Expected toolResult blocks at messages.{n}.content for the following Ids: {', '.join(missing)}"
            extra = [i for i in answered if i not in pending]
            if extra:
                return f"messages.{n}.content: toolResult blocks with unknown toolUseId: {', '.join(map(str, extra))}"
            pending = []
        else:
            pending = called
    return None


def _block_problem(block: Any, role: str, n: int, k: int, tools_configured: bool) -> str | None:
    if not isinstance(block, dict) or len(block) != 1:
        return f"The ContentBlock object at messages.{n}.content.{k} must set exactly one of its members."
    ((kind, value),) = block.items()
    where = f"messages.{n}.content.{k}"
    if kind == "text":
        if not isinstance(value, str) or not value.strip():
            return f"The text field in the ContentBlock object at {where} is blank. Add text to the text field, and try again."
    elif kind in ("toolUse", "toolResult"):
        if not tools_configured:
            return "The toolConfig field must be defined when using toolUse and toolResult content blocks."
        if kind == "toolUse" and role != "assistant":
            return f"The toolUse content block at {where} is only allowed in assistant messages."
        if kind == "toolResult":
            if role != "user":
                return f"The toolResult content block at {where} is only allowed in user messages."
            status = value.get("status")
            if status is not None and status not in ("success", "error"):
                return f"1 validation error detected: Value '{status}' at '{where}.toolResult.status' failed to satisfy constraint"
            for item in value.get("content") or ():
                if (
                    not isinstance(item, dict)
                    or len(item) != 1
                    or next(iter(item)) not in ("json", "text", "image", "document")
                ):
                    return f"The ToolResultContentBlock at {where} must set exactly one of json, text, image, document."
    elif kind == "image":
        source = value.get("source") if isinstance(value, dict) else None
        if not isinstance(value, dict) or value.get("format") not in ("png", "jpeg", "gif", "webp"):
            return f"1 validation error detected: Value at '{where}.image.format' failed to satisfy constraint"
        if not isinstance(source, dict) or len(source) != 1:
            return f"The ImageSource at {where} must set exactly one of bytes, s3Location."
        if "bytes" in source:
            try:
                base64.b64decode(source["bytes"], validate=True)
            except ValueError:
                return f"The image bytes at {where} are not valid base64."
    elif kind == "reasoningContent":
        if role != "assistant":
            return f"The reasoningContent block at {where} is only allowed in assistant messages."
        text = value.get("reasoningText") if isinstance(value, dict) else None
        if isinstance(text, dict) and not text.get("signature"):
            return f"The reasoningText at {where} needs the signature the model sent with it."
    elif kind not in ("cachePoint", "document", "video", "audio", "guardContent", "citationsContent", "searchResult"):
        return f"The ContentBlock object at {where} has an unknown member {kind!r}."
    return None


def count_tokens_problem(body: Mapping[str, Any]) -> str | None:
    request_input = body.get("input")
    if not isinstance(request_input, dict) or len(request_input) != 1:
        return "1 validation error detected: Value at 'input' failed to satisfy constraint: Member must not be null"
    converse = request_input.get("converse")
    if isinstance(converse, dict):
        return converse_problem(converse)
    return None


# --------------------------------------------------------------------------- rendering scenarios


def stop_reason(scenario: Scenario) -> str:
    return finish_of(scenario, STOP_REASONS, "end_turn", "stop_sequence")


def wire_usage(usage: Usage) -> dict[str, Any]:
    """The unified usage as Bedrock reports it: ``inputTokens`` leaves out cache reads and writes."""
    read, write, uncached = usage.cache_read_tokens, usage.cache_write_tokens, uncached_input(usage)
    out: dict[str, Any] = {
        "inputTokens": uncached,
        "outputTokens": usage.output_tokens,
        "totalTokens": uncached + read + write + usage.output_tokens,
    }
    if read or write:
        out["cacheReadInputTokens"] = read
        out["cacheWriteInputTokens"] = write
    return out


def _arguments(raw: str) -> Any:
    """A tool call's ``input`` document; arguments that are not valid JSON go out as the string the
    model wrote (it cannot be an object: the client must notice)."""
    try:
        return json.loads(raw) if raw.strip() else {}
    except ValueError:
        return raw


def content_blocks(scenario: Scenario) -> list[dict[str, Any]]:
    """The finished message's content, in the order the blocks are streamed."""
    blocks: list[dict[str, Any]] = []
    if scenario.full_reasoning or scenario.signature:
        text: dict[str, Any] = {"text": scenario.full_reasoning}
        if scenario.signature:
            text["signature"] = scenario.signature
        blocks.append({"reasoningContent": {"reasoningText": text}})
    if scenario.redacted_reasoning:
        blocks.append({"reasoningContent": {"redactedContent": scenario.redacted_reasoning}})
    if scenario.full_text and not scenario.text_after_tools:
        blocks.append({"text": scenario.full_text})
    for call in scenario.tool_calls:
        arguments = _arguments(call.arguments)
        blocks.append({"toolUse": {"toolUseId": call.id, "name": call.name, "input": arguments}})
    if scenario.full_text and scenario.text_after_tools:
        blocks.append({"text": scenario.full_text})
    return blocks


#: what ``Scenario.unknown_events`` adds: an event type, a content block type and keys no client knows
FUTURE_EVENT = "futureAnnotation"
FUTURE_KEY = "futureField"


def render_converse(scenario: Scenario) -> dict[str, Any]:
    """The ``/converse`` response body."""
    blocks = content_blocks(scenario)
    body: dict[str, Any] = {
        "output": {"message": {"role": "assistant", "content": blocks}},
        "stopReason": stop_reason(scenario),
        "usage": wire_usage(scenario.usage),
        "metrics": {"latencyMs": 321},
    }
    if scenario.unknown_events:
        blocks.insert(0, {"futureBlock": {"anything": [1, 2]}})
        body[FUTURE_KEY] = {"nested": True}
        body["usage"][FUTURE_KEY] = 7
        body["output"]["message"][FUTURE_KEY] = "x"
    return body


def stream_events(scenario: Scenario) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(event type, payload)`` of the ``/converse-stream`` answer, padding not yet added."""
    yield "messageStart", {"role": "assistant"}
    index = 0
    if scenario.full_reasoning or scenario.signature:
        for piece in scenario.reasoning_pieces:
            if piece:
                yield "contentBlockDelta", {"contentBlockIndex": index, "delta": {"reasoningContent": {"text": piece}}}
        if scenario.signature:
            delta = {"reasoningContent": {"signature": scenario.signature}}
            yield "contentBlockDelta", {"contentBlockIndex": index, "delta": delta}
        yield "contentBlockStop", {"contentBlockIndex": index}
        index += 1
    if scenario.redacted_reasoning:
        delta = {"reasoningContent": {"redactedContent": scenario.redacted_reasoning}}
        yield "contentBlockDelta", {"contentBlockIndex": index, "delta": delta}
        yield "contentBlockStop", {"contentBlockIndex": index}
        index += 1

    def text_block(at: int) -> Iterator[tuple[str, dict[str, Any]]]:
        for piece in scenario.text_pieces:
            yield "contentBlockDelta", {"contentBlockIndex": at, "delta": {"text": piece}}
        yield "contentBlockStop", {"contentBlockIndex": at}

    if scenario.full_text and not scenario.text_after_tools:
        yield from text_block(index)
        index += 1
    for call in scenario.tool_calls:
        start = {"toolUse": {"toolUseId": call.id, "name": call.name}}
        yield "contentBlockStart", {"contentBlockIndex": index, "start": start}
        for piece in call.pieces():
            yield "contentBlockDelta", {"contentBlockIndex": index, "delta": {"toolUse": {"input": piece}}}
        yield "contentBlockStop", {"contentBlockIndex": index}
        index += 1
    if scenario.full_text and scenario.text_after_tools:
        yield from text_block(index)
    # Claude models add the Messages API's stop_sequence here, null when none stopped the answer.
    extra = {"delta": {"stop_sequence": scenario.stop_sequence}}
    yield "messageStop", {"stopReason": stop_reason(scenario), "additionalModelResponseFields": extra}
    yield "metadata", {"usage": wire_usage(scenario.usage), "metrics": {"latencyMs": 321}}


def render_stream(scenario: Scenario, pad: Any = None) -> list[bytes]:
    """One event-stream frame per event (so faults cut between or inside frames)."""
    frames = []
    for n, (name, payload) in enumerate(stream_events(scenario)):
        if pad is not None:
            payload = {**payload, "p": pad()}
        if scenario.unknown_events:
            payload = {**payload, FUTURE_KEY: {"nested": n}}
            if n == 1:
                frames.append(eventstream.event(FUTURE_EVENT, {"contentBlockIndex": 0, "note": "from the future"}))
        if scenario.malformed and n == 1:
            headers = {":event-type": name, ":content-type": "application/json", ":message-type": "event"}
            frames.append(eventstream.encode_message(headers, b'{"contentBlockIndex": 0, "delta": {"te'))
            continue
        frames.append(eventstream.event(name, payload))
    return frames


def error_message(scenario: ErrorScenario) -> str:
    """The service's wording for this kind of error, with the scripted message kept."""
    canonical = ERRORS.get(scenario.kind, (400, "ValidationException", scenario.message))[2]
    if scenario.message in (DEFAULT_ERROR_MESSAGE, canonical):
        return canonical
    if scenario.kind in ("context_length", "content_filter"):
        return f"{canonical} ({scenario.message})"
    return scenario.message


def error_reply(status: int, error_type: str, message: str, request_id: str) -> Reply:
    headers = {"x-amzn-errortype": f"{error_type}{ERROR_TYPE_SUFFIX}", "x-amzn-requestid": request_id}
    return Reply.json({"message": message} if message else {}, status, headers)


def render_error(scenario: ErrorScenario, *, streamed: bool, padding: bool = True) -> Reply:
    status, error_type, _ = ERRORS.get(scenario.kind, (400, "ValidationException", ""))
    message = error_message(scenario)
    exception = STREAM_EXCEPTIONS.get(scenario.kind)
    if not (scenario.in_stream and streamed and exception is not None):
        return error_reply(status, error_type, message, scenario.request_id)
    frames = [
        eventstream.event("messageStart", {"role": "assistant", **({"p": "abcdef"} if padding else {})}),
        eventstream.event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Partial answer"}}),
        eventstream.exception(exception, message),
    ]
    return Reply(200, {"content-type": EVENT_STREAM, "x-amzn-requestid": scenario.request_id}, frames, stream=True)


# --------------------------------------------------------------------------- helpers


def count_tokens(body: Any) -> int:
    """A deterministic token count of a Converse body: words and punctuation of every text, the
    system prompt and the tool specs, 3 per message, 1 to start."""
    if not isinstance(body, dict):
        return 1
    total = 1
    for block in body.get("system") or ():
        if isinstance(block, dict):
            total += word_count(str(block.get("text", "")))
    for message in body.get("messages") or ():
        if isinstance(message, dict):
            total += 3
            for block in message.get("content") or ():
                total += word_count(json.dumps(block) if "text" not in block else str(block["text"]))
    tool_config = body.get("toolConfig")
    if isinstance(tool_config, dict):
        total += word_count(json.dumps(tool_config.get("tools", [])))
    return total


def unit_vector(text: str, size: int) -> list[float]:
    """A deterministic unit vector, to 6 decimal places: the same text always gets the same vector."""
    return [round(x, 6) for x in _unit_vector(text, size)]
