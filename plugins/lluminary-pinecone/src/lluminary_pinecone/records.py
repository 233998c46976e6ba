"""Records to Pinecone vectors and back, checked against the service's rules before anything is sent.

* **Ids**: Pinecone takes ASCII ids without NUL, at most 512 characters. The kernel takes any
  string, so an id Pinecone cannot hold (non-ASCII, NUL), or one that starts with the marker
  ``utf8~``, is stored as ``utf8~`` + its percent-encoded UTF-8 (``ünï`` → ``utf8~%C3%BCn%C3%AF``)
  and decoded on the way back. Every other id is stored as it is.
* **Texts**: Pinecone has no text field, so a record's text rides in its metadata under the
  reserved key (``lluminary_text`` unless the URL sets ``text_key=``), counted in the 40 KB
  metadata limit, and is taken out of the metadata users get back.
* **Metadata**: strings, numbers, booleans and lists of strings, keys not starting with ``$``.
  ``None`` values are refused (Pinecone would silently drop them), and so are nested objects,
  numbers that are not finite, and integers a double cannot hold exactly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, unquote

from lluminary.sdk import Record, RequestValidationError, dumps

ID_MARKER = "utf8~"
MAX_ID_LENGTH = 512
MAX_NAMESPACE_LENGTH = 512
MAX_METADATA_BYTES = 40_960
DEFAULT_NAMESPACE_ALIAS = "__default__"
_EXACT_INT = 2**53


def encode_id(record_id: str) -> str:
    """The id as Pinecone stores it (see the module docs)."""
    if not isinstance(record_id, str) or not record_id:
        raise RequestValidationError(f"a record id is a non-empty string, got {record_id!r}")
    wire = record_id
    if not record_id.isascii() or "\x00" in record_id or record_id.startswith(ID_MARKER):
        wire = ID_MARKER + quote(record_id, safe="")
    if len(wire) > MAX_ID_LENGTH:
        raise RequestValidationError(
            f"record id {record_id[:40]!r}... is {len(wire)} characters as Pinecone stores it; "
            f"Pinecone takes at most {MAX_ID_LENGTH} (non-ASCII characters take 6 to 12 each)"
        )
    return wire


def decode_id(wire: str) -> str:
    """The kernel's id for an id read from Pinecone."""
    return unquote(wire[len(ID_MARKER) :]) if wire.startswith(ID_MARKER) else wire


def check_namespace(namespace: Any) -> str:
    """A namespace Pinecone can hold; ``""`` is the default one."""
    if not isinstance(namespace, str):
        raise RequestValidationError(f"a namespace is a string, got {type(namespace).__name__}")
    if namespace == DEFAULT_NAMESPACE_ALIAS:
        raise RequestValidationError(
            f"{DEFAULT_NAMESPACE_ALIAS!r} is Pinecone's name for the default namespace: use '' for it"
        )
    if len(namespace) > MAX_NAMESPACE_LENGTH or not namespace.isascii() or "\x00" in namespace:
        raise RequestValidationError(
            f"Pinecone namespaces are ASCII without NUL, at most {MAX_NAMESPACE_LENGTH} characters; got {namespace[:40]!r}"
        )
    return namespace


def check_vector(values: Sequence[float] | None, dimension: int | None, what: str) -> list[float]:
    """The vector as a list of finite floats of the store's dimension."""
    if values is None:
        raise RequestValidationError(f"{what} has no vector (embed its text first)")
    vector = [float(x) for x in values]
    if not vector:
        raise RequestValidationError(f"{what} has an empty vector")
    if dimension is not None and len(vector) != dimension:
        raise RequestValidationError(f"this index holds {dimension}-dimensional vectors; {what} has {len(vector)}")
    if not all(math.isfinite(x) for x in vector):
        raise RequestValidationError(f"{what} has a value that is not finite")
    return vector


def to_wire(record: Record, text_key: str, dimension: int | None) -> dict[str, Any]:
    """The vector Pinecone is sent for ``record``: ``{"id", "values", "metadata"?}``."""
    what = f"record {record.id!r}"
    wire_id = encode_id(record.id)
    values = check_vector(record.vector, dimension, what)
    if max(abs(x) for x in values) < 1e-8:
        raise RequestValidationError(f"{what}: Pinecone refuses vectors whose values are all zero")
    metadata = wire_metadata(record.metadata, what, text_key)
    if record.text is not None:
        if not isinstance(record.text, str):
            raise RequestValidationError(f"{what}: a text is a string, got {type(record.text).__name__}")
        metadata[text_key] = record.text
    if metadata:
        size = metadata_size(metadata)
        if size > MAX_METADATA_BYTES:
            raise RequestValidationError(
                f"{what}: its metadata and text take {size} bytes; Pinecone holds at most "
                f"{MAX_METADATA_BYTES} bytes per record (split long texts: lluminary.split_text)"
            )
        return {"id": wire_id, "values": values, "metadata": metadata}
    return {"id": wire_id, "values": values}


def wire_metadata(metadata: Mapping[str, Any], what: str, text_key: str) -> dict[str, Any]:
    """A copy of ``metadata`` checked against what Pinecone stores faithfully."""
    if not isinstance(metadata, Mapping):
        raise RequestValidationError(f"{what}: metadata is a mapping, got {type(metadata).__name__}")
    out: dict[str, Any] = {}
    for key, value in metadata.items():
        if not isinstance(key, str) or key.startswith("$"):
            raise RequestValidationError(f"{what}: metadata keys are strings not starting with '$', got {key!r}")
        if key == text_key:
            raise RequestValidationError(f"{what}: the metadata key {key!r} is reserved for the record's text")
        out[key] = _value(value, f"{what}: metadata {key!r}")
    return out


def _value(value: Any, where: str) -> Any:
    if isinstance(value, (str, bool)):
        return value
    if isinstance(value, int):
        if abs(value) > _EXACT_INT:
            raise RequestValidationError(f"{where}: Pinecone stores numbers as doubles; {value} would change")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise RequestValidationError(f"{where}: numbers must be finite, got {value}")
        return value
    if value is None:
        raise RequestValidationError(f"{where} is None: Pinecone drops null values; leave the key out instead")
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return list(value)
    raise RequestValidationError(
        f"{where}: Pinecone stores strings, numbers, booleans and lists of strings, got {type(value).__name__}"
    )


def metadata_size(metadata: Mapping[str, Any]) -> int:
    """Bytes of the metadata as Pinecone measures it, near enough: compact UTF-8 JSON with numbers
    as doubles (its ``Struct`` has no integers)."""
    return len(
        dumps({k: float(v) if isinstance(v, int) and not isinstance(v, bool) else v for k, v in metadata.items()})
    )


def from_wire(metadata: Mapping[str, Any] | None, text_key: str) -> tuple[dict[str, Any], str | None]:
    """(metadata without the text, the text) of a vector read back."""
    out = dict(metadata or {})
    text = out.pop(text_key, None)
    if text is not None and not isinstance(text, str):
        out[text_key] = text  # someone else's field of that name: leave it where it was
        text = None
    return out, text
