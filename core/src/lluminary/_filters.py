"""The one metadata filter language every vector store understands, and its reference evaluator.

A filter is a mapping: ``{"field": value}`` (equality), ``{"field": {"$op": operand}}`` with
``$eq $ne $gt $gte $lt $lte $in $nin``, and ``{"$and": [f, ...]}`` / ``{"$or": [f, ...]}``;
several keys in one mapping must all hold. Stores translate it to their own syntax and raise
:class:`FilterError` for what they cannot express; :func:`matches` is what it means.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._errors import RequestValidationError

__all__ = ["FilterError", "check_filter", "matches"]

COMPARISONS = frozenset({"$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin"})
COMBINATORS = frozenset({"$and", "$or"})
_SCALARS = (str, int, float, bool)


class FilterError(RequestValidationError):
    """A metadata filter that is malformed, or that this store cannot express."""


def check_filter(filter: Mapping[str, Any]) -> None:
    """Raise :class:`FilterError` naming the first part of ``filter`` that is not the language."""
    _check(filter, "filter")


def _check(node: Any, where: str) -> None:
    if not isinstance(node, Mapping):
        raise FilterError(f"{where}: a filter is a mapping, got {type(node).__name__}")
    for key, value in node.items():
        if not isinstance(key, str):
            raise FilterError(f"{where}: keys are field names or operators, got {key!r}")
        if key in COMBINATORS:
            if not isinstance(value, Sequence) or isinstance(value, (str, bytes)) or not value:
                raise FilterError(f"{where}.{key}: takes a non-empty list of filters")
            for index, sub in enumerate(value):
                _check(sub, f"{where}.{key}[{index}]")
        elif key.startswith("$"):
            raise FilterError(f"{where}: unknown operator {key!r} (known: $and, $or at the top)")
        elif isinstance(value, Mapping):
            if not value:
                raise FilterError(f"{where}.{key}: an empty condition")
            for op, operand in value.items():
                _check_comparison(op, operand, f"{where}.{key}")
        else:
            _check_scalar(value, f"{where}.{key}")


def _check_comparison(op: Any, operand: Any, where: str) -> None:
    if op not in COMPARISONS:
        raise FilterError(f"{where}: unknown operator {op!r} (known: {', '.join(sorted(COMPARISONS))})")
    if op in ("$in", "$nin"):
        if not isinstance(operand, Sequence) or isinstance(operand, (str, bytes)):
            raise FilterError(f"{where}.{op}: takes a list of values")
        for item in operand:
            _check_scalar(item, f"{where}.{op}")
    elif op in ("$gt", "$gte", "$lt", "$lte"):
        if isinstance(operand, bool) or not isinstance(operand, (int, float, str)):
            raise FilterError(f"{where}.{op}: compares numbers or strings, got {type(operand).__name__}")
    else:
        _check_scalar(operand, f"{where}.{op}")


def _check_scalar(value: Any, where: str) -> None:
    if value is not None and not isinstance(value, _SCALARS):
        raise FilterError(f"{where}: values are strings, numbers, booleans or None, got {type(value).__name__}")


def matches(filter: Mapping[str, Any] | None, metadata: Mapping[str, Any]) -> bool:
    """Whether ``metadata`` satisfies ``filter`` (a missing field satisfies only ``$ne``/``$nin``)."""
    if not filter:
        return True
    for key, value in filter.items():
        if key == "$and":
            if not all(matches(sub, metadata) for sub in value):
                return False
        elif key == "$or":
            if not any(matches(sub, metadata) for sub in value):
                return False
        elif isinstance(value, Mapping):
            for op, operand in value.items():
                if not _compare(op, key in metadata, metadata.get(key), operand):
                    return False
        elif key not in metadata or not _equal(metadata[key], value):
            return False
    return True


def _equal(left: Any, right: Any) -> bool:
    # True == 1 in Python; in a filter a boolean matches only a boolean.
    return left == right and isinstance(left, bool) == isinstance(right, bool)


def _compare(op: str, present: bool, value: Any, operand: Any) -> bool:
    if op == "$ne":
        return not present or not _equal(value, operand)
    if op == "$nin":
        return not present or not any(_equal(value, item) for item in operand)
    if not present:
        return False
    if op == "$eq":
        return _equal(value, operand)
    if op == "$in":
        return any(_equal(value, item) for item in operand)
    if isinstance(value, bool) or isinstance(value, str) != isinstance(operand, str):
        return False  # numbers compare with numbers, strings with strings
    if not isinstance(value, (int, float, str)):
        return False
    if op == "$gt":
        return bool(value > operand)
    if op == "$gte":
        return bool(value >= operand)
    if op == "$lt":
        return bool(value < operand)
    return bool(value <= operand)
