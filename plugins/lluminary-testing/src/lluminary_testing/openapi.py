"""Holding the fakes (and the requests providers send them) to the providers' own API documents.

:func:`load_spec` finds a provider's OpenAPI document in ``shared/specs`` next to the repository
(skipping the test when it is not there); :func:`schema_problems` says where a value breaks one of
its schemas, for the subset of JSON Schema those documents use.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

__all__ = ["assert_matches", "find_spec", "load_spec", "schema", "schema_problems"]


def find_spec(name: str, start: str | Path) -> Path | None:
    """``shared/specs/<name>`` in a folder above ``start`` or next to one (the repository's parent)."""
    for parent in Path(start).resolve().parents:
        for candidate in (parent / "shared" / "specs" / name, parent.parent / "shared" / "specs" / name):
            if candidate.is_file():
                return candidate
    return None


def load_spec(name: str, start: str | Path) -> Mapping[str, Any]:
    """The parsed document (JSON, or YAML with PyYAML); the test is skipped when it is absent."""
    path = find_spec(name, start)
    if path is None:
        pytest.skip(f"{name} is not in shared/specs next to the repository")
    if path.suffix == ".json":
        loaded: Mapping[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return loaded
    yaml = pytest.importorskip("yaml")
    with path.open(encoding="utf-8") as f:
        parsed: Mapping[str, Any] = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return parsed


def schema(name: str) -> Mapping[str, Any]:
    """A reference to a schema of the document's components."""
    return {"$ref": f"#/components/schemas/{name}"}


def schema_problems(
    value: Any, target: Mapping[str, Any], spec: Mapping[str, Any], path: str = "$", *, closed: bool = False
) -> list[str]:
    """Where ``value`` breaks ``target``, a schema of the OpenAPI document ``spec`` (parsed):
    missing required fields, wrong types, values outside an enum or a const, no matching
    ``anyOf`` / ``oneOf`` branch, unknown discriminator tags, and — with ``closed`` — fields a
    schema with ``additionalProperties: false`` does not declare (for requests)."""
    target = _resolve(target, spec)
    problems: list[str] = []
    for sub in target.get("allOf", ()):
        problems += schema_problems(value, sub, spec, path, closed=closed)
    discriminator = target.get("discriminator")
    if (
        "oneOf" in target
        and isinstance(discriminator, Mapping)
        and "mapping" in discriminator
        and isinstance(value, Mapping)
    ):
        tag = value.get(discriminator["propertyName"])
        ref = discriminator["mapping"].get(tag)
        if ref is None:
            problems.append(f"{path}: {discriminator['propertyName']} {tag!r} is not one of the spec's")
        else:
            problems += schema_problems(value, {"$ref": ref}, spec, path, closed=closed)
    else:
        for key in ("anyOf", "oneOf"):
            if key in target:
                options = [schema_problems(value, option, spec, path, closed=closed) for option in target[key]]
                if all(options):
                    problems.append(f"{path}: matches no {key} branch ({min(options, key=len)[0]})")
    kinds = target.get("type")
    kinds = [kinds] if isinstance(kinds, str) else list(kinds or ())
    if kinds and not any(_is(value, kind) for kind in kinds):
        return [*problems, f"{path}: {type(value).__name__} where the spec wants {'/'.join(kinds)}"]
    if "enum" in target and value not in target["enum"]:
        problems.append(f"{path}: {value!r} is not one of {target['enum']}")
    if "const" in target and value != target["const"]:
        problems.append(f"{path}: {value!r} is not {target['const']!r}")
    if isinstance(value, Mapping):
        properties = target.get("properties") or {}
        problems.extend(f"{path}: the required {k!r} is missing" for k in target.get("required", ()) if k not in value)
        for key, sub in properties.items():
            if value.get(key) is not None:
                problems += schema_problems(value[key], sub, spec, f"{path}.{key}", closed=closed)
        if closed and target.get("additionalProperties") is False and properties:
            problems += [f"{path}: {key!r} is not in the schema" for key in value if key not in properties]
    if isinstance(value, list) and "items" in target:
        for n, item in enumerate(value):
            problems += schema_problems(item, target["items"], spec, f"{path}[{n}]", closed=closed)
    return problems


def assert_matches(value: Any, target: Mapping[str, Any], spec: Mapping[str, Any], *, closed: bool = False) -> None:
    """Fail the test with every problem :func:`schema_problems` finds."""
    problems = schema_problems(value, target, spec, closed=closed)
    assert not problems, "\n".join(problems)


def _resolve(target: Mapping[str, Any], spec: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in target:
        node: Any = spec
        for part in str(target["$ref"]).lstrip("#/").split("/"):
            node = node[part]
        target = node
    return target


def _is(value: Any, kind: str) -> bool:
    return {
        "object": isinstance(value, Mapping),
        "array": isinstance(value, list),
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "null": value is None,
    }.get(kind, True)
