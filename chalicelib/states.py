"""The submission state machine: the statuses, and the only transitions between them.

    transition   from                        to                       who
    ----------   -------------------------   ----------------------   -------------------------------
    claim        Pending                     Running (attempts + 1)   worker, first delivery
                 Running, lease expired      Running (attempts + 1)   worker, redelivery after a crash
    finish       Running                     Completed|Failed|Timeout worker, after the run
    abandon      Pending|Running             Failed                   DLQ handler, sweeper giving up

Terminal statuses never change. The store turns each transition into one conditional
``UPDATE ... WHERE status = ANY(sources)``, so a duplicate delivery, a second worker or a late retry
finds no row to update instead of overwriting a result.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    """A submission's status, spelled as the API shows it."""

    PENDING = "Pending"
    RUNNING = "Running"
    COMPLETED = "Completed"
    FAILED = "Failed"
    TIMEOUT = "Timeout"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset({Status.COMPLETED, Status.FAILED, Status.TIMEOUT})


class Reason(StrEnum):
    """Why a finished submission ended; finer than its status."""

    COMPLETED = "completed"          # the program ran to the end
    ERROR = "error"                  # it threw (or failed to compile)
    TIME_LIMIT = "time_limit"        # killed at the wall-clock limit
    MEMORY_LIMIT = "memory_limit"    # ran out of its memory allowance
    OUTPUT_LIMIT = "output_limit"    # printed more than the output cap; stopped there
    CRASHED = "crashed"              # the Node process died without reporting
    INFRASTRUCTURE = "infrastructure"  # our failure, retries exhausted (never the program's fault)


# The status each run outcome finishes with.
STATUS_FOR_REASON: dict[Reason, Status] = {
    Reason.COMPLETED: Status.COMPLETED,
    Reason.ERROR: Status.FAILED,
    Reason.TIME_LIMIT: Status.TIMEOUT,
    Reason.MEMORY_LIMIT: Status.FAILED,
    Reason.OUTPUT_LIMIT: Status.FAILED,
    Reason.CRASHED: Status.FAILED,
    Reason.INFRASTRUCTURE: Status.FAILED,
}


@dataclass(frozen=True)
class Transition:
    """A named move between statuses."""

    name: str
    sources: frozenset[Status]
    targets: frozenset[Status]

    def allows(self, source: Status, target: Status) -> bool:
        return source in self.sources and target in self.targets

    @property
    def source_values(self) -> list[str]:
        """The sources as SQL parameters (``status = ANY(%s)``), in a stable order."""
        return sorted(status.value for status in self.sources)


CLAIM = Transition("claim", frozenset({Status.PENDING, Status.RUNNING}), frozenset({Status.RUNNING}))
FINISH = Transition("finish", frozenset({Status.RUNNING}), TERMINAL)
ABANDON = Transition(
    "abandon", frozenset({Status.PENDING, Status.RUNNING}), frozenset({Status.FAILED}))

TRANSITIONS = (CLAIM, FINISH, ABANDON)


def is_allowed(source: Status, target: Status) -> bool:
    """Whether any transition moves a submission from ``source`` to ``target``."""
    return any(transition.allows(source, target) for transition in TRANSITIONS)
