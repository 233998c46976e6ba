"""A unified :class:`ChatRequest` as a Cohere ``/v2/chat`` body, and the other request bodies.

Choices where the two models differ (each is documented in ``docs/providers/cohere.md``):

* the system prompt is the first ``system`` message;
* a tool result whose content is a JSON object (or a list of objects) goes as ``document`` blocks,
  which Cohere can cite; any other result goes as a string;
* an assistant turn's reasoning goes back as ``tool_plan`` when the turn called tools, and is
  dropped otherwise (Cohere does not need its thinking back);
* ``tool_choice`` auto is Cohere's default (omitted), and a named tool becomes ``REQUIRED`` with
  only that tool sent;
* ``strict_tools`` is one switch for all tools: it is on when any tool asks for strictness.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from typing import Any

from lluminary import sdk

#: The request's generation settings → Cohere's body keys.
GENERATION_SETTINGS = {
    "max_tokens": "max_tokens",
    "temperature": "temperature",
    "top_p": "p",
    "stop": "stop_sequences",
    "seed": "seed",
}

#: EmbedRequest.input_type → Cohere's input_type (search_document when unset).
INPUT_TYPES = {
    "query": "search_query",
    "document": "search_document",
    "classification": "classification",
    "clustering": "clustering",
}
DEFAULT_INPUT_TYPE = "search_document"


def chat_body(request: sdk.ChatRequest, *, stream: bool, own: Collection[str] = ("cohere",)) -> dict[str, Any]:
    """The request body. ``own`` names the provider prefixes whose reasoning may be sent back."""
    body: dict[str, Any] = {"model": request.model_name, "messages": list(_messages(request, own))}
    tools = request.tools
    choice = request.tool_choice
    if choice is not None and choice.mode == "tool":
        tools = tuple(t for t in tools if t.name == choice.name)
    if tools:
        body["tools"] = [_tool(t) for t in tools]
        if any(t.strict for t in tools):
            body["strict_tools"] = True
    if choice is not None and tools:
        if choice.mode in ("required", "tool"):
            body["tool_choice"] = "REQUIRED"
        elif choice.mode == "none":
            body["tool_choice"] = "NONE"
    sdk.map_options(body, request, GENERATION_SETTINGS)
    fmt = request.response_format
    if fmt is not None:
        response_format: dict[str, Any] = {"type": "json_object"}
        if fmt.type == "json_schema" and fmt.json_schema is not None:
            response_format["json_schema"] = dict(fmt.json_schema)
        body["response_format"] = response_format
    reasoning = request.reasoning
    if reasoning is not None:
        thinking: dict[str, Any] = {"type": "enabled"}
        if reasoning.budget_tokens is not None:
            thinking["token_budget"] = reasoning.budget_tokens
        body["thinking"] = thinking
    body.update(request.provider_options(request.provider))
    body["stream"] = stream
    return body


def _messages(request: sdk.ChatRequest, own: Collection[str]) -> Iterator[dict[str, Any]]:
    if request.system:
        yield {"role": "system", "content": request.system}
    for message in request.messages:
        if message.role == "assistant":
            yield _assistant(message, own)
            continue
        # Tool results (in a tool message, or in a user message) are Cohere tool messages.
        rest: list[sdk.TextPart | sdk.ImagePart] = []
        for part in message.content:
            if isinstance(part, sdk.ToolResultPart):
                yield {"role": "tool", "tool_call_id": part.tool_call_id, "content": tool_result_content(part)}
            elif isinstance(part, (sdk.TextPart, sdk.ImagePart)):
                rest.append(part)
        if rest:
            yield {"role": "user", "content": _user_content(rest)}


def _user_content(parts: list[sdk.TextPart | sdk.ImagePart]) -> str | list[dict[str, Any]]:
    if all(isinstance(p, sdk.TextPart) for p in parts):
        return "".join(p.text for p in parts if isinstance(p, sdk.TextPart))
    blocks: list[dict[str, Any]] = []
    for part in parts:
        if isinstance(part, sdk.TextPart):
            if part.text:
                blocks.append({"type": "text", "text": part.text})
        else:
            blocks.append({"type": "image_url", "image_url": {"url": sdk.image_data_url(part)}})
    return blocks


def _assistant(message: sdk.Message, own: Collection[str]) -> dict[str, Any]:
    texts: list[str] = []
    plan: list[str] = []
    calls: list[dict[str, Any]] = []
    for part in message.content:
        if isinstance(part, sdk.TextPart):
            texts.append(part.text)
        elif isinstance(part, sdk.ToolCallPart):
            calls.append(
                {
                    "id": part.id,
                    "type": "function",
                    "function": {"name": part.name, "arguments": json.dumps(dict(part.arguments), ensure_ascii=False)},
                }
            )
        elif isinstance(part, sdk.ReasoningPart) and part.text and (part.provider is None or part.provider in own):
            plan.append(part.text)
    out: dict[str, Any] = {"role": "assistant"}
    text = "".join(texts)
    if calls:
        if plan:
            out["tool_plan"] = "".join(plan)
        out["tool_calls"] = calls
        if text:
            out["content"] = text
    else:
        out["content"] = text
    return out


def tool_result_content(part: sdk.ToolResultPart) -> str | list[dict[str, Any]]:
    """JSON objects become citable documents; everything else (and every error) stays a string."""
    if part.is_error:
        return part.content
    documents = _documents(part.content)
    return documents if documents is not None else part.content


def _documents(content: str) -> list[dict[str, Any]] | None:
    stripped = content.lstrip()
    if not stripped or stripped[0] not in "{[":
        return None
    try:
        value = json.loads(content)
    except ValueError:
        return None
    if isinstance(value, dict):
        return [{"type": "document", "document": {"data": value}}]
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        return [{"type": "document", "document": {"data": item}} for item in value]
    return None


def _tool(tool: sdk.Tool) -> dict[str, Any]:
    function: dict[str, Any] = {"name": tool.name}
    if tool.description:
        function["description"] = tool.description
    function["parameters"] = dict(tool.parameters)
    return {"type": "function", "function": function}


# --------------------------------------------------------------------------- embeddings, tokens


def embed_body(request: sdk.EmbedRequest, texts: list[str]) -> dict[str, Any]:
    input_type = INPUT_TYPES.get(request.input_type or "", DEFAULT_INPUT_TYPE)
    body: dict[str, Any] = {
        "model": request.model_name,
        "texts": texts,
        "input_type": input_type,
        "embedding_types": ["float"],
    }
    if request.dimensions is not None:
        body["output_dimension"] = request.dimensions
    body.update(request.provider_options(request.provider))
    return body


def request_text(request: sdk.ChatRequest) -> str:
    """The text a request carries (system prompt, text parts, reasoning, tool calls' arguments and
    tool results), for ``/v1/tokenize``. Images and Cohere's own prompt template are not counted."""
    pieces: list[str] = []
    if request.system:
        pieces.append(request.system)
    for message in request.messages:
        for part in message.content:
            if isinstance(part, (sdk.TextPart, sdk.ReasoningPart)):
                if part.text:
                    pieces.append(part.text)
            elif isinstance(part, sdk.ToolCallPart):
                pieces.append(f"{part.name} {json.dumps(dict(part.arguments), ensure_ascii=False)}")
            elif isinstance(part, sdk.ToolResultPart):
                pieces.append(part.content)
    return "\n".join(pieces)
