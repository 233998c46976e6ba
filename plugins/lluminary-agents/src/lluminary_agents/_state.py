"""The state of a run: every message, every step, the usage and cost so far, and what a paused run
waits for. It is plain data and serialises to JSON, so a run can be saved, inspected and resumed
(in another process, after a human approved a tool call)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from lluminary import Cost, Message, Usage

Status = Literal["running", "paused", "finished"]
STATE_VERSION = 1


@attrs.define
class StepRecord:
    """One model turn: which model answered, what it cost, which tools it called."""

    index: int
    model: str
    usage: Usage = Usage()  # noqa: RUF009 - frozen, safe to share
    cost: Cost = Cost()  # noqa: RUF009 - frozen, safe to share
    tool_calls: tuple[str, ...] = ()
    finish_reason: str = ""
    duration: float = 0.0


@attrs.define
class Decision:
    """A human's answer to an approval request."""

    approved: bool
    reason: str = ""


@attrs.define
class RunState:
    """A run, whole or partial. ``messages`` is the conversation the model sees (without memory
    or instructions); ``pending`` the tool calls a paused run waits on."""

    messages: list[Message] = attrs.field(factory=list)
    steps: list[StepRecord] = attrs.field(factory=list)
    usage: Usage = Usage()  # noqa: RUF009 - frozen, safe to share
    cost: Cost = Cost()  # noqa: RUF009 - frozen, safe to share
    status: Status = "running"
    output: Any = None
    pending: tuple[str, ...] = ()
    decisions: dict[str, Decision] = attrs.field(factory=dict)
    run_id: str = ""
    #: Messages at the start of the run that came from memory (not saved back to it).
    recalled: int = 0

    # ---- accounting

    def add(self, usage: Usage, cost: Cost | None) -> None:
        """Add a model call's (or a sub-agent's) usage and cost to the run's totals."""
        self.usage = self.usage + usage
        if cost is not None:
            self.cost = self.cost + cost

    @property
    def step_count(self) -> int:
        return len(self.steps)

    # ---- approval

    def approve(self, call_id: str) -> RunState:
        """Let the paused tool call ``call_id`` run when the run resumes."""
        return self._decide(call_id, Decision(True))

    def deny(self, call_id: str, reason: str = "the user denied this tool call") -> RunState:
        """Refuse ``call_id``: the model gets ``reason`` back as an error tool result."""
        return self._decide(call_id, Decision(False, reason))

    def _decide(self, call_id: str, decision: Decision) -> RunState:
        from lluminary import RequestValidationError

        if call_id not in self.pending:
            raise RequestValidationError(f"tool call {call_id!r} is not waiting for approval (waiting: {self.pending})")
        self.decisions[call_id] = decision
        return self

    @property
    def undecided(self) -> tuple[str, ...]:
        return tuple(c for c in self.pending if c not in self.decisions)

    # ---- serialisation

    def to_dict(self) -> dict[str, Any]:
        from lluminary.sdk import to_dict

        return {
            "version": STATE_VERSION,
            "run_id": self.run_id,
            "status": self.status,
            "messages": [to_dict(m) for m in self.messages],
            "steps": [_step_dict(s) for s in self.steps],
            "usage": to_dict(self.usage),
            "cost": to_dict(self.cost),
            "output": _plain(self.output),
            "pending": list(self.pending),
            "decisions": {k: {"approved": d.approved, "reason": d.reason} for k, d in self.decisions.items()},
            "recalled": self.recalled,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunState:
        from lluminary import RequestValidationError
        from lluminary.sdk import from_dict

        if not isinstance(data, Mapping) or data.get("version") != STATE_VERSION:
            raise RequestValidationError(f"not a saved agent run (version {STATE_VERSION})")
        try:
            return cls(
                messages=[from_dict(m, Message) for m in data["messages"]],
                steps=[_step_from(s) for s in data["steps"]],
                usage=from_dict(data["usage"], Usage),
                cost=from_dict(data["cost"], Cost),
                status=data["status"],
                output=data.get("output"),
                pending=tuple(data.get("pending", ())),
                decisions={k: Decision(bool(v["approved"]), str(v["reason"])) for k, v in data["decisions"].items()},
                run_id=str(data.get("run_id", "")),
                recalled=int(data.get("recalled", 0)),
            )
        except Exception as exc:  # noqa: BLE001 - cattrs raises error groups
            raise RequestValidationError(f"a saved agent run is damaged: {type(exc).__name__}: {exc}") from None

    @classmethod
    def from_json(cls, text: str | bytes) -> RunState:
        from lluminary import RequestValidationError

        try:
            data = json.loads(text)
        except ValueError as exc:
            raise RequestValidationError(f"a saved agent run is not JSON: {exc}") from None
        return cls.from_dict(data)


def _step_dict(step: StepRecord) -> dict[str, Any]:
    from lluminary.sdk import to_dict

    return {
        "index": step.index,
        "model": step.model,
        "usage": to_dict(step.usage),
        "cost": to_dict(step.cost),
        "tool_calls": list(step.tool_calls),
        "finish_reason": step.finish_reason,
        "duration": step.duration,
    }


def _step_from(data: Mapping[str, Any]) -> StepRecord:
    from lluminary.sdk import from_dict

    return StepRecord(
        int(data["index"]),
        str(data["model"]),
        from_dict(data["usage"], Usage),
        from_dict(data["cost"], Cost),
        tuple(data["tool_calls"]),
        str(data["finish_reason"]),
        float(data["duration"]),
    )


def _plain(value: Any) -> Any:
    """A typed output as JSON-ready data (a saved run keeps its answer as data)."""
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    import cattrs

    return cattrs.Converter().unstructure(value)
