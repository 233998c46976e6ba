"""The plugin template tests itself.

For each kind, the template is rendered with cookiecutter (``--no-input`` and answers on the
command line, as a user would), the generated distribution is built as a wheel and installed with
its ``test`` extra into a fresh virtual environment, next to wheels of the local ``lluminary``,
``lluminary-testing`` and ``lluminary-openai``. Then, in that environment: ``lluminary plugins``
must list the new plugin, the generated project's own tests (the provider conformance suite
included) must pass, and its sources must pass ruff, black and ``mypy --strict`` with the
repository's settings.

Speed: every wheel a fresh environment needs is built or downloaded once per session into a
wheelhouse (through pip's cache), and environments install from it with ``--no-index``. A fresh
environment sees only what the generated project declares, so a missing dependency or entry point
fails here (``--system-site-packages`` would hide both).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "templates" / "lluminary-plugin"
REPO_CONFIG = ROOT / "pyproject.toml"
DEV_BIN = Path(sys.executable).parent
PIP: list[str | Path] = [sys.executable, "-m", "pip"]
TIMEOUT = 600

#: The answers given for each kind, and what the template must derive from them. The blank kind
#: uses a two-word name, so the hyphenated prefix, the package and the class name are derived
#: from something less trivial than one word.
KINDS: dict[str, dict[str, str]] = {
    "openai-compatible": {
        "plugin_name": "Acme",
        "base_url": "https://api.acme.example/v1",
        "author_email": "dev@acme.example",
    },
    "blank": {"plugin_name": "Zeta Cloud", "kind": "blank", "author": "Ada Lovelace", "author_email": ""},
}
DERIVED = {
    "openai-compatible": {"prefix": "acme", "package": "lluminary_acme", "env": "ACME_API_KEY"},
    "blank": {"prefix": "zeta-cloud", "package": "lluminary_zeta_cloud", "env": "ZETA_CLOUD_API_KEY"},
}
#: Environment variables that would change what the generated tests see.
SCRUBBED = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PYTEST_ADDOPTS", "PYTEST_PLUGINS")
SCRUBBED_PREFIXES = ("LLUMINARY_", "COV_CORE_", "ACME_", "ZETA_CLOUD_")


def run(args: Sequence[str | Path], *, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> str:
    """Run a command; fail the test with its output when it fails."""
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=dict(env) if env is not None else None,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        command = " ".join(str(a) for a in args)
        pytest.fail(f"`{command}` exited with {result.returncode}:\n{result.stdout}\n{result.stderr}", pytrace=False)
    return result.stdout


def tool(name: str) -> Path:
    """A dev tool next to the running interpreter (the `make dev` venv)."""
    found = DEV_BIN / name
    if not found.exists():
        pytest.skip(f"{name} is not installed in {DEV_BIN} (run `make dev`)")
    return found


def build_flags() -> list[str]:
    """Build without isolation when the build backend is installed here: no hatchling download
    per wheel. Without it, pip builds in isolation (slower, same result)."""
    return ["--no-build-isolation"] if importlib.util.find_spec("hatchling") else []


def cookiecutter(output: Path, answers: Mapping[str, str], config: Path) -> subprocess.CompletedProcess[str]:
    """``cookiecutter --no-input templates/lluminary-plugin key=value ...``, replay files kept out of $HOME."""
    args = [sys.executable, "-m", "cookiecutter", "--no-input", "--config-file", str(config), "-o", str(output)]
    args += [str(TEMPLATE), *(f"{key}={value}" for key, value in answers.items())]
    return subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT, check=False)


@pytest.fixture(scope="module")
def cookiecutter_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("cookiecutter-home")
    config = home / "config.yaml"
    config.write_text(f"cookiecutters_dir: {home / 'templates'}\nreplay_dir: {home / 'replay'}\n")
    return config


def pinned(*names: str) -> list[str]:
    """``name==version`` for each name, as the repository's requirements files pin it (the
    generated tests then run under the same pytest as ours), else the bare name."""
    pins = {}
    for path in sorted(ROOT.glob("requirements*.txt")):
        for line in path.read_text().splitlines():
            name, sep, version = line.split("#")[0].strip().partition("==")
            if sep and name in names:
                pins[name] = f"{name}=={version}"
    return [pins.get(name, name) for name in names]


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wheels of the local core, lluminary-testing and lluminary-openai, and of every third-party
    distribution they and the test extra need, built or downloaded once (through pip's cache)."""
    house = tmp_path_factory.mktemp("wheelhouse")
    local = [ROOT / "core", ROOT / "plugins" / "lluminary-testing", ROOT / "plugins" / "lluminary-openai"]
    pip_wheel = [*PIP, "wheel", "--quiet", *build_flags(), "--wheel-dir", house]
    run([*pip_wheel, *local, *pinned("pytest", "pytest-asyncio")])
    return house


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mypy-cache")


@dataclass
class Generated:
    kind: str
    prefix: str
    package: str
    api_key_env: str
    project: Path
    wheel: Path
    venv: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def env(self) -> dict[str, str]:
        """The environment of a user who activated the fresh venv (and has no lluminary settings)."""
        env = {k: v for k, v in os.environ.items() if k not in SCRUBBED and not k.startswith(SCRUBBED_PREFIXES)}
        env["VIRTUAL_ENV"] = str(self.venv)
        env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        return env


@pytest.fixture(scope="module", params=sorted(KINDS))
def generated(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    wheelhouse: Path,
    cookiecutter_config: Path,
) -> Generated:
    """The rendered project, its wheel, and a fresh venv with the wheel and its test extra."""
    kind: str = request.param
    derived = DERIVED[kind]
    base = tmp_path_factory.mktemp(kind)
    result = cookiecutter(base, KINDS[kind], cookiecutter_config)
    assert result.returncode == 0, result.stderr
    project = base / f"lluminary-{derived['prefix']}"
    assert project.is_dir(), f"cookiecutter did not create {project.name}: {sorted(p.name for p in base.iterdir())}"

    dist = base / "dist"
    run([*PIP, "wheel", "--quiet", "--no-deps", *build_flags(), "--wheel-dir", dist, project])
    (wheel,) = dist.glob("*.whl")

    venv = base / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv])  # pip runs from outside, with --python
    pip_install = [*PIP, "--python", venv / "bin" / "python", "install", "--quiet", "--no-index"]
    run([*pip_install, "--find-links", wheelhouse, "--find-links", dist, f"{project.name}[test]"])
    return Generated(kind, derived["prefix"], derived["package"], derived["env"], project, wheel, venv)


# --------------------------------------------------------------------------- the generated project


def test_files(generated: Generated) -> None:
    """Everything a distribution needs is there, fully rendered, and nothing of the other kind.

    Troubleshooting: a leftover `{{` or `{%` is a Jinja expression the template did not render
    (GitHub's own `${{ ... }}` expressions belong in `{% raw %}` blocks)."""
    files = {p.relative_to(generated.project).as_posix() for p in generated.project.rglob("*") if p.is_file()}
    package = f"src/{generated.package}"
    snake = generated.prefix.replace("-", "_")
    expected = {
        "pyproject.toml",
        "README.md",
        "CHANGELOG.md",
        "tox.ini",
        ".gitignore",
        ".github/workflows/test.yml",
        ".github/workflows/publish.yml",
        f"{package}/__init__.py",
        f"{package}/_version.py",
        f"{package}/py.typed",
        "tests/conftest.py",
        f"tests/test_{snake}_conformance.py",
        f"tests/test_{snake}_plugin.py",
    }
    blank_only = {f"{package}/provider.py", f"{package}/wire.py", f"tests/test_{snake}_wire.py"}
    if generated.kind == "blank":
        expected |= blank_only
    assert files == expected
    for name in files:
        text = (generated.project / name).read_text()
        assert not re.search(r"(?<!\$)\{\{|\{%|cookiecutter", text), f"{name} has unrendered template syntax"
        assert not re.search(r"\b(TODO|FIXME|XXX)\b", text), f"{name} has a placeholder"
    readme = (generated.project / "README.md").read_text()
    base_url_env = generated.api_key_env.replace("_API_KEY", "_BASE_URL")
    for needle in (f"pip install lluminary lluminary-{generated.prefix}", generated.api_key_env, base_url_env):
        assert needle in readme


def test_pyproject(generated: Generated) -> None:
    """The distribution's metadata: name, version, dependencies, the entry point, the test extra.

    Troubleshooting: see templates/lluminary-plugin/{{cookiecutter.project_slug}}/pyproject.toml."""
    run([tool("validate-pyproject"), generated.project / "pyproject.toml"])
    project = tomllib.loads((generated.project / "pyproject.toml").read_text())["project"]
    assert project["name"] == f"lluminary-{generated.prefix}"
    assert project["version"] == "0.1.0"
    expected = ["lluminary>=0.1,<0.2"]
    if generated.kind == "openai-compatible":
        expected.append("lluminary-openai>=0.1,<0.2")
    assert project["dependencies"] == expected
    assert project["entry-points"]["lluminary"] == {generated.prefix: f"{generated.package}:plugin"}
    answers = KINDS[generated.kind]
    author = {"name": answers.get("author", "Your Name")}
    if answers.get("author_email"):
        author["email"] = answers["author_email"]
    assert project["authors"] == [author]
    test_extra = " ".join(project["optional-dependencies"]["test"])
    for requirement in ("lluminary-testing", "pytest", "pytest-asyncio"):
        assert requirement in test_extra


def test_wheel_ships_the_package_typed(generated: Generated) -> None:
    """Troubleshooting: `[tool.hatch.build.targets.wheel] packages` must name src/<package>."""
    names = set(zipfile.ZipFile(generated.wheel).namelist())
    assert f"{generated.package}/__init__.py" in names
    assert f"{generated.package}/py.typed" in names
    assert not any(name.startswith("tests/") for name in names)


def test_installed_with_declared_dependencies_only(generated: Generated) -> None:
    """The fresh venv holds what the project declares: lluminary-openai only for the compatible kind.

    Troubleshooting: a blank provider must not import lluminary_openai; a compatible one must
    declare it."""
    listing = run(
        [generated.python, "-c", "import importlib.metadata as m; print(*sorted(d.name for d in m.distributions()))"]
    )
    installed = set(listing.split())
    assert {f"lluminary-{generated.prefix}", "lluminary", "lluminary-testing", "pytest", "pytest-asyncio"} <= installed
    assert ("lluminary-openai" in installed) == (generated.kind == "openai-compatible")


def test_listed_by_lluminary_plugins(generated: Generated) -> None:
    """`lluminary plugins --json` in the fresh venv lists the plugin, loaded, version 0.1.0, with
    the generate and stream hooks.

    Troubleshooting: a `broken` status carries the import error; no row at all means the entry
    point is missing from the wheel's metadata."""
    rows = json.loads(run([generated.venv / "bin" / "lluminary", "plugins", "--json"], env=generated.env()))
    row = next((r for r in rows if r["name"] == generated.prefix), None)
    assert row is not None, f"{generated.prefix} is not listed: {rows}"
    assert row["status"] == "loaded", row
    assert row["version"] == "0.1.0"
    assert row["distribution"] == f"lluminary-{generated.prefix}"
    assert {"lluminary_generate", "lluminary_stream"} <= set(row["hooks"])


def test_generated_tests_pass(generated: Generated) -> None:
    """The generated project's own tests, the conformance suite included, pass out of the box.

    Troubleshooting: run them by hand: render the template, `pip install` the local core,
    lluminary-testing (and lluminary-openai) and the project, then `pytest` in the project."""
    output = run(
        [generated.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "console_output_style=classic"],
        cwd=generated.project,
        env=generated.env(),
    )
    summary = output.strip().splitlines()[-1]
    assert " passed" in summary, output
    assert not re.search(r"\b(failed|error|errors|xpassed)\b", summary), output


def test_generated_code_passes_ruff_black_mypy(generated: Generated, mypy_cache: Path) -> None:
    """ruff, black and `mypy --strict` accept the generated sources and tests, with the repository's
    settings and with the project's own.

    Troubleshooting: render the template and run the tools on the output; the template's
    sources are excluded from the repository's own lint runs because of their `{{ }}` paths."""
    project = generated.project
    run([tool("ruff"), "check", "--no-cache", "--config", REPO_CONFIG, project])
    run([tool("black"), "--check", "--quiet", "--config", REPO_CONFIG, project])
    run([tool("ruff"), "check", "--no-cache", "."], cwd=project)
    run([tool("black"), "--check", "--quiet", "."], cwd=project)
    strict: list[str | Path] = ["--strict", "--config-file", REPO_CONFIG, "--cache-dir", mypy_cache]
    run([tool("mypy"), *strict, "--python-executable", generated.python, "src", "tests"], cwd=project)


def test_workflows_pass_actionlint(generated: Generated) -> None:
    """Troubleshooting: GitHub's `${{ }}` expressions must sit inside `{% raw %}` blocks of the
    template, or Jinja renders them away; run `actionlint` on the generated files to see more."""
    if shutil.which("actionlint", path=str(DEV_BIN)) is None:
        pytest.skip("actionlint is not installed (run `make dev`)")
    workflows = sorted((generated.project / ".github" / "workflows").glob("*.yml"))
    assert workflows
    run([DEV_BIN / "actionlint", "-no-color", *workflows], cwd=generated.project)


# --------------------------------------------------------------------------- the questions


@pytest.mark.parametrize(
    ("answers", "complaint"),
    [
        ({"prefix": "Bad Prefix"}, "prefix"),
        ({"prefix": "openai"}, "already served"),
        ({"kind": "other"}, "kind"),
        ({"api_key_env": "acme-key"}, "api_key_env"),
        ({"base_url": "api.acme.example"}, "base_url"),
        ({"plugin_name": "3rd Party"}, "not a Python identifier"),
    ],
)
def test_bad_answers_are_refused(
    tmp_path: Path, cookiecutter_config: Path, answers: dict[str, str], complaint: str
) -> None:
    """Troubleshooting: hooks/pre_gen_project.py checks the answers before anything is written."""
    result = cookiecutter(tmp_path, answers, cookiecutter_config)
    assert result.returncode != 0
    assert complaint in result.stderr + result.stdout
    assert not any(tmp_path.iterdir()), "a refused project left files behind"
