"""Stand-ins for the queue, the sandbox and the clock, so that the service's logic runs in
milliseconds with no server and no Node. The store needs none: its in-memory twin
(chalicelib/memory_store.py) is a real store that passes the same contract as PostgreSQL's.

Each double keeps what a test needs to see (what was sent, which deliveries were pushed back and
by how much, which programs ran) and can be told to fail the way the real part fails.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from chalicelib.domain import NO_INPUT, Limits, ProgramInput, Reason, RunOutcome
from chalicelib.errors import QueueUnavailable, SandboxUnavailable
from chalicelib.queue import QueueRecord, message_body


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class FakeQueue:
    """A queue that records what it is asked to do (SubmissionQueue's methods)."""

    clock: FakeClock
    created: datetime | None = None
    sent: list[uuid.UUID] = field(default_factory=list)
    pushed_back: dict[str, int] = field(default_factory=dict)  # receipt handle -> delay
    down: bool = False
    refuse: set[uuid.UUID] = field(default_factory=set)
    _ids: itertools.count = field(default_factory=itertools.count)

    def _check(self) -> None:
        if self.down:
            raise QueueUnavailable("SQS is down")

    def send(self, submission_id: uuid.UUID) -> str:
        self._check()
        self.sent.append(submission_id)
        return f"msg-{next(self._ids)}"

    def send_many(self, submission_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
        self._check()
        return {sid: self.send(sid) for sid in submission_ids if sid not in self.refuse}

    def created_at(self) -> datetime:
        self._check()
        return self.created or self.clock() - timedelta(days=1)

    def retry_after(self, receipt_handle: str, seconds: int) -> None:
        self._check()
        self.pushed_back[receipt_handle] = seconds

    def record(self, submission_id: uuid.UUID | str, receive_count: int = 1,
               body: str | None = None) -> QueueRecord:
        """A delivery of ``submission_id``'s message, as the handlers receive it."""
        receipt = f"receipt-{next(self._ids)}"
        return QueueRecord(message_id=f"m-{receipt}", receipt_handle=receipt,
                           body=body if body is not None else message_body(uuid.UUID(str(submission_id))),
                           receive_count=receive_count, sent_at=self.clock())


@dataclass
class ScriptedSandbox:
    """Runs nothing: a program's outcome is its code taken as the result, unless ``outcomes``
    says otherwise; ``broken`` makes every run fail as a missing runtime does."""

    outcomes: dict[str, RunOutcome] = field(default_factory=dict)
    broken: bool = False
    ran: list[str] = field(default_factory=list)
    given: list[tuple[ProgramInput, Limits]] = field(default_factory=list)

    def run(self, code: str, limits: Limits, given: ProgramInput = NO_INPUT) -> RunOutcome:
        if self.broken:
            raise SandboxUnavailable("the Node runtime is missing")
        self.ran.append(code)
        self.given.append((given, limits))
        return self.outcomes.get(code, RunOutcome(Reason.COMPLETED, result=code, duration_ms=3))

    def keep_warm(self, limits: Limits, size: int) -> None:
        pass

    def close(self) -> None:
        pass
