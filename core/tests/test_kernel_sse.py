"""The SSE and NDJSON decoders: however the bytes are split, the same frames come out."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import attrs
from hypothesis import HealthCheck, given, settings, strategies as st

from lluminary._sse import LineDecoder, SSEDecoder, SSEEvent

# Property tests may run on a loaded CI machine: no per-example deadline, no speed health check.
RELAXED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def decode(chunks: Iterable[bytes]) -> tuple[list[SSEEvent], bool]:
    decoder = SSEDecoder()
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    return events, decoder.flush()


def lines(chunks: Iterable[bytes]) -> list[str]:
    decoder = LineDecoder()
    out = [line for chunk in chunks for line in decoder.feed(chunk)]
    return out + list(decoder.flush())


def cut(data: bytes, points: Iterable[int]) -> list[bytes]:
    edges = [0, *sorted(points), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


# --------------------------------------------------------------------------- generated streams

# Text with multi-byte characters (so cuts fall inside them), never a line break.
values = st.text(alphabet=st.characters(exclude_characters="\r\n", exclude_categories=("Cs",)), max_size=12)
endings = st.sampled_from([b"\n", b"\r\n", b"\r"])


@attrs.frozen
class Spec:
    event: str | None
    id: str | None
    data: tuple[str, ...]
    comments: tuple[str, ...]


specs = st.builds(
    Spec,
    event=st.none() | values.filter(lambda v: v.strip() != "" and not v.startswith(" ")),
    id=st.none() | values.filter(lambda v: not v.startswith(" ")),
    data=st.lists(values, min_size=1, max_size=3).map(tuple),
    comments=st.lists(values, max_size=2).map(tuple),
)


@st.composite
def streams(draw: st.DrawFn) -> tuple[bytes, list[SSEEvent]]:
    """An event stream with every line ending, comments, unknown fields and ids, and the events
    the WHATWG algorithm makes of it."""
    out = b""
    expected: list[SSEEvent] = []
    last_id: str | None = None

    def line(text: str) -> bytes:
        return text.encode("utf-8") + draw(endings)

    def blank_line_after(previous: bytes) -> bytes:
        # "\r" then "\n" would read as one "\r\n": the format itself cannot tell them apart.
        return draw(st.sampled_from([b"\r", b"\r\n"])) if previous.endswith(b"\r") else draw(endings)

    for spec in draw(st.lists(specs, max_size=4)):
        for comment in spec.comments:
            out += line(":" + comment)
        if spec.event is not None:
            out += line("event: " + spec.event)
        if spec.id is not None:
            out += line("id:" + spec.id if draw(st.booleans()) else "id: " + spec.id)
            last_id = spec.id
        if draw(st.booleans()):
            out += line("retry: 1000")  # known to the spec, ignored here
        for value in spec.data:
            spaced = value.startswith(" ") or draw(st.booleans())
            out += line("data: " + value if spaced else "data:" + value)
        out += blank_line_after(out)  # the blank line that dispatches
        expected.append(SSEEvent(spec.event or "message", "\n".join(spec.data), last_id))
    return out, expected


@RELAXED
@given(stream=streams())
def test_sse_is_the_same_for_every_single_cut(stream: tuple[bytes, list[SSEEvent]]) -> None:
    data, expected = stream
    assert decode([data]) == (expected, False)
    for i in range(len(data) + 1):
        assert decode([data[:i], data[i:]]) == (expected, False), f"cut at byte {i}"


@RELAXED
@given(stream=streams(), points=st.lists(st.integers(min_value=0, max_value=400), max_size=12))
def test_sse_is_the_same_for_any_chunking(stream: tuple[bytes, list[SSEEvent]], points: list[int]) -> None:
    data, expected = stream
    assert decode(cut(data, [p for p in points if p <= len(data)])) == (expected, False)


@RELAXED
@given(stream=streams())
def test_sse_byte_by_byte(stream: tuple[bytes, list[SSEEvent]]) -> None:
    data, expected = stream
    assert decode([data[i : i + 1] for i in range(len(data))]) == (expected, False)


# --------------------------------------------------------------------------- the algorithm, case by case


def test_multi_line_data_joins_with_newlines() -> None:
    events, _ = decode([b"data: first\ndata: second\ndata:\ndata: fourth\n\n"])
    assert events == [SSEEvent("message", "first\nsecond\n\nfourth")]


def test_event_names_apply_to_one_event() -> None:
    events, _ = decode([b"event: message_start\ndata: {}\n\ndata: plain\n\n"])
    assert events == [SSEEvent("message_start", "{}"), SSEEvent("message", "plain")]


def test_comments_and_unknown_fields_are_ignored() -> None:
    events, pending = decode([b": keep-alive\n\n:another\nfoo: bar\ndata: x\n: inside\n\n: trailing ping\n\n"])
    assert events == [SSEEvent("message", "x")]
    assert pending is False


def test_only_one_leading_space_is_removed() -> None:
    events, _ = decode([b"data:  two spaces\ndata:none\n\n"])
    assert events == [SSEEvent("message", " two spaces\nnone")]


def test_a_field_without_a_colon_has_an_empty_value() -> None:
    events, _ = decode([b"data\ndata\n\n"])
    assert events == [SSEEvent("message", "\n")]


def test_data_may_contain_colons() -> None:
    events, _ = decode([b'data: {"a": "b:c"}\n\n'])
    assert events == [SSEEvent("message", '{"a": "b:c"}')]


def test_the_last_id_persists_across_events() -> None:
    events, _ = decode([b"id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\n"])
    assert [e.id for e in events] == ["1", "1", "2"]


def test_blank_lines_alone_dispatch_nothing() -> None:
    assert decode([b"\n\n\r\n\r\r"]) == ([], False)


def test_an_event_with_a_name_and_no_data_is_not_dispatched() -> None:
    """The WHATWG algorithm dispatches nothing for a blank line while the data buffer is empty, and
    the name does not leak into the next event."""
    events, _ = decode([b"event: ping\n\n", b"data: x\n\n"])
    assert events == [SSEEvent("message", "x")]


def test_an_empty_data_line_is_dispatched_with_empty_data() -> None:
    events, _ = decode([b"event: ping\ndata:\n\n"])
    assert events == [SSEEvent("ping", "")]


def test_bare_cr_line_endings_dispatch_at_once() -> None:
    """A \\r ends its line now: the last event of a \\r-terminated stream is not held back."""
    decoder = SSEDecoder()
    assert list(decoder.feed(b"data: a\r\r")) == [SSEEvent("message", "a")]
    assert list(decoder.feed(b"\ndata: b\r\n\r\n")) == [SSEEvent("message", "b")]
    assert decoder.flush() is False


def test_crlf_split_between_cr_and_lf_is_one_line_ending() -> None:
    decoder = SSEDecoder()
    assert list(decoder.feed(b"data: a\r")) == []
    assert list(decoder.feed(b"\n")) == []  # the \n of \r\n, not a blank line
    assert list(decoder.feed(b"\r")) == [SSEEvent("message", "a")]
    assert list(decoder.feed(b"\n")) == []
    assert list(decoder.feed(b"")) == []


def test_a_character_split_across_chunks_is_not_mangled() -> None:
    data = "data: héllo 🌍\n\n".encode()
    snowman = data.index("🌍".encode())
    events, _ = decode([data[: snowman + 1], data[snowman + 1 : snowman + 3], data[snowman + 3 :]])
    assert events == [SSEEvent("message", "héllo 🌍")]


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    events, _ = decode([b"data: bad \xff byte\n\n"])
    assert events == [SSEEvent("message", "bad \ufffd byte")]


def test_flush_reports_a_pending_unterminated_event() -> None:
    # Data received, blank line never came.
    assert decode([b"data: cut off\n"]) == ([], True)
    # A line without its ending.
    assert decode([b'data: {"partial']) == ([], True)
    # An event name alone.
    assert decode([b"event: message_stop\n"]) == ([], True)
    # A clean end.
    assert decode([b"data: done\n\n"]) == ([SSEEvent("message", "done")], False)
    assert decode([b"data: done\r\n\r\n"]) == ([SSEEvent("message", "done")], False)
    assert decode([]) == ([], False)


def test_flush_resets_the_decoder() -> None:
    decoder = SSEDecoder()
    list(decoder.feed(b"event: x\ndata: half"))
    assert decoder.flush() is True
    assert decoder.flush() is False
    assert list(decoder.feed(b"data: fresh\n\n")) == [SSEEvent("message", "fresh")]


# --------------------------------------------------------------------------- NDJSON


def test_ndjson_lines() -> None:
    assert lines([b'{"a": 1}\n{"b": 2}\r\n\n  \n{"c": 3}']) == ['{"a": 1}', '{"b": 2}', '{"c": 3}']
    assert lines([b"", b"\n"]) == []


def test_ndjson_flush_yields_a_last_unterminated_line_once() -> None:
    decoder = LineDecoder()
    assert list(decoder.feed(b'{"done": true}')) == []
    assert list(decoder.flush()) == ['{"done": true}']
    assert list(decoder.flush()) == []


ndjson_values = st.lists(
    st.text(alphabet=st.characters(exclude_characters="\r\n", exclude_categories=("Cs",)), max_size=10).filter(
        lambda v: v.strip() == v and v != ""
    ),
    max_size=6,
)


@RELAXED
@given(items=ndjson_values, crlf=st.booleans(), final_newline=st.booleans(), data=st.data())
def test_ndjson_is_the_same_for_every_cut(
    items: list[str], crlf: bool, final_newline: bool, data: st.DataObject
) -> None:
    ending = "\r\n" if crlf else "\n"
    text = ending.join(items) + (ending if final_newline and items else "")
    raw = text.encode("utf-8")
    for i in range(len(raw) + 1):
        assert lines([raw[:i], raw[i:]]) == items
    points = data.draw(st.lists(st.integers(0, len(raw)), max_size=8))
    assert lines(cut(raw, points)) == items
