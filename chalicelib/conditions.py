"""Conditions over a submission's columns, written once and read two ways: rendered as a SQL
``WHERE`` clause for PostgreSQL, evaluated in Python for the in-memory store.

It is just enough language for the state machine's guards (chalicelib/states.py): equality, "is
null", "before", membership, and/or, against columns, named parameters and ``now`` minus some
seconds. SQL's NULL rule is kept in Python too: a comparison with a missing value is not true.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from chalicelib.domain import SUBMISSION_FIELDS

Row = Mapping[str, Any]
Params = Mapping[str, Any]


@dataclass(frozen=True)
class Column:
    name: str

    def __post_init__(self) -> None:
        if self.name not in SUBMISSION_FIELDS:
            raise ValueError(f"no column {self.name!r}")

    def sql(self) -> str:
        return self.name

    def value(self, row: Row, params: Params, now: datetime) -> Any:
        return row[self.name]


@dataclass(frozen=True)
class Param:
    name: str

    def sql(self) -> str:
        return f"%({self.name})s"

    def value(self, row: Row, params: Params, now: datetime) -> Any:
        return params[self.name]


@dataclass(frozen=True)
class Ago:
    """``now`` minus a number of seconds (a parameter, or fixed); ``Ago()`` is now."""

    seconds: Param | int = 0

    def sql(self) -> str:
        if self.seconds == 0:
            return "now()"
        amount = self.seconds.sql() if isinstance(self.seconds, Param) else str(int(self.seconds))
        return f"now() - make_interval(secs => {amount})"

    def value(self, row: Row, params: Params, now: datetime) -> Any:
        seconds = params[self.seconds.name] if isinstance(self.seconds, Param) else self.seconds
        return None if seconds is None else now - timedelta(seconds=seconds)


@dataclass(frozen=True)
class Literal:
    """A fixed value of ours (a status), written into the SQL text."""

    value_: StrEnum

    def sql(self) -> str:
        return "'" + str(self.value_).replace("'", "''") + "'"

    def value(self, row: Row, params: Params, now: datetime) -> Any:
        return self.value_


Operand = Column | Param | Ago | Literal


class Condition:
    def sql(self) -> str:
        raise NotImplementedError

    def holds(self, row: Row, params: Params, now: datetime) -> bool:
        raise NotImplementedError


@dataclass(frozen=True)
class Equals(Condition):
    left: Operand
    right: Operand

    def sql(self) -> str:
        return f"{self.left.sql()} = {self.right.sql()}"

    def holds(self, row: Row, params: Params, now: datetime) -> bool:
        left, right = self.left.value(row, params, now), self.right.value(row, params, now)
        return left is not None and right is not None and left == right


@dataclass(frozen=True)
class Before(Condition):
    """``left < right`` (``left <= right`` with ``or_equal``)."""

    left: Operand
    right: Operand
    or_equal: bool = False

    def sql(self) -> str:
        return f"{self.left.sql()} {'<=' if self.or_equal else '<'} {self.right.sql()}"

    def holds(self, row: Row, params: Params, now: datetime) -> bool:
        left, right = self.left.value(row, params, now), self.right.value(row, params, now)
        if left is None or right is None:
            return False
        return left <= right if self.or_equal else left < right


@dataclass(frozen=True)
class IsNull(Condition):
    column: Column

    def sql(self) -> str:
        return f"{self.column.sql()} IS NULL"

    def holds(self, row: Row, params: Params, now: datetime) -> bool:
        return self.column.value(row, params, now) is None


@dataclass(frozen=True)
class OneOf(Condition):
    column: Column
    values: frozenset[StrEnum]

    def sql(self) -> str:
        listed = ", ".join(Literal(value).sql() for value in sorted(self.values))
        return f"{self.column.sql()} IN ({listed})"

    def holds(self, row: Row, params: Params, now: datetime) -> bool:
        return self.column.value(row, params, now) in self.values


@dataclass(frozen=True)
class All(Condition):
    parts: tuple[Condition, ...]

    def sql(self) -> str:
        return "(" + " AND ".join(part.sql() for part in self.parts) + ")"

    def holds(self, row: Row, params: Params, now: datetime) -> bool:
        return all(part.holds(row, params, now) for part in self.parts)


@dataclass(frozen=True)
class Either(Condition):
    parts: tuple[Condition, ...]

    def sql(self) -> str:
        return "(" + " OR ".join(part.sql() for part in self.parts) + ")"

    def holds(self, row: Row, params: Params, now: datetime) -> bool:
        return any(part.holds(row, params, now) for part in self.parts)


@dataclass(frozen=True)
class Not(Condition):
    part: Condition

    def sql(self) -> str:
        return f"NOT {self.part.sql()}"

    def holds(self, row: Row, params: Params, now: datetime) -> bool:
        return not self.part.holds(row, params, now)


@dataclass(frozen=True)
class NoUnfinishedChildren(Condition):
    """None of the row's children (rows whose parent_id is its id) is unfinished. In Python the
    store supplies the count as the row's ``unfinished_children``."""

    unfinished: frozenset[StrEnum]

    def sql(self) -> str:
        listed = ", ".join(Literal(value).sql() for value in sorted(self.unfinished))
        return ("NOT EXISTS (SELECT 1 FROM submissions AS child WHERE child.parent_id ="
                f" submissions.submission_id AND child.status IN ({listed}))")

    def holds(self, row: Row, params: Params, now: datetime) -> bool:
        return row.get("unfinished_children", 0) == 0


def all_of(*parts: Condition) -> All:
    return All(parts)


def either(*parts: Condition) -> Either:
    return Either(parts)
