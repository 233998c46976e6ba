"""The ``faiss://`` URL: where the directory is, and every option checked, with a
ConfigurationError naming the option for anything unknown or invalid."""

from __future__ import annotations

import os

import pytest

from lluminary.sdk import ConfigurationError
from lluminary_faiss import FaissOptions, plugin
from lluminary_faiss.options import DEFAULT_EF_SEARCH


def test_paths() -> None:
    assert FaissOptions.from_url("faiss:///data/index").directory == "/data/index"
    assert FaissOptions.from_url("faiss://relative/dir").directory == os.path.abspath("relative/dir")
    assert FaissOptions.from_url("faiss://~/vectors").directory == os.path.expanduser("~/vectors")
    assert FaissOptions.from_url("faiss:///with%20space/x").directory == "/with space/x"


def test_options() -> None:
    options = FaissOptions.from_url(
        "faiss:///d?index=hnsw&metric=l2&m=24&ef_construction=80&ef_search=100&dim=384&threads=2"
    )
    assert (options.index, options.metric, options.m, options.ef_construction) == ("hnsw", "l2", 24, 80)
    assert (options.ef_search, options.dim, options.threads) == (100, 384, 2)
    plain = FaissOptions.from_url("faiss:///d")
    assert (plain.index, plain.metric, plain.m, plain.dim, plain.ef_search) == (
        None,
        None,
        None,
        None,
        DEFAULT_EF_SEARCH,
    )
    assert FaissOptions.from_url(options.url()) == options


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("faiss:///d?indx=flat", "'indx'"),
        ("faiss:///d?index=ivf", "index='ivf'"),
        ("faiss:///d?metric=euclidean", "metric='euclidean'"),
        ("faiss:///d?m=1", "m='1'"),
        ("faiss:///d?m=abc", "m='abc'"),
        ("faiss:///d?ef_search=0", "ef_search='0'"),
        ("faiss:///d?ef_construction=-4", "ef_construction='-4'"),
        ("faiss:///d?dim=", "dim=''"),
        ("faiss:///d?threads=0", "threads='0'"),
        ("faiss:///d?metric=l2&metric=dot", "'metric' is given twice"),
        ("faiss:///d?index=flat&m=16", "'m' applies to index=hnsw only"),
        ("faiss:///d?index=flat&ef_search=16", "'ef_search' applies to index=hnsw only"),
        ("faiss://", "no directory"),
        ("faiss:///", "no directory"),
        ("fais:///d", "scheme"),
    ],
)
def test_invalid_urls_name_the_problem(url: str, named: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        FaissOptions.from_url(url)
    assert named in str(caught.value)


def test_the_hook_answers_faiss_urls_only() -> None:
    assert plugin.lluminary_store("memory://x") is None
    assert plugin.lluminary_store("pinecone://index") is None
    store = plugin.lluminary_store("faiss:///tmp/never-opened?index=hnsw")
    assert store is not None
    assert "not opened yet" in repr(store)
    with pytest.raises(ConfigurationError):
        plugin.lluminary_store("faiss:///tmp/x?bogus=1")
