"""The submission state machine: the only moves between statuses, each with its guard, and the
rules the service decides by. Both stores take their guards from here (PostgreSQL as SQL text,
the in-memory store in Python: chalicelib/conditions.py), so a rule lives in one place.

    move      from               to                    guard (beyond "from")        who
    --------  -----------------  --------------------  ---------------------------  ---------------
    claim     Pending            Running, attempts+1   -                            worker
              Running            Running, attempts+1   lease free                   worker, after a
                                                                                    crash
    release   Running            Running, lease ends   attempts = the releaser's    worker, after an
                                                                                    infrastructure
                                                                                    failure
    finish    Running            Completed|Failed|     -                            worker
                                 Timeout
    abandon   Pending|Running    Failed                lease free                   DLQ handler,
                                                                                    sweeper
    requeue   Pending|Running    (unchanged; noted     message lost                 sweeper, before
                                 as re-sent)                                        it re-sends
    complete  Pending|Running    Completed             a parent, and none of its    the worker that
                                                       children unfinished          finished the last
                                                                                    child; DLQ
                                                                                    handler, sweeper

    Every move but complete is of a row that runs: a parent (a submission with tests) never runs
    itself, is never sent, claimed or abandoned; its tests are its children, each a row of its
    own that makes these same moves.

    lease free    lease_until is null, or not after now
    message lost  Pending, never sent, older than FRESH_SUBMISSION_S
                  or sent before the queue was (re)created, and not held by a live lease
                  or Running, lease ended stale_after_s ago, not re-sent since then
                  or Pending, sent backstop_s ago (a purged queue)

Terminal statuses never change. Each move is one conditional update, so a duplicate delivery, a
second worker or a late retry finds nothing to update instead of overwriting a result. The
service's decisions (give up by attempts, by time; is a lease held) are the predicates at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.conditions import (
    Ago,
    Before,
    Column,
    Condition,
    Equals,
    IsNull,
    Literal,
    Not,
    NoUnfinishedChildren,
    OneOf,
    Param,
    all_of,
    either,
)
from chalicelib.constants import FRESH_SUBMISSION_S
from chalicelib.domain import TERMINAL, UNFINISHED, Status, Submission


class InvalidTransition(ValueError):
    """A move the state machine does not allow (a bug of ours, never the caller's)."""


STATUS = Column("status")
LEASE_UNTIL = Column("lease_until")
QUEUED_AT = Column("queued_at")
RUNS_ITSELF = IsNull(Column("tests_total"))  # not a parent


def _is(status: Status) -> Condition:
    return Equals(STATUS, Literal(status))


LEASE_FREE = either(IsNull(LEASE_UNTIL), Before(LEASE_UNTIL, Ago(), or_equal=True))
MESSAGE_LOST = either(
    all_of(_is(Status.PENDING), IsNull(QUEUED_AT),
           Before(Column("created_at"), Ago(FRESH_SUBMISSION_S))),
    all_of(Before(QUEUED_AT, Param("queue_created")),
           either(_is(Status.PENDING), Before(LEASE_UNTIL, Ago()))),
    all_of(_is(Status.RUNNING), Before(LEASE_UNTIL, Ago(Param("stale"))),
           either(IsNull(QUEUED_AT), Before(QUEUED_AT, Ago(Param("stale"))))),
    all_of(_is(Status.PENDING), Before(QUEUED_AT, Ago(Param("backstop")))),
)


@dataclass(frozen=True)
class Transition:
    """A named move: from ``sources`` to ``targets``, when ``guard`` holds. A move that keeps
    the status (``keeps_status``) only changes what the row records."""

    name: str
    sources: frozenset[Status]
    targets: frozenset[Status]
    guard: Condition | None = None
    keeps_status: bool = False

    def allows(self, source: Status, target: Status) -> bool:
        if self.keeps_status:
            return source in self.sources and target == source
        return source in self.sources and target in self.targets

    def check_target(self, target: Status) -> None:
        """Raise unless this move may end in ``target``."""
        if target not in self.targets:
            raise InvalidTransition(f"{self.name} cannot end in {target.value}")

    @property
    def condition(self) -> Condition:
        """Everything that must hold of a row for this move: its source status and its guard."""
        source = OneOf(STATUS, frozenset(self.sources))
        return all_of(source, self.guard) if self.guard is not None else source


CLAIM = Transition("claim", UNFINISHED, frozenset({Status.RUNNING}),
                   all_of(RUNS_ITSELF, either(_is(Status.PENDING), LEASE_FREE)))
RELEASE = Transition("release", frozenset({Status.RUNNING}), frozenset({Status.RUNNING}),
                     Equals(Column("attempts"), Param("attempt")), keeps_status=True)
FINISH = Transition("finish", frozenset({Status.RUNNING}), TERMINAL)
ABANDON = Transition("abandon", UNFINISHED, frozenset({Status.FAILED}),
                     all_of(RUNS_ITSELF, LEASE_FREE))
REQUEUE = Transition("requeue", UNFINISHED, UNFINISHED, all_of(RUNS_ITSELF, MESSAGE_LOST),
                     keeps_status=True)
COMPLETE = Transition("complete", UNFINISHED, frozenset({Status.COMPLETED}),
                      all_of(Not(RUNS_ITSELF), NoUnfinishedChildren(UNFINISHED)))

TRANSITIONS = (CLAIM, RELEASE, FINISH, ABANDON, REQUEUE, COMPLETE)


def is_allowed(source: Status, target: Status) -> bool:
    """Whether any move takes a submission from ``source`` to ``target``."""
    return any(transition.allows(source, target) for transition in TRANSITIONS)


@dataclass(frozen=True)
class SweepRules:
    """The parameters of "message lost": how stale a dead worker's lease must be, the backstop
    for a purged queue, and when the queue was (re)created, if known."""

    stale_after_s: int
    backstop_s: int
    queue_created: datetime | None = None

    @property
    def params(self) -> dict[str, Any]:
        return {"stale": self.stale_after_s, "backstop": self.backstop_s,
                "queue_created": self.queue_created}


# ---- the service's decisions -------------------------------------------------------------------
def holds(condition: Condition, submission: Submission, now: datetime,
          params: dict[str, Any] | None = None) -> bool:
    """Whether ``condition`` holds of ``submission`` at ``now``."""
    return condition.holds(vars(submission), params or {}, now)


def is_held(submission: Submission, now: datetime) -> bool:
    """Running under a live lease: a worker has it, and nobody else may touch it."""
    return submission.status is Status.RUNNING and not holds(LEASE_FREE, submission, now)


def out_of_attempts(submission: Submission, max_attempts: int) -> bool:
    """It has been started ``max_attempts`` times without a result: stop running it."""
    return submission.attempts >= max_attempts


def past_retry_budget(submission: Submission, now: datetime, budget_s: int) -> bool:
    """Infrastructure failures have been retried for ``budget_s`` since it was accepted."""
    return submission.created_at <= now - timedelta(seconds=budget_s)
