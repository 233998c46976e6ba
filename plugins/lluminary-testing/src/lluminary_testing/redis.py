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
import shutil
import signal
import socket
import ssl
import subprocess
from collections.abc import Iterator

from .services import LocalServer, in_ci, server_for_test

__all__ = ["RedisServer", "RedisServerError", "find_redis_server", "in_ci", "redis_server_for_test"]


class RedisServerError(RuntimeError):
    """redis-server could not be started (the message has the end of its log)."""


def find_redis_server() -> str | None:
    """The ``redis-server`` executable on the PATH, or None."""
    return shutil.which("redis-server")


def _command(*parts: str | bytes) -> bytes:
    """One command in RESP (arrays of bulk strings), as any client sends it."""
    encoded = [part.encode() if isinstance(part, str) else part for part in parts]
    return b"*%d\r\n" % len(encoded) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in encoded)


class RedisServer(LocalServer):
    """One ``redis-server`` process. ``url`` is for clients (with the password, if any),
    ``unix_url`` for its Unix socket; with ``tls=True`` the port speaks TLS only (``url`` is
    ``rediss://``, ``ca_file`` the self-signed certificate to trust; needs the ``openssl`` tool)."""

    program = "redis"
    error = RedisServerError
    writes_own_log = True  # --logfile

    def __init__(
        self,
        *,
        executable: str | None = None,
        host: str = "127.0.0.1",
        password: str | None = None,
        tls: bool = False,
    ) -> None:
        super().__init__(executable or find_redis_server() or "redis-server", host)
        self.password = password
        self.tls = tls
        self.unix_socket = self.directory / "redis.sock"
        self.ca_file = self.directory / "cert.pem"
        self._frozen = False

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

    # ------------------------------------------------------------------ life cycle

    def start(self) -> RedisServer:
        """Start the server (on the same port as before, after a ``stop()``) and wait until it
        answers PING."""
        if not self.running and self.tls and not self.ca_file.exists():
            self._make_certificate()
        return super().start()

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

    def _ready(self) -> bool:
        # The Unix socket is this process's own: a PING there cannot be answered by another
        # server that holds the port (and the TCP port is bound before it, or never).
        return self._ping(unix=True) and self._ping()

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

    def _before_terminate(self, process: subprocess.Popen[bytes]) -> None:
        if self._frozen:
            with contextlib.suppress(OSError):
                process.send_signal(signal.SIGCONT)
            self._frozen = False

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
    yield from server_for_test(
        find_redis_server(),
        lambda executable: RedisServer(executable=executable, password=password, tls=tls),
        program="redis-server",
        package="redis-server",
        tests="Redis",
    )
