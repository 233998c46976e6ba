"""Every distribution ships alone.

The editable dev install hides packaging mistakes: every plugin sits next to every other one, and
next to every library any of them needs. So the checks here look at each distribution on its own:

- its metadata (version, README, CHANGELOG, classifiers, the `lluminary` range, entry points,
  a `test` extra);
- every library its code imports is one it declares (read from the source, so a lazy import is
  found too), and every library its tests import is in its `test` extra, so `make dev` and tox
  install it and no test is skipped for want of it;
- `make lint-config` validates every pyproject.toml in the repository;
- (integration) each wheel, built once, installed into a fresh virtual environment with only its
  declared dependencies and no other plugin, shows up in `lluminary plugins --json` with its
  version and hooks, imports every module, and passes `pip check`.
"""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
DIST_DIRS = [ROOT / "core", *sorted(p.parent for p in (ROOT / "plugins").glob("lluminary-*/pyproject.toml"))]
PYTHONS = ("3.11", "3.12", "3.13", "3.14")

#: The hooks each of our distributions' entry points must carry, in a wheel installed alone.
#: A distribution not listed here must still name at least one hook.
PROVIDER_HOOKS = frozenset(
    {
        "lluminary_generate",
        "lluminary_stream",
        "lluminary_embed",
        "lluminary_count_tokens",
        "lluminary_models",
        "lluminary_model_info",
    }
)
EXPECTED_HOOKS: Mapping[str, frozenset[str]] = {
    "lluminary-openai": PROVIDER_HOOKS,
    "lluminary-anthropic": PROVIDER_HOOKS,
    "lluminary-google": PROVIDER_HOOKS,
    "lluminary-bedrock": PROVIDER_HOOKS,
    "lluminary-cohere": PROVIDER_HOOKS,
    "lluminary-mistral": PROVIDER_HOOKS,
    "lluminary-ollama": PROVIDER_HOOKS,
    "lluminary-sqlite": frozenset({"lluminary_cache"}),
    "lluminary-redis": frozenset({"lluminary_cache", "lluminary_counters", "lluminary_cost_ledger"}),
    "lluminary-pinecone": frozenset({"lluminary_store"}),
    "lluminary-local": PROVIDER_HOOKS,
    "lluminary-otel": frozenset({"lluminary_middleware", "lluminary_trace", "lluminary_flush", "lluminary_shutdown"}),
    "lluminary-faiss": frozenset({"lluminary_store"}),
    "lluminary-testing": frozenset({"lluminary_commands"}),
    "lluminary-prometheus": frozenset(
        {"lluminary_middleware", "lluminary_flush", "lluminary_shutdown", "lluminary_commands"}
    ),
    "lluminary-agents": frozenset({"lluminary_commands"}),
    "lluminary-gateway": frozenset({"lluminary_commands"}),
}

#: One real call per provider, after the listing: the wheel (with lluminary-testing added to its
#: venv) against its fake server. distribution -> (fake server fixture, model).
SMOKE_CALLS: Mapping[str, tuple[str, str]] = {
    "lluminary-openai": ("fake_openai", "openai:gpt-4o-mini"),
    "lluminary-anthropic": ("fake_anthropic", "anthropic:claude-haiku-4-5"),
    "lluminary-google": ("fake_gemini", "google:gemini-2.5-flash"),
    "lluminary-bedrock": ("fake_bedrock", "bedrock:us.amazon.nova-lite-v1:0"),
    "lluminary-cohere": ("fake_cohere", "cohere:command-a-03-2025"),
    "lluminary-mistral": ("fake_mistral", "mistral:mistral-small-latest"),
    "lluminary-ollama": ("fake_ollama", "ollama:llama3.2"),
}

#: Import name -> distribution, for libraries that may not be installed where this test runs.
KNOWN_IMPORTS = {
    "attr": "attrs",
    "google": "google-auth",
    "yaml": "pyyaml",
    "toktok": "toktok-rs",
    "mistral_common": "mistral-common",
    "pytest_asyncio": "pytest-asyncio",
    "_pytest": "pytest",
}


def _pyproject(path: Path) -> dict[str, Any]:
    with (path / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)


def _project(path: Path) -> dict[str, Any]:
    project: dict[str, Any] = _pyproject(path)["project"]
    return project


def _dist_id(path: Path) -> str:
    return str(_project(path)["name"])


def _package_dir(path: Path) -> Path:
    packages = _pyproject(path)["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    assert len(packages) == 1, f"{path.name}: one package per distribution"
    return path / packages[0]


# --------------------------------------------------------------------------- metadata


@pytest.mark.parametrize("path", DIST_DIRS, ids=_dist_id)
def test_distribution_metadata(path: Path) -> None:
    """Troubleshooting: each distribution has its own hatchling pyproject.toml with a version,
    `requires-python = ">=3.11"`, the classifiers of every supported Python, a README.md and a
    CHANGELOG.md that has an entry for the current version, and a `test` extra (what its own tests
    need beyond the test runner; `make dev` and tox install it)."""
    pyproject = _pyproject(path)
    project = pyproject["project"]
    assert pyproject["build-system"]["build-backend"] == "hatchling.build"
    assert any(r.startswith("hatchling") for r in pyproject["build-system"]["requires"])
    version = Version(project["version"])
    assert project["requires-python"] == ">=3.11"
    assert project.get("license"), "declare a licence"
    assert project.get("description")
    classifiers = set(project.get("classifiers", []))
    missing = {f"Programming Language :: Python :: {v}" for v in PYTHONS} - classifiers
    assert not missing, f"classifiers lack {sorted(missing)}"
    assert "Programming Language :: Python :: 3 :: Only" in classifiers
    assert "Typing :: Typed" in classifiers
    assert project.get("readme") == "README.md"
    assert (path / "README.md").read_text().strip()
    changelog = (path / "CHANGELOG.md").read_text()
    assert re.search(rf"^## {re.escape(str(version))}\b", changelog, re.M), f"CHANGELOG.md has no '## {version}' entry"
    assert "test" in project.get("optional-dependencies", {}), "declare a `test` extra (it may be empty)"
    assert (_package_dir(path) / "py.typed").is_file(), "ship py.typed: the package is typed"


@pytest.mark.parametrize("path", DIST_DIRS[1:], ids=_dist_id)
def test_plugin_pins_a_compatible_kernel_and_declares_entry_points(path: Path) -> None:
    """Troubleshooting: a plugin depends on `lluminary>=X.Y,<X.(Y+1)` around the kernel's current
    version (0.x minors may break plugins), and registers at least one entry point in the group
    `lluminary`, each pointing into its own package."""
    core_version = Version(_project(ROOT / "core")["version"])
    project = _project(path)
    kernel = [Requirement(r) for r in project["dependencies"] if canonicalize_name(Requirement(r).name) == "lluminary"]
    assert len(kernel) == 1, "depend on lluminary exactly once"
    spec = kernel[0].specifier
    assert spec.contains(core_version), f"{spec} excludes the kernel's version {core_version}"
    next_minor = Version(f"{core_version.major}.{core_version.minor + 1}.0")
    assert not spec.contains(next_minor), f"{spec} admits {next_minor}: cap the range below the next minor"
    entry_points = project.get("entry-points", {}).get("lluminary", {})
    assert entry_points, "register the plugin under [project.entry-points.lluminary]"
    package = _package_dir(path).name
    for name, value in entry_points.items():
        assert re.fullmatch(r"[a-z][a-z0-9_-]*", name), f"entry point name {name!r}: a provider prefix or URL scheme"
        module = value.split(":")[0]
        assert module == package or module.startswith(package + "."), f"{name} = {value!r} points outside {package}"


# --------------------------------------------------------------------------- declared imports


@dataclass(frozen=True)
class Imported:
    module: str  # dotted name as imported
    file: Path
    line: int
    lazy: bool  # inside a function, a try, `if TYPE_CHECKING`, or by name through importlib
    skippable: bool = False  # pytest.importorskip("...")


class _ImportCollector(ast.NodeVisitor):
    """Every absolute import in a module, including imports by name (``importlib.import_module``,
    ``pytest.importorskip``, a helper called ``_import``), with whether it runs at import time."""

    NAMED_IMPORTERS = frozenset({"import_module", "_import", "importorskip"})

    def __init__(self, file: Path) -> None:
        self.file = file
        self.found: list[Imported] = []
        self._guarded = 0

    def _add(self, module: str, node: ast.AST, *, skippable: bool = False) -> None:
        line = getattr(node, "lineno", 0)
        self.found.append(Imported(module, self.file, line, self._guarded > 0 or skippable, skippable))

    def _guard(self, node: ast.AST) -> None:
        self._guarded += 1
        self.generic_visit(node)
        self._guarded -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = visit_Try = _guard

    def visit_If(self, node: ast.If) -> None:
        test = ast.unparse(node.test)
        if test in {"TYPE_CHECKING", "typing.TYPE_CHECKING"}:
            self._guard(node)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            self._add(node.module, node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name in self.NAMED_IMPORTERS and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                self._add(arg.value, node, skippable=name == "importorskip")
        self.generic_visit(node)


def _imports(directory: Path) -> Iterator[Imported]:
    for file in sorted(directory.rglob("*.py")):
        collector = _ImportCollector(file)
        collector.visit(ast.parse(file.read_text(), filename=str(file)))
        yield from collector.found


def _first_party(top: str) -> str | None:
    if top == "lluminary":
        return "lluminary"
    if top.startswith("lluminary_"):
        return canonicalize_name("lluminary-" + top.removeprefix("lluminary_"))
    return None


@functools.cache
def _installed_imports() -> Mapping[str, list[str]]:
    return importlib.metadata.packages_distributions()


def _distributions_of(top: str) -> set[str]:
    """The distributions that may provide the top-level import ``top``."""
    first = _first_party(top)
    if first:
        return {first}
    names = _installed_imports().get(top) or [KNOWN_IMPORTS.get(top, top)]
    return {canonicalize_name(n) for n in names}


def _requirement_names(requirements: list[str], project: Mapping[str, Any], seen: set[str] | None = None) -> set[str]:
    """Canonical names of ``requirements``, expanding a distribution's references to its own extras."""
    seen = set() if seen is None else seen
    own = canonicalize_name(project["name"])
    names: set[str] = set()
    for text in requirements:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        if name == own:
            for extra in requirement.extras - seen:
                seen.add(extra)
                names |= _requirement_names(project.get("optional-dependencies", {}).get(extra, []), project, seen)
        else:
            names.add(name)
    return names


def _local_modules(directory: Path) -> set[str]:
    return {p.stem for p in directory.glob("*.py")} | {p.name for p in directory.iterdir() if p.is_dir()}


@pytest.mark.parametrize("path", DIST_DIRS, ids=_dist_id)
def test_code_imports_only_declared_dependencies(path: Path) -> None:
    """Troubleshooting: a distribution's code may import only what its pyproject.toml declares:
    what runs at import time in `dependencies`, what is imported lazily (inside a function, a
    try, or by name) in `dependencies` or an optional extra (`pip install 'lluminary-x[extra]'`).
    Leaning on a library another distribution declares (say attrs, which the kernel depends on)
    works in the dev venv and breaks the day that distribution drops it: declare it yourself."""
    project = _project(path)
    own = canonicalize_name(project["name"])
    stdlib = set(sys.stdlib_module_names)
    required = _requirement_names(project.get("dependencies", []), project) | {own}
    optional = required.union(
        *(_requirement_names(reqs, project) for reqs in project.get("optional-dependencies", {}).values())
    )
    problems = []
    seen: set[tuple[Path, str]] = set()
    for found in _imports(_package_dir(path)):
        top = found.module.split(".")[0]
        if top in stdlib or (found.file, top) in seen:
            continue
        seen.add((found.file, top))
        candidates = _distributions_of(top)
        where = f"{found.file.relative_to(ROOT)}:{found.line} imports {found.module}"
        if not candidates & optional:
            problems.append(f"{where}, which {project['name']} does not declare ({' or '.join(sorted(candidates))})")
        elif not found.lazy and not candidates & required:
            problems.append(f"{where} at import time, but declares it only as an optional extra")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", DIST_DIRS, ids=_dist_id)
def test_tests_import_only_what_the_test_extra_installs(path: Path) -> None:
    """Troubleshooting: every library a distribution's tests import — `pytest.importorskip` ones
    included — is in its `dependencies` or its `test` extra, so `make dev` and tox install it and
    CI does not quietly skip those tests. Only another of our plugins may be optional
    (`pytest.importorskip("lluminary_x")`): tox runs each plugin's tests without the others."""
    tests = path / "tests"
    if not tests.is_dir():
        pytest.skip(f"{path.name} has no tests/")
    project = _project(path)
    own = canonicalize_name(project["name"])
    extras = project.get("optional-dependencies", {})
    available = (
        _requirement_names(project.get("dependencies", []), project)
        | _requirement_names(extras.get("test", []), project)
        | {own}
    )
    stdlib = set(sys.stdlib_module_names)
    found = list(_imports(tests))
    local = _local_modules(tests)
    skippable = {f.module.split(".")[0] for f in found if f.skippable}
    problems = []
    seen: set[tuple[Path, str]] = set()
    for item in found:
        top = item.module.split(".")[0]
        if top in stdlib or top in local or top == "conftest" or (item.file, top) in seen:
            continue
        seen.add((item.file, top))
        candidates = _distributions_of(top)
        if candidates & available:
            continue
        if _first_party(top) and top in skippable:
            continue  # another plugin, tested together with this one only where both are installed
        problems.append(
            f"{item.file.relative_to(ROOT)}:{item.line} imports {item.module}: add {' or '.join(sorted(candidates))} "
            f"to the `test` extra of {project['name']}"
        )
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- validate-pyproject


def _git_pyprojects() -> set[Path]:
    git = shutil.which("git")
    if git and (ROOT / ".git").exists():
        out = subprocess.run(
            [git, "ls-files", "--cached", "--others", "--exclude-standard", "--", "pyproject.toml", "*/pyproject.toml"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        files = {ROOT / line for line in out.splitlines() if line}
        return {f for f in files if f.is_file()}
    skip = {".venv", ".tox", ".git", "node_modules", "build", "dist", "site"}
    return {p for p in ROOT.rglob("pyproject.toml") if not skip & set(p.relative_to(ROOT).parts)}


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_lint_config_validates_every_pyproject() -> None:
    """Troubleshooting: `make lint-config` runs validate-pyproject on the Makefile's PYPROJECTS
    (core and every plugins/lluminary-*/pyproject.toml) and the root one. A pyproject.toml
    elsewhere — a distribution outside plugins/, say — must be added to that target. Files inside
    cookiecutter templates (`{{cookiecutter.x}}/pyproject.toml`) are Jinja, not TOML, and are
    checked by rendering the template instead."""
    out = subprocess.run(["make", "-n", "lint-config"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    lines = [line for line in out.splitlines() if "validate-pyproject" in line]
    assert len(lines) == 1, f"`make -n lint-config` should run validate-pyproject once:\n{out}"
    covered = {(ROOT / word).resolve() for word in lines[0].split() if word.endswith("pyproject.toml")}
    wanted = {p.resolve() for p in _git_pyprojects() if "{{" not in str(p.relative_to(ROOT))}
    assert {p.resolve() for p in (d / "pyproject.toml" for d in DIST_DIRS)} <= wanted
    missing = sorted(str(p.relative_to(ROOT)) for p in wanted - covered)
    assert not missing, f"`make lint-config` does not validate: {missing}"


# --------------------------------------------------------------------------- fresh virtual environments

#: Environment for pip and the installed CLI: no user configuration, no index, no plugin filter.
_CLEAN = {
    k: v
    for k, v in os.environ.items()
    if not k.startswith(("PIP_", "LLUMINARY_", "PYTHON")) and k not in {"VIRTUAL_ENV", "CONDA_PREFIX"}
}
_CLEAN.update({"PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"})

_IMPORT_ALL = """
import importlib, pkgutil, sys
package = importlib.import_module(sys.argv[1])
names = [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
for name in names:
    importlib.import_module(name)
print(len(names) + 1)
"""

_SMOKE_CALL = """
import importlib, sys
import lluminary
from lluminary_testing.pytest_plugin import SERVERS
fixture, model = sys.argv[1:3]
module, _, name = SERVERS[fixture].partition(":")
server = getattr(importlib.import_module(module), name)().start()
try:
    reply = lluminary.generate(model, "packaged hello", base_url=server.base_url, api_key="sk-test-0123456789abcdef", cache=False)
    print(reply.text)
finally:
    server.stop()
"""


def _run(cmd: list[str], *, env: Mapping[str, str] | None = None, timeout: float = 300) -> str:
    result = subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, env=env, timeout=timeout, check=False, cwd=ROOT
    )
    if result.returncode != 0:
        raise RuntimeError(f"$ {' '.join(map(str, cmd))}\nexit {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result.stdout


@dataclass
class FreshEnv:
    dist: str
    version: str
    package: str
    plugins: list[dict[str, Any]] = field(default_factory=list)
    installed: dict[str, str] = field(default_factory=dict)
    modules: int = 0
    reply: str | None = None
    error: str | None = None  # installing, listing or importing failed
    call_error: str | None = None  # the call against the fake server failed
    seconds: float = 0.0


@dataclass
class Packaging:
    wheels: Path
    envs: dict[str, FreshEnv]
    timings: dict[str, float]


def _bin(env: Path, name: str) -> Path:
    return env / ("Scripts" if os.name == "nt" else "bin") / name


def _fresh_env(path: Path, wheels: Path, wheelhouse: Path, root: Path) -> FreshEnv:
    project = _project(path)
    result = FreshEnv(project["name"], project["version"], _package_dir(path).name)
    started = time.monotonic()
    try:
        env = root / result.dist
        # No pip inside: the dev venv's pip installs into it (`pip --python`), which is faster.
        _run([sys.executable, "-m", "venv", "--without-pip", env])
        python = _bin(env, "python")
        pip = [sys.executable, "-m", "pip", "--python", python]
        offline = [
            "--quiet",
            "--no-index",
            "--only-binary",
            ":all:",
            "--find-links",
            wheels,
            "--find-links",
            wheelhouse,
        ]
        _run([*pip, "install", *offline, f"{result.dist}=={result.version}"], env=_CLEAN)
        listed = json.loads(_run([*pip, "list", "--format", "json"], env=_CLEAN))
        result.installed = {canonicalize_name(d["name"]): d["version"] for d in listed}
        _run([*pip, "check"], env=_CLEAN)
        result.plugins = json.loads(_run([_bin(env, "lluminary"), "plugins", "--json"], env=_CLEAN))
        result.modules = int(_run([python, "-c", _IMPORT_ALL, result.package], env=_CLEAN).strip())
    except (RuntimeError, ValueError, OSError, subprocess.TimeoutExpired) as exc:  # reported by this dist's test
        result.error = f"{type(exc).__name__}: {exc}"
    if result.error is None and result.dist in SMOKE_CALLS:
        try:
            # Only now add lluminary-testing (its fake servers): the checks above ran without it.
            _run([*pip, "install", *offline, "lluminary-testing"], env=_CLEAN)
            call_env = {**_CLEAN, "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}
            result.reply = _run([python, "-c", _SMOKE_CALL, *SMOKE_CALLS[result.dist]], env=call_env).strip()
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
            result.call_error = f"{type(exc).__name__}: {exc}"
    result.seconds = time.monotonic() - started
    return result


@pytest.fixture(scope="session")
def packaging(tmp_path_factory: pytest.TempPathFactory) -> Packaging:
    """Build every wheel once, fetch their third-party dependencies once, then install each
    distribution alone into its own fresh venv (in parallel)."""
    try:
        import hatchling  # noqa: F401
    except ImportError:
        pytest.fail("hatchling is not installed in the dev venv: `make dev` (requirements-dev.txt pins it)")
    base = tmp_path_factory.mktemp("packaging")
    wheels, wheelhouse, envs = base / "wheels", base / "wheelhouse", base / "envs"
    timings: dict[str, float] = {}

    started = time.monotonic()
    _run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", wheels]
        + [str(d) for d in DIST_DIRS]
    )
    timings["build wheels"] = time.monotonic() - started

    # Third-party dependencies of every wheel, from the index (pip's cache makes a rerun cheap);
    # the installs below then run with --no-index, from these two folders only.
    started = time.monotonic()
    _run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary", ":all:", "-d", wheelhouse]
        + ["--find-links", wheels]
        + [str(w) for w in sorted(wheels.glob("*.whl"))],
        timeout=600,
    )
    for ours in wheelhouse.glob("lluminary*.whl"):
        ours.unlink()  # only the freshly built ones, from `wheels`
    timings["download dependencies"] = time.monotonic() - started

    started = time.monotonic()
    envs.mkdir()
    with ThreadPoolExecutor(max_workers=min(4, len(DIST_DIRS))) as pool:
        done = list(pool.map(lambda p: _fresh_env(p, wheels, wheelhouse, envs), DIST_DIRS))
    timings["fresh venvs"] = time.monotonic() - started
    return Packaging(wheels, {e.dist: e for e in done}, timings)


@pytest.mark.integration
@pytest.mark.parametrize("path", DIST_DIRS, ids=_dist_id)
def test_wheel_installs_alone_and_lists_its_plugins(packaging: Packaging, path: Path, record_property: Any) -> None:
    """Troubleshooting: the wheel, installed into a fresh venv with nothing but its declared
    dependencies (no other plugin), must install, pass `pip check`, import every module of its
    package, and show every entry point in `lluminary plugins --json` as loaded from this
    distribution at this version, with its hooks. A failure here that the dev venv does not show
    is a dependency or entry point that only the editable install provided: the error names it."""
    project = _project(path)
    env = packaging.envs[project["name"]]
    record_property("seconds", round(env.seconds, 2))
    assert env.error is None, env.error

    ours = {name for name in env.installed if name == "lluminary" or name.startswith("lluminary-")}
    declared = {n for n in _requirement_names(project.get("dependencies", []), project) if n.startswith("lluminary")}
    assert ours == {"lluminary", canonicalize_name(env.dist)} | declared, f"other plugins got in: {sorted(ours)}"
    assert env.installed[canonicalize_name(env.dist)] == env.version
    assert env.modules >= 1

    broken = [p for p in env.plugins if p["status"] not in {"loaded", "builtin"}]
    assert not broken, f"plugins not loaded: {broken}"
    entry_points = project.get("entry-points", {}).get("lluminary", {})
    rows = {p["name"]: p for p in env.plugins if p["distribution"] is not None}
    assert set(rows) == set(entry_points), f"listed {sorted(rows)}, declared {sorted(entry_points)}"
    for name, row in rows.items():
        assert row["distribution"] == project["name"], row
        assert row["version"] == project["version"], row
        expected = EXPECTED_HOOKS.get(project["name"])
        if expected is not None:
            assert set(row["hooks"]) == expected, f"{name}: hooks {row['hooks']}, expected {sorted(expected)}"
        else:
            assert row["hooks"], f"{name} implements no hook"
    builtins = {p["name"] for p in env.plugins if p["distribution"] is None}
    assert {"lluminary.memory_cache", "lluminary.noop_trace"} <= builtins
    if project["name"] in SMOKE_CALLS:
        # the fake servers echo the last user message when nothing is scripted
        assert env.call_error is None, env.call_error
        assert env.reply == "packaged hello", f"a call through the installed wheel answered {env.reply!r}"


@pytest.mark.integration
def test_packaging_timings(packaging: Packaging) -> None:
    """Troubleshooting: the fresh-venv checks should take well under a few minutes; the timings
    are in the test's properties (`--junitxml`) and printed with `-s`."""
    report = ", ".join(f"{k} {v:.1f}s" for k, v in packaging.timings.items())
    slowest = max(packaging.envs.values(), key=lambda e: e.seconds)
    print(f"\npackaging: {report}; slowest venv {slowest.dist} {slowest.seconds:.1f}s")
    assert sum(packaging.timings.values()) < 600
