"""Collections: a store plus an embedding model, async and sync; retrieval and cited answers;
the text splitter."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from lluminary import Client, Collection, FilterError, RequestValidationError, split_text
from lluminary._plugins import PluginManager
from lluminary._retrieval import cite, passages_prompt
from lluminary.sdk import ChatResponse, EmbedRequest, Match, Message, Record, ScriptedProvider, TextPart


@pytest.fixture(autouse=True)
def _no_installed_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLUMINARY_PLUGINS", "")


def make(*script: object) -> tuple[Client, ScriptedProvider]:
    provider = ScriptedProvider("scripted", script, dimensions=16)  # type: ignore[arg-type]
    pm = PluginManager()
    pm.register(provider)
    return Client(plugins=pm, cache=False, retries=1), provider


def answer(text: str) -> ChatResponse:
    return ChatResponse(Message("assistant", (TextPart(text),)), "stop")


FACTS = [
    "The Danube flows through ten countries.",
    "Mount Kilimanjaro is the highest mountain in Africa.",
    "The Atacama is one of the driest deserts on Earth.",
    "Honey never spoils if it is kept sealed.",
]


async def test_texts_are_embedded_as_documents_and_questions_as_queries() -> None:
    client, provider = make()
    store = client.open_store("memory://facts", embed="scripted:e")
    ids = await store.aadd_texts(FACTS, [{"n": i} for i in range(4)])
    hits = await store.aretrieve(FACTS[2], k=2)
    assert hits[0].id == ids[2]
    assert hits[0].text == FACTS[2]
    assert dict(hits[0].metadata) == {"n": 2}
    assert hits[0].score == pytest.approx(1.0)
    kinds = [r.input_type for r in provider.requests if isinstance(r, EmbedRequest)]
    assert kinds == ["document", "query"]
    assert client.usage.input_tokens > 0  # the embeddings went through the client


async def test_large_batches_are_embedded_in_slices() -> None:
    client, provider = make()
    store = client.open_store("memory://many", embed="scripted:e")
    await store.aadd_texts([f"text {i}" for i in range(200)])
    sizes = [len(r.inputs) for r in provider.requests if isinstance(r, EmbedRequest)]
    assert sizes == [96, 96, 8]
    assert await store.acount() == 200


async def test_an_answer_cites_the_passages_it_used() -> None:
    client, provider = make(answer("It is the Atacama [2]. Honey keeps [1][3]. Nothing here [9]."))
    store = client.open_store("memory://cited", embed="scripted:e")
    await store.aadd_texts(FACTS, ids=["danube", "kili", "atacama", "honey"])
    reply = await store.aanswer("scripted:chat", "Which desert is driest?", k=3)
    prompt = provider.requests[-1]
    assert prompt.system is not None
    assert "square brackets" in prompt.system
    assert "Question: Which desert is driest?" in prompt.messages[0].text
    retrieved = [m.id for m in await store.aretrieve("Which desert is driest?", k=3)]
    assert [c.text for c in reply.citations] == ["It is the Atacama [2].", "Honey keeps [1][3]."]
    first, second = reply.citations
    assert reply.text[first.start : first.end] == "It is the Atacama [2]."
    assert [s["id"] for s in first.sources] == [retrieved[1]]
    assert [s["id"] for s in second.sources] == [retrieved[0], retrieved[2]]
    assert {"id", "text", "metadata", "score"} <= set(first.sources[0])


def test_the_sync_face() -> None:
    client, _ = make()
    store = client.open_store("memory://sync", embed="scripted:e")
    ids = store.add_texts(FACTS[:2])
    assert store.count() == 2
    assert store.query(FACTS[1], top_k=1)[0].id == ids[1]
    assert [r.id for r in store.fetch(ids)] == ids
    store.delete(ids[:1])
    assert store.count() == 1
    client.close()


async def test_arguments_are_checked_before_any_io() -> None:
    client, provider = make()
    store = client.open_store("memory://checks", embed="scripted:e")
    with pytest.raises(FilterError, match="unknown operator"):
        await store.aquery("x", filter={"a": {"$regex": "b"}})
    with pytest.raises(RequestValidationError, match="top_k"):
        await store.aquery("x", top_k=0)
    with pytest.raises(RequestValidationError, match="ids or a filter"):
        await store.adelete()
    with pytest.raises(RequestValidationError, match="ids or a filter"):
        await store.adelete(["a"], filter={})
    with pytest.raises(RequestValidationError, match="2 texts but 1 metadatas"):
        await store.aadd_texts(["a", "b"], [{}])
    with pytest.raises(RequestValidationError, match="one string"):
        await store.aadd_texts("abc")  # type: ignore[arg-type]
    with pytest.raises(RequestValidationError, match="neither a vector nor a text"):
        await store.aupsert([Record("x")])
    assert provider.requests == []
    bare = client.open_store("memory://bare")
    with pytest.raises(RequestValidationError, match="without embed="):
        await bare.aquery("a question")
    with pytest.raises(RequestValidationError, match="provider:model"):
        Collection(client, bare.backend, embed="no-prefix")


def test_passages_are_numbered_in_the_prompt() -> None:
    passages = [Match("a", 0.9, text="First."), Match("b", 0.8, text=None)]
    assert passages_prompt("Why?", passages) == "Passages:\n\n[1] First.\n\n[2] (no text)\n\nQuestion: Why?"


def test_citations_group_numbers_per_sentence() -> None:
    passages = [Match(f"p{i}", 1.0 - i / 10, text=f"passage {i}") for i in range(3)]
    reply = cite(answer("One [1, 3].\nTwo [2] and [2]! None."), passages)
    assert [(c.text, [s["id"] for s in c.sources]) for c in reply.citations] == [
        ("One [1, 3].", ["p0", "p2"]),
        ("Two [2] and [2]!", ["p1"]),
    ]


def test_split_text_breaks_at_the_largest_natural_boundary() -> None:
    text = "First paragraph is here.\n\nSecond one follows. It has two sentences."
    assert split_text(text, max_chars=40, overlap=0) == [
        "First paragraph is here.",
        "Second one follows. It has two",
        "sentences.",
    ]
    with pytest.raises(RequestValidationError, match="overlap"):
        split_text(text, max_chars=10, overlap=10)


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.sampled_from("ab .\n"), max_size=400),
    st.integers(min_value=5, max_value=60),
    st.integers(min_value=0, max_value=4),
)
def test_split_text_chunks_fit_and_lose_no_word(text: str, size: int, overlap: int) -> None:
    chunks = split_text(text, max_chars=size, overlap=overlap)
    assert all(0 < len(chunk) <= size for chunk in chunks)
    words = [w for w in text.split() if len(w) <= size]
    joined = " ".join(chunks)
    assert all(w in joined for w in words)
