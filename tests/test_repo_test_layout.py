"""The whole tree's tests run in one pytest session (`make test`), so their modules must not
collide: with `--import-mode=importlib`, a `tests/` folder holding an `__init__.py` becomes a
package named `tests`, and two such folders make pytest refuse the second `tests.conftest`."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_no_test_folder_is_a_package_named_tests() -> None:
    """Troubleshooting: delete `__init__.py` from the folder named; `from .conftest import x`
    keeps working (pytest names test modules after their path from the repository root)."""
    folders = [ROOT / "tests", ROOT / "core" / "tests", *sorted((ROOT / "plugins").glob("*/tests"))]
    packages = [str(folder.relative_to(ROOT)) for folder in folders if (folder / "__init__.py").exists()]
    assert not packages, f"test folders that are packages named `tests`: {packages}"
