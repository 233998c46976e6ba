"""The test matrix covers every distribution on every supported Python, the same way in tox.ini,
hatch.toml, the Makefile and the ci.yml workflow.

A new plugin under plugins/ fails these tests until it has its tox environments and its hatch
matrix entry, so that it cannot silently go untested alone.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYTHONS = ("3.11", "3.12", "3.13", "3.14")
#: tox/hatch factor -> the distribution's directory
DISTS = {"core": "core"} | {
    p.parent.name.removeprefix("lluminary-"): f"plugins/{p.parent.name}"
    for p in sorted((ROOT / "plugins").glob("lluminary-*/pyproject.toml"))
}
TOX = Path(sys.executable).parent / "tox"

needs_tox = pytest.mark.skipif(not TOX.exists(), reason="tox is not installed in this venv (`make dev` installs it)")


def _tox_config(*args: str) -> dict[str, dict[str, list[str]]]:
    """``tox config`` parsed: environment -> key -> lines."""
    out = subprocess.run(
        [str(TOX), "config", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    ).stdout
    envs: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    key = ""
    for line in out.splitlines():
        if match := re.fullmatch(r"\[testenv:(.+)\]", line):
            current = envs.setdefault(match.group(1), {})
        elif match := re.fullmatch(r"(\w+) =(.*)", line):
            key = match.group(1)
            current[key] = [match.group(2).strip()] if match.group(2).strip() else []
        elif line.startswith("  ") and key:
            current[key].append(line.strip())
    return envs


def _expected_envs() -> set[str]:
    return {f"py{v.replace('.', '')}-{factor}" for v in PYTHONS for factor in DISTS}


@needs_tox
def test_tox_matrix_label_has_every_distribution_on_every_python() -> None:
    """Troubleshooting: tox.ini's `matrix` label (what ci.yml runs) and env_list must both hold
    py311..py314 for every distribution; add a new plugin's factor to both."""
    matrix = set(_tox_config("-m", "matrix", "-k", "env_name"))
    assert matrix == _expected_envs()
    listed = set(subprocess.run([str(TOX), "-l"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split())
    assert _expected_envs() | {"lint", "type", "docs"} <= listed


def _sibling_plugins(path: str) -> set[str]:
    """The plugins a distribution's ``test`` extra names (other than lluminary-testing): what its
    tests drive calls through, e.g. an exporter's tests through the OpenAI plugin."""
    extras = tomllib.loads((ROOT / path / "pyproject.toml").read_text())["project"].get("optional-dependencies", {})
    names = {re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0] for requirement in extras.get("test", [])}
    return {f"plugins/{name}" for name in names if name.startswith("lluminary-") and name != "lluminary-testing"}


@needs_tox
def test_each_tox_env_installs_one_distribution_and_runs_its_tests() -> None:
    """Troubleshooting: a matrix environment installs core, lluminary-testing and its own
    distribution with the `test` extra — no other plugin but those its `test` extra names (from
    the tree, without their own test extras) — and runs that distribution's tests."""
    config = _tox_config("-m", "matrix", "-k", "deps", "commands", "skip_missing_interpreters")
    for env, values in config.items():
        factor = env.split("-", 1)[1]
        path = DISTS[factor]
        editables = {line.removeprefix("-e ").strip() for line in values["deps"] if line.startswith("-e ")}
        want = {"core", "plugins/lluminary-testing"} | _sibling_plugins(path)
        want = {f"{p}[test]" if p == path else p for p in want} | {f"{path}[test]"}
        assert editables == want, f"{env}: installs {sorted(editables)}, expected {sorted(want)}"
        assert "-r requirements-test.txt" in values["deps"], env
        assert values["commands"], env
        assert values["commands"][0].startswith(f"pytest {path}/tests"), (env, values)


@needs_tox
def test_tox_lint_type_docs_envs() -> None:
    """Troubleshooting: `tox -e type` runs mypy --strict on every distribution; `tox -e docs`
    builds the site with --strict; `tox -e lint` runs ruff and black."""
    config = _tox_config("-e", "lint,type,docs", "-k", "commands")
    type_commands = " ".join(config["type"]["commands"])
    for path in DISTS.values():
        assert f"mypy --strict {path}/src" in type_commands
    assert any("mkdocs build --strict" in c for c in config["docs"]["commands"])
    lint = " ".join(config["lint"]["commands"])
    assert "ruff check" in lint
    assert "black --check" in lint
    assert "skip_missing_interpreters = true" in (ROOT / "tox.ini").read_text()


def test_ci_workflow_runs_the_tox_matrix_label() -> None:
    """Troubleshooting: ci.yml runs `tox run-parallel -m matrix`; the label lives in tox.ini."""
    workflow = (ROOT / ".github" / "workflows" / "ci.yml").read_text()
    assert "tox run-parallel -m matrix" in workflow
    assert re.search(r"^\s+matrix = ", (ROOT / "tox.ini").read_text(), re.M)
    for version in PYTHONS:
        assert version in workflow


def _pins(name: str) -> set[str]:
    """The requirement lines of a requirements file, following ``-r`` includes."""
    found: set[str] = set()
    for raw in (ROOT / name).read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("-r "):
            found |= _pins(line[3:].strip())
        elif line:
            found.add(line)
    return found


def _hatch() -> dict[str, Any]:
    with (ROOT / "hatch.toml").open("rb") as f:
        envs: dict[str, Any] = tomllib.load(f)["envs"]
    return envs


def _dist_name(factor: str) -> str:
    return "lluminary" if factor == "core" else f"lluminary-{factor}"


def test_hatch_matrix_mirrors_tox() -> None:
    """Troubleshooting: hatch.toml's `test` matrix has the same Pythons and distributions as
    tox.ini; each cell installs core, lluminary-testing and its distribution with the `test`
    extra (plus the plugins that extra names, from the tree), and runs that distribution's tests
    (DIST_DIR)."""
    envs = _hatch()
    assert {"dev", "test", "lint", "docs"} <= set(envs)
    (matrix,) = envs["test"]["matrix"]
    assert tuple(matrix["python"]) == PYTHONS
    assert set(matrix["dist"]) == set(DISTS)
    overrides = envs["test"]["overrides"]["matrix"]["dist"]
    dirs = {o["if"][0]: o["value"] for o in overrides["env-vars"]}
    assert dirs == DISTS
    installs: dict[str, set[str]] = {factor: set() for factor in DISTS}
    for override in overrides["dependencies"]:
        for factor in override["if"]:
            installs[factor].add(override["value"])
    for factor, path in DISTS.items():
        siblings = {f"{Path(p).name} @ {{root:uri}}/{p}" for p in _sibling_plugins(path)}
        assert installs[factor] == {f"{_dist_name(factor)}[test] @ {{root:uri}}/{path}"} | siblings, factor
    base = set(envs["test"]["dependencies"])
    assert {"lluminary @ {root:uri}/core", "lluminary-testing @ {root:uri}/plugins/lluminary-testing"} <= base
    assert "$DIST_DIR/tests" in envs["test"]["scripts"]["run"]
    members = {m["path"]: m.get("features") for m in envs["dev"]["workspace"]["members"]}
    assert members == {path: ["test"] for path in DISTS.values()}
    assert envs["default"]["skip-install"] is True  # the root is not a distribution; every env inherits this


@pytest.mark.parametrize(
    ("env", "requirements"),
    [
        ("dev", "requirements-dev.txt"),
        ("test", "requirements-test.txt"),
        ("lint", "requirements-lint.txt"),
        ("docs", "requirements-docs.txt"),
    ],
)
def test_hatch_pins_match_requirements(env: str, requirements: str) -> None:
    """Troubleshooting: hatch cannot read requirements files, so hatch.toml repeats their pins;
    change both together."""
    pinned = {d for d in _hatch()[env]["dependencies"] if "@" not in d}
    assert pinned == _pins(requirements)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_tox_target_puts_pyenv_interpreters_on_path() -> None:
    """Troubleshooting: `make tox` runs the matrix with pyenv's 3.11+ interpreters on PATH."""
    out = subprocess.run(
        ["make", "-n", "tox", "PYENV_ROOT=/opt/fake-pyenv", "TOX_ARGS=-e py312-core"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "tox -e py312-core" in out
    assert re.search(r"^tox==\S+$", (ROOT / "requirements-dev.txt").read_text(), re.M), "pin tox in requirements-dev"
    assert "tox" not in (ROOT / ".ci" / "run").read_text(), "CI runs `make check`, not the tox matrix"


def test_readme_documents_the_matrix() -> None:
    """Troubleshooting: the README has a "Matrix testing" section saying how to put the
    interpreters on PATH."""
    readme = (ROOT / "README.md").read_text()
    assert "## Matrix testing" in readme
    section = readme.split("## Matrix testing", 1)[1].split("\n## ", 1)[0]
    for word in ("PATH", "tox", "pyenv", "3.12", "3.13"):
        assert word in section
