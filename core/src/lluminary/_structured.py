"""Structured output from Python types: the JSON schema of a pydantic model, attrs class,
dataclass or TypedDict (made strict-mode compatible), and the answer parsed back into that type.

pydantic is optional: a pydantic model is recognised by its ``model_json_schema`` and
``model_validate`` methods, never imported here.
"""

from __future__ import annotations

import copy
import typing
from collections.abc import Mapping
from typing import Any

from ._errors import LluminaryError, RequestValidationError
from ._tools import schema_for
from ._types import ResponseFormat

__all__ = ["OutputValidationError", "is_output_type", "output_format", "parse_output", "strict_schema"]


class OutputValidationError(LluminaryError):
    """The answer is not valid JSON of the requested type. ``raw`` keeps the text as received;
    ``errors`` says what did not validate."""

    def __init__(self, message: str, *, raw: str, errors: str = "") -> None:
        super().__init__(message)
        self.raw = raw
        self.errors = errors


def is_output_type(value: Any) -> bool:
    """Whether ``response_format=value`` names a type to parse into (rather than a schema)."""
    if not isinstance(value, type):
        return False
    return (
        hasattr(value, "model_json_schema")
        or hasattr(value, "__attrs_attrs__")
        or hasattr(value, "__dataclass_fields__")
        or (issubclass(value, dict) and hasattr(value, "__total__"))
    )


def output_format(output_type: type) -> ResponseFormat:
    """The strict JSON-schema response format for ``output_type``."""
    if hasattr(output_type, "model_json_schema"):
        schema = dict(output_type.model_json_schema())
    else:
        schema = dict(schema_for(output_type))
    if schema.get("type") != "object":
        raise RequestValidationError(f"response_format type {output_type.__name__} must describe a JSON object")
    schema.pop("title", None)
    return ResponseFormat("json_schema", strict_schema(schema), output_type.__name__, True)


def strict_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy that strict structured output accepts (OpenAI's strict mode, and the strictest of
    the others): every object lists all its properties as required and allows no others; a
    property that was optional becomes nullable instead."""
    out = copy.deepcopy(dict(schema))
    _strict(out)
    return out


def _strict(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _strict(item)
        return
    if not isinstance(node, dict):
        return
    if node.get("type") == "object" or "properties" in node:
        properties: dict[str, Any] = node.setdefault("properties", {})
        required = set(node.get("required", ()))
        for name, sub in properties.items():
            if name not in required:
                sub.pop("default", None)
                properties[name] = _nullable(sub)
        node["required"] = list(properties)
        node["additionalProperties"] = False
    for key in ("properties", "$defs", "definitions"):
        for sub in (node.get(key) or {}).values():
            _strict(sub)
    for key in ("items", "anyOf", "oneOf", "allOf", "prefixItems"):
        if key in node:
            _strict(node[key])


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema.get("type")
    if isinstance(kind, str) and kind != "null" and "$ref" not in schema:
        return {**schema, "type": [kind, "null"]}
    if isinstance(kind, list):
        return schema if "null" in kind else {**schema, "type": [*kind, "null"]}
    members = schema.get("anyOf")
    if isinstance(members, list) and any(m.get("type") == "null" for m in members if isinstance(m, dict)):
        return schema
    return {"anyOf": [schema, {"type": "null"}]}


def parse_output(output_type: type, text: str) -> Any:
    """``text`` as an instance of ``output_type``, or :class:`OutputValidationError` with the raw text."""
    from ._json import loads

    try:
        data = loads(text)
    except ValueError as exc:
        raise OutputValidationError(
            f"the answer is not valid JSON for {output_type.__name__}: {exc}", raw=text, errors=str(exc)
        ) from None
    validate = getattr(output_type, "model_validate", None)
    try:
        if validate is not None:
            return validate(data)
        return _converter().structure(_drop_nulls(output_type, data), output_type)
    except Exception as exc:  # noqa: BLE001 - pydantic and cattrs raise their own error types
        detail = _describe(exc)
        raise OutputValidationError(
            f"the answer does not match {output_type.__name__}: {detail}", raw=text, errors=detail
        ) from None


def _drop_nulls(output_type: Any, data: Any) -> Any:
    """Strict mode answers ``null`` for a field the type made optional with a default: leave such
    keys out so the type's own default applies."""
    if not isinstance(data, dict):
        return data
    hints = _field_hints(output_type)
    out = {}
    for key, value in data.items():
        hint = hints.get(key)
        if value is None and hint is not None and not _allows_none(hint):
            continue
        out[key] = _drop_nulls(hint, value) if hint is not None and _is_record(hint) else value
    return out


def _field_hints(output_type: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(output_type)
    except Exception:  # noqa: BLE001 - not a class with annotations
        return {}


def _allows_none(hint: Any) -> bool:
    return hint is None or type(None) in typing.get_args(hint) or hint is Any


def _is_record(hint: Any) -> bool:
    return isinstance(hint, type) and (hasattr(hint, "__attrs_attrs__") or hasattr(hint, "__dataclass_fields__"))


def _describe(exc: BaseException) -> str:
    try:
        from cattrs.errors import ClassValidationError

        if isinstance(exc, ClassValidationError):
            from cattrs import transform_error

            return "; ".join(transform_error(exc))
    except ImportError:  # pragma: no cover - cattrs is a kernel dependency
        pass
    return f"{type(exc).__name__}: {exc}"


_structuring: Any = None


def _converter() -> Any:
    """A cattrs converter that validates: unknown keys and wrong types are errors."""
    global _structuring
    if _structuring is None:
        import cattrs

        _structuring = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
        for kind in (int, float, str, bool):
            _structuring.register_structure_hook(kind, _exact(kind))
    return _structuring


def _exact(kind: type) -> Any:
    def structure(value: Any, _: Any) -> Any:
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if type(value) is not kind:
            raise TypeError(f"expected {kind.__name__}, got {type(value).__name__} {value!r}")
        return value

    return structure
