"""Structured output: parse the final answer into the type the caller asked for
(``response_format=Weather``) and put it on ``reply.parsed``. It runs around the whole chain, so
a cached answer is parsed again (the cache stores text, never Python objects)."""

from __future__ import annotations

import functools
from typing import Any

import attrs

from lluminary._call import Result, then
from lluminary._structured import parse_output


async def parse_into(output_type: type, result: Result) -> Result:
    """``result`` with ``parsed`` set: now for a response, when the stream finishes for a stream."""
    return await then(result, functools.partial(_parse, output_type))


async def _parse(output_type: type, response: Any) -> Any:
    return attrs.evolve(response, parsed=parse_output(output_type, response.text))
