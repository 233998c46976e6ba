"""The GitHub workflows only call Makefile targets that exist, with the files they name.

No Docker engine runs here, so the Docker half of CI is checked statically: every `make` target a
workflow names must dry-run (`make -n`), and the image the matrix job builds must come from the
Dockerfile.matrix that the repository actually has.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
MAKE_CALL = re.compile(r"\bmake[ \t]+((?:[a-z][a-z0-9-]*[ \t]*)+)")


def _targets() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for workflow in WORKFLOWS:
        for match in MAKE_CALL.finditer(workflow.read_text()):
            found.extend((workflow.name, word) for word in match.group(1).split())
    return sorted(set(found))


def test_workflows_exist() -> None:
    """Troubleshooting: the two workflow files live in .github/workflows/."""
    names = {w.name for w in WORKFLOWS}
    assert {"ci.yml", "matrix-docker-tests.yml"} <= names


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize(("workflow", "target"), _targets())
def test_workflow_make_targets_exist(workflow: str, target: str) -> None:
    """Troubleshooting: a workflow names a Makefile target that `make -n` cannot run; add the
    target to the Makefile or fix the workflow."""
    result = subprocess.run(
        ["make", "-n", target, "FILE=plugins/lluminary-openai/tests", "DOCKER_TAG=lluminary-test:check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"{workflow}: make -n {target} failed:\n{result.stderr}"


def test_matrix_build_uses_dockerfile_matrix() -> None:
    """Troubleshooting: both matrix build targets must build from Dockerfile.matrix, which must exist."""
    assert (ROOT / "Dockerfile.matrix").is_file()
    for target in ("docker-build-matrix", "docker-build-matrix-cached"):
        out = subprocess.run(
            ["make", "-n", target, "PYTHON_VERSION=3.13"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        assert "-f Dockerfile.matrix" in out
        assert "PYTHON_VERSION=3.13" in out


def test_test_docker_file_passes_file_through() -> None:
    """Troubleshooting: `make test-docker-file FILE=...` must hand FILE to pytest inside the image."""
    out = subprocess.run(
        ["make", "-n", "test-docker-file", "FILE=plugins/lluminary-openai/tests", "DOCKER_TAG=x:y"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "x:y" in out
    assert "pytest plugins/lluminary-openai/tests" in out


def test_codecov_reads_token_from_secrets_and_skips_without_it() -> None:
    """Troubleshooting: the Codecov step must read CODECOV_TOKEN from secrets and be skipped, not
    failed, when the secret is absent."""
    text = (ROOT / ".github" / "workflows" / "matrix-docker-tests.yml").read_text()
    assert "CODECOV_TOKEN: ${{ secrets.CODECOV_TOKEN }}" in text
    assert "if: env.CODECOV_TOKEN != ''" in text
