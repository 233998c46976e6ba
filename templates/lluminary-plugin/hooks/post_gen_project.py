"""Removes the files the chosen kind does not use and says what to do next."""

from __future__ import annotations

import sys
from pathlib import Path

KIND = "{{ cookiecutter.kind }}"
PACKAGE = "{{ cookiecutter.__package }}"
SNAKE = "{{ cookiecutter.__snake }}"

#: Files only the blank kind has: the provider written from scratch and its focused tests.
BLANK_ONLY = (
    f"src/{PACKAGE}/provider.py",
    f"src/{PACKAGE}/wire.py",
    f"tests/test_{SNAKE}_wire.py",
)


def main() -> int:
    project = Path.cwd()
    if KIND != "blank":
        for name in BLANK_ONLY:
            (project / name).unlink()
    print(f"Created {project.name} ({KIND}). Next: cd {project.name}, read README.md, run the tests.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
