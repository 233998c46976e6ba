"""Chat, stream, think and embed with a local Ollama server.

    python plugins/lluminary-ollama/examples/chat.py [model] [embedding-model]

It uses the server on OLLAMA_HOST (default 127.0.0.1:11434) and the first installed models when
none are named; when no server answers, it says how to start one and exits.
"""

from __future__ import annotations

import sys

import lluminary
from lluminary import APIConnectionError, InvalidRequestError, NotFoundError, ReasoningDelta, TextDelta


def stream_once(model: str, reasoning: str | None) -> None:
    with lluminary.stream(model, "Count from 1 to 5.", max_tokens=200, reasoning=reasoning) as stream:
        for event in stream:
            if isinstance(event, ReasoningDelta):
                print(f"\033[2m{event.text}\033[0m", end="", flush=True)
            elif isinstance(event, TextDelta):
                print(event.text, end="", flush=True)


def main() -> int:
    installed = [m for m in lluminary.models() if m.provider == "ollama" and m.id != "ollama:*"]
    chat_models = [m.id for m in installed if m.kind == "chat"]
    embed_models = [m.id for m in installed if m.kind == "embedding"]
    model = f"ollama:{sys.argv[1]}" if len(sys.argv) > 1 else (chat_models[0] if chat_models else "ollama:llama3.2")
    embed_model = f"ollama:{sys.argv[2]}" if len(sys.argv) > 2 else (embed_models[0] if embed_models else None)
    try:
        reply = lluminary.generate(model, "Why is the sky blue? One sentence.", max_tokens=200)
    except APIConnectionError as exc:
        print(f"No Ollama server: {exc.message}")
        return 0
    except NotFoundError as exc:
        print(exc.message)
        return 0
    print(f"{model}: {reply.text!r}\n  usage={reply.usage} (cost is always $0)")

    print("stream: ", end="")
    try:  # thinking models show their reasoning (dimmed); others say they do not support it
        stream_once(model, reasoning="low")
    except InvalidRequestError:
        stream_once(model, reasoning=None)
    print()

    if embed_model is None:
        print("no embedding model installed (try `ollama pull nomic-embed-text`)")
    else:
        vectors = lluminary.embed(embed_model, ["sky", "ocean"])
        print(f"{embed_model}: {len(vectors.embeddings)} vectors of {len(vectors.embeddings[0])} dimensions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
