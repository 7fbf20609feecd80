"""The service's values: what a submission is, what a run may use and how it ended.

Plain data with no behaviour beyond naming: every adapter (store, queue, sandbox) and the service
speak in these, and none of them needs another to do so. Which moves between statuses are allowed
is chalicelib/states.py's business.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
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
    CPU_TIME_LIMIT = "cpu_time_limit"  # killed at the CPU-time limit
    MEMORY_LIMIT = "memory_limit"    # ran out of its memory allowance
    OUTPUT_LIMIT = "output_limit"    # printed more than the output cap; stopped there
    NONZERO_EXIT = "nonzero_exit"    # it ended with process.exit(n) or process.exitCode = n, n != 0
    CRASHED = "crashed"              # the Node process died without reporting
    INFRASTRUCTURE = "infrastructure"  # our failure, retries exhausted (never the program's fault)


# The status each run outcome finishes with.
STATUS_FOR_REASON: dict[Reason, Status] = {
    Reason.COMPLETED: Status.COMPLETED,
    Reason.ERROR: Status.FAILED,
    Reason.TIME_LIMIT: Status.TIMEOUT,
    Reason.CPU_TIME_LIMIT: Status.TIMEOUT,
    Reason.MEMORY_LIMIT: Status.FAILED,
    Reason.OUTPUT_LIMIT: Status.FAILED,
    Reason.NONZERO_EXIT: Status.FAILED,
    Reason.CRASHED: Status.FAILED,
    Reason.INFRASTRUCTURE: Status.FAILED,
}


class Verdict(StrEnum):
    """A judge's answer for one run: how its output compares with what was expected."""

    ACCEPTED = "accepted"
    WRONG_ANSWER = "wrong_answer"
    TIME_LIMIT = "time_limit"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"
    RUNTIME_ERROR = "runtime_error"


@dataclass(frozen=True)
class Limits:
    """What one run may use. ``time_ms`` is wall-clock time from the moment the program is handed
    over; ``cpu_time_ms`` (user + system time of its process, not enforced when None) stops a
    busy program sooner; ``output_bytes`` caps stdout and stderr each."""

    time_ms: int
    memory_mb: int
    output_bytes: int
    cpu_time_ms: int | None = None


@dataclass(frozen=True)
class ProgramInput:
    """What a run gives the program besides its source: standard input and arguments."""

    stdin: str = ""
    args: tuple[str, ...] = ()


NO_INPUT = ProgramInput()


@dataclass(frozen=True)
class RunOutcome:
    """How a run ended, as text ready to store."""

    reason: Reason
    result: str | None = None
    stdout: str = ""
    stdout_truncated: bool = False
    error: str | None = None
    duration_ms: int = 0
    stderr: str = ""
    stderr_truncated: bool = False
    exit_code: int | None = None     # None when the process was killed (a limit) or crashed
    cpu_time_ms: int | None = None   # user + system time of the run, from the kernel
    memory_kb: int | None = None     # peak resident memory of the run's process, from the kernel

    @property
    def status(self) -> Status:
        return STATUS_FOR_REASON[self.reason]


@dataclass(frozen=True)
class TestCase:
    """One test of a submission: its own run, with its own input and expected output."""

    name: str
    stdin: str = ""
    args: tuple[str, ...] = ()
    expected_output: str | None = None


# The limits a request may lower, by their API names.
LIMIT_NAMES = ("time_ms", "cpu_time_ms", "memory_mb", "output_bytes")


@dataclass(frozen=True)
class NewSubmission:
    """A validated request, as stored: the program and its language; its standard input and
    arguments; the output it is expected to print; the limits it lowers (by LIMIT_NAMES); where
    to send the finished record."""

    code: str
    language: str
    stdin: str = ""
    args: tuple[str, ...] = ()
    expected_output: str | None = None
    limits: tuple[tuple[str, int], ...] = ()
    callback_url: str | None = None
    tests: tuple[TestCase, ...] = ()


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
    # What the caller asked beyond the program (see NewSubmission), and what the run measured.
    stdin: str = ""
    args: list[str] = field(default_factory=list)
    expected_output: str | None = None
    limits: dict[str, int] = field(default_factory=dict)
    callback_url: str | None = None
    stderr: str | None = None
    stderr_truncated: bool = False
    exit_code: int | None = None
    cpu_time_ms: int | None = None
    memory_kb: int | None = None
    verdict: str | None = None
    # Many tests: a parent (tests_total set) never runs itself; each test is a child row.
    parent_id: uuid.UUID | None = None
    test_index: int | None = None
    test_name: str | None = None
    tests_total: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", Status(self.status))

    @property
    def is_parent(self) -> bool:
        return self.tests_total is not None

    @property
    def given(self) -> ProgramInput:
        return ProgramInput(stdin=self.stdin or "", args=tuple(self.args or ()))

    def limits_within(self, server: Limits) -> Limits:
        """The server's limits, each lowered to what this submission asked."""
        asked = self.limits or {}
        cpu = asked.get("cpu_time_ms", server.cpu_time_ms)
        return Limits(
            time_ms=min(asked.get("time_ms", server.time_ms), server.time_ms),
            memory_mb=min(asked.get("memory_mb", server.memory_mb), server.memory_mb),
            output_bytes=min(asked.get("output_bytes", server.output_bytes), server.output_bytes),
            cpu_time_ms=cpu if server.cpu_time_ms is None or cpu is None
            else min(cpu, server.cpu_time_ms))


SUBMISSION_FIELDS = tuple(Submission.__dataclass_fields__)
