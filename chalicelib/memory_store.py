"""The in-memory store: the PostgreSQL store's twin, a dict under one lock.

It keeps the same rules (the guards come from chalicelib/states.py and are evaluated in Python)
and passes the same test suite (tests/store_contract.py), so the service's logic can be tested in
seconds, with no server, and on a clock the test moves. Like Chalice's sample apps' in-memory
table, it is for tests and experiments, never for a deployment: it forgets everything on exit.
"""

from __future__ import annotations

import dataclasses
import threading
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.conditions import Condition
from chalicelib.domain import NewSubmission, Reason, RunOutcome, Status, Submission, Verdict
from chalicelib.states import ABANDON, CLAIM, FINISH, RELEASE, REQUEUE, SweepRules


def utc_now() -> datetime:
    return datetime.now(UTC)


class MemoryStore:
    """Submissions in a dict (see SubmissionStore); ``clock`` says what time it is."""

    def __init__(self, clock: Callable[[], datetime] = utc_now) -> None:
        self.clock = clock
        self.rows: dict[uuid.UUID, Submission] = {}
        self._lock = threading.Lock()

    def _move(self, submission_id: uuid.UUID, condition: Condition, params: dict[str, Any],
              **changes: Any) -> Submission | None:
        """Apply ``changes`` (values, or functions of the row) if ``condition`` holds; the new
        row, or None. ``updated_at`` is always set."""
        now = self.clock()
        with self._lock:
            row = self.rows.get(submission_id)
            if row is None or not condition.holds(vars(row), params, now):
                return None
            values = {key: change(row) if callable(change) else change
                      for key, change in changes.items()}
            self.rows[submission_id] = new = dataclasses.replace(row, **values, updated_at=now)
            return new

    def create(self, new: NewSubmission) -> Submission:
        now = self.clock()
        submission = Submission(
            submission_id=uuid.uuid4(), job_id=None, code=new.code, language=new.language,
            status=Status.PENDING, reason=None, result=None, stdout=None, stdout_truncated=False,
            error=None, attempts=0, lease_until=None, last_error=None, duration_ms=None,
            created_at=now, queued_at=None, started_at=None, finished_at=None, updated_at=now,
            stdin=new.stdin, args=list(new.args), expected_output=new.expected_output,
            limits=dict(new.limits), callback_url=new.callback_url)
        with self._lock:
            self.rows[submission.submission_id] = submission
        return submission

    def get(self, submission_id: uuid.UUID) -> Submission | None:
        with self._lock:
            return self.rows.get(submission_id)

    def record_enqueued(self, submission_id: uuid.UUID, job_id: str) -> None:
        now = self.clock()
        with self._lock:
            row = self.rows.get(submission_id)
            if row is not None:
                self.rows[submission_id] = dataclasses.replace(
                    row, job_id=job_id, queued_at=now, updated_at=now)

    def claim(self, submission_id: uuid.UUID, lease_s: int) -> Submission | None:
        now = self.clock()
        return self._move(submission_id, CLAIM.condition, {}, status=Status.RUNNING,
                          attempts=lambda row: row.attempts + 1,
                          lease_until=now + timedelta(seconds=lease_s), started_at=now)

    def finish(self, submission_id: uuid.UUID, outcome: RunOutcome,
               verdict: Verdict | None = None) -> bool:
        FINISH.check_target(outcome.status)
        return self._move(
            submission_id, FINISH.condition, {}, status=outcome.status, reason=outcome.reason,
            result=outcome.result, stdout=outcome.stdout, stdout_truncated=outcome.stdout_truncated,
            error=outcome.error, duration_ms=outcome.duration_ms, stderr=outcome.stderr,
            stderr_truncated=outcome.stderr_truncated, exit_code=outcome.exit_code,
            cpu_time_ms=outcome.cpu_time_ms, memory_kb=outcome.memory_kb,
            verdict=None if verdict is None else verdict.value, lease_until=None,
            finished_at=self.clock()) is not None

    def release(self, submission_id: uuid.UUID, error: str, attempt: int) -> None:
        self._move(submission_id, RELEASE.condition, {"attempt": attempt},
                   lease_until=self.clock(), last_error=error)

    def abandon(self, submission_id: uuid.UUID, why: str) -> bool:
        return self._move(
            submission_id, ABANDON.condition, {}, status=Status.FAILED,
            reason=Reason.INFRASTRUCTURE,
            error=lambda row: why + (f": {row.last_error}" if row.last_error else ""),
            lease_until=None, finished_at=self.clock()) is not None

    def lost_messages(self, rules: SweepRules, limit: int) -> list[Submission]:
        now = self.clock()
        with self._lock:
            rows = [row for row in self.rows.values()
                    if REQUEUE.condition.holds(vars(row), rules.params, now)]
        return sorted(rows, key=lambda row: row.updated_at)[:limit]

    def mark_requeued(self, submission_ids: Iterable[uuid.UUID], rules: SweepRules
                      ) -> list[uuid.UUID]:
        now = self.clock()
        return [sid for sid in submission_ids
                if self._move(sid, REQUEUE.condition, rules.params, queued_at=now, job_id=None)]

    def forget_requeued(self, submission_ids: Iterable[uuid.UUID]) -> None:
        with self._lock:
            for sid in submission_ids:
                row = self.rows.get(sid)
                if row is not None and row.job_id is None:
                    self.rows[sid] = dataclasses.replace(row, queued_at=None,
                                                         updated_at=self.clock())

    def ping(self) -> None:
        """Always answers: there is nothing to reach."""

    def close(self) -> None:
        """Nothing to let go of."""
