"""Tools from plain Python callables: type hints become the JSON schema, the docstring the
description (Google, NumPy and Sphinx parameter sections are all read)."""

from __future__ import annotations

import enum
import inspect
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .errors import RequestValidationError
from .types import Tool

TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SIMPLE: dict[Any, dict[str, Any]] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    type(None): {"type": "null"},
    Any: {},
    dict: {"type": "object"},
    list: {"type": "array"},
}


def tool(fn: Callable[..., Any] | None = None, *, name: str | None = None, description: str | None = None) -> Any:
    """Build a :class:`Tool` from ``fn``; usable as ``tool(fn)`` or as a decorator factory
    ``@tool(name="lookup")`` (the decorator returns the Tool and keeps ``fn`` on ``tool_function``)."""
    if fn is None:
        return lambda f: tool(f, name=name, description=description)
    return tool_from_function(fn, name=name, description=description)


def tool_from_function(fn: Callable[..., Any], *, name: str | None = None, description: str | None = None) -> Tool:
    """The :class:`Tool` describing ``fn``'s arguments."""
    signature = inspect.signature(fn)
    hints = typing.get_type_hints(fn, include_extras=True)
    summary, param_docs = parse_docstring(inspect.getdoc(fn) or "")
    properties: dict[str, Any] = {}
    required: list[str] = []
    for param in signature.parameters.values():
        if param.name in ("self", "cls") or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        schema = dict(schema_for(hints.get(param.name, Any)))
        if param.name in param_docs and "description" not in schema:
            schema["description"] = param_docs[param.name]
        if param.default is inspect.Parameter.empty:
            required.append(param.name)
        elif param.default is not None and _json_safe(param.default):
            schema["default"] = param.default.value if isinstance(param.default, enum.Enum) else param.default
        properties[param.name] = schema
    parameters: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        parameters["required"] = required
    result = Tool(name or fn.__name__, description if description is not None else summary, parameters)
    validate_tool(result)
    return result


def schema_for(hint: Any) -> Mapping[str, Any]:
    """The JSON schema of a type hint."""
    if hint in _SIMPLE:
        return _SIMPLE[hint]
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Annotated:
        base = dict(schema_for(args[0]))
        for extra in args[1:]:
            if isinstance(extra, str):
                base["description"] = extra
        return base
    if origin in (typing.Union, types.UnionType):
        members = [a for a in args if a is not type(None)]
        nullable = len(members) < len(args)
        if len(members) == 1:
            inner = dict(schema_for(members[0]))
            if nullable and "type" in inner and isinstance(inner["type"], str):
                inner["type"] = [inner["type"], "null"]
                return inner
            return {"anyOf": [inner, {"type": "null"}]} if nullable else inner
        return {"anyOf": [dict(schema_for(a)) for a in args]}
    if origin is typing.Literal:
        values = list(args)
        kinds = {type(v) for v in values}
        out: dict[str, Any] = {"enum": values}
        if len(kinds) == 1 and next(iter(kinds)) in _SIMPLE:
            out["type"] = _SIMPLE[next(iter(kinds))]["type"]
        return out
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        values = [m.value for m in hint]
        return {"type": "string" if all(isinstance(v, str) for v in values) else "integer", "enum": values}
    if origin in (list, Sequence, set, frozenset, list, set) or (
        origin is not None and origin.__module__ == "collections.abc" and origin.__name__ in ("Sequence", "Iterable")
    ):
        return {"type": "array", "items": dict(schema_for(args[0])) if args else {}}
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": dict(schema_for(args[0]))}
        return {"type": "array", "prefixItems": [dict(schema_for(a)) for a in args], "minItems": len(args)}
    if origin in (dict, Mapping) or (origin is not None and getattr(origin, "__name__", "") == "Mapping"):
        value = dict(schema_for(args[1])) if len(args) == 2 else {}
        return {"type": "object", "additionalProperties": value} if value else {"type": "object"}
    if _is_typed_dict(hint):
        return _object_schema(typing.get_type_hints(hint), set(getattr(hint, "__required_keys__", ())))
    if (isinstance(hint, type) and hasattr(hint, "__attrs_attrs__")) or hasattr(hint, "__dataclass_fields__"):
        return _record_schema(hint)
    raise RequestValidationError(f"cannot build a JSON schema for type {hint!r}")


def _is_typed_dict(hint: Any) -> bool:
    return (
        isinstance(hint, type)
        and issubclass(hint, dict)
        and hasattr(hint, "__annotations__")
        and hasattr(hint, "__total__")
    )


def _object_schema(fields: Mapping[str, Any], required: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": {k: dict(schema_for(v)) for k, v in fields.items()}}
    if required:
        out["required"] = [k for k in fields if k in required]
    return out


def _record_schema(cls: Any) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    required: set[str] = set()
    if hasattr(cls, "__attrs_attrs__"):
        import attrs

        for field in attrs.fields(cls):
            if field.default is attrs.NOTHING:
                required.add(field.name)
        names = [f.name for f in attrs.fields(cls)]
    else:
        import dataclasses

        for dc_field in dataclasses.fields(cls):
            if dc_field.default is dataclasses.MISSING and dc_field.default_factory is dataclasses.MISSING:
                required.add(dc_field.name)
        names = [f.name for f in dataclasses.fields(cls)]
    return _object_schema({n: hints[n] for n in names}, required)


def _json_safe(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool, enum.Enum)) or (
        isinstance(value, (list, tuple, dict)) and len(value) == 0
    )


_GOOGLE_SECTION = re.compile(r"^(Args|Arguments|Parameters|Params):\s*$")
_NUMPY_RULE = re.compile(r"^-{3,}\s*$")
_SPHINX_PARAM = re.compile(r"^:param\s+(?:[^:]*\s)?(\w+):\s*(.*)$")


def parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """The summary (text before any section) and parameter descriptions of a docstring."""
    lines = doc.splitlines()
    summary: list[str] = []
    params: dict[str, str] = {}
    i = 0
    in_summary = True
    current: str | None = None
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        sphinx = _SPHINX_PARAM.match(stripped)
        if sphinx:
            in_summary = False
            current = sphinx.group(1)
            params[current] = sphinx.group(2).strip()
        elif _GOOGLE_SECTION.match(stripped) or (
            stripped in ("Parameters", "Params") and i + 1 < len(lines) and _NUMPY_RULE.match(lines[i + 1].strip())
        ):
            in_summary = False
            numpy = not stripped.endswith(":")
            i += 2 if numpy else 1
            indent: int | None = None
            current = None
            while i < len(lines):
                raw = lines[i]
                if not raw.strip():
                    i += 1
                    continue
                level = len(raw) - len(raw.lstrip())
                if indent is None:
                    indent = level
                if level < indent or (numpy and _NUMPY_RULE.match(lines[i + 1].strip() if i + 1 < len(lines) else "")):
                    break
                text = raw.strip()
                if level == indent:
                    head, _, rest = text.partition(":")
                    current = head.split("(")[0].strip()
                    params[current] = rest.strip()
                elif current is not None:
                    params[current] = f"{params[current]} {text}".strip()
                i += 1
            continue
        elif in_summary and re.match(r"^(Returns?|Raises|Yields|Examples?):\s*$", stripped):
            in_summary = False
        elif current is not None and stripped and not stripped.startswith(":") and not in_summary:
            params[current] = f"{params[current]} {stripped}".strip()
        elif in_summary:
            summary.append(line)
        i += 1
    return " ".join(" ".join(summary).split()), params


def validate_tool(t: Tool) -> None:
    """Reject a tool that no provider would accept, before any I/O."""
    if not TOOL_NAME.match(t.name):
        raise RequestValidationError(f"invalid tool name {t.name!r}: use 1-64 letters, digits, '_' or '-'")
    params = t.parameters
    if not isinstance(params, Mapping) or params.get("type") != "object":
        raise RequestValidationError(f"tool {t.name!r}: parameters must be a JSON schema with type 'object'")
    props = params.get("properties", {})
    if not isinstance(props, Mapping):
        raise RequestValidationError(f"tool {t.name!r}: 'properties' must be an object")
    required = params.get("required", [])
    if not isinstance(required, list) or any(r not in props for r in required):
        raise RequestValidationError(f"tool {t.name!r}: 'required' must list names that are in 'properties'")
