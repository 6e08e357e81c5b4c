"""Declared scenario parameters: a default, the range or choices a run can take, and a one-line meaning.

A value outside what a scenario can run (``investors=0``, a negative amount, an unknown
choice) must be refused before the run, in one line naming the parameter and its range;
without a declaration it surfaces deep inside the run as an IndexError or a failed
invariant. A scenario's ``PARAMS`` values may be :class:`Param` objects or plain defaults
(a plain default is checked for its type only, so user scenarios with plain dicts keep
working).
"""

from __future__ import annotations

import argparse
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

#: Seeds are non-negative 64-bit integers: what ``derive_seed`` gives ``rwasim compare``'s runs (and
#: their rerun commands), and what every random stream of a run is hashed from.
SEED_MAX = 2**64 - 1


class ParamError(ValueError):
    """A parameter value outside its declaration; the message names the parameter and its range."""


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, (list, tuple)):
        return "list"
    return "str"


_NOUN = {"bool": "true or false", "int": "an integer", "float": "a number", "str": "a text"}
_PLURAL = {"bool": "booleans", "int": "integers", "float": "numbers", "str": "texts"}


@dataclass(frozen=True)
class Param:
    """One scenario parameter.

    ``min``/``max`` bound a number (inclusive), each element of a list of numbers, or the
    value of a decimal text such as ``"5000000.00"``; ``choices`` lists the allowed values
    (of the parameter or of each list element); ``min_items``/``max_items`` bound a list's
    length, ``unique`` forbids repeats and ``min_sum`` bounds the sum of a list of weights; ``help`` is the one-line meaning ``rwasim show`` prints.
    """

    default: Any
    min: float | None = None
    max: float | None = None
    choices: tuple[Any, ...] | None = None
    min_items: int | None = None
    max_items: int | None = None
    unique: bool = False
    min_sum: float | None = None
    help: str = ""

    def __post_init__(self) -> None:
        if self.choices is not None:
            object.__setattr__(self, "choices", tuple(self.choices))
        if isinstance(self.default, tuple):
            object.__setattr__(self, "default", list(self.default))
        self.check("default", self.default)  # a declaration its own default breaks is the author's bug

    @property
    def kind(self) -> str:
        """``bool``, ``int``, ``float``, ``str`` or ``list`` (from the default's type)."""
        return _kind(self.default)

    @property
    def item_kind(self) -> str:
        """The type of a list's elements (from the default's first element; text if empty)."""
        if self.choices:
            return _kind(self.choices[0])
        return _kind(self.default[0]) if self.default else "str"

    def _scalar(self, kind: str, plural: bool = False) -> str:
        if self.choices is not None:
            return "one of " + ", ".join(str(c) for c in self.choices)
        noun = _PLURAL[kind] if plural else _NOUN[kind]
        if kind == "str" and (self.min is not None or self.max is not None):
            noun = "decimal texts" if plural else "a decimal text"
        if self.min is not None and self.max is not None:
            return f"{noun} from {_num(self.min)} to {_num(self.max)}"
        if self.min is not None:
            return f"{noun} >= {_num(self.min)}"
        if self.max is not None:
            return f"{noun} <= {_num(self.max)}"
        return noun

    def describe(self) -> str:
        """The allowed values in words, e.g. ``an integer from 1 to 500``."""
        if self.kind != "list":
            return self._scalar(self.kind)
        lo, hi = self.min_items or 0, self.max_items
        count = f"{lo} to {hi}" if hi is not None else f"{lo} or more"
        if hi is not None and lo == hi:
            count = str(lo)
        items = self._scalar(self.item_kind, plural=True)
        if self.choices is not None:
            items = "values from " + ", ".join(str(c) for c in self.choices)
        total = f" summing to at least {_num(self.min_sum)}" if self.min_sum is not None else ""
        return f"a list of {count} {'distinct ' if self.unique else ''}{items}{total}"

    def _fail(self, name: str) -> ParamError:
        return ParamError(f"{name} must be {self.describe()}")

    def _check_scalar(self, name: str, value: Any, kind: str) -> Any:
        if kind == "float" and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if _kind(value) != kind:
            raise self._fail(name)
        if self.choices is not None and value not in self.choices:
            raise self._fail(name)
        number: Any = value
        if kind == "str" and (self.min is not None or self.max is not None):
            try:
                number = Decimal(value)
            except InvalidOperation:
                raise self._fail(name) from None
            if not number.is_finite():
                raise self._fail(name)
        if kind == "float" and not math.isfinite(value):
            raise self._fail(name)
        if self.min is not None and number < self.min:
            raise self._fail(name)
        if self.max is not None and number > self.max:
            raise self._fail(name)
        return value

    def check(self, name: str, value: Any) -> Any:
        """``value`` itself if it is allowed (an int for a float parameter becomes a float)."""
        if self.kind != "list":
            return self._check_scalar(name, value, self.kind)
        if not isinstance(value, (list, tuple)):
            raise self._fail(name)
        items = [self._check_scalar(name, v, self.item_kind) for v in value]
        if self.min_items is not None and len(items) < self.min_items:
            raise self._fail(name)
        if self.max_items is not None and len(items) > self.max_items:
            raise self._fail(name)
        if self.unique and len(set(items)) != len(items):
            raise self._fail(name)
        if self.min_sum is not None and sum(items) < self.min_sum:
            raise self._fail(name)
        return items

    def parse(self, name: str, raw: str) -> Any:
        """The value a ``--set name=raw`` gives, checked; ParamError names the parameter and its range."""
        if self.kind == "list":
            text = raw.strip()
            if text.startswith("["):
                try:
                    loaded = json.loads(text)
                except ValueError:
                    raise self._fail(name) from None
            else:
                loaded = [w.strip() for w in text.split(",")] if text else []
            if not isinstance(loaded, list):
                raise self._fail(name)
            return self.check(name, [self._from_text(name, v, self.item_kind) for v in loaded])
        return self.check(name, self._from_text(name, raw, self.kind))

    def _from_text(self, name: str, raw: Any, kind: str) -> Any:
        if not isinstance(raw, str):  # an element of a JSON list: already typed
            return float(raw) if kind == "float" and isinstance(raw, int) and not isinstance(raw, bool) else raw
        text = raw.strip()
        try:
            if kind == "bool":
                lowered = text.lower()
                if lowered in ("1", "true", "yes", "on"):
                    return True
                if lowered in ("0", "false", "no", "off"):
                    return False
                raise ValueError(text)
            if kind == "int":
                return int(text)
            if kind == "float":
                return float(text)
        except ValueError:
            raise self._fail(name) from None
        return text


def _num(value: float) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


@dataclass(frozen=True)
class Rule:
    """A condition between parameters that no single range can state (``send_back <= units_each``).

    A scenario lists them in ``PARAM_RULES``; ``text`` is the condition as the user reads it (its
    words that are parameter names are quoted back with their values when it fails), and
    ``holds`` tells whether the parameters satisfy it.
    """

    text: str
    holds: Callable[[Mapping[str, Any]], bool]

    def names(self, params: Mapping[str, Any]) -> list[str]:
        """The parameters the condition mentions, in the order it mentions them."""
        words = re.findall(r"[A-Za-z_][A-Za-z0-9_]*", self.text)
        return list(dict.fromkeys(w for w in words if w in params))


def as_param(value: Any) -> Param:
    """A PARAMS entry as a Param (a plain default declares its type only)."""
    return value if isinstance(value, Param) else Param(value)


def param_specs(params: Mapping[str, Any]) -> dict[str, Param]:
    """Every entry of a scenario's PARAMS as a Param."""
    return {name: as_param(value) for name, value in params.items()}


def defaults(params: Mapping[str, Any]) -> dict[str, Any]:
    """A scenario's PARAMS as plain defaults (what ``ctx.params`` holds when nothing is overridden)."""
    return {name: as_param(value).default for name, value in params.items()}


def int_option(low: int, high: int, what: str = "an integer") -> Callable[[str], int]:
    """An argparse ``type`` for an integer option in [low, high]: its error names the range,
    so the one line argparse prints says what to give instead."""

    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            top = "2**64-1" if high == SEED_MAX else str(high)
            raise argparse.ArgumentTypeError(f"must be {what} from {low} to {top}, not {raw!r}")
        return value

    parse.__name__ = "int"
    return parse


#: The argparse ``type`` of ``--seed`` and ``--base-seed``.
seed_option = int_option(0, SEED_MAX)
