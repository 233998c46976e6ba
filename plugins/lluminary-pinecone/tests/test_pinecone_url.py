"""``pinecone://`` URLs: every option, its default, and a typed error for each mistake, with the
API key never taken from (or shown in) the URL."""

from __future__ import annotations

import pytest

from lluminary.sdk import ConfigurationError, redact
from lluminary_pinecone import PineconeStore, parse_url
from lluminary_pinecone.config import DEFAULT_TEXT_KEY, PineconeConfig

KEY = "pcsk_url_test_0123456789abcdefghij"


def test_defaults() -> None:
    config = parse_url("pinecone://my-index", api_key=KEY)
    assert config == PineconeConfig(index="my-index", api_key=KEY)
    assert (config.host, config.namespace, config.metric, config.text_key) == (None, "", None, DEFAULT_TEXT_KEY)
    assert (config.timeout, config.retries, config.retry_delay) == (30.0, 3, 0.5)


def test_every_option() -> None:
    config = parse_url(
        "pinecone://docs-2?host=https://docs-2-abc.svc.aped-4627.pinecone.io&namespace=tenant-7&metric=euclidean"
        "&text_key=body&timeout=4.5&retries=5&retry_delay=0&controller_host=http://localhost:5080",
        api_key=KEY,
    )
    assert config.host == "https://docs-2-abc.svc.aped-4627.pinecone.io"
    assert (config.namespace, config.metric, config.text_key) == ("tenant-7", "l2", "body")
    assert (config.timeout, config.retries, config.retry_delay) == (4.5, 5, 0.0)
    assert config.controller_host == "http://localhost:5080"


@pytest.mark.parametrize(
    ("given", "metric"), [("cosine", "cosine"), ("dot", "dot"), ("dotproduct", "dot"), ("l2", "l2")]
)
def test_metric_takes_both_vocabularies(given: str, metric: str) -> None:
    assert parse_url(f"pinecone://i?metric={given}", api_key=KEY).metric == metric


def test_the_key_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PINECONE_API_KEY", KEY)
    assert parse_url("pinecone://i").api_key == KEY
    monkeypatch.setenv("TEAM_PINECONE_KEY", KEY + "x")
    assert parse_url("pinecone://i?api_key_env=TEAM_PINECONE_KEY").api_key == KEY + "x"


def test_a_missing_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PINECONE_API_KEY")
    with pytest.raises(ConfigurationError, match="PINECONE_API_KEY") as caught:
        parse_url("pinecone://i")
    assert caught.value.env_var == "PINECONE_API_KEY"
    with pytest.raises(ConfigurationError, match="OTHER_KEY"):
        parse_url("pinecone://i?api_key_env=OTHER_KEY")


def test_a_key_in_the_url_is_refused_without_quoting_it() -> None:
    with pytest.raises(ConfigurationError, match="does not belong in a store URL") as caught:
        parse_url(f"pinecone://i?api_key={KEY}")
    assert KEY not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("faiss:///tmp/x", "starts with pinecone://"),
        ("pinecone://", "index name"),
        ("pinecone://My_Index", "index name"),
        ("pinecone://i/extra", "index name"),
        ("pinecone://i?nmespace=x", "unknown option"),
        ("pinecone://i?metric=manhattan", "metric= takes"),
        ("pinecone://i?timeout=0", "timeout= takes a positive"),
        ("pinecone://i?timeout=soon", "timeout= takes a positive"),
        ("pinecone://i?retry_delay=-1", "retry_delay= takes a non-negative"),
        ("pinecone://i?retries=0", "retries= takes"),
        ("pinecone://i?retries=two", "retries= takes"),
        ("pinecone://i?=x", "unknown option"),
        ("pinecone://i?namespace", "name=value"),
    ],
)
def test_mistakes_are_typed_errors(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        parse_url(url, api_key=KEY)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("pinecone://i?namespace=__default__", "__default__"),
        ("pinecone://i?namespace=caf%C3%A9", "ASCII"),
        ("pinecone://i?text_key=%24text", "text_key"),
    ],
)
def test_store_options_are_checked_when_opened(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        PineconeStore.from_url(url, api_key=KEY)


def test_the_key_is_in_no_repr_and_is_redacted_from_messages() -> None:
    store = PineconeStore.from_url("pinecone://i?host=https://i-1.svc.pinecone.io", api_key=KEY)
    for text in (repr(store), repr(store.config), str(store.config)):
        assert KEY not in text
    assert "i-1.svc.pinecone.io" in repr(store)
    assert redact(f"the key was {KEY}") == "the key was [REDACTED]"
