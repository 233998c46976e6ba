"""The ``redis_server`` fixture: a real server on loopback, taken down and brought back on the
same port, frozen, with a password, over TLS and a Unix socket; skipped without redis-server,
except under CI. Spoken to with raw RESP, as this package has no Redis client."""

from __future__ import annotations

import contextlib
import shutil
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lluminary_testing.redis import RedisServer, RedisServerError, find_redis_server, in_ci, redis_server_for_test

pytestmark = pytest.mark.integration


def call(server: RedisServer, *parts: str, timeout: float = 2.0) -> bytes:
    """Send one command (AUTH first when the server has a password) and return the last reply line."""
    with contextlib.ExitStack() as stack:
        conn = stack.enter_context(socket.create_connection((server.host, server.port or 0), timeout=timeout))
        if server.tls:
            context = ssl.create_default_context(cafile=str(server.ca_file))
            conn = stack.enter_context(context.wrap_socket(conn, server_hostname=server.host))
        commands = [("AUTH", server.password)] if server.password else []
        commands.append(parts)
        for command in commands:
            encoded = [p.encode() for p in command if p is not None]
            conn.sendall(b"*%d\r\n" % len(encoded) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in encoded))
            reply = conn.recv(4096)
        return reply.strip()


def call_unix(server: RedisServer, *parts: str) -> bytes:
    with socket.socket(socket.AF_UNIX) as conn:
        conn.settimeout(2.0)
        conn.connect(str(server.unix_socket))
        encoded = [p.encode() for p in parts]
        conn.sendall(b"*%d\r\n" % len(encoded) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in encoded))
        return conn.recv(4096).strip()


def test_the_fixture_serves_a_real_server(redis_server: RedisServer) -> None:
    assert redis_server.running
    assert redis_server.url == f"redis://127.0.0.1:{redis_server.port}/0"
    assert call(redis_server, "SET", "k", "v") == b"+OK"
    assert call(redis_server, "GET", "k") == b"$1\r\nv"
    assert call(redis_server, "CONFIG", "GET", "save").endswith(b"save\r\n$0")
    assert call(redis_server, "CONFIG", "GET", "appendonly").endswith(b"no")
    assert call_unix(redis_server, "PING") == b"+PONG"
    assert redis_server.unix_url == f"unix://{redis_server.unix_socket}?db=0"


def test_stop_and_start_on_the_same_port(redis_server: RedisServer) -> None:
    port = redis_server.port
    call(redis_server, "SET", "k", "v")
    redis_server.stop()
    assert not redis_server.running
    with pytest.raises(ConnectionRefusedError):
        call(redis_server, "PING")
    redis_server.start()
    assert redis_server.port == port
    assert call(redis_server, "PING") == b"+PONG"
    assert call(redis_server, "GET", "k") == b"$-1", "nothing persisted across a restart"


def test_a_frozen_server_accepts_and_never_answers(redis_server: RedisServer) -> None:
    redis_server.freeze()
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        call(redis_server, "PING", timeout=0.2)
    assert time.monotonic() - started < 1.0
    redis_server.thaw()
    assert call(redis_server, "PING") == b"+PONG"


@pytest.fixture
def locked() -> Iterator[RedisServer]:
    yield from redis_server_for_test(password="p@ss word:/?")


def test_a_password(locked: RedisServer) -> None:
    assert locked.url == f"redis://:p@ss word:/?@127.0.0.1:{locked.port}/0"
    assert call(locked, "PING") == b"+PONG"
    with socket.create_connection((locked.host, locked.port or 0), timeout=2) as conn:
        conn.sendall(b"*1\r\n$4\r\nPING\r\n")
        assert conn.recv(1024).startswith(b"-NOAUTH")


@pytest.fixture
def tls() -> Iterator[RedisServer]:
    if find_redis_server() is not None and not shutil.which("openssl"):
        pytest.skip("the TLS server needs the openssl tool for its certificate")
    yield from redis_server_for_test(tls=True)


def test_tls(tls: RedisServer) -> None:
    assert tls.url.startswith("rediss://127.0.0.1:")
    assert tls.ca_file.is_file()
    assert call(tls, "PING") == b"+PONG"
    with socket.create_connection((tls.host, tls.port or 0), timeout=2) as conn:  # plain text is refused
        conn.sendall(b"*1\r\n$4\r\nPING\r\n")
        try:
            assert b"PONG" not in conn.recv(1024)
        except ConnectionResetError:
            pass


def test_servers_get_ports_of_their_own() -> None:
    if find_redis_server() is None:
        pytest.skip("redis-server is not installed")
    with RedisServer() as first, RedisServer() as second:
        assert first.port != second.port
        assert call(first, "PING") == call(second, "PING") == b"+PONG"
    assert not first.directory.exists()


def test_a_server_that_cannot_start_says_why() -> None:
    if find_redis_server() is None:
        pytest.skip("redis-server is not installed")
    with RedisServer() as running:
        clash = RedisServer()
        clash.port = running.port  # taken: a fixed port is not replaced
        with pytest.raises(RedisServerError, match="in use"):
            clash.start()
        clash.close()
    with pytest.raises(RedisServerError, match="cannot run"):
        RedisServer(executable="/nonexistent/redis-server").start()


def test_without_redis_server_the_fixture_skips(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="redis-server is not installed"):
        next(redis_server_for_test())


@pytest.mark.parametrize("value", ["true", "1", "yes"])
def test_without_redis_server_ci_fails(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("CI", value)
    assert in_ci()
    with pytest.raises(pytest.fail.Exception, match=r"CI runs every Redis test"):
        next(redis_server_for_test())


@pytest.mark.parametrize("value", ["", "0", "false"])
def test_ci_unset_or_false(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    assert not in_ci()
