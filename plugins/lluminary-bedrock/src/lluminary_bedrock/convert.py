"""Unified requests → Converse request bodies.

The body is the same for ``/converse`` and ``/converse-stream`` (the path says which):
``messages`` of content blocks, ``system``, ``inferenceConfig``, ``toolConfig``, ``outputConfig``
and ``additionalModelRequestFields``. See ``docs/providers/bedrock.md`` for the options.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from lluminary.sdk import (
    ChatRequest,
    ImagePart,
    Message,
    Part,
    ReasoningPart,
    RequestValidationError,
    ToolCallPart,
    ToolResultPart,
    image_base64,
    map_options,
)

from .modelids import base_model, is_claude
from .models import capabilities

IMAGE_FORMATS = {
    "image/png": "png",
    "image/jpeg": "jpeg",
    "image/jpg": "jpeg",
    "image/gif": "gif",
    "image/webp": "webp",
}
_EXTENSIONS = {"png": "png", "jpg": "jpeg", "jpeg": "jpeg", "gif": "gif", "webp": "webp"}

#: The request's generation settings, by their ``inferenceConfig`` names (Converse has no seed).
INFERENCE_OPTIONS = {"max_tokens": "maxTokens", "temperature": "temperature", "top_p": "topP", "stop": "stopSequences"}
#: Where ``options={"bedrock": {"cache": True}}`` puts cache points.
CACHE_TARGETS = ("system", "tools", "messages")

#: Reasoning effort → Claude thinking budget (tokens), when only an effort is given.
EFFORT_BUDGETS = {"minimal": 1024, "low": 2048, "medium": 8192, "high": 24576}
#: Room left for the answer when thinking is on and the request sets no max_tokens.
ANSWER_ROOM = 4096

#: Options passed through to top-level Converse fields.
_PASS_THROUGH = {
    "guardrail_config": "guardrailConfig",
    "performance_config": "performanceConfig",
    "service_tier": "serviceTier",
    "request_metadata": "requestMetadata",
    "prompt_variables": "promptVariables",
    "additional_model_response_field_paths": "additionalModelResponseFieldPaths",
}


@attrs.frozen
class Prepared:
    """A Converse body, and the name of the tool that carries a structured answer when JSON output
    is done by forcing a tool (whose arguments are then the answer's text)."""

    body: dict[str, Any]
    json_tool: str | None = None


def converse_body(request: ChatRequest, options: Mapping[str, Any], provider: str) -> Prepared:
    """The Converse body for ``request`` (``options`` are the call's ``options["bedrock"]``)."""
    model = request.model_name
    caps = capabilities(model)
    status = options.get("tool_result_status")
    send_status = bool(status) if status is not None else ("tool_result_status" in caps or is_claude(model))
    body: dict[str, Any] = {"messages": messages(request.messages, provider, send_status=send_status)}
    cache = _cache_targets(options.get("cache"))
    cache_point: dict[str, Any] = {"type": "default"}
    if options.get("cache_ttl"):
        cache_point["ttl"] = str(options["cache_ttl"])

    if request.system:
        body["system"] = [{"text": request.system}]
        if "system" in cache:
            body["system"].append({"cachePoint": dict(cache_point)})

    inference = map_options({}, request, INFERENCE_OPTIONS)

    json_tool = _output(request, options, caps, body)
    tool_config = _tool_config(request, json_tool)
    if tool_config is not None:
        if "tools" in cache:
            tool_config["tools"].append({"cachePoint": dict(cache_point)})
        body["toolConfig"] = tool_config
    if "messages" in cache and body["messages"]:
        body["messages"][-1]["content"].append({"cachePoint": dict(cache_point)})

    extra: dict[str, Any] = {}
    _reasoning(request, model, caps, extra, inference, body)
    fields = options.get("additional_model_request_fields")
    if fields is not None:
        if not isinstance(fields, Mapping):
            raise RequestValidationError("options['bedrock']['additional_model_request_fields'] must be a mapping")
        extra.update(fields)
    if inference:
        body["inferenceConfig"] = inference
    if extra:
        body["additionalModelRequestFields"] = extra
    for option, field in _PASS_THROUGH.items():
        if options.get(option) is not None:
            body[field] = options[option]
    raw = options.get("body")
    if raw is not None:
        if not isinstance(raw, Mapping):
            raise RequestValidationError("options['bedrock']['body'] must be a mapping of Converse fields")
        body.update(raw)
    return Prepared(body, json_tool)


def count_tokens_body(request: ChatRequest, options: Mapping[str, Any], provider: str) -> dict[str, Any]:
    """``{input: {converse: {messages, system, toolConfig, additionalModelRequestFields}}}``."""
    full = converse_body(request, options, provider).body
    converse = {k: full[k] for k in ("messages", "system", "toolConfig", "additionalModelRequestFields") if k in full}
    return {"input": {"converse": converse}}


# --------------------------------------------------------------------------- messages


def messages(history: Sequence[Message], provider: str, *, send_status: bool = True) -> list[dict[str, Any]]:
    """Converse messages: tool results go in user turns, and adjacent turns of one role merge
    (Converse wants user and assistant to alternate)."""
    out: list[dict[str, Any]] = []
    for message in history:
        role = "assistant" if message.role == "assistant" else "user"
        blocks = [b for part in message.content if (b := _block(part, role, provider, send_status)) is not None]
        if not blocks:
            continue
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})
    return out


def _block(part: Part, role: str, provider: str, send_status: bool) -> dict[str, Any] | None:
    if isinstance(part, ToolResultPart):
        result: dict[str, Any] = {"toolUseId": part.tool_call_id, "content": tool_result_content(part.content)}
        if send_status:
            result["status"] = "error" if part.is_error else "success"
        return {"toolResult": result}
    if isinstance(part, ToolCallPart):
        return {"toolUse": {"toolUseId": part.id, "name": part.name, "input": dict(part.arguments)}}
    if isinstance(part, ImagePart):
        return {"image": image_block(part)}
    if isinstance(part, ReasoningPart):
        # Only Bedrock's own signed (or redacted) reasoning goes back, and only in assistant turns.
        if role != "assistant" or part.provider not in (None, provider):
            return None
        if part.redacted is not None:
            return {"reasoningContent": {"redactedContent": part.redacted}}
        if part.signature:
            return {"reasoningContent": {"reasoningText": {"text": part.text, "signature": part.signature}}}
        return None
    return {"text": part.text} if part.text.strip() else None


def tool_result_content(content: str) -> list[dict[str, Any]]:
    """A JSON object result goes as ``{json}``, anything else as ``{text}``."""
    if content[:1] == "{":
        try:
            value = json.loads(content)
        except ValueError:
            value = None
        if isinstance(value, dict):
            return [{"json": value}]
    return [{"text": content}] if content else []


def image_block(part: ImagePart) -> dict[str, Any]:
    if part.data is not None:
        fmt = _format(part.media_type or "")
        return {"format": fmt, "source": {"bytes": image_base64(part)}}
    url = part.url or ""
    if url.startswith("data:"):
        header, _, payload = url.partition(",")
        media_type = header[5:].split(";")[0]
        if ";base64" not in header:
            raise RequestValidationError("Bedrock needs base64 data: URLs for images")
        try:
            base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raise RequestValidationError("the image data: URL is not valid base64") from None
        return {"format": _format(media_type), "source": {"bytes": payload}}
    if url.startswith("s3://"):
        extension = url.rsplit(".", 1)[-1].lower() if "." in url.rsplit("/", 1)[-1] else ""
        s3_format = _format(part.media_type) if part.media_type else _EXTENSIONS.get(extension)
        if s3_format is None:
            raise RequestValidationError(f"cannot tell the image format of {url!r}: pass media_type=")
        return {"format": s3_format, "source": {"s3Location": {"uri": url}}}
    raise RequestValidationError(
        "Bedrock takes images as bytes (ImagePart(data=..., media_type=...)), data: URLs or s3:// URIs, "
        "not http(s) URLs"
    )


def _format(media_type: str) -> str:
    fmt = IMAGE_FORMATS.get(media_type.lower())
    if fmt is None:
        raise RequestValidationError(f"Bedrock images are png, jpeg, gif or webp, not {media_type!r}")
    return fmt


# --------------------------------------------------------------------------- tools and output


def _tool_config(request: ChatRequest, json_tool: str | None) -> dict[str, Any] | None:
    choice = request.tool_choice
    tools: list[dict[str, Any]] = []
    if request.tools and not (choice is not None and choice.mode == "none" and not _has_tool_blocks(request)):
        for tool in request.tools:
            spec: dict[str, Any] = {"name": tool.name, "inputSchema": {"json": dict(tool.parameters)}}
            if tool.description:
                spec["description"] = tool.description
            if tool.strict:
                spec["strict"] = True
            tools.append({"toolSpec": spec})
    if json_tool is not None:
        schema = _schema(request) or {"type": "object"}
        tools.append(
            {
                "toolSpec": {
                    "name": json_tool,
                    "description": "Give the answer as this tool's input.",
                    "inputSchema": {"json": dict(schema)},
                }
            }
        )
        return {"tools": tools, "toolChoice": {"tool": {"name": json_tool}}}
    if not tools:
        return None
    config: dict[str, Any] = {"tools": tools}
    if choice is not None:
        if choice.mode == "auto":
            config["toolChoice"] = {"auto": {}}
        elif choice.mode == "required":
            config["toolChoice"] = {"any": {}}
        elif choice.mode == "tool":
            if not choice.name:
                raise RequestValidationError("ToolChoice(mode='tool') needs the tool's name")
            config["toolChoice"] = {"tool": {"name": choice.name}}
        # "none": Converse has no such choice. The tools are dropped above, unless the history holds
        # tool blocks, which Converse only accepts with a toolConfig: then they stay, unforced.
    return config


def _has_tool_blocks(request: ChatRequest) -> bool:
    return any(isinstance(p, (ToolCallPart, ToolResultPart)) for m in request.messages for p in m.content)


def _schema(request: ChatRequest) -> Mapping[str, Any] | None:
    rf = request.response_format
    return rf.json_schema if rf is not None else None


def _output(request: ChatRequest, options: Mapping[str, Any], caps: frozenset[str], body: dict[str, Any]) -> str | None:
    """Structured output: ``outputConfig.textFormat`` (native JSON schema), or a forced tool whose
    input is the answer (``options={"bedrock": {"structured_output": "tool"}}``, and always for
    ``ResponseFormat(type="json")``, which has no schema to give)."""
    rf = request.response_format
    if rf is None:
        return None
    mode = options.get("structured_output")
    if mode not in (None, "native", "tool"):
        raise RequestValidationError("options['bedrock']['structured_output'] must be 'native' or 'tool'")
    if mode is None:
        mode = "native" if rf.type == "json_schema" and rf.json_schema is not None else "tool"
    if mode == "tool":
        return rf.name or "response"
    if rf.json_schema is None:
        raise RequestValidationError("ResponseFormat(type='json_schema') needs json_schema=")
    schema: dict[str, Any] = {"schema": json.dumps(rf.json_schema, separators=(",", ":")), "name": rf.name}
    body.setdefault("outputConfig", {})["textFormat"] = {"type": "json_schema", "structure": {"jsonSchema": schema}}
    return None


# --------------------------------------------------------------------------- reasoning


def _reasoning(
    request: ChatRequest,
    model: str,
    caps: frozenset[str],
    extra: dict[str, Any],
    inference: dict[str, Any],
    body: dict[str, Any],
) -> None:
    """Thinking for Claude (``thinking`` in ``additionalModelRequestFields``, effort in
    ``outputConfig.effort``) and Nova 2 (``reasoningConfig``). Other models take theirs through
    ``additional_model_request_fields``."""
    config = request.reasoning
    if config is None or (config.effort is None and config.budget_tokens is None):
        return
    if is_claude(model):
        adaptive_only = "thinking_adaptive" in caps and "thinking_budget" not in caps
        use_adaptive = adaptive_only or ("thinking_adaptive" in caps and config.budget_tokens is None)
        if use_adaptive:
            extra["thinking"] = {"type": "adaptive"}
            if config.effort is not None:
                effort: str = "low" if config.effort == "minimal" else config.effort
                body.setdefault("outputConfig", {})["effort"] = effort
            return
        budget = config.budget_tokens or EFFORT_BUDGETS[config.effort or "medium"]
        extra["thinking"] = {"type": "enabled", "budget_tokens": budget}
        if "maxTokens" not in inference:
            inference["maxTokens"] = budget + ANSWER_ROOM
        return
    if "reasoning_effort" in caps or base_model(model).startswith("amazon.nova-2"):
        wanted: str = config.effort or "medium"
        extra["reasoningConfig"] = {"type": "enabled", "maxReasoningEffort": "low" if wanted == "minimal" else wanted}


def _cache_targets(value: Any) -> frozenset[str]:
    if value is None or value is False:
        return frozenset()
    if value is True:
        return frozenset(CACHE_TARGETS)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple, set, frozenset)) or any(v not in CACHE_TARGETS for v in value):
        raise RequestValidationError(
            "options['bedrock']['cache'] must be True or a list of 'system', 'tools', 'messages'"
        )
    return frozenset(value)
