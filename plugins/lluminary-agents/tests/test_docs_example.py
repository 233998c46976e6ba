"""The guide's end-to-end offline example runs as written and prints what the guide says."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "agents.md"


@pytest.mark.integration
@pytest.mark.skipif(not GUIDE.is_file(), reason="docs/agents.md is not next to this checkout")
def test_offline_example_prints_what_the_guide_says(tmp_path: Path) -> None:
    section = GUIDE.read_text().split("## End-to-end offline example", 1)[1]
    code = re.findall(r"```python\n(.*?)```", section, re.S)[0]
    expected = re.findall(r"```text\n(.*?)```", section, re.S)[0]
    script = tmp_path / "example.py"
    script.write_text(code)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected
