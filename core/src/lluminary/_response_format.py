"""``response_format`` in every shape users bring: a ResponseFormat, "json", a plain JSON schema,
OpenAI's wrappers, or a Python type (structured output); ambiguous shapes are rejected."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._arguments import _kind
from ._errors import RequestValidationError
from ._types import (
    ResponseFormat,
)

#: The keys of OpenAI's ``json_schema`` object (``description`` is accepted and not carried).
_OPENAI_SCHEMA_KEYS = frozenset({"name", "schema", "strict", "description"})
#: Keywords one of which, at the top of a mapping, makes it a plain JSON schema.
_SCHEMA_KEYWORDS = frozenset(
    {
        "type",
        "properties",
        "$schema",
        "$ref",
        "$defs",
        "$id",
        "definitions",
        "anyOf",
        "oneOf",
        "allOf",
        "not",
        "enum",
        "const",
        "items",
        "prefixItems",
        "required",
        "additionalProperties",
        "patternProperties",
    }
)
_SCHEMA_TYPES = frozenset({"object", "array", "string", "number", "integer", "boolean", "null"})


# --------------------------------------------------------------------------- single arguments


def to_response_format(value: object) -> ResponseFormat | None:
    """``response_format`` in any of the shapes users bring (see the user guide): a
    :class:`ResponseFormat`, ``"json"``, a plain JSON schema, or OpenAI's wrappers. A mapping that is
    none of these, or could be read two ways, is rejected rather than guessed at."""
    if value is None:
        return None
    if isinstance(value, ResponseFormat):
        _check_response_format(value)
        return value
    if isinstance(value, type):
        from ._structured import is_output_type, output_format

        if not is_output_type(value):
            raise RequestValidationError(
                f"response_format type {value.__name__} is not a pydantic model, attrs class, dataclass or TypedDict"
            )
        return output_format(value)
    if value == "json":
        return ResponseFormat("json")
    if not isinstance(value, Mapping):
        raise RequestValidationError(
            f"response_format must be a JSON schema, OpenAI's response_format, 'json' or a ResponseFormat, got {value!r}"
        )
    kind = value.get("type")
    if kind == "json_object":  # OpenAI's JSON mode
        if set(value) != {"type"}:
            raise _ambiguous(value, "{'type': 'json_object'} takes no other key")
        return ResponseFormat("json")
    if kind == "json_schema":
        if "json_schema" in value:  # Chat Completions: {"type": "json_schema", "json_schema": {...}}
            if set(value) != {"type", "json_schema"}:
                raise _ambiguous(value, "next to 'json_schema' only 'type' may be given")
            inner = value["json_schema"]
            if not isinstance(inner, Mapping):
                raise RequestValidationError(
                    f"response_format['json_schema'] must be a mapping with 'name', 'schema' and 'strict', "
                    f"got {_kind(inner)}"
                )
            return _openai_schema(inner, "response_format['json_schema']")
        # Responses API: {"type": "json_schema", "name": ..., "schema": ..., "strict": ...}
        return _openai_schema({k: v for k, v in value.items() if k != "type"}, "response_format")
    if "schema" in value or "json_schema" in value:  # the inner object: {"name", "schema", "strict"}
        return _openai_schema(value, "response_format")
    keywords = _SCHEMA_KEYWORDS.intersection(value)
    if kind is not None and not _is_schema_type(kind):
        raise _ambiguous(value, f"its type {kind!r} is neither a JSON schema type nor 'json_schema'/'json_object'")
    if not keywords:
        raise _ambiguous(value, "it is no JSON schema (no 'type', 'properties', '$schema', 'anyOf', ... at the top)")
    title = value.get("title")
    return ResponseFormat("json_schema", dict(value), title if isinstance(title, str) and title else "response")


def _is_schema_type(kind: object) -> bool:
    if isinstance(kind, str):
        return kind in _SCHEMA_TYPES
    return isinstance(kind, list) and bool(kind) and all(isinstance(k, str) and k in _SCHEMA_TYPES for k in kind)


def _openai_schema(inner: Mapping[str, Any], where: str) -> ResponseFormat:
    """OpenAI's ``json_schema`` object. ``strict`` left out is ``False``, as OpenAI reads it."""
    unknown = set(inner) - _OPENAI_SCHEMA_KEYS
    if unknown:
        raise _ambiguous(
            inner, f"it mixes OpenAI's json_schema fields ('name', 'schema', 'strict') with {sorted(unknown)}", where
        )
    schema = inner.get("schema")
    if not isinstance(schema, Mapping):
        raise RequestValidationError(f"{where}['schema'] must be the JSON schema (a mapping), got {_kind(schema)}")
    name = inner.get("name")
    if name is None:
        title = schema.get("title")
        name = title if isinstance(title, str) and title else "response"
    elif not isinstance(name, str) or not name:
        raise RequestValidationError(f"{where}['name'] must be a non-empty string, got {name!r}")
    strict = inner.get("strict")
    if strict is not None and not isinstance(strict, bool):
        raise RequestValidationError(f"{where}['strict'] must be true or false, got {strict!r}")
    description = inner.get("description")
    if description is not None and not isinstance(description, str):
        raise RequestValidationError(f"{where}['description'] must be a string, got {_kind(description)}")
    return ResponseFormat("json_schema", dict(schema), name, bool(strict))


def _ambiguous(value: Mapping[str, Any], why: str, where: str = "response_format") -> RequestValidationError:
    return RequestValidationError(
        f"{where} {dict(value)!r} is ambiguous: {why}. Give a JSON schema, OpenAI's "
        "{'type': 'json_schema', 'json_schema': {'name': ..., 'schema': {...}, 'strict': ...}} (or its inner "
        "object), {'type': 'json_object'}, 'json' or a lluminary.ResponseFormat"
    )


def _check_response_format(value: ResponseFormat) -> None:
    if value.type not in ("json_schema", "json"):
        raise RequestValidationError(f"response_format type must be 'json_schema' or 'json', got {value.type!r}")
    if value.type == "json_schema" and not isinstance(value.json_schema, Mapping):
        raise RequestValidationError(
            f"response_format of type 'json_schema' needs its json_schema (a mapping), got {_kind(value.json_schema)}"
        )
    if not isinstance(value.name, str) or not value.name:
        raise RequestValidationError(f"response_format name must be a non-empty string, got {value.name!r}")
    if not isinstance(value.strict, bool):
        raise RequestValidationError(f"response_format strict must be true or false, got {value.strict!r}")


# --------------------------------------------------------------------------- whole requests
