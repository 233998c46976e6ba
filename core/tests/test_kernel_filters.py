"""The metadata filter language: what each operator means, and what is refused before any store
sees it."""

from __future__ import annotations

from typing import Any

import pytest

from lluminary.sdk import FilterError, RequestValidationError, check_filter, filter_matches

DOC = {"lang": "en", "year": 2024, "score": 0.5, "draft": False, "tags": "news"}


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        ({}, True),
        ({"lang": "en"}, True),
        ({"lang": "fr"}, False),
        ({"lang": "en", "year": 2024}, True),
        ({"lang": "en", "year": 2023}, False),
        ({"missing": "x"}, False),
        ({"lang": {"$eq": "en"}}, True),
        ({"lang": {"$ne": "fr"}}, True),
        ({"missing": {"$ne": "fr"}}, True),
        ({"lang": {"$in": ["fr", "en"]}}, True),
        ({"lang": {"$nin": ["fr", "en"]}}, False),
        ({"missing": {"$nin": ["fr"]}}, True),
        ({"missing": {"$in": ["fr"]}}, False),
        ({"year": {"$gt": 2023, "$lte": 2024}}, True),
        ({"year": {"$gte": 2025}}, False),
        ({"score": {"$lt": 1}}, True),
        ({"lang": {"$gt": "de"}}, True),  # strings compare with strings
        ({"lang": {"$gt": 1}}, False),  # never a string with a number
        ({"draft": False}, True),
        ({"draft": 0}, False),  # a boolean matches only a boolean
        ({"year": True}, False),
        ({"$or": [{"lang": "fr"}, {"year": 2024}]}, True),
        ({"$or": [{"lang": "fr"}, {"year": 2023}]}, False),
        ({"$and": [{"lang": "en"}, {"$or": [{"tags": "news"}, {"tags": "blog"}]}]}, True),
        ({"$and": [{"lang": "en"}, {"year": {"$lt": 2000}}]}, False),
    ],
)
def test_what_a_filter_means(filter: dict[str, Any], expected: bool) -> None:
    check_filter(filter)
    assert filter_matches(filter, DOC) is expected


@pytest.mark.parametrize(
    ("filter", "message"),
    [
        ({"lang": {"$regex": "e.*"}}, "unknown operator '\\$regex'"),
        ({"$not": {"lang": "en"}}, "unknown operator '\\$not'"),
        ({"$or": []}, "non-empty list"),
        ({"$and": {"lang": "en"}}, "non-empty list"),
        ({"lang": {"$in": "en"}}, "list of values"),
        ({"year": {"$gt": [1]}}, "compares numbers or strings"),
        ({"year": {"$gt": True}}, "compares numbers or strings"),
        ({"lang": ["en"]}, "values are strings, numbers"),
        ({"lang": {}}, "empty condition"),
        ({"$or": [{"lang": {"$in": [{"a": 1}]}}]}, "filter.\\$or\\[0\\].lang.\\$in"),
    ],
)
def test_a_malformed_filter_is_refused_with_where(filter: dict[str, Any], message: str) -> None:
    with pytest.raises(FilterError, match=message):
        check_filter(filter)


def test_filter_error_is_a_request_validation_error() -> None:
    assert issubclass(FilterError, RequestValidationError)
    with pytest.raises(FilterError, match="a mapping"):
        check_filter(["lang", "en"])  # type: ignore[arg-type]
