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

from ._errors import RequestValidationError
from ._types import Tool

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
    """Build a :class:`Tool` from ``fn``: ``tool(fn)``, ``@tool`` or ``@tool(name="lookup")``.
    The decorated name becomes the :class:`Tool` (a description for the model, not a callable)."""
    if fn is None:
        return lambda f: tool(f, name=name, description=description)
    return tool_from_function(fn, name=name, description=description)


def tool_from_function(fn: Callable[..., Any], *, name: str | None = None, description: str | None = None) -> Tool:
    """The :class:`Tool` describing ``fn``'s arguments."""
    signature = inspect.signature(fn)
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except (NameError, TypeError) as exc:  # an annotation that names something out of reach
        raise RequestValidationError(f"cannot read the type hints of {fn!r}: {exc}") from None
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
    result = Tool(
        fn.__name__ if name is None else name, description if description is not None else summary, parameters
    )
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
        return _typed_dict_schema(hint)
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


def _typed_dict_schema(hint: Any) -> dict[str, Any]:
    # ``__required_keys__`` is wrong under ``from __future__ import annotations`` before Python 3.14
    # (the class sees NotRequired[...] as a string), so Required/NotRequired are read from the hints.
    fields = typing.get_type_hints(hint, include_extras=True)
    required = set(getattr(hint, "__required_keys__", ()))
    for key, field_hint in fields.items():
        origin = typing.get_origin(field_hint)
        if origin is typing.NotRequired or origin is typing.Required:
            fields[key] = typing.get_args(field_hint)[0]
            (required.add if origin is typing.Required else required.discard)(key)
    return _object_schema(fields, required)


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


_PARAM_SECTIONS = {"args", "arguments", "parameters", "params", "keyword args", "keyword arguments", "other parameters"}
_OTHER_SECTIONS = {
    "returns", "return", "yields", "yield", "raises", "raise", "examples", "example", "notes", "note",
    "attributes", "see also", "warnings", "warning", "references", "todo",
}  # fmt: skip
_NUMPY_RULE = re.compile(r"^\s*-{3,}\s*$")
_SPHINX_PARAM = re.compile(r"^:param\s+(?:[^:]*\s)?(\w+):\s*(.*)$")
_SPHINX_FIELD = re.compile(r"^:\w[^:]*:")


def _section(lines: Sequence[str], i: int) -> tuple[str, bool] | None:
    """Whether line ``i`` opens a section: ``("params" | "other", numpy_style)``, else None.
    Google sections are ``Args:``; NumPy sections are a title underlined with dashes."""
    stripped = lines[i].strip()
    numpy = i + 1 < len(lines) and _NUMPY_RULE.match(lines[i + 1]) is not None
    if numpy:
        title = stripped.lower()
    elif stripped.endswith(":") and not stripped.startswith(":"):
        title = stripped[:-1].strip().lower()
    else:
        return None
    if title in _PARAM_SECTIONS:
        return "params", numpy
    if title in _OTHER_SECTIONS or numpy:
        return "other", numpy
    return None


def parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """The summary (text before any section) and parameter descriptions of a docstring.

    Reads Google (``Args:`` with ``name (type): text``), NumPy (``Parameters`` underlined, with
    ``name : type`` and the text indented below) and Sphinx (``:param [type] name: text``)."""
    lines = doc.expandtabs().splitlines()
    summary: list[str] = []
    params: dict[str, str] = {}
    in_summary = True
    mode = ""  # "" (free text), "params", "sphinx" or "other"
    numpy = False
    indent: int | None = None
    current: list[str] = []  # the parameters that continuation lines extend
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        section = _section(lines, i) if stripped else None
        if section is not None:
            in_summary = False
            mode, numpy = section
            indent, current = None, []
            i += 2 if numpy else 1
            continue
        i += 1
        if not stripped:
            continue
        sphinx = _SPHINX_PARAM.match(stripped)
        if sphinx:
            in_summary, mode = False, "sphinx"
            current = [sphinx.group(1)]
            params[current[0]] = sphinx.group(2).strip()
        elif _SPHINX_FIELD.match(stripped):  # :returns:, :type x:, :raises E: end a :param
            in_summary, mode, current = False, "other", []
        elif mode == "params":
            level = len(line) - len(line.lstrip())
            if indent is None:
                indent = level
            if level < indent:  # dedented past the entries: the section is over
                mode, current = "other", []
            elif level == indent:
                head, _, rest = stripped.partition(":")
                if numpy:  # "name : type" (or "x, y : type"); the text follows, indented
                    current = [n.strip().lstrip("*") for n in head.split(",") if n.strip()]
                    rest = ""
                else:  # "name (type): text"
                    current = [head.split("(")[0].strip().lstrip("*")]
                for name in current:
                    params[name] = rest.strip()
            else:
                for name in current:
                    params[name] = f"{params[name]} {stripped}".strip()
        elif mode == "sphinx" and current:
            params[current[0]] = f"{params[current[0]]} {stripped}".strip()
        elif in_summary:
            summary.append(stripped)
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
