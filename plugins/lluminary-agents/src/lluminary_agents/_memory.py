"""Memory across runs: what an agent recalls before a run and keeps after it.

* :class:`BufferMemory` keeps the conversation (optionally the last ``max_turns`` turns);
* :class:`TokenWindowMemory` keeps it within ``max_tokens`` (counted by the provider, through the
  client), summarising the oldest turns with a model when the window would overflow;
* :class:`VectorMemory` stores past exchanges in any vector store and recalls the ones nearest the
  new prompt.

Buffer and token-window memories serialise (``to_dict`` / ``from_dict``); a vector memory lives in
its store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from lluminary import Message, RequestValidationError, ToolCallPart, ToolResultPart

if TYPE_CHECKING:
    from lluminary import Collection

    from ._agent import Agent


@runtime_checkable
class Memory(Protocol):
    """What an agent's ``memory=`` provides."""

    async def recall(self, prompt: str, agent: Agent[Any]) -> list[Message]:
        """Messages to put before the new turn."""
        ...

    async def remember(self, messages: Sequence[Message], agent: Agent[Any]) -> None:
        """Keep a finished run's messages (its new turn and everything after it)."""
        ...


def turns(messages: Sequence[Message]) -> list[list[Message]]:
    """Messages cut into turns, each starting at a user message, so a tool call is never
    separated from its result."""
    out: list[list[Message]] = []
    for message in messages:
        opens_turn = message.role == "user" and not any(isinstance(p, ToolResultPart) for p in message.content)
        if opens_turn or not out:
            out.append([message])
        else:
            out[-1].append(message)
    return out


class BufferMemory:
    """The whole conversation, or its last ``max_turns`` turns."""

    def __init__(self, max_turns: int | None = None, messages: Sequence[Message] = ()) -> None:
        if max_turns is not None and (isinstance(max_turns, bool) or not isinstance(max_turns, int) or max_turns < 1):
            raise RequestValidationError(f"max_turns must be a positive integer, got {max_turns!r}")
        self.max_turns = max_turns
        self.messages: list[Message] = list(messages)

    async def recall(self, prompt: str, agent: Agent[Any]) -> list[Message]:
        return list(self.messages)

    async def remember(self, messages: Sequence[Message], agent: Agent[Any]) -> None:
        self.messages.extend(messages)
        if self.max_turns is not None:
            kept = turns(self.messages)[-self.max_turns :]
            self.messages = [m for turn in kept for m in turn]

    def to_dict(self) -> dict[str, Any]:
        from lluminary.sdk import to_dict

        return {"kind": "buffer", "max_turns": self.max_turns, "messages": [to_dict(m) for m in self.messages]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BufferMemory:
        from lluminary.sdk import from_dict

        return cls(data.get("max_turns"), [from_dict(m, Message) for m in data["messages"]])


SUMMARY_PROMPT = (
    "Summarise this conversation so it can continue without it: keep every fact, name, number, decision "
    "and open question; leave out pleasantries. Answer with the summary only.\n\n{transcript}"
)


class TokenWindowMemory:
    """The conversation within ``max_tokens`` input tokens of ``agent.model``. When the history and
    the new prompt would not fit, the oldest turns (all but ``keep_turns``) are summarised by
    ``summary_model`` (default: the agent's model) and replaced by the summary.

    Tokens are counted by the provider through the client (``acount_tokens``); where a provider
    cannot count, four characters make a token."""

    def __init__(
        self,
        max_tokens: int,
        *,
        summary_model: str | None = None,
        keep_turns: int = 2,
        summary: str = "",
        messages: Sequence[Message] = (),
    ) -> None:
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
            raise RequestValidationError(f"max_tokens must be a positive integer, got {max_tokens!r}")
        self.max_tokens = max_tokens
        self.summary_model = summary_model
        self.keep_turns = keep_turns
        self.summary = summary
        self.messages: list[Message] = list(messages)
        self.summaries = 0

    def _history(self) -> list[Message]:
        if not self.summary:
            return list(self.messages)
        return [
            Message.user(f"Summary of our conversation so far:\n{self.summary}"),
            Message.assistant("Noted."),
            *self.messages,
        ]

    async def recall(self, prompt: str, agent: Agent[Any]) -> list[Message]:
        history = self._history()
        if history and await self.count([*history, Message.user(prompt)], agent) > self.max_tokens:
            await self.compact(agent)
            history = self._history()
        return history

    async def count(self, messages: Sequence[Message], agent: Agent[Any]) -> int:
        from lluminary import UnsupportedError

        try:
            return await agent.client.acount_tokens(
                agent.model, messages=list(messages), system=agent.instructions or None
            )
        except UnsupportedError:
            return sum(len(_plain(m)) for m in messages) // 4 + 1

    async def compact(self, agent: Agent[Any]) -> None:
        """Summarise all but the last ``keep_turns`` turns into :attr:`summary`."""
        cut = turns(self.messages)
        old, kept = cut[: -self.keep_turns] if self.keep_turns else cut, (
            cut[-self.keep_turns :] if self.keep_turns else []
        )
        if not old:
            return
        transcript = "\n".join(_plain(m) for turn in old for m in turn)
        if self.summary:
            transcript = f"Earlier summary: {self.summary}\n{transcript}"
        reply = await agent.client.agenerate(
            self.summary_model or agent.model, SUMMARY_PROMPT.format(transcript=transcript)
        )
        self.summary = reply.text.strip()
        self.messages = [m for turn in kept for m in turn]
        self.summaries += 1

    async def remember(self, messages: Sequence[Message], agent: Agent[Any]) -> None:
        self.messages.extend(messages)

    def to_dict(self) -> dict[str, Any]:
        from lluminary.sdk import to_dict

        return {
            "kind": "token_window",
            "max_tokens": self.max_tokens,
            "summary_model": self.summary_model,
            "keep_turns": self.keep_turns,
            "summary": self.summary,
            "messages": [to_dict(m) for m in self.messages],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TokenWindowMemory:
        from lluminary.sdk import from_dict

        return cls(
            int(data["max_tokens"]),
            summary_model=data.get("summary_model"),
            keep_turns=int(data.get("keep_turns", 2)),
            summary=str(data.get("summary", "")),
            messages=[from_dict(m, Message) for m in data["messages"]],
        )


class VectorMemory:
    """Past exchanges (a prompt and the final answer) in a vector store, recalled by similarity:
    ``VectorMemory(lluminary.open_store("faiss:///data/memory", embed="local:e5-small"))``."""

    def __init__(self, collection: Collection, k: int = 3, min_score: float | None = None) -> None:
        self.collection = collection
        self.k = k
        self.min_score = min_score

    async def recall(self, prompt: str, agent: Agent[Any]) -> list[Message]:
        if not prompt.strip() or await self.collection.acount() == 0:
            return []
        matches = await self.collection.aretrieve(prompt, self.k)
        texts = [m.text for m in matches if m.text and (self.min_score is None or m.score >= self.min_score)]
        if not texts:
            return []
        listed = "\n".join(f"- {t}" for t in texts)
        return [
            Message.user(f"Things you may remember from earlier conversations:\n{listed}"),
            Message.assistant("Noted."),
        ]

    async def remember(self, messages: Sequence[Message], agent: Agent[Any]) -> None:
        question = next((m.text for m in messages if m.role == "user" and m.text), "")
        answer = next((m.text for m in reversed(messages) if m.role == "assistant" and m.text), "")
        if question or answer:
            await self.collection.aadd_texts(
                [f"User: {question}\nAssistant: {answer}".strip()], [{"agent": agent.name}]
            )


def _plain(message: Message) -> str:
    """A message as one line of a transcript."""
    pieces: list[str] = []
    for part in message.content:
        if isinstance(part, ToolCallPart):
            pieces.append(f"[called {part.name}({dict(part.arguments)})]")
        elif isinstance(part, ToolResultPart):
            pieces.append(f"[{part.name or 'tool'} returned: {part.content}]")
        elif hasattr(part, "text") and part.text:
            pieces.append(part.text)
    return f"{message.role}: {' '.join(pieces)}"
