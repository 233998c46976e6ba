"""Real servers for tests (``redis-server``, ``prometheus``): the part every one shares.

A :class:`LocalServer` is one process of a system program, on a free loopback port, with its
files in a temporary directory: started again on another port when the one picked was taken
meanwhile, stopped politely then killed, its log's last lines in every error. :func:`server_for_test`
is the fixture body: without the program the test skips — except under CI (the ``CI`` environment
variable), where a test that does not run is a failure, because ``.ci/run`` installs the program.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import ClassVar, TypeVar

__all__ = ["LocalServer", "free_port", "in_ci", "server_for_test"]

Server = TypeVar("Server", bound="LocalServer")


def in_ci() -> bool:
    """Whether this run is CI's (``CI`` set to anything but ``""``, ``0`` or ``false``)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def free_port(host: str) -> int:
    """A TCP port nobody listens on at ``host`` right now (a race with other programs remains:
    :meth:`LocalServer.start` tries another when it lost)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


class LocalServer(ABC):
    """One process of a server program. A subclass names the program and says how to run it
    (:meth:`_arguments`) and how to tell it is ready (:meth:`_ready`)."""

    #: The program's name, for messages.
    program: ClassVar[str] = ""
    #: Raised when it cannot be started (the message has the end of its log).
    error: ClassVar[type[RuntimeError]] = RuntimeError
    #: Seconds a start may take before it counts as failed.
    start_timeout: ClassVar[float] = 10.0
    #: Whether the program writes its log itself (else its output goes to ``log_file``).
    writes_own_log: ClassVar[bool] = False

    def __init__(self, executable: str, host: str) -> None:
        self.executable = executable
        self.host = host
        self.port: int | None = None
        self.directory = Path(tempfile.mkdtemp(prefix=f"lluminary-{self.program}-"))
        self.log_file = self.directory / f"{self.program}.log"
        self._process: subprocess.Popen[bytes] | None = None

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<{type(self).__name__} {self.host}:{self.port} {state}>"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self: Server) -> Server:
        """Start the server (on the same port as before, after a ``stop()``) and wait until it is ready."""
        if self.running:
            return self
        fixed = self.port is not None
        for _attempt in range(1 if fixed else 5):
            if not fixed:
                self.port = free_port(self.host)
            self._spawn()
            try:
                self._wait_until_ready()
                return self
            except self.error:
                self._terminate()
                if fixed or "address already in use" not in self._log_tail().lower():
                    raise
        raise self.error(f"{self.program} found no free port: {self._log_tail()}")

    def stop(self) -> None:
        """Stop the server; the port refuses connections until ``start()``."""
        self._terminate()

    def close(self) -> None:
        """Stop the server and delete its directory."""
        self._terminate()
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self: Server) -> Server:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    # ------------------------------------------------------------------ for subclasses

    @abstractmethod
    def _arguments(self) -> list[str]:
        """The command line that starts the program on ``self.port``."""

    @abstractmethod
    def _ready(self) -> bool:
        """Whether the started program answers (polled until it does, or the start times out)."""

    def _before_terminate(self, process: subprocess.Popen[bytes]) -> None:
        """Called before a running process is told to stop (a suspended one must be resumed);
        by default there is nothing to do."""
        del process

    # ------------------------------------------------------------------ inside

    def _spawn(self) -> None:
        try:
            if self.writes_own_log:
                self._process = subprocess.Popen(
                    self._arguments(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            else:
                with self.log_file.open("ab") as log:
                    self._process = subprocess.Popen(
                        self._arguments(), stdin=subprocess.DEVNULL, stdout=log, stderr=log
                    )
        except OSError as exc:
            raise self.error(f"cannot run {self.executable!r}: {exc}") from exc

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise self.error(f"{self.program} exited at start: {self._log_tail()}")
            if self._ready():
                return
            time.sleep(0.02)
        raise self.error(f"{self.program} was not ready within {self.start_timeout:g} s: {self._log_tail()}")

    def _terminate(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        self._before_terminate(process)
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def _log_tail(self) -> str:
        try:
            return " | ".join(self.log_file.read_text(errors="replace").strip().splitlines()[-5:])
        except OSError:
            return "(no log)"


def server_for_test(
    executable: str | None, make: Callable[[str], Server], *, program: str, package: str, tests: str
) -> Iterator[Server]:
    """Start ``make(executable)`` for one test and remove it afterwards; skip (fail under CI) when
    the program is not installed. ``package``: the Debian package that brings it; ``tests``: what
    kind of tests need it ("Redis")."""
    import pytest

    if executable is None:
        reason = f"{program} is not installed (Debian/Ubuntu: apt-get install {package})"
        if in_ci():
            pytest.fail(f"{reason}, and CI runs every {tests} test: .ci/run installs it", pytrace=False)
        pytest.skip(reason)
    server = make(executable)
    try:
        server.start()
        yield server
    finally:
        server.close()
