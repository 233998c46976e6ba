"""Just enough PromQL reading to find the metric names an expression selects, and the dashboard's
Grafana variables substituted so a real Prometheus can run its expressions."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lluminary_prometheus

#: Words that are PromQL syntax, not metric names.
KEYWORDS = frozenset(
    {
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "bool",
        "and",
        "or",
        "unless",
        "offset",
        "inf",
        "nan",
        "atan2",
    }
)
#: Aggregation operators: ``sum by (le) (...)`` puts the label list between them and their "(".
AGGREGATIONS = frozenset(
    {
        "sum",
        "min",
        "max",
        "avg",
        "group",
        "stddev",
        "stdvar",
        "count",
        "count_values",
        "bottomk",
        "topk",
        "quantile",
        "limitk",
        "limit_ratio",
    }
)
#: Keywords whose parenthesised list holds label names.
LABEL_LISTS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})

_TOKEN = re.compile(
    r"""
    (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<variable>\$\{?\w+\}?)
  | (?P<duration>(?:\d+(?:ms|[smhdwy]))+)
  | (?P<number>0x[0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)
  | (?P<open>[({\[])
  | (?P<close>[)}\]])
  | (?P<space>\s+)
  | (?P<other>.)
    """,
    re.VERBOSE,
)


def tokens(expression: str) -> list[tuple[str, str]]:
    return [(m.lastgroup or "", m.group()) for m in _TOKEN.finditer(expression) if m.lastgroup != "space"]


def metric_names(expression: str) -> set[str]:
    """Identifiers outside ``{...}`` matchers, ``[...]`` ranges and ``by (...)``-style label lists
    that are neither keywords nor called as functions."""
    found: set[str] = set()
    stack: list[str] = []  # "{", "[", "labels", "("
    items = tokens(expression)
    for i, (kind, text) in enumerate(items):
        if kind == "open":
            previous = items[i - 1][1].lower() if i else ""
            stack.append("labels" if text == "(" and previous in LABEL_LISTS else text)
        elif kind == "close":
            if stack:
                stack.pop()
        elif kind == "name" and not any(s in ("{", "[", "labels") for s in stack):
            following = items[i + 1][1] if i + 1 < len(items) else ""
            lowered = text.lower()
            if following != "(" and lowered not in KEYWORDS and lowered not in AGGREGATIONS:
                found.add(text)
    return found


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(Path(lluminary_prometheus.dashboard_path()).read_text())
    return loaded


def expressions(board: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, PromQL) for every panel target and every query variable."""
    for panel in board["panels"]:
        for target in panel.get("targets", ()):
            yield f"panel {panel['title']!r} {target['refId']}", target["expr"]
    for variable in board["templating"]["list"]:
        if variable["type"] == "query":
            query = variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
            inner = re.fullmatch(r"label_values\((.*),\s*\w+\)", query)
            yield f"variable {variable['name']!r}", inner.group(1) if inner else query


def substituted(expression: str, tag: str = "feature") -> str:
    """The expression as Grafana would send it with every variable at "All"."""
    return (
        expression.replace("$__rate_interval", "1m")
        .replace("$__range", "5m")
        .replace("$provider", ".*")
        .replace("$model", ".*")
        .replace("$tag", tag)
    )
