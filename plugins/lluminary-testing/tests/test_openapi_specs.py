"""The spec loader (``lluminary_testing.openapi``) and the specs the repository carries.

The loader looks in the repository's ``specs/`` before ``shared/specs``, reads a gzipped spec
like a plain one, parses a document once a session, skips with a reason that says where a copy
goes, and fails on a broken file. The carried specs are found in the repository (so every clone
runs their tests), decompress to the SHA-256 ``specs/README.md`` lists, and have their licences.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest

from lluminary_testing.openapi import (
    NOT_REDISTRIBUTABLE,
    UnreadableSpecError,
    find_spec,
    load_spec,
    repository_specs,
)

REPO_SPECS = Path(__file__).resolve().parents[3] / "specs"
#: The specs every clone has, by the name tests load them with.
CARRIED = (
    "openai-openapi.yaml",
    "ollama-openapi.yaml",
    "mistral-openapi.yaml",
    "bedrock-runtime-service-2.json",
    "pinecone-db-data-2026-04.oas.yaml",
)


def _tree(
    tmp_path: Path, repo: dict[str, bytes] | None = None, shared: dict[str, bytes] | None = None, marker: bool = True
) -> Path:
    """A repository (with ``specs/``) and a ``shared/specs`` beside it; returns a test file's path in it."""
    start = tmp_path / "repo" / "plugins" / "acme" / "tests" / "test_acme.py"
    start.parent.mkdir(parents=True)
    specs = tmp_path / "repo" / "specs"
    specs.mkdir()
    if marker:
        (specs / "README.md").write_text("specs\n")
    for name, data in (repo or {}).items():
        (specs / name).write_bytes(data)
    (tmp_path / "shared" / "specs").mkdir(parents=True)
    for name, data in (shared or {}).items():
        (tmp_path / "shared" / "specs" / name).write_bytes(data)
    return start


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


# --------------------------------------------------------------------------- where it looks


def test_repository_specs_come_before_shared_specs(tmp_path: Path) -> None:
    start = _tree(tmp_path, repo={"a.json.gz": _gz(b'{"from": "repo"}')}, shared={"a.json": b'{"from": "shared"}'})
    assert find_spec("a.json", start) == tmp_path / "repo" / "specs" / "a.json.gz"
    assert load_spec("a.json", start) == {"from": "repo"}


def test_a_plain_file_in_the_repository_is_found(tmp_path: Path) -> None:
    start = _tree(tmp_path, repo={"a.json": b"{}"})
    assert find_spec("a.json", start) == tmp_path / "repo" / "specs" / "a.json"


def test_shared_specs_beside_the_repository_when_it_lacks_the_spec(tmp_path: Path) -> None:
    start = _tree(tmp_path, shared={"a.yaml": b"from: shared\n"})
    assert find_spec("a.yaml", start) == tmp_path / "shared" / "specs" / "a.yaml"
    assert load_spec("a.yaml", start) == {"from": "shared"}


def test_a_specs_folder_without_readme_is_not_the_repositorys(tmp_path: Path) -> None:
    start = _tree(tmp_path, repo={"a.json": b"{}"}, marker=False)
    assert repository_specs(start) is None
    assert find_spec("a.json", start) is None


# --------------------------------------------------------------------------- reading


@pytest.mark.parametrize("name", ["a.yaml", "a.yml", "a.json"])
def test_gzipped_reads_like_plain(tmp_path: Path, name: str) -> None:
    document = {"openapi": "3.1.0", "info": {"version": 2}, "list": [1, None, "x"]}
    text = json.dumps(document).encode()  # JSON is YAML too
    plain = load_spec(name, _tree(tmp_path / "plain", repo={name: text}))
    zipped = load_spec(name, _tree(tmp_path / "zipped", repo={f"{name}.gz": _gz(text)}))
    assert plain == zipped == document


def test_a_document_is_parsed_once_a_session(tmp_path: Path) -> None:
    start = _tree(tmp_path, repo={"a.json.gz": _gz(b'{"n": 1}'), "b.json": b'{"n": 1}'})
    first = load_spec("a.json", start)
    (tmp_path / "repo" / "specs" / "a.json.gz").write_bytes(_gz(b'{"n": 2}'))
    assert load_spec("a.json", start) is first
    assert first == {"n": 1}
    assert load_spec("b.json", start) is not first  # one parse per file


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("a.json.gz", b"not gzip at all"),
        ("a.json.gz", _gz(b'{"cut": "short"}')[:12]),
        ("a.json", b'{"open": '),
        ("a.json", b"\xff\xfe{}"),
        ("a.yaml", b"a: [1, 2\n"),
        ("a.json", b"[1, 2]"),
        ("a.txt", b"{}"),
    ],
    ids=["not-gzip", "truncated-gzip", "bad-json", "not-utf8", "bad-yaml", "not-a-mapping", "unknown-suffix"],
)
def test_a_broken_spec_fails_with_its_path(tmp_path: Path, name: str, data: bytes) -> None:
    start = _tree(tmp_path, repo={name: data})
    with pytest.raises(UnreadableSpecError, match=r"a\.(json|yaml|txt)"):
        load_spec(name.removesuffix(".gz"), start)


# --------------------------------------------------------------------------- absent specs


def test_an_absent_spec_that_may_not_be_carried_skips_saying_so(tmp_path: Path) -> None:
    start = _tree(tmp_path)
    name = "cohere-openapi.yaml"
    assert name in NOT_REDISTRIBUTABLE
    with pytest.raises(pytest.skip.Exception) as skipped:
        load_spec(name, start)
    reason = str(skipped.value)
    assert "not redistributable" in reason
    assert NOT_REDISTRIBUTABLE[name] in reason
    assert str(tmp_path / "repo" / "specs") in reason
    assert "shared/specs" in reason


def test_an_absent_spec_skips_saying_where_it_was_looked_for(tmp_path: Path) -> None:
    start = _tree(tmp_path)
    with pytest.raises(pytest.skip.Exception) as skipped:
        load_spec("acme-openapi.yaml", start)
    reason = str(skipped.value)
    assert "acme-openapi.yaml" in reason
    assert "not redistributable" not in reason
    assert "specs/" in reason
    assert "shared/specs" in reason


# --------------------------------------------------------------------------- the repository's specs


def test_the_repository_specs_folder_is_found_from_here() -> None:
    assert repository_specs(__file__) == REPO_SPECS


@pytest.mark.parametrize("name", CARRIED)
def test_a_carried_spec_comes_from_the_repository(name: str) -> None:
    """Troubleshooting: every clone has these, so their tests never skip; a missing one is a
    broken checkout (or a spec dropped without updating specs/README.md and this list)."""
    assert find_spec(name, __file__) == REPO_SPECS / f"{name}.gz"
    assert load_spec(name, __file__)


@pytest.mark.parametrize("name", CARRIED)
def test_a_carried_spec_is_intact_reproducible_and_licensed(name: str) -> None:
    """Troubleshooting: a hash mismatch means the .gz no longer holds the upstream file that
    specs/README.md names; recompress it with `gzip -9 -n` and update the row's SHA-256."""
    packed = (REPO_SPECS / f"{name}.gz").read_bytes()
    digest = hashlib.sha256(gzip.decompress(packed)).hexdigest()
    rows = [line for line in (REPO_SPECS / "README.md").read_text().splitlines() if line.startswith(f"| `{name}.gz`")]
    assert len(rows) == 1
    assert f"`{digest}`" in rows[0]
    assert packed[4:8] == b"\0\0\0\0", "compress with gzip -n (no time stamp)"
    assert not packed[3] & 0x08, "compress with gzip -n (no file name)"
    licence = REPO_SPECS / "LICENSES" / f"{name.rsplit('.', 1)[0]}.LICENSE"
    assert licence.is_file()
    assert f"LICENSES/{licence.name}" in rows[0]


@pytest.mark.parametrize("name", sorted(NOT_REDISTRIBUTABLE))
def test_a_spec_that_may_not_be_carried_is_documented_and_ignored(name: str) -> None:
    ignored = (REPO_SPECS / ".gitignore").read_text().splitlines()
    assert name in ignored
    assert f"{name}.gz" in ignored
    assert f"| `{name}` |" in (REPO_SPECS / "README.md").read_text()
