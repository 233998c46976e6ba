"""Chat, stream, call a tool and embed with Mistral.

    MISTRAL_API_KEY=... python plugins/lluminary-mistral/examples/chat.py [model]

Without MISTRAL_API_KEY it says so and exits without calling anything.
"""

from __future__ import annotations

import os
import sys

import lluminary
from lluminary import Message, TextDelta, Tool


def main() -> int:
    if not os.environ.get("MISTRAL_API_KEY"):
        print("MISTRAL_API_KEY is not set: get a key at https://console.mistral.ai and export it to run this example.")
        return 0
    model = f"mistral:{sys.argv[1]}" if len(sys.argv) > 1 else "mistral:mistral-small-latest"

    reply = lluminary.generate(model, "Name three French cheeses, comma-separated.", max_tokens=60)
    print(f"generate: {reply.text!r}\n  usage={reply.usage} cost=${reply.cost.total if reply.cost else 0:.6f}")

    print("stream:   ", end="")
    with lluminary.stream(model, "Write a haiku about Lyon.", max_tokens=80) as stream:
        for event in stream:
            if isinstance(event, TextDelta):
                print(event.text, end="", flush=True)
    print()

    weather = Tool(
        "get_weather",
        "Current weather for a city.",
        {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    )
    question = Message.user("What is the weather in Paris?")
    turn = lluminary.generate(model, messages=[question], tools=[weather], tool_choice="required")
    for call in turn.tool_calls:
        print(f"tool call: {call.name}({call.arguments})")
    if turn.tool_calls:
        results = [Message.tool(c.id, "18°C and sunny", name=c.name) for c in turn.tool_calls]
        final = lluminary.generate(model, messages=[question, turn.message, *results], tools=[weather])
        print(f"answer:   {final.text}")

    prefix = lluminary.generate(
        model,
        messages=[Message.user("The capital of France?"), Message.assistant("The capital of France is")],
        max_tokens=20,
    )
    print(f"prefix:   'The capital of France is' + {prefix.text!r}")

    vectors = lluminary.embed("mistral:mistral-embed", ["cheese", "fromage"])
    print(f"embed:    {len(vectors.embeddings)} vectors of {len(vectors.embeddings[0])} dimensions")

    tokens = lluminary.default_client()
    import asyncio

    count = asyncio.run(tokens.acount_tokens(model, "How many tokens is this sentence?"))
    print(f"tokens:   {count} (counted offline)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
