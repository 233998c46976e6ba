"""Tool arguments checked against the tool's JSON schema before the call, so the model gets a
clear error back instead of the tool failing halfway. Covers what lluminary derives from type
hints: types, required, enum, additionalProperties, items, prefixItems and anyOf."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_TYPES: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "null": type(None),
    "object": dict,
    "array": list,
}


def schema_errors(value: Any, schema: Mapping[str, Any], path: str = "arguments") -> list[str]:
    """What is wrong with ``value`` under ``schema``, as readable lines (empty: it is valid)."""
    if not schema:
        return []
    members = schema.get("anyOf") or schema.get("oneOf")
    if members:
        if any(not schema_errors(value, m, path) for m in members):
            return []
        return [f"{path}: {value!r} matches none of the allowed shapes"]
    errors: list[str] = []
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        if not any(_is(value, k) for k in kinds):
            return [f"{path}: expected {' or '.join(kinds)}, got {_name(value)} {value!r}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} is not one of {schema['enum']!r}")
    if isinstance(value, dict):
        errors.extend(_object_errors(value, schema, path))
    elif isinstance(value, list):
        prefix = schema.get("prefixItems")
        if isinstance(prefix, list):
            if len(value) != len(prefix):
                errors.append(f"{path}: expected {len(prefix)} items, got {len(value)}")
            for i, (item, sub) in enumerate(zip(value, prefix, strict=False)):
                errors.extend(schema_errors(item, sub, f"{path}[{i}]"))
        items = schema.get("items")
        if isinstance(items, Mapping):
            for i, item in enumerate(value):
                errors.extend(schema_errors(item, items, f"{path}[{i}]"))
    return errors


def _object_errors(value: dict[str, Any], schema: Mapping[str, Any], path: str) -> list[str]:
    errors: list[str] = []
    properties: Mapping[str, Any] = schema.get("properties") or {}
    errors.extend(f"{path}: missing required {name!r}" for name in schema.get("required") or () if name not in value)
    extra = schema.get("additionalProperties", True if not properties else None)
    for name, item in value.items():
        sub = properties.get(name)
        if sub is not None:
            errors.extend(schema_errors(item, sub, f"{path}.{name}"))
        elif isinstance(extra, Mapping):
            errors.extend(schema_errors(item, extra, f"{path}.{name}"))
        elif extra is not True:
            errors.append(f"{path}: unexpected {name!r} (allowed: {sorted(properties)})")
    return errors


def _is(value: Any, kind: str) -> bool:
    if kind in ("integer", "number") and isinstance(value, bool):
        return False
    if kind == "integer" and isinstance(value, float):
        return value.is_integer()
    expected = _TYPES.get(kind)
    return True if expected is None else isinstance(value, expected)


def _name(value: Any) -> str:
    for kind, expected in _TYPES.items():
        if kind != "number" and isinstance(value, expected) and not (kind == "integer" and isinstance(value, bool)):
            return kind
    return type(value).__name__
