"""A :class:`~lluminary.sdk.ChatRequest` → the JSON body of ``POST /v1/messages``.

Decisions (all documented in ``docs/providers/anthropic.md``):

* ``max_tokens`` is required by the API: when the request has none, the model's maximum output
  from the catalogue is sent (4096 for a model the catalogue does not know).
* ``reasoning`` → ``thinking``: an explicit ``budget_tokens`` becomes
  ``{"type": "enabled", "budget_tokens": N}`` on models that accept token budgets; otherwise
  (and on every model from Claude Opus 4.7 on, which reject budgets) ``{"type": "adaptive"}``
  with the effort in ``output_config.effort``. ``options["anthropic"]["thinking"]`` overrides.
* ``tool_choice``: ``auto``/``none`` as they are, ``required`` → ``any``, a named tool → ``tool``.
* ``response_format`` with a JSON schema → the native ``output_config.format`` (the answer is a
  text block holding the JSON). Plain JSON mode (no schema), or ``"structured_output": "tool"``,
  uses a forced tool whose input is the answer; the plugin turns that call back into text.
* ``seed`` has no Anthropic equivalent and is not sent.
* Every ``options["anthropic"]`` key that the plugin does not consume itself is copied into the
  body as it is (``top_k``, ``metadata``, ``service_tier``, ``inference_geo``, ...).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import attrs

from lluminary.sdk import (
    ChatRequest,
    ReasoningConfig,
    RequestValidationError,
    ResponseFormat,
    Tool,
    ToolChoice,
    map_options,
)

from .caching import apply_cache, cache_targets
from .messages import compact, convert_messages
from .models import default_max_tokens, lookup

#: option keys the plugin consumes; every other key goes into the body verbatim
CONSUMED_OPTIONS = frozenset(
    {"cache", "cache_ttl", "beta", "headers", "thinking", "structured_output", "disable_parallel_tool_use"}
)

#: the request's generation settings → body keys (``seed`` has no Anthropic equivalent)
GENERATION_SETTINGS = {"temperature": "temperature", "top_p": "top_p", "stop": "stop_sequences"}

#: the body fields ``/v1/messages/count_tokens`` accepts
COUNT_TOKENS_FIELDS = (
    "model",
    "messages",
    "system",
    "tools",
    "tool_choice",
    "thinking",
    "output_config",
    "cache_control",
)

#: unified effort → Anthropic ``output_config.effort``
EFFORTS = {"minimal": "low", "low": "low", "medium": "medium", "high": "high"}

#: unified effort → thinking budget, for models that only take a token budget
EFFORT_BUDGETS = {"minimal": 1024, "low": 2048, "medium": 8192, "high": 24576}
MIN_BUDGET = 1024

JSON_TOOL_DESCRIPTION = "Give your final answer by calling this tool; its input is the answer."


@attrs.frozen
class Plan:
    """What the response parser needs to know about how the request was built."""

    json_tool: str | None = None  # the forced tool whose input is the structured answer


def build_body(
    request: ChatRequest, options: Mapping[str, Any], prefixes: Collection[str], *, stream: bool = False
) -> tuple[dict[str, Any], Plan]:
    """The request body and its :class:`Plan`."""
    model = request.model_name
    info = lookup(model)
    caps = info.capabilities if info is not None else None
    max_tokens = request.max_tokens if request.max_tokens is not None else default_max_tokens(model)

    body: dict[str, Any] = {"model": model, "max_tokens": max_tokens}
    if request.system:
        body["system"] = request.system
    body["messages"] = convert_messages(request.messages, prefixes)

    tools = [tool_definition(t) for t in request.tools]
    choice = tool_choice(request.tool_choice, options) if tools else None

    json_tool: str | None = None
    output_config: dict[str, Any] = {}
    fmt = request.response_format
    if fmt is not None:
        mode = options.get("structured_output") or _structured_mode(fmt, caps)
        if mode == "native":
            if fmt.json_schema is None:
                raise RequestValidationError("native structured output needs a JSON schema in response_format")
            output_config["format"] = {"type": "json_schema", "schema": dict(fmt.json_schema)}
        elif mode == "tool":
            json_tool = fmt.name or "response"
            if any(t["name"] == json_tool for t in tools):
                raise RequestValidationError(f"response_format name {json_tool!r} clashes with a tool of that name")
            schema = dict(fmt.json_schema) if fmt.json_schema is not None else {"type": "object"}
            tools.append({"name": json_tool, "description": JSON_TOOL_DESCRIPTION, "input_schema": schema})
            choice = {"type": "tool", "name": json_tool}
        else:
            raise RequestValidationError(
                f"options['anthropic']['structured_output'] must be 'native' or 'tool', got {mode!r}"
            )

    if tools:
        body["tools"] = tools
    if choice is not None:
        body["tool_choice"] = choice

    thinking = options.get("thinking")
    if thinking is None and request.reasoning is not None:
        thinking, effort = thinking_config(request.reasoning, caps, max_tokens)
        if effort is not None:
            output_config["effort"] = effort
    if thinking is not None:
        body["thinking"] = dict(thinking)
    if output_config:
        body["output_config"] = output_config

    map_options(body, request, GENERATION_SETTINGS)
    if stream:
        body["stream"] = True

    apply_cache(body, cache_targets(options.get("cache")), options.get("cache_ttl"))
    compact(body["messages"])
    body.update({key: value for key, value in options.items() if key not in CONSUMED_OPTIONS})
    return body, Plan(json_tool)


def count_tokens_body(request: ChatRequest, options: Mapping[str, Any], prefixes: Collection[str]) -> dict[str, Any]:
    """The body of ``/v1/messages/count_tokens``: the messages body without generation settings."""
    body, _plan = build_body(request, options, prefixes)
    return {key: body[key] for key in COUNT_TOKENS_FIELDS if key in body}


def tool_definition(tool: Tool) -> dict[str, Any]:
    out: dict[str, Any] = {"name": tool.name}
    if tool.description:
        out["description"] = tool.description
    out["input_schema"] = dict(tool.parameters)
    if tool.strict:
        out["strict"] = True
    return out


def tool_choice(choice: ToolChoice | None, options: Mapping[str, Any]) -> dict[str, Any] | None:
    serial = options.get("disable_parallel_tool_use")
    if choice is None:
        return {"type": "auto", "disable_parallel_tool_use": True} if serial else None
    if choice.mode == "tool":
        out: dict[str, Any] = {"type": "tool", "name": choice.name}
    elif choice.mode == "required":
        out = {"type": "any"}
    else:
        out = {"type": choice.mode}
    if serial and choice.mode != "none":
        out["disable_parallel_tool_use"] = True
    return out


def thinking_config(
    reasoning: ReasoningConfig, caps: Collection[str] | None, max_tokens: int
) -> tuple[dict[str, Any], str | None]:
    """``(thinking, output_config.effort or None)`` for a unified reasoning request.

    ``caps`` is None for a model the catalogue does not know: then a budget is sent as a budget,
    and an effort as adaptive thinking (what current models accept)."""
    takes_budget = caps is None or "thinking_budget" in caps
    adaptive = caps is None or "thinking_adaptive" in caps
    effort = EFFORTS.get(reasoning.effort) if reasoning.effort is not None else None
    if reasoning.budget_tokens is not None and takes_budget:
        return {"type": "enabled", "budget_tokens": reasoning.budget_tokens}, None
    if adaptive:
        return {"type": "adaptive"}, effort
    budget = EFFORT_BUDGETS.get(reasoning.effort or "medium", EFFORT_BUDGETS["medium"])
    if budget >= max_tokens:  # the budget must leave room for the answer
        budget = max(MIN_BUDGET, max_tokens // 2)
    return {"type": "enabled", "budget_tokens": budget}, None


def _structured_mode(fmt: ResponseFormat, caps: Collection[str] | None) -> str:
    if fmt.json_schema is None:
        return "tool"  # the native format needs a schema, and rejects free-form objects
    if caps is None or "structured_output" in caps:
        return "native"
    return "tool"
