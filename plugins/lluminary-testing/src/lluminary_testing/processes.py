"""Helper processes for tests that need another interpreter: a writer to SIGKILL mid-write, four
processes sharing one file, a forked reader.

A fixture yields from :func:`spawned`; the test starts as many processes as it needs, and every
one still running when the test ends is killed and reaped, so a failed test leaves none behind::

    @pytest.fixture
    def spawn():
        yield from spawned(Path(__file__).with_name("processes.py"))
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ["Spawn", "spawned"]

#: Starts the script with these arguments; stdin, stdout and stderr are text pipes.
Spawn = Callable[..., "subprocess.Popen[str]"]


def spawned(script: Path, *, reap_timeout: float = 30.0) -> Iterator[Spawn]:
    """Yield a function that starts ``python script <args>`` in a new interpreter; afterwards,
    kill what still runs and reap every process (waiting at most ``reap_timeout`` seconds each)."""
    started: list[subprocess.Popen[str]] = []

    def start(*args: object) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, str(script), *map(str, args)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=reap_timeout)
