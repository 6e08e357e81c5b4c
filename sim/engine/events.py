"""The run's event log: every transaction, block, message and rejection, in simulated time.

Events are kept in the order they happen on the simulation clock and written as canonical
JSON lines (sorted keys, no spaces, bytes as 0x-hex), so one seed gives one file, byte for
byte.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any


def _jsonable(value: Any) -> Any:
    """Convert a value to plain JSON types deterministically."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        # repr() of a float is exact and platform independent; NaN/inf are not valid JSON.
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "0x" + bytes(value).hex()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return _jsonable(value.value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_jsonable(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if hasattr(value, "to_json") and callable(value.to_json):
        return _jsonable(value.to_json())
    if hasattr(value, "__dataclass_fields__"):
        return {k: _jsonable(getattr(value, k)) for k in value.__dataclass_fields__}
    raise TypeError(f"cannot record a value of type {type(value).__name__} in the event log")


def canonical_json(value: Any) -> str:
    """Serialise ``value`` as canonical JSON: sorted keys, compact separators, ASCII only."""
    return json.dumps(_jsonable(value), sort_keys=True, separators=(",", ":"), ensure_ascii=True)


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of the event log.

    Attributes
    ----------
    seq : int
        Position in the log (0-based); ties in simulated time keep the order they happened.
    time : float
        Simulated seconds since the start of the run.
    kind : str
        Dotted event type, e.g. ``"eth.tx"``, ``"consortium.block"``, ``"bridge.message"``.
    source : str
        The component that recorded it, e.g. ``"ethereum"`` or ``"consortium/v0"``.
    data : dict
        The event's fields (JSON-able after conversion).
    """

    seq: int
    time: float
    kind: str
    source: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "t": self.time, "kind": self.kind, "source": self.source, **self.data}


class EventLog:
    """An append-only, in-memory event log bound to a clock.

    Parameters
    ----------
    now : callable returning float
        The simulated clock; every event is stamped with it.
    """

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self._events: list[Event] = []
        self._listeners: list[Callable[[Event], None]] = []

    def record(self, kind: str, source: str = "sim", **data: Any) -> Event:
        """Append an event stamped with the current simulated time and return it."""
        for reserved in ("seq", "t", "kind", "source"):
            if reserved in data:
                raise ValueError(f"event field name {reserved!r} is reserved")
        event = Event(len(self._events), float(self._now()), kind, source, data)
        self._events.append(event)
        for listener in self._listeners:
            listener(event)
        return event

    def subscribe(self, listener: Callable[[Event], None]) -> None:
        """Call ``listener(event)`` for every event recorded from now on (monitors use this)."""
        self._listeners.append(listener)

    def __len__(self) -> int:
        return len(self._events)

    def __iter__(self) -> Iterator[Event]:
        return iter(self._events)

    def of_kind(self, prefix: str) -> list[Event]:
        """Events whose kind equals ``prefix`` or starts with ``prefix + '.'``."""
        return [e for e in self._events if e.kind == prefix or e.kind.startswith(prefix + ".")]

    def to_jsonl(self) -> str:
        """The whole log as canonical JSON lines (the content of ``events.jsonl``)."""
        return "".join(canonical_json(e.to_json()) + "\n" for e in self._events)

    def write(self, path: str | Path) -> Path:
        """Write the log to ``path`` as JSON lines and return the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_jsonl(), encoding="ascii")
        return path
