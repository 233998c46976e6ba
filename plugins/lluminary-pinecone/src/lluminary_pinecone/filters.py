"""The kernel's filter language, translated to Pinecone's (https://docs.pinecone.io/guides/search/filter-by-metadata).

The two look alike but differ where it matters, so nothing is passed through as it is:

* Pinecone's ``$ne`` and ``$nin`` select only records that have the field; the kernel's keep
  records without it. So ``{"f": {"$ne": v}}`` becomes ``{"$or": [{"f": {"$ne": v}}, {"f":
  {"$exists": false}}]}``.
* Pinecone's ``$in``/``$nin`` take strings and numbers, not booleans: a boolean choice becomes an
  ``$eq`` (``$ne``) beside them. Lists longer than Pinecone's 10,000 values are split.
* ``$gt $gte $lt $lte`` compare numbers only in Pinecone: on a string they are a
  :class:`~lluminary.sdk.FilterError` (the kernel orders strings).
* Pinecone stores no nulls, so a filter that compares with ``None`` is a ``FilterError``.
* Several conditions in one mapping, and several operators on one field, become an explicit
  ``$and``; a bare value becomes ``$eq``. An empty ``$in`` (nothing matches) and an empty ``$nin``
  (everything matches) become always-false and always-true ``$exists`` pairs.

The kernel has validated the filter (``check_filter``) before a backend sees it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lluminary.sdk import FilterError

MAX_LIST_VALUES = 10_000
_EXACT_INT = 2**53


def to_pinecone(flt: Mapping[str, Any], *, text_key: str) -> dict[str, Any]:
    """Pinecone's filter for the kernel filter ``flt`` (non-empty)."""
    clauses: list[dict[str, Any]] = []
    for key, value in flt.items():
        if key in ("$and", "$or"):
            clauses.append({key: [to_pinecone(sub, text_key=text_key) for sub in value]})
            continue
        if key == text_key:
            raise FilterError(f"{key!r} holds the records' texts in this store; it is not metadata to filter on")
        if isinstance(value, Mapping):
            clauses.extend(_condition(key, op, operand) for op, operand in value.items())
        else:
            clauses.append(_condition(key, "$eq", value))
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _condition(field: str, op: str, operand: Any) -> dict[str, Any]:
    if op in ("$in", "$nin"):
        return _membership(field, op, list(operand))
    _check_operand(field, op, operand)
    if op == "$eq":
        return {field: {"$eq": operand}}
    if op == "$ne":
        return _or_missing(field, {field: {"$ne": operand}})
    if isinstance(operand, str):
        raise FilterError(f"{field}: Pinecone's {op} compares numbers only, not strings like {operand!r}")
    return {field: {op: operand}}


def _membership(field: str, op: str, choices: Sequence[Any]) -> dict[str, Any]:
    for choice in choices:
        _check_operand(field, op, choice)
    flags = [choice for choice in choices if isinstance(choice, bool)]
    others = [choice for choice in choices if not isinstance(choice, bool)]
    parts: list[dict[str, Any]] = [
        {field: {op: others[i : i + MAX_LIST_VALUES]}} for i in range(0, len(others), MAX_LIST_VALUES)
    ]
    if op == "$in":
        parts += [{field: {"$eq": flag}} for flag in dict.fromkeys(flags)]
        return _any(parts) if parts else _never(field)
    parts += [{field: {"$ne": flag}} for flag in dict.fromkeys(flags)]
    return _or_missing(field, _all(parts)) if parts else _always(field)


def _check_operand(field: str, op: str, operand: Any) -> None:
    if operand is None:
        raise FilterError(f"{field}: Pinecone stores no null values, so {op} None cannot be expressed")
    if isinstance(operand, int) and not isinstance(operand, bool) and abs(operand) > _EXACT_INT:
        raise FilterError(f"{field}: Pinecone compares numbers as doubles; {operand} is beyond what they hold exactly")


def _or_missing(field: str, clause: dict[str, Any]) -> dict[str, Any]:
    """``clause``, or the field is missing: the kernel's reading of ``$ne`` and ``$nin``."""
    return {"$or": [clause, {field: {"$exists": False}}]}


def _any(parts: list[dict[str, Any]]) -> dict[str, Any]:
    return parts[0] if len(parts) == 1 else {"$or": parts}


def _all(parts: list[dict[str, Any]]) -> dict[str, Any]:
    return parts[0] if len(parts) == 1 else {"$and": parts}


def _never(field: str) -> dict[str, Any]:
    return {"$and": [{field: {"$exists": True}}, {field: {"$exists": False}}]}


def _always(field: str) -> dict[str, Any]:
    return {"$or": [{field: {"$exists": True}}, {field: {"$exists": False}}]}
