"""A :class:`~lluminary.ChatRequest` as a Gemini ``GenerateContentRequest`` body (camelCase JSON).

The same body serves the Gemini API and Vertex AI. Things worth knowing:

* assistant turns are ``role: "model"``; tool results are ``functionResponse`` parts in a ``user``
  turn, and consecutive turns of one role are merged into one content (Gemini wants all the
  responses to one step of function calls in a single turn);
* ``thoughtSignature`` goes back on the part it came on: a :class:`ToolCallPart` carries its own, and
  a signature-only :class:`ReasoningPart` (empty text) belongs to the part just before it;
* call ids this plugin made up (the Gemini API often sends none) are never put on the wire;
* a part kept whole from an answer (code execution, a server-side tool invocation, a generated
  file: a :class:`ReasoningPart` whose ``redacted`` starts with :data:`RAW_PART_PREFIX`) goes back
  exactly as it came, signature included.
"""

from __future__ import annotations

import base64
import json
import mimetypes
import re
from collections.abc import Iterable, Mapping
from typing import Any

from lluminary.sdk import (
    ChatRequest,
    ImagePart,
    Message,
    ReasoningConfig,
    ReasoningPart,
    RequestValidationError,
    TextPart,
    Tool,
    ToolCallPart,
    ToolChoice,
    ToolResultPart,
    image_base64,
    map_options,
)

#: Prefix of the call ids this plugin synthesises for function calls that came without one.
SYNTHETIC_ID_PREFIX = "gcall_"
#: The value Google documents for a function call whose real signature is unknown (history from
#: another provider or model): Gemini 3 rejects an unsigned call in the current step without it.
SKIP_SIGNATURE = "skip_thought_signature_validator"
#: Marks a :class:`ReasoningPart` ``redacted`` value that is a whole Gemini part, kept as JSON.
RAW_PART_PREFIX = "gemini-part:"

#: The request's generation settings, by their generationConfig names.
GENERATION_OPTIONS = {
    "max_tokens": "maxOutputTokens",
    "temperature": "temperature",
    "top_p": "topP",
    "stop": "stopSequences",
    "seed": "seed",
}
#: generationConfig fields a provider option may set directly (``{"google": {"top_k": 40}}``).
GENERATION_FIELDS = frozenset(
    {
        "candidateCount",
        "enableEnhancedCivicAnswers",
        "frequencyPenalty",
        "imageConfig",
        "logprobs",
        "maxOutputTokens",
        "mediaResolution",
        "presencePenalty",
        "responseJsonSchema",
        "responseLogprobs",
        "responseMimeType",
        "responseModalities",
        "responseSchema",
        "seed",
        "speechConfig",
        "stopSequences",
        "temperature",
        "topK",
        "topP",
    }
)
THINKING_FIELDS = frozenset({"includeThoughts", "thinkingBudget", "thinkingLevel"})
#: Option keys that are not request-body fields (they steer the plugin itself).
CONTROL_OPTIONS = frozenset({"project", "location", "taskType", "title", "skipSignatureValidator"})

#: Thinking budgets for an effort level on models that take a budget (Gemini 2.5).
EFFORT_BUDGETS = {"minimal": 512, "low": 1024, "medium": 8192, "high": 24576}

_GENERATION = re.compile(r"gemini-(\d+)")


def camel(key: str) -> str:
    """``top_k`` → ``topK``; camelCase keys pass unchanged."""
    if "_" not in key:
        return key
    head, *rest = key.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def model_generation(model: str) -> int | None:
    """The major version of a Gemini model name (``gemini-3.1-pro-preview`` → 3), if it has one."""
    found = _GENERATION.search(model)
    return int(found.group(1)) if found else None


def build_body(request: ChatRequest, options: Mapping[str, Any], family: frozenset[str]) -> dict[str, Any]:
    """The JSON body for ``generateContent`` / ``streamGenerateContent``."""
    generation = model_generation(request.model_name)
    sign_calls = generation is not None and generation >= 3
    if "skipSignatureValidator" in options or "skip_signature_validator" in options:
        sign_calls = bool(options.get("skipSignatureValidator", options.get("skip_signature_validator")))
    body: dict[str, Any] = {"contents": build_contents(request.messages, family, sign_calls=sign_calls)}
    if request.system:
        body["systemInstruction"] = {"parts": [{"text": request.system}]}
    if request.tools:
        body["tools"] = [{"functionDeclarations": [function_declaration(t) for t in request.tools]}]
        if request.tool_choice is not None:
            body["toolConfig"] = {"functionCallingConfig": function_calling_config(request.tool_choice)}
    config = generation_config(request, generation)
    if config:
        body["generationConfig"] = config
    apply_options(body, options)
    return body


def count_tokens_body(
    request: ChatRequest, options: Mapping[str, Any], family: frozenset[str], *, vertex: bool, model: str
) -> dict[str, Any]:
    """The ``countTokens`` body: Vertex takes the request fields at the top level, the Gemini API
    takes them wrapped in ``generateContentRequest`` (with the model's resource name)."""
    full = build_body(request, options, family)
    if vertex:
        return {k: full[k] for k in ("contents", "systemInstruction", "tools", "generationConfig") if k in full}
    inner = {"model": f"models/{model}", **full}
    return {"generateContentRequest": inner}


# --------------------------------------------------------------------------- contents


def build_contents(messages: Iterable[Message], family: frozenset[str], *, sign_calls: bool = False) -> list[Any]:
    contents: list[dict[str, Any]] = []
    call_names: dict[str, str] = {}
    for message in messages:
        role = "model" if message.role == "assistant" else "user"
        parts = _parts(message, family, call_names)
        if not parts:
            continue
        if role == "model" and sign_calls:
            _sign_first_call(parts)
        if contents and contents[-1]["role"] == role:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": role, "parts": parts})
    return contents


def _parts(message: Message, family: frozenset[str], call_names: dict[str, str]) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for part in message.content:
        if isinstance(part, TextPart):
            if part.text:
                parts.append({"text": part.text})
        elif isinstance(part, ToolCallPart):
            call_names[part.id] = part.name
            call: dict[str, Any] = {"name": part.name, "args": dict(part.arguments)}
            if part.id and not part.id.startswith(SYNTHETIC_ID_PREFIX):
                call["id"] = part.id
            wire: dict[str, Any] = {"functionCall": call}
            if part.signature:
                wire["thoughtSignature"] = part.signature
            parts.append(wire)
        elif isinstance(part, ToolResultPart):
            parts.append(function_response(part, call_names))
        elif isinstance(part, ImagePart):
            parts.append(image_part(part))
        elif isinstance(part, ReasoningPart):
            _reasoning(part, parts, family)
    return parts


def _reasoning(part: ReasoningPart, parts: list[dict[str, Any]], family: frozenset[str]) -> None:
    """Thoughts and signatures go back only to the provider family that made them."""
    if part.provider is not None and part.provider not in family:
        return
    if part.redacted is not None:
        # Gemini has no encrypted reasoning blocks: only parts kept whole from its answers go back.
        if part.redacted.startswith(RAW_PART_PREFIX):
            try:
                raw = json.loads(part.redacted[len(RAW_PART_PREFIX) :])
            except ValueError:
                return
            if isinstance(raw, dict) and raw:
                parts.append(raw)
        return
    if part.text:
        thought: dict[str, Any] = {"text": part.text, "thought": True}
        if part.signature:
            thought["thoughtSignature"] = part.signature
        parts.append(thought)
        return
    if not part.signature:
        return
    if parts and "thoughtSignature" not in parts[-1] and ("text" in parts[-1] or "functionCall" in parts[-1]):
        parts[-1]["thoughtSignature"] = part.signature
    else:
        parts.append({"text": "", "thoughtSignature": part.signature})


def _sign_first_call(parts: list[dict[str, Any]]) -> None:
    calls = [p for p in parts if "functionCall" in p]
    if calls and not any("thoughtSignature" in p for p in calls):
        calls[0]["thoughtSignature"] = SKIP_SIGNATURE


def function_response(part: ToolResultPart, call_names: Mapping[str, str]) -> dict[str, Any]:
    name = part.name or call_names.get(part.tool_call_id)
    if not name:
        raise RequestValidationError(
            f"Gemini needs the tool name with each tool result: tool result {part.tool_call_id!r} has no name "
            "and no earlier tool call with that id; pass Message.tool(..., name=...)"
        )
    response: dict[str, Any] = {"name": name, "response": {"error" if part.is_error else "output": part.content}}
    if part.tool_call_id and not part.tool_call_id.startswith(SYNTHETIC_ID_PREFIX):
        response["id"] = part.tool_call_id
    return {"functionResponse": response}


def image_part(part: ImagePart) -> dict[str, Any]:
    if part.data is not None:
        return {"inlineData": {"mimeType": part.media_type, "data": image_base64(part)}}
    url = part.url or ""
    if url.startswith("data:"):
        header, _, payload = url.partition(",")
        media_type = header[5:].split(";")[0] or part.media_type or "application/octet-stream"
        if ";base64" in header:
            data = payload
        else:
            from urllib.parse import unquote_to_bytes

            data = base64.b64encode(unquote_to_bytes(payload)).decode("ascii")
        return {"inlineData": {"mimeType": media_type, "data": data}}
    media_type = part.media_type or mimetypes.guess_type(url.split("?")[0])[0] or "image/jpeg"
    return {"fileData": {"mimeType": media_type, "fileUri": url}}


# --------------------------------------------------------------------------- tools


def function_declaration(tool: Tool) -> dict[str, Any]:
    """A tool as a ``FunctionDeclaration``. The schema goes in ``parametersJsonSchema`` (full JSON
    Schema, unlike the OpenAPI subset of ``parameters``); a tool without arguments sends none."""
    declaration: dict[str, Any] = {"name": tool.name}
    if tool.description:
        declaration["description"] = tool.description
    schema = tool.parameters
    if schema and (schema.get("properties") or set(schema) - {"type", "properties", "additionalProperties"}):
        declaration["parametersJsonSchema"] = dict(schema)
    return declaration


def function_calling_config(choice: ToolChoice) -> dict[str, Any]:
    if choice.mode == "none":
        return {"mode": "NONE"}
    if choice.mode == "required":
        return {"mode": "ANY"}
    if choice.mode == "tool":
        return {"mode": "ANY", "allowedFunctionNames": [choice.name]}
    return {"mode": "AUTO"}


# --------------------------------------------------------------------------- generation config


def generation_config(request: ChatRequest, generation: int | None) -> dict[str, Any]:
    config = map_options({}, request, GENERATION_OPTIONS)
    fmt = request.response_format
    if fmt is not None:
        config["responseMimeType"] = "application/json"
        if fmt.type == "json_schema" and fmt.json_schema is not None:
            config["responseJsonSchema"] = dict(fmt.json_schema)
    if request.reasoning is not None:
        config["thinkingConfig"] = thinking_config(request.reasoning, generation)
    return config


def thinking_config(reasoning: ReasoningConfig, generation: int | None) -> dict[str, Any]:
    """Gemini 3 and later take a ``thinkingLevel`` (and refuse it together with a budget); Gemini
    2.5 (and models this plugin does not know) take a ``thinkingBudget``, so an effort becomes a
    budget there."""
    thinking: dict[str, Any] = {"includeThoughts": True}
    if generation is not None and generation >= 3:
        if reasoning.effort is not None:
            thinking["thinkingLevel"] = reasoning.effort.upper()
        elif reasoning.budget_tokens is not None:
            thinking["thinkingBudget"] = reasoning.budget_tokens
    elif reasoning.budget_tokens is not None:
        thinking["thinkingBudget"] = reasoning.budget_tokens
    elif reasoning.effort is not None:
        thinking["thinkingBudget"] = EFFORT_BUDGETS[reasoning.effort]
    return thinking


# --------------------------------------------------------------------------- pass-through options


def apply_options(body: dict[str, Any], options: Mapping[str, Any]) -> None:
    """Provider options: generationConfig fields (``top_k``), thinkingConfig fields
    (``thinking_level``), ``generation_config`` / ``thinking_config`` / ``tool_config`` dicts merged
    into theirs, ``tools`` appended (``[{"googleSearch": {}}]``), anything else set on the body as
    is (``safety_settings``, ``cached_content``, ``labels``, ...). snake_case or camelCase."""
    touched: set[str] = set()  # thinkingConfig keys an option set
    for raw_key, value in options.items():
        key = camel(raw_key)
        if key in CONTROL_OPTIONS:
            continue
        if key in GENERATION_FIELDS:
            body.setdefault("generationConfig", {})[key] = value
        elif key in THINKING_FIELDS:
            _thinking(body)[key] = value
            touched.add(key)
        elif key == "generationConfig":
            for sub_key, sub_value in dict(value).items():
                if sub_key == "thinkingConfig":
                    _thinking(body).update(sub_value)
                    touched.update(sub_value)
                else:
                    body.setdefault("generationConfig", {})[sub_key] = sub_value
        elif key == "thinkingConfig":
            _thinking(body).update(value)
            touched.update(value)
        elif key == "tools":
            body.setdefault("tools", []).extend(value)
        elif key == "toolConfig" and isinstance(body.get("toolConfig"), dict):
            _merge(body["toolConfig"], value)
        else:
            body[key] = value
    thinking = body.get("generationConfig", {}).get("thinkingConfig")
    if thinking and "thinkingLevel" in thinking and "thinkingBudget" in thinking and len(touched & _EXCLUSIVE) == 1:
        # The option wins over what ReasoningConfig gave: Gemini refuses both together.
        thinking.pop(next(iter(_EXCLUSIVE - touched)))


_EXCLUSIVE = frozenset({"thinkingLevel", "thinkingBudget"})


def _thinking(body: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = body.setdefault("generationConfig", {}).setdefault("thinkingConfig", {})
    return config


def _merge(target: dict[str, Any], extra: Mapping[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value
