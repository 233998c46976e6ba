"""The layout rules every distribution keeps.

* The whole tree's tests run in one pytest session (`make test`), so their modules must not
  collide: with `--import-mode=importlib`, a `tests/` folder holding an `__init__.py` becomes a
  package named `tests`, and two such folders make pytest refuse the second `tests.conftest`.
* A plugin talks to the kernel only through its public API (`lluminary`, `lluminary.sdk`): the
  kernel's private modules (`lluminary._*`) may change in any release.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_no_test_folder_is_a_package_named_tests() -> None:
    """Troubleshooting: delete `__init__.py` from the folder named; `from .conftest import x`
    keeps working (pytest names test modules after their path from the repository root)."""
    folders = [ROOT / "tests", ROOT / "core" / "tests", *sorted((ROOT / "plugins").glob("*/tests"))]
    packages = [str(folder.relative_to(ROOT)) for folder in folders if (folder / "__init__.py").exists()]
    assert not packages, f"test folders that are packages named `tests`: {packages}"


PRIVATE_IMPORT = re.compile(
    r"^\s*(from\s+lluminary\._\w*|import\s+lluminary\._\w*|from\s+lluminary\s+import\s+_)", re.M
)


def test_plugins_import_only_the_kernels_public_api() -> None:
    """Troubleshooting: import the name from `lluminary` or `lluminary.sdk` instead; if the SDK
    lacks it, export it there (`core/src/lluminary/sdk.py`) rather than reaching in."""
    found = [
        f"{path.relative_to(ROOT)}:{text[: match.start()].count(chr(10)) + 1}"
        for path in sorted((ROOT / "plugins").glob("*/src/**/*.py"))
        for text in [path.read_text(encoding="utf-8")]
        for match in PRIVATE_IMPORT.finditer(text)
    ]
    assert not found, f"plugins importing the kernel's private modules: {found}"
