"""A real ``redis-server`` for tests: a free loopback port, a temporary directory, no persistence.

Tests of Redis plugins run against the real server their users run, not a fake: the pytest
fixture ``redis_server`` starts one per test and stops it afterwards. ``stop()`` and ``start()``
take it down and bring it back on the same port (an outage), ``freeze()`` and ``thaw()`` stop
and resume the process (a server that accepts connections and never answers). Without
``redis-server`` on the PATH the fixture skips, except under CI (the ``CI`` environment
variable), where a Redis test that does not run is a failure.

Readiness is checked with a plain socket speaking RESP, so this module needs no Redis client.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

__all__ = ["RedisServer", "RedisServerError", "find_redis_server", "in_ci", "redis_server_for_test"]

#: Seconds a start may take before it counts as failed.
START_TIMEOUT = 10.0


class RedisServerError(RuntimeError):
    """redis-server could not be started (the message has the end of its log)."""


def in_ci() -> bool:
    """Whether this run is CI's (``CI`` set to anything but ``""``, ``0`` or ``false``)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def find_redis_server() -> str | None:
    """The ``redis-server`` executable on the PATH, or None."""
    return shutil.which("redis-server")


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def _command(*parts: str | bytes) -> bytes:
    """One command in RESP (arrays of bulk strings), as any client sends it."""
    encoded = [part.encode() if isinstance(part, str) else part for part in parts]
    return b"*%d\r\n" % len(encoded) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in encoded)


class RedisServer:
    """One ``redis-server`` process. ``url`` is for clients (with the password, if any),
    ``unix_url`` for its Unix socket; with ``tls=True`` the port speaks TLS only (``url`` is
    ``rediss://``, ``ca_file`` the self-signed certificate to trust; needs the ``openssl`` tool)."""

    def __init__(
        self,
        *,
        executable: str | None = None,
        host: str = "127.0.0.1",
        password: str | None = None,
        tls: bool = False,
    ) -> None:
        self.executable = executable or find_redis_server() or "redis-server"
        self.host = host
        self.password = password
        self.tls = tls
        self.port: int | None = None
        self.directory = Path(tempfile.mkdtemp(prefix="lluminary-redis-"))
        self.unix_socket = self.directory / "redis.sock"
        self.log_file = self.directory / "redis.log"
        self.ca_file = self.directory / "cert.pem"
        self._process: subprocess.Popen[bytes] | None = None
        self._frozen = False

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<RedisServer {self.host}:{self.port} {state}>"

    # ------------------------------------------------------------------ addresses

    @property
    def url(self) -> str:
        """``redis://`` (``rediss://`` with TLS) for database 0, with the password if any."""
        scheme = "rediss" if self.tls else "redis"
        auth = f":{self.password}@" if self.password else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{auth}{host}:{self.port}/0"

    @property
    def unix_url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"unix://{auth}{self.unix_socket}?db=0"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    # ------------------------------------------------------------------ life cycle

    def start(self) -> RedisServer:
        """Start the server (on the same port as before, after a ``stop()``) and wait until it
        answers PING."""
        if self.running:
            return self
        if self.tls and not self.ca_file.exists():
            self._make_certificate()
        fixed = self.port is not None
        for _attempt in range(1 if fixed else 5):
            if not fixed:
                self.port = _free_port(self.host)
            self._spawn()
            try:
                self._wait_until_ready()
                return self
            except RedisServerError:
                self._terminate()
                if fixed or "Address already in use" not in self._log_tail():
                    raise
        raise RedisServerError(f"redis-server found no free port: {self._log_tail()}")

    def stop(self) -> None:
        """Stop the server; the port refuses connections until ``start()``."""
        self._terminate()

    def freeze(self) -> None:
        """Suspend the process: connections are accepted by the kernel and never answered."""
        if self._process is not None and self.running:
            self._process.send_signal(signal.SIGSTOP)
            self._frozen = True

    def thaw(self) -> None:
        """Resume a frozen server."""
        if self._process is not None and self._frozen:
            self._process.send_signal(signal.SIGCONT)
            self._frozen = False

    def close(self) -> None:
        """Stop the server and delete its directory."""
        self._terminate()
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    # ------------------------------------------------------------------ inside

    def _arguments(self) -> list[str]:
        port = str(self.port)
        arguments = [
            self.executable,
            "--bind", self.host,
            "--port", "0" if self.tls else port,
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.directory),
            "--daemonize", "no",
            "--logfile", str(self.log_file),
            "--unixsocket", str(self.unix_socket),
            "--unixsocketperm", "700",
        ]  # fmt: skip
        if self.password:
            arguments += ["--requirepass", self.password]
        if self.tls:
            key = str(self.directory / "key.pem")
            arguments += ["--tls-port", port, "--tls-cert-file", str(self.ca_file), "--tls-key-file", key]
            arguments += ["--tls-auth-clients", "no"]
        return arguments

    def _spawn(self) -> None:
        try:
            self._process = subprocess.Popen(
                self._arguments(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        except OSError as exc:
            raise RedisServerError(f"cannot run {self.executable!r}: {exc}") from exc

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if not self.running:
                raise RedisServerError(f"redis-server exited at start: {self._log_tail()}")
            # The Unix socket is this process's own: a PING there cannot be answered by another
            # server that holds the port (and the TCP port is bound before it, or never).
            if self._ping(unix=True) and self._ping():
                return
            time.sleep(0.01)
        raise RedisServerError(f"redis-server did not answer PING within {START_TIMEOUT:g} s: {self._log_tail()}")

    def _connect(self, unix: bool) -> socket.socket:
        if unix:
            conn = socket.socket(socket.AF_UNIX)
            conn.settimeout(1.0)
            try:
                conn.connect(str(self.unix_socket))
            except OSError:
                conn.close()
                raise
            return conn
        return socket.create_connection((self.host, self.port or 0), timeout=1.0)

    def _ping(self, *, unix: bool = False) -> bool:
        try:
            with contextlib.ExitStack() as stack:
                conn = stack.enter_context(self._connect(unix))
                if self.tls and not unix:
                    context = ssl.create_default_context(cafile=str(self.ca_file))
                    conn = stack.enter_context(context.wrap_socket(conn, server_hostname=self.host))
                request = (_command("AUTH", self.password) if self.password else b"") + _command("PING")
                conn.sendall(request)
                answer = b""
                while b"PONG" not in answer and not answer.startswith(b"-"):
                    chunk = conn.recv(1024)
                    if not chunk:
                        return False
                    answer += chunk
                return b"PONG" in answer
        except (OSError, ssl.SSLError):
            return False

    def _terminate(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if self._frozen:
            with contextlib.suppress(OSError):
                process.send_signal(signal.SIGCONT)
            self._frozen = False
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def _log_tail(self) -> str:
        try:
            return " | ".join(self.log_file.read_text(errors="replace").strip().splitlines()[-5:])
        except OSError:
            return "(no log)"

    def _make_certificate(self) -> None:
        openssl = shutil.which("openssl")
        if openssl is None:
            raise RedisServerError("a TLS redis-server needs the openssl tool to make its certificate")
        subprocess.run(
            [
                openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                "-keyout", str(self.directory / "key.pem"), "-out", str(self.ca_file),
                "-subj", "/CN=localhost", "-addext", f"subjectAltName=IP:{self.host},DNS:localhost",
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip


def redis_server_for_test(*, password: str | None = None, tls: bool = False) -> Iterator[RedisServer]:
    """Start a server for one test and remove it afterwards; skip (fail under CI) when
    ``redis-server`` is not installed."""
    import pytest

    executable = find_redis_server()
    if executable is None:
        reason = "redis-server is not installed (Debian/Ubuntu: apt-get install redis-server)"
        if in_ci():
            pytest.fail(f"{reason}, and CI runs every Redis test: .ci/run installs it", pytrace=False)
        pytest.skip(reason)
    server = RedisServer(executable=executable, password=password, tls=tls)
    try:
        server.start()
        yield server
    finally:
        server.close()
