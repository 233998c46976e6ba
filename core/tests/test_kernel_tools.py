"""Tools from plain Python callables: type hints become JSON schema, docstrings the descriptions."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal, NotRequired, Optional, TypedDict, Union

import attrs
import pytest

import lluminary
from lluminary import RequestValidationError, Tool
from lluminary._tools import parse_docstring, schema_for, tool_from_function, validate_tool


def props(fn: Any) -> dict[str, Any]:
    return dict(tool_from_function(fn).parameters["properties"])


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Address(TypedDict):
    street: str
    zip: NotRequired[str]


class Filters(TypedDict, total=False):
    tags: list[str]


@attrs.define
class Point:
    x: float
    y: float = 0.0


@dataclasses.dataclass
class Window:
    start: int
    end: int | None = None
    labels: list[str] = dataclasses.field(default_factory=list)


# --------------------------------------------------------------------------- type hints


def test_scalar_types_and_required() -> None:
    def f(s: str, i: int, x: float, b: bool) -> None:
        pass

    t = tool_from_function(f)
    assert t.name == "f"
    assert t.parameters == {
        "type": "object",
        "properties": {
            "s": {"type": "string"},
            "i": {"type": "integer"},
            "x": {"type": "number"},
            "b": {"type": "boolean"},
        },
        "required": ["s", "i", "x", "b"],
    }


def test_defaults_are_recorded_and_make_a_parameter_optional() -> None:
    def f(
        query: str,
        limit: int = 10,
        ratio: float = 0.5,
        exact: bool = False,
        mode: str = "fast",
        tags: list[str] = [],  # noqa: B006 - the default is what is being tested
        color: Color = Color.GREEN,
        anything: Any = None,
        opaque: Any = object(),  # noqa: B008
    ) -> None:
        pass

    t = tool_from_function(f)
    p = t.parameters["properties"]
    assert t.parameters["required"] == ["query"]
    assert p["limit"] == {"type": "integer", "default": 10}
    assert p["ratio"]["default"] == 0.5
    assert p["exact"]["default"] is False
    assert p["mode"]["default"] == "fast"
    assert p["tags"] == {"type": "array", "items": {"type": "string"}, "default": []}
    assert p["color"]["default"] == "green"
    assert "default" not in p["anything"]  # None means "not given", not a value to show
    assert "default" not in p["opaque"]  # not JSON: left out rather than sent wrong


def test_no_required_key_when_nothing_is_required() -> None:
    def f(a: int = 1) -> None:
        pass

    assert "required" not in tool_from_function(f).parameters


def test_optional() -> None:
    def f(a: Optional[str] = None, b: int | None = None, c: list[int] | None = None) -> None:  # noqa: UP045
        pass

    p = props(f)
    assert p["a"] == {"type": ["string", "null"]}
    assert p["b"] == {"type": ["integer", "null"]}
    assert p["c"] == {"type": ["array", "null"], "items": {"type": "integer"}}


def test_optional_of_a_schema_without_a_type_uses_any_of() -> None:
    def f(a: Literal["x", 1] | None = None) -> None:
        pass

    assert props(f)["a"] == {"anyOf": [{"enum": ["x", 1]}, {"type": "null"}]}


def test_union() -> None:
    def f(a: Union[int, str], b: int | str | None) -> None:
        pass

    p = props(f)
    assert p["a"] == {"anyOf": [{"type": "integer"}, {"type": "string"}]}
    assert p["b"] == {"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]}


def test_literal() -> None:
    def f(unit: Literal["celsius", "fahrenheit"], n: Literal[1, 2, 3], flag: Literal[True]) -> None:
        pass

    p = props(f)
    assert p["unit"] == {"type": "string", "enum": ["celsius", "fahrenheit"]}
    assert p["n"] == {"type": "integer", "enum": [1, 2, 3]}
    assert p["flag"] == {"type": "boolean", "enum": [True]}


def test_enum() -> None:
    def f(color: Color, level: Level) -> None:
        pass

    p = props(f)
    assert p["color"] == {"type": "string", "enum": ["red", "green"]}
    assert p["level"] == {"type": "integer", "enum": [1, 2]}


def test_sequences() -> None:
    def f(
        a: list[str],
        b: Sequence[int],
        c: tuple[float, ...],
        d: tuple[int, str],
        e: set[str],
        f: list,  # type: ignore[type-arg]
        g: list[list[int]],
    ) -> None:
        pass

    p = props(f)
    assert p["a"] == {"type": "array", "items": {"type": "string"}}
    assert p["b"] == {"type": "array", "items": {"type": "integer"}}
    assert p["c"] == {"type": "array", "items": {"type": "number"}}
    assert p["d"] == {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}], "minItems": 2}
    assert p["e"] == {"type": "array", "items": {"type": "string"}}
    assert p["f"] == {"type": "array"}
    assert p["g"] == {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}}


def test_mappings() -> None:
    def f(a: dict[str, int], b: Mapping[str, float], c: dict[str, Any], d: dict) -> None:  # type: ignore[type-arg]
        pass

    p = props(f)
    assert p["a"] == {"type": "object", "additionalProperties": {"type": "integer"}}
    assert p["b"] == {"type": "object", "additionalProperties": {"type": "number"}}
    assert p["c"] == {"type": "object"}
    assert p["d"] == {"type": "object"}


def test_typed_dict() -> None:
    def f(address: Address, filters: Filters) -> None:
        pass

    p = props(f)
    assert p["address"] == {
        "type": "object",
        "properties": {"street": {"type": "string"}, "zip": {"type": "string"}},
        "required": ["street"],
    }
    assert p["filters"] == {"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string"}}}}


def test_attrs_and_dataclass_parameters() -> None:
    def f(point: Point, window: Window) -> None:
        pass

    p = props(f)
    assert p["point"] == {
        "type": "object",
        "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
        "required": ["x"],
    }
    assert p["window"] == {
        "type": "object",
        "properties": {
            "start": {"type": "integer"},
            "end": {"type": ["integer", "null"]},
            "labels": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["start"],
    }


def test_annotated_descriptions() -> None:
    def f(
        city: Annotated[str, "The city, e.g. Paris"],
        days: Annotated[int, "How many days ahead"] = 1,
        unit: Annotated[Literal["c", "f"] | None, "Temperature unit"] = None,
    ) -> None:
        """Forecast.

        Args:
            city: Overridden by the annotation.
            days: Also overridden.
        """

    p = props(f)
    assert p["city"] == {"type": "string", "description": "The city, e.g. Paris"}
    assert p["days"] == {"type": "integer", "description": "How many days ahead", "default": 1}
    assert p["unit"]["description"] == "Temperature unit"


def test_unannotated_and_variadic_parameters() -> None:
    def f(a, *args, b: int, **kwargs) -> None:  # type: ignore[no-untyped-def]
        pass

    t = tool_from_function(f)
    assert t.parameters["properties"] == {"a": {}, "b": {"type": "integer"}}
    assert t.parameters["required"] == ["a", "b"]


def test_methods_leave_out_self() -> None:
    class Service:
        def lookup(self, key: str) -> str:
            """Find a key."""
            return key

    assert props(Service().lookup) == {"key": {"type": "string"}}
    assert props(Service.lookup) == {"key": {"type": "string"}}


class Opaque:
    pass


def test_a_type_without_a_schema_is_rejected() -> None:
    def f(x: Opaque) -> None:
        pass

    with pytest.raises(RequestValidationError, match="cannot build a JSON schema"):
        tool_from_function(f)
    assert schema_for(Any) == {}


def test_a_hint_that_cannot_be_resolved_is_rejected() -> None:
    class Local:
        pass

    def f(x: Local) -> None:  # with postponed annotations, "Local" is out of reach from here
        pass

    with pytest.raises(RequestValidationError, match=r"cannot read the type hints.*Local"):
        tool_from_function(f)


# --------------------------------------------------------------------------- docstrings


def test_google_docstring() -> None:
    def weather(city: str, unit: str = "celsius", days: int = 1) -> str:
        """Get the weather
        for a city.

        Longer explanation of what
        this does.

        Args:
            city: The city name.
            unit (str): Unit to use,
                celsius or fahrenheit.
            days (int, optional): How many days.

        Returns:
            The weather, as text.

        Raises:
            KeyError: When the city is unknown.
        """
        return ""

    t = tool_from_function(weather)
    assert t.description == "Get the weather for a city. Longer explanation of what this does."
    p = t.parameters["properties"]
    assert p["city"]["description"] == "The city name."
    assert p["unit"]["description"] == "Unit to use, celsius or fahrenheit."
    assert p["days"]["description"] == "How many days."


def test_numpy_docstring() -> None:
    def weather(city: str, unit: str = "celsius") -> str:
        """Get the weather.

        Parameters
        ----------
        city : str
            The city name.
        unit : {"celsius", "fahrenheit"}, optional
            Unit to use,
            celsius or fahrenheit.

        Returns
        -------
        str
            The weather.
        """
        return ""

    t = tool_from_function(weather)
    assert t.description == "Get the weather."
    p = t.parameters["properties"]
    assert p["city"]["description"] == "The city name."
    assert p["unit"]["description"] == "Unit to use, celsius or fahrenheit."


def test_sphinx_docstring() -> None:
    def weather(city: str, unit: str = "celsius") -> str:
        """Get the weather.

        :param city: The city name.
        :param str unit: Unit to use,
            celsius or fahrenheit.
        :type unit: str
        :returns: The weather,
            as text.
        :raises KeyError: When the city is unknown.
        """
        return ""

    t = tool_from_function(weather)
    assert t.description == "Get the weather."
    p = t.parameters["properties"]
    assert p["city"]["description"] == "The city name."
    assert p["unit"]["description"] == "Unit to use, celsius or fahrenheit."


def test_text_after_a_google_section_is_not_a_parameter_description() -> None:
    summary, params = parse_docstring(
        "Summary that ends with a colon:\n"
        "    an indented example line.\n"
        "\n"
        "Args:\n"
        "    a: First.\n"
        "    b: Second.\n"
        "A closing remark, dedented.\n"
        "\n"
        "Keyword Args:\n"
        "    c: Third.\n"
    )
    assert summary == "Summary that ends with a colon: an indented example line."
    assert params == {"a": "First.", "b": "Second.", "c": "Third."}


def test_numpy_shared_entries_and_other_sections() -> None:
    summary, params = parse_docstring(
        "Scale a point.\n"
        "\n"
        "Parameters\n"
        "----------\n"
        "x, y : float\n"
        "    The coordinates.\n"
        "\n"
        "*args : int\n"
        "    Extra.\n"
        "\n"
        "Notes\n"
        "-----\n"
        "Nothing to add.\n"
    )
    assert summary == "Scale a point."
    assert params == {"x": "The coordinates.", "y": "The coordinates.", "args": "Extra."}


def test_docstring_sections_without_parameters() -> None:
    summary, params = parse_docstring("Do it.\n\nReturns:\n    Something.\n")
    assert (summary, params) == ("Do it.", {})
    assert parse_docstring("") == ("", {})
    assert parse_docstring("Only a summary.") == ("Only a summary.", {})


def test_documented_parameters_that_do_not_exist_are_ignored() -> None:
    def f(a: int) -> None:
        """F.

        Args:
            a: Real.
            ghost: Not a parameter.
        """

    assert props(f) == {"a": {"type": "integer", "description": "Real."}}


# --------------------------------------------------------------------------- names and the decorator


def test_tool_as_a_function_and_as_decorators() -> None:
    def search(query: str) -> list[str]:
        """Search the web."""
        return []

    assert lluminary.tool(search) == tool_from_function(search)

    @lluminary.tool
    def bare(q: str) -> None:
        """Bare decorator."""

    @lluminary.tool(name="lookup", description="Look something up.")
    def named(q: str) -> None:
        """Ignored docstring."""

    assert isinstance(bare, Tool)
    assert bare.name == "bare"
    assert bare.description == "Bare decorator."
    assert named.name == "lookup"
    assert named.description == "Look something up."
    assert tool_from_function(search, description="").description == ""


@pytest.mark.parametrize("name", ["get weather", "weather!", "", "x" * 65, "naïve", "a.b"])
def test_invalid_names_are_rejected(name: str) -> None:
    def f(a: int) -> None:
        pass

    with pytest.raises(RequestValidationError, match="invalid tool name"):
        tool_from_function(f, name=name)


@pytest.mark.parametrize("name", ["get_weather", "get-weather", "x" * 64, "V2"])
def test_valid_names_are_accepted(name: str) -> None:
    def f(a: int) -> None:
        pass

    assert tool_from_function(f, name=name).name == name


def test_a_lambda_needs_a_name() -> None:
    with pytest.raises(RequestValidationError, match="invalid tool name '<lambda>'"):
        tool_from_function(lambda x: x)
    assert tool_from_function(lambda x: x, name="identity").parameters["required"] == ["x"]


@pytest.mark.parametrize(
    "parameters",
    [
        {"type": "array"},
        {"properties": {}},
        {"type": "object", "properties": ["a"]},
        {"type": "object", "properties": {"a": {}}, "required": "a"},
        {"type": "object", "properties": {"a": {}}, "required": ["b"]},
    ],
)
def test_invalid_schemas_are_rejected(parameters: dict[str, Any]) -> None:
    with pytest.raises(RequestValidationError, match="tool 't'"):
        validate_tool(Tool("t", parameters=parameters))


def test_a_default_tool_is_valid() -> None:
    validate_tool(Tool("noop"))
    validate_tool(Tool("t", parameters={"type": "object", "properties": {"a": {}}, "required": ["a"]}))
