"""The service's values: what a submission is, what a run may use and how it ended.

Plain data with no behaviour beyond naming: every adapter (store, queue, sandbox) and the service
speak in these, and none of them needs another to do so. Which moves between statuses are allowed
is chalicelib/states.py's business.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
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
UNFINISHED = frozenset({Status.PENDING, Status.RUNNING})


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
class Limits:
    """What one run may use."""

    time_ms: int
    memory_mb: int
    output_bytes: int


@dataclass(frozen=True)
class RunOutcome:
    """How a run ended, as text ready to store."""

    reason: Reason
    result: str | None = None
    stdout: str = ""
    stdout_truncated: bool = False
    error: str | None = None
    duration_ms: int = 0

    @property
    def status(self) -> Status:
        return STATUS_FOR_REASON[self.reason]


@dataclass(frozen=True)
class NewSubmission:
    """A validated request: the program and its language, as stored."""

    code: str
    language: str


@dataclass(frozen=True)
class Submission:
    """One submission, as every store keeps it (the columns of ``submissions``)."""

    submission_id: uuid.UUID
    job_id: str | None
    code: str
    language: str
    status: Status
    reason: str | None
    result: str | None
    stdout: str | None
    stdout_truncated: bool
    error: str | None
    attempts: int
    lease_until: datetime | None
    last_error: str | None
    duration_ms: int | None
    created_at: datetime
    queued_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", Status(self.status))


SUBMISSION_FIELDS = tuple(Submission.__dataclass_fields__)
