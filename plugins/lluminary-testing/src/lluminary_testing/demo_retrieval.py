"""The demo's retrieval step: real offline embeddings (``local:e5-small``) into a real FAISS index,
a question retrieved by meaning, and an answer that cites the passages it used.

The passages are embedded for real and retrieved for real; only the answer comes from the
simulated OpenAI server, scripted once the passages are known to cite the one that holds the
answer, by its number in the prompt (as a model reading them would).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from typing import Any

from lluminary import Usage

from .scenario import Scenario
from .server import Fault

EMBED_MODEL = "local:e5-small"
QUESTION = "Which river flows through the most countries?"
#: The simulated answer; ``{n}`` becomes the number of the passage that holds it.
ANSWER = ("The Danube ", "flows through ten countries, ", "more than any other river [{n}].")
NOT_FOUND = ("The passages do not say.",)
PASSAGES = (
    "The Danube flows through ten countries, from Germany to Ukraine, more than any other river.",
    "The Nile is often named the longest river on Earth, at about 6,650 kilometres.",
    "The Amazon carries more water to the sea than the next seven largest rivers together.",
    "Lake Baikal in Siberia holds about a fifth of the fresh surface water on the planet.",
    "Mount Everest rises 8,849 metres above sea level on the border of Nepal and China.",
    "The Mariana Trench in the Pacific reaches almost eleven kilometres below the surface.",
    "Venice is built on more than a hundred small islands linked by about four hundred bridges.",
    "The Sahara is the largest hot desert, covering much of North Africa.",
    "Antarctica is the coldest continent; its ice sheet is nearly five kilometres thick in places.",
    "The Great Barrier Reef off Australia is the largest structure built by living organisms.",
    "Honey found in ancient Egyptian tombs was still edible thousands of years later.",
    "Octopuses have three hearts and blue blood rich in copper.",
    "A day on Venus lasts longer than its year.",
    "Light from the Sun takes a little over eight minutes to reach the Earth.",
    "The human body has 206 bones; a newborn has nearly 300, many of which fuse.",
    "Bamboo can grow almost a metre in a single day.",
    "The Eiffel Tower grows up to fifteen centimetres taller in summer as its iron expands.",
    "Sharks existed before trees: the first sharks appeared over 400 million years ago.",
    "The Rhine rises in the Swiss Alps and reaches the North Sea in the Netherlands.",
    "The Mississippi and Missouri together form one of the longest river systems in North America.",
    "The Volga is the longest river in Europe and flows entirely within Russia.",
    "Iceland has no mosquitoes, although its neighbours do.",
    "The Pacific is the largest ocean, larger than all the land on Earth combined.",
    "Tea was drunk in China for centuries before it reached Europe in the 1600s.",
    "The Great Wall of China is not visible to the naked eye from the Moon.",
    "Bananas are berries, botanically speaking, while strawberries are not.",
    "The Amazon rainforest produces a large share of its own rain through transpiration.",
    "The Atacama Desert in Chile has places where no rain has ever been recorded.",
    "Saturn would float in water if there were a bath big enough, as it is less dense.",
    "The Mekong flows through six countries of Southeast Asia on its way to the sea.",
)


def scenario(cited: int | None) -> Scenario:
    """What the simulated OpenAI server answers, citing passage number ``cited`` (None: not found)."""
    text = NOT_FOUND if cited is None else tuple(piece.format(n=cited) for piece in ANSWER)
    return Scenario(
        text=text,
        usage=Usage(input_tokens=231, output_tokens=19),
        model="gpt-4o-mini-2024-07-18",
        id="chatcmpl-demo-rag",
        fault=Fault(chunk_delay=0.02),
    )


def run_step(client: Any, chat_model: str, server: Any, say: Callable[..., None]) -> None:
    """Index :data:`PASSAGES`, retrieve for :data:`QUESTION`, answer with citations."""
    with tempfile.TemporaryDirectory(prefix="lluminary-demo-") as folder:
        store = client.open_store(f"faiss://{folder}/passages?index=flat&metric=cosine", embed=EMBED_MODEL)
        store.add_texts(list(PASSAGES), [{"passage": n} for n in range(len(PASSAGES))])
        say(f"   {store.count()} passages embedded offline with {EMBED_MODEL} into a FAISS index")
        say(f"   > {QUESTION}")
        found = store.retrieve(QUESTION, k=3)
        for number, match in enumerate(found, start=1):
            say(f"   [{number}] {match.score:.3f}  {match.text}")
        holding = [n for n, match in enumerate(found, start=1) if match.metadata.get("passage") == 0]
        server.script(scenario(holding[0] if holding else None))
        reply = store.answer(chat_model, QUESTION, k=3)
        say(f"   answer: {reply.text}")
        for citation in reply.citations:
            for source in citation.sources:
                say(f"   cited: {source['text']}")
        store.close()
