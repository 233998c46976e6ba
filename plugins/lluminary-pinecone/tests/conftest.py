"""Every test talks to a fake Pinecone data plane (``fake_pinecone``, from lluminary-testing)
through the real SDK, with the fake's key in ``PINECONE_API_KEY``."""

from __future__ import annotations

import pytest

from lluminary_testing.pinecone_server import API_KEY, FakePineconeServer


@pytest.fixture(autouse=True)
def pinecone_api_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("PINECONE_API_KEY", API_KEY)
    return API_KEY


def url_for(server: FakePineconeServer, index: str = "test-index", **options: object) -> str:
    """A ``pinecone://`` URL for the fake, with fast retries unless the test says otherwise."""
    query = {"host": server.base_url, "retry_delay": "0", **{k: str(v) for k, v in options.items()}}
    return f"pinecone://{index}?" + "&".join(f"{k}={v}" for k, v in query.items())
