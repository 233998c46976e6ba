"""The run's typed answer. With an ``output_type`` other than ``str`` the model answers by calling
a ``final_result`` tool whose arguments are the answer: that works beside the other tools on every
provider (a forced ``response_format`` would stop some from calling tools at all). The schema is
the kernel's strict structured-output schema for the type; a plain-text answer that is JSON of the
type is accepted too."""

from __future__ import annotations

import json
import typing
from typing import Any

from lluminary import OutputValidationError, Tool

FINAL_TOOL = "final_result"
FINAL_DESCRIPTION = "Give the final answer. Call this once, when the task is done, with the answer as arguments."


def is_text(output_type: Any) -> bool:
    return output_type is None or output_type is str


def final_tool(output_type: type) -> Tool:
    """The ``final_result`` tool for ``output_type`` (its schema from the kernel's structured output)."""
    from lluminary.sdk import build_chat_request

    request = build_chat_request("agents:schema", "schema", response_format=output_type)
    fmt = request.response_format
    assert fmt is not None
    assert fmt.json_schema is not None
    return Tool(FINAL_TOOL, FINAL_DESCRIPTION, dict(fmt.json_schema))


def parse_output(output_type: type, data: Any) -> Any:
    """``data`` (the tool's arguments, or JSON text) as ``output_type``; :class:`OutputValidationError`
    when it is not."""
    raw = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise OutputValidationError(
                f"the answer is not JSON of {output_type.__name__}: {exc}", raw=raw, errors=str(exc)
            ) from None
    validate = getattr(output_type, "model_validate", None)
    try:
        if callable(validate):
            return validate(data)
        if isinstance(data, dict) and not _is_typed_dict(output_type):
            data = _drop_nulls(output_type, data)
        return _converter().structure(data, output_type)
    except Exception as exc:  # noqa: BLE001 - pydantic and cattrs raise their own errors
        detail = _describe(exc)
        raise OutputValidationError(
            f"the answer does not match {output_type.__name__}: {detail}", raw=raw, errors=detail
        ) from None


def _is_typed_dict(cls: Any) -> bool:
    return isinstance(cls, type) and issubclass(cls, dict)


def _drop_nulls(output_type: Any, data: dict[str, Any]) -> dict[str, Any]:
    """Strict schemas make optional fields nullable: a ``null`` for a field that does not take
    None means "use the default"."""
    try:
        hints = typing.get_type_hints(output_type)
    except Exception:  # noqa: BLE001
        return data
    return {k: v for k, v in data.items() if not (v is None and k in hints and not _allows_none(hints[k]))}


def _allows_none(hint: Any) -> bool:
    return hint is Any or type(None) in typing.get_args(hint)


def _describe(exc: BaseException) -> str:
    try:
        from cattrs import transform_error
        from cattrs.errors import ClassValidationError

        if isinstance(exc, ClassValidationError):
            return "; ".join(transform_error(exc))
    except ImportError:  # pragma: no cover - cattrs comes with lluminary
        pass
    return f"{type(exc).__name__}: {exc}"


_structuring: Any = None


def _converter() -> Any:
    global _structuring
    if _structuring is None:
        import cattrs

        _structuring = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
        for kind in (int, str, bool):
            _structuring.register_structure_hook(kind, _exact(kind))
        _structuring.register_structure_hook(float, _number)
    return _structuring


def _exact(kind: type) -> Any:
    def structure(value: Any, _: Any) -> Any:
        if type(value) is not kind:
            raise TypeError(f"expected {kind.__name__}, got {type(value).__name__} {value!r}")
        return value

    return structure


def _number(value: Any, _: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expected a number, got {type(value).__name__} {value!r}")
    return float(value)
