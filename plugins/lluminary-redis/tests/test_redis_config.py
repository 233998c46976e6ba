"""Redis URLs: every form users write, the options, and typed errors that never quote a password."""

from __future__ import annotations

import pytest

import lluminary
from lluminary.sdk import ConfigurationError, redact
from lluminary_redis import plugin
from lluminary_redis.cache import RedisCache
from lluminary_redis.config import parse_url
from lluminary_redis.counters import RedisCounters

SECRET = "Sup3r-secret/pa:ss"  # a test password with characters that need quoting in a URL
QUOTED = "Sup3r-secret%2Fpa%3Ass"


def test_a_plain_url() -> None:
    config = parse_url("redis://127.0.0.1:6380/2")
    assert (config.scheme, config.host, config.port, config.db, config.path) == ("redis", "127.0.0.1", 6380, 2, None)
    assert config.namespace == "lluminary"
    assert config.ttl is None
    assert (config.connect_timeout, config.timeout, config.max_connections) == (0.5, 0.5, 50)
    assert (config.backoff, config.max_backoff) == (1.0, 15.0)
    assert config.display == "redis://127.0.0.1:6380/2"


def test_defaults_of_a_bare_url() -> None:
    config = parse_url("redis://")
    assert (config.host, config.port, config.db) == ("localhost", 6379, 0)
    assert parse_url("redis://h?db=3").db == 3
    assert parse_url("redis://[::1]:7000").display == "redis://[::1]:7000/0"


def test_options() -> None:
    config = parse_url(
        "redis://h/0?namespace=app:prod&ttl=3600&connect_timeout=0.1&timeout=0.25&max_connections=8"
        "&backoff=0.5&max_backoff=4&client_name=worker-1"
    )
    assert config.namespace == "app:prod"
    assert config.ttl == 3600
    assert (config.connect_timeout, config.timeout, config.max_connections) == (0.1, 0.25, 8)
    assert (config.backoff, config.max_backoff, config.client_name) == (0.5, 4, "worker-1")
    assert parse_url("redis://h?backoff=20").max_backoff == 20, "the longest skip is never shorter than the first"


def test_credentials_from_the_url_or_the_query() -> None:
    config = parse_url(f"redis://alice:{QUOTED}@h:1/0")
    assert (config.username, config.password) == ("alice", SECRET)
    assert config.display == "redis://alice:***@h:1/0"
    only_password = parse_url(f"redis://:{QUOTED}@h:1/0")
    assert (only_password.username, only_password.password) == (None, SECRET)
    assert only_password.display == "redis://:***@h:1/0"
    from_query = parse_url(f"unix:///run/redis.sock?db=1&username=bob&password={QUOTED}")
    assert (from_query.path, from_query.db, from_query.username, from_query.password) == (
        "/run/redis.sock",
        1,
        "bob",
        SECRET,
    )
    assert from_query.display == "unix://bob:***@/run/redis.sock?db=1"


def test_tls_options() -> None:
    config = parse_url("rediss://h:6380/0?ssl_ca_certs=/etc/ca.pem&ssl_certfile=/c.pem&ssl_keyfile=/k.pem")
    assert config.ssl == {
        "ssl_cert_reqs": "required",
        "ssl_ca_certs": "/etc/ca.pem",
        "ssl_certfile": "/c.pem",
        "ssl_keyfile": "/k.pem",
        "ssl_check_hostname": True,
    }
    assert parse_url("rediss://h").ssl == {"ssl_check_hostname": True}
    relaxed = parse_url("rediss://h?ssl_cert_reqs=none")
    assert relaxed.ssl == {"ssl_cert_reqs": "none", "ssl_check_hostname": False}
    kwargs = config.connection_kwargs()
    assert kwargs["connection_class"].__name__ == "SSLConnection"
    assert kwargs["ssl_ca_certs"] == "/etc/ca.pem"


def test_connection_kwargs_never_retry() -> None:
    kwargs = parse_url("redis://:pw-1234@h:1/3?timeout=0.2&connect_timeout=0.1").connection_kwargs()
    assert kwargs["retry"].get_retries() == 0
    assert (kwargs["socket_timeout"], kwargs["socket_connect_timeout"], kwargs["db"]) == (0.2, 0.1, 3)
    assert kwargs["password"] == "pw-1234"
    unix = parse_url("unix:///tmp/r.sock").connection_kwargs()
    assert (unix["connection_class"].__name__, unix["path"]) == ("UnixDomainSocketConnection", "/tmp/r.sock")


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("memcached://h", "starts with redis://"),
        ("redis://h:notaport/0", "invalid Redis URL"),
        ("redis://h/abc", "database number"),
        ("redis://h/1?db=2", "database twice"),
        ("redis://h?db=-1", "whole number"),
        ("redis://h?ttl=0", "above 0"),
        ("redis://h?timeout=soon", "above 0"),
        ("redis://h?connect_timeout=nan", "above 0"),
        ("redis://h?max_connections=0", "at least 1"),
        ("redis://h?namespace=", "non-empty"),
        ("redis://h?namespace=a%20b", "without spaces"),
        ("redis://h?nmespace=x", "unknown option 'nmespace'"),
        ("redis://h?ssl_ca_certs=/ca.pem", "rediss://"),
        ("rediss://h?ssl_cert_reqs=maybe", "none, optional or required"),
        ("rediss://h?ssl_check_hostname=perhaps", "true or false"),
        ("unix://", "socket's path"),
        ("unix://host/path", "socket's path"),
    ],
)
def test_bad_urls_are_configuration_errors(url: str, match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        parse_url(url)


def test_no_error_quotes_the_password() -> None:
    for url in (
        f"redis://alice:{QUOTED}@h:notaport/0",
        f"redis://alice:{QUOTED}@h/0?nmespace=x",
        f"redis://alice:{QUOTED}@h/x",
        f"rediss://:{QUOTED}@h?ssl_cert_reqs=maybe",
    ):
        with pytest.raises(ConfigurationError) as caught:
            parse_url(url)
        assert SECRET not in str(caught.value)
        assert QUOTED not in str(caught.value)
        assert "Sup3r" not in repr(caught.value)


def test_no_repr_shows_the_password() -> None:
    url = f"redis://alice:{QUOTED}@h:1/0?namespace=app"
    config = parse_url(url)
    for text in (repr(config), str(config), repr(RedisCache(config)), repr(RedisCounters(config)), config.display):
        assert "Sup3r" not in text
        assert "alice:***@h:1/0" in text
    # and once seen, the password is redacted from every lluminary error that would quote it
    assert SECRET not in redact(f"connecting with {SECRET} failed")
    assert SECRET not in str(lluminary.LluminaryError(f"echoed {SECRET}"))


def test_the_hooks_answer_only_redis_urls() -> None:
    assert plugin.lluminary_cache(url="memory://") is None
    assert plugin.lluminary_counters(url="sqlite:///tmp/x.db") is None
    assert isinstance(plugin.lluminary_cache(url="redis://h/0"), RedisCache)
    assert isinstance(plugin.lluminary_cache(url="unix:///tmp/x.sock"), RedisCache)
    assert isinstance(plugin.lluminary_counters(url="rediss://h/0"), RedisCounters)
    with pytest.raises(ConfigurationError):
        plugin.lluminary_cache(url="redis://h?bogus=1")


def test_importing_the_plugin_imports_no_redis_client() -> None:
    import subprocess
    import sys

    code = "import sys, lluminary_redis; print(sorted(m for m in sys.modules if m.split('.')[0] == 'redis'))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"
