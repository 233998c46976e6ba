"""The run's typed answer. With an ``output_type`` other than ``str`` the model answers by calling
a ``final_result`` tool whose arguments are the answer: that works beside the other tools on every
provider (a forced ``response_format`` would stop some from calling tools at all). The schema is
the kernel's strict structured-output schema for the type; a plain-text answer that is JSON of the
type is accepted too."""

from __future__ import annotations

import json
from typing import Any

from lluminary import Tool

FINAL_TOOL = "final_result"
FINAL_DESCRIPTION = "Give the final answer. Call this once, when the task is done, with the answer as arguments."


def is_text(output_type: Any) -> bool:
    return output_type is None or output_type is str


def final_tool(output_type: type) -> Tool:
    """The ``final_result`` tool for ``output_type`` (its schema from the kernel's structured output)."""
    from lluminary.sdk import output_format

    schema = output_format(output_type).json_schema
    assert schema is not None
    return Tool(FINAL_TOOL, FINAL_DESCRIPTION, dict(schema))


def parse_output(output_type: type, data: Any) -> Any:
    """``data`` (the tool's arguments, or JSON text) as ``output_type``, by the kernel's strict
    structured-output parse; :class:`~lluminary.OutputValidationError` when it is not."""
    from lluminary.sdk import parse_output as parse

    return parse(output_type, data if isinstance(data, str) else json.dumps(data, ensure_ascii=False))
