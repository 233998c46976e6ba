"""``DataFrameDecoder`` (behind ``StreamAnswer.sse_data()``): its fast path for many whole
``data:`` events per read gives exactly what the full SSE decoder gives, however the bytes
are split, whatever else the stream holds."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from hypothesis import HealthCheck, given, settings, strategies as st

from lluminary._sse import DataFrameDecoder, SSEDecoder

RELAXED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def reference(data: bytes) -> tuple[list[str], bool]:
    """The full WHATWG decoder's data, ping events dropped: what sse_data() must yield."""
    decoder = SSEDecoder()
    out = [event.data for event in decoder.feed(data) if event.event != "ping"]
    return out, decoder.flush()


def fast(chunks: Iterable[bytes]) -> tuple[list[str], bool]:
    decoder = DataFrameDecoder()
    out = [data for chunk in chunks for data in decoder.feed(chunk)]
    return out, decoder.flush()


def cut(data: bytes, points: Iterable[int]) -> list[bytes]:
    edges = [0, *sorted(points), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


values = st.text(alphabet=st.characters(exclude_characters="\r\n", exclude_categories=("Cs",)), max_size=10)
# The events OpenAI-style servers send (the fast path), and every other shape (the full decoder).
frames = st.one_of(
    values.map(lambda v: f"data: {v}\n\n"),
    values.map(lambda v: f"data:{v}\n\n"),
    values.map(lambda v: f"event: delta\ndata: {v}\n\n"),
    st.just("event: ping\ndata: {}\n\n"),
    st.just("event: ping\n\n"),
    values.map(lambda v: f": keep-alive {v}\n\n"),
    values.map(lambda v: f"data: {v}\r\n\r\n"),
    values.map(lambda v: f"data: {v}\ndata: {v}\n\n"),
    values.map(lambda v: f"id: 7\ndata: {v}\n\n"),
    st.just("\n"),
    st.just("data: [DONE]\n\n"),
)
streams = st.lists(frames, max_size=8).map(lambda parts: "".join(parts).encode("utf-8"))


@RELAXED
@given(data=streams, points=st.lists(st.integers(min_value=0, max_value=300), max_size=10))
def test_any_chunking_gives_what_the_full_decoder_gives(data: bytes, points: list[int]) -> None:
    assert fast(cut(data, [p for p in points if p <= len(data)])) == reference(data)


@RELAXED
@given(data=streams)
def test_every_single_cut_gives_what_the_full_decoder_gives(data: bytes) -> None:
    expected = reference(data)
    for i in range(len(data) + 1):
        assert fast([data[:i], data[i:]]) == expected, f"cut at byte {i}"


def test_many_whole_events_in_one_read() -> None:
    decoder = DataFrameDecoder()
    read = b'data: {"a": 1}\n\ndata: {"b": 2}\n\n: ping\n\nevent: ping\ndata: {}\n\ndata: [DONE]\n\n'
    assert decoder.feed(read) == ['{"a": 1}', '{"b": 2}', "[DONE]"]
    assert not decoder.flush()


def test_an_event_cut_by_the_read_waits_for_the_rest() -> None:
    decoder = DataFrameDecoder()
    assert decoder.feed(b'data: {"a": 1}\n\ndata: {"b"') == ['{"a": 1}']
    assert decoder._clean, "a cut event stays on the fast path (no line-by-line decoding)"
    assert decoder.feed(b": 2}\n") == []
    assert decoder.feed(b'\ndata: {"c": 3}\n\n') == ['{"b": 2}', '{"c": 3}']
    assert decoder.feed(b'data: "\xc3') == []  # a character cut in two is joined, not replaced
    assert decoder.feed(b'\xa9"\n\n') == ['"\u00e9"']
    assert not decoder.flush()


def test_an_unfinished_event_at_the_end_is_reported() -> None:
    decoder = DataFrameDecoder()
    assert decoder.feed(b'data: {"a": 1}\n\ndata: {"b"') == ['{"a": 1}']
    assert decoder.flush()


def test_after_an_unusual_event_the_fast_path_comes_back() -> None:
    decoder = DataFrameDecoder()
    assert decoder.feed(b"data: a\ndata: b\n\n") == ["a\nb"]
    assert decoder._clean  # the full decoder is idle again
    assert decoder.feed(b"data: c\n\ndata: d\n\n") == ["c", "d"]
