"""Holding the fakes (and the requests providers send them) to the providers' own API documents.

:func:`load_spec` finds a provider's OpenAPI document (or service model) in the repository's
``specs/`` folder, gzipped or plain, and else in ``shared/specs`` next to the repository; a
document that is in neither skips the test, saying why and where a copy goes. It parses each
document once a session (the OpenAI one is 3 MB of YAML). :func:`schema_problems` says where a
value breaks one of its schemas, for the subset of JSON Schema those documents use.
"""

from __future__ import annotations

import functools
import gzip
import json
import zlib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

__all__ = [
    "NOT_REDISTRIBUTABLE",
    "UnreadableSpecError",
    "absent_reason",
    "assert_matches",
    "find_spec",
    "load_spec",
    "repository_specs",
    "schema",
    "schema_problems",
]

#: The repository's folder of specs, and the file that marks it (the walk up stops at its folder).
SPECS_DIR = "specs"
SPECS_MARKER = "README.md"

#: Specs whose licences keep them out of the repository (``specs/README.md`` has the details):
#: the tests that need one skip, saying where a local copy goes (``specs/.gitignore`` keeps it out
#: of commits).
NOT_REDISTRIBUTABLE: Mapping[str, str] = MappingProxyType(
    {
        "cohere-openapi.yaml": "Cohere publishes it under a proprietary licence",
        "anthropic-openapi-unofficial-2024.json": "it is a community copy of Anthropic's spec with no licence",
    }
)


class UnreadableSpecError(ValueError):
    """A spec file is there but cannot be read: a damaged gzip, invalid JSON or YAML, or a name
    ending in neither ``.json`` nor ``.yaml``/``.yml`` (a broken file fails, it never skips)."""


def find_spec(name: str, start: str | Path) -> Path | None:
    """``<name>.gz`` or ``<name>`` in the repository's ``specs/`` (see :func:`repository_specs`),
    else in ``shared/specs`` in a folder above ``start`` or next to one (the repository's parent);
    None when it is in none of them."""
    repo = repository_specs(start)
    places = [repo] if repo is not None else []
    for parent in Path(start).resolve().parents:
        places += [parent / "shared" / "specs", parent.parent / "shared" / "specs"]
    for place in places:
        for candidate in (place / f"{name}.gz", place / name):
            if candidate.is_file():
                return candidate
    return None


def repository_specs(start: str | Path) -> Path | None:
    """The ``specs/`` folder of the repository ``start`` is in: the first one up from ``start``
    that holds a ``README.md`` (a ``specs/`` without one is someone else's folder)."""
    here = Path(start).resolve()
    for folder in (here, *here.parents):
        if (folder / SPECS_DIR / SPECS_MARKER).is_file():
            return folder / SPECS_DIR
    return None


def load_spec(name: str, start: str | Path) -> Mapping[str, Any]:
    """The parsed document (JSON, or YAML with PyYAML), gzipped or not; the test is skipped when
    it is absent. Parsed once a session per file: the mapping is shared, so do not change it."""
    path = find_spec(name, start)
    if path is None:
        pytest.skip(absent_reason(name, start))
    return _parsed(path)


def absent_reason(name: str, start: str | Path) -> str:
    """Why a test that needs the spec ``name`` skips, and where a copy goes for it to run."""
    repo = repository_specs(start)
    shared = "shared/specs next to the repository"
    why = NOT_REDISTRIBUTABLE.get(name)
    if why is not None:
        where = shared if repo is None else f"{repo} (git-ignored there) or in {shared}"
        return f"{name} is not redistributable ({why}), so no clone has it: put a copy in {where} to run this test"
    where = shared if repo is None else f"{repo} or in {shared}"
    return f"{name} is in neither the repository's specs/ nor shared/specs: put it in {where} to run this test"


@functools.cache
def _parsed(path: Path) -> Mapping[str, Any]:
    stem = path.name.removesuffix(".gz")
    if not stem.endswith((".json", ".yaml", ".yml")):
        raise UnreadableSpecError(f"{path}: a spec is .json or .yaml (optionally .gz)")
    yaml = None if stem.endswith(".json") else pytest.importorskip("yaml")
    broken: tuple[type[Exception], ...] = (OSError, EOFError, zlib.error, ValueError)
    if yaml is not None:
        broken += (yaml.YAMLError,)
    try:
        raw = path.read_bytes()
        text = (gzip.decompress(raw) if path.name.endswith(".gz") else raw).decode("utf-8")
        if yaml is None:
            parsed: Any = json.loads(text)
        else:
            parsed = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except broken as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise UnreadableSpecError(f"{path}: {exc}") from exc
    if not isinstance(parsed, Mapping):
        raise UnreadableSpecError(f"{path}: the document is a {type(parsed).__name__}, not a mapping")
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
