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
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.conditions import Condition
from chalicelib.domain import NewSubmission, Reason, RunOutcome, Status, Submission, Verdict
from chalicelib.judging import VERDICT_FOR_REASON
from chalicelib.states import ABANDON, CLAIM, COMPLETE, FINISH, RELEASE, REQUEUE, SweepRules


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

        def row(**fields: Any) -> Submission:
            return Submission(
                submission_id=uuid.uuid4(), job_id=None, code=new.code, language=new.language,
                status=Status.PENDING, reason=None, result=None, stdout=None,
                stdout_truncated=False, error=None, attempts=0, lease_until=None, last_error=None,
                duration_ms=None, created_at=now, queued_at=None, started_at=None,
                finished_at=None, updated_at=now, limits=dict(new.limits), **fields)

        parent = row(stdin=new.stdin, args=list(new.args), expected_output=new.expected_output,
                     callback_url=new.callback_url,
                     tests_total=len(new.tests) if new.tests else None)
        children = [row(stdin=test.stdin, args=list(test.args),
                        expected_output=test.expected_output, parent_id=parent.submission_id,
                        test_index=index, test_name=test.name)
                    for index, test in enumerate(new.tests)]
        with self._lock:
            for submission in (parent, *children):
                self.rows[submission.submission_id] = submission
        return parent

    def children(self, parent_id: uuid.UUID) -> list[Submission]:
        with self._lock:
            found = [row for row in self.rows.values() if row.parent_id == parent_id]
        return sorted(found, key=lambda row: row.test_index)

    def _with_children(self, row: Submission) -> dict[str, Any]:
        """The row as conditions read it, with the count COMPLETE's guard needs (call locked)."""
        unfinished = sum(1 for other in self.rows.values()
                         if other.parent_id == row.submission_id and not other.status.is_terminal)
        return {**vars(row), "unfinished_children": unfinished}

    def complete(self, parent_id: uuid.UUID, verdict: Verdict | None) -> bool:
        now = self.clock()
        with self._lock:
            row = self.rows.get(parent_id)
            if row is None or not COMPLETE.condition.holds(self._with_children(row), {}, now):
                return False
            self.rows[parent_id] = dataclasses.replace(
                row, status=Status.COMPLETED, reason=Reason.COMPLETED,
                verdict=None if verdict is None else verdict.value, lease_until=None,
                finished_at=now, updated_at=now)
            return True

    def ready_parents(self, limit: int) -> list[uuid.UUID]:
        now = self.clock()
        with self._lock:
            ready = [row for row in self.rows.values()
                     if COMPLETE.condition.holds(self._with_children(row), {}, now)]
        return [row.submission_id for row in sorted(ready, key=lambda r: r.updated_at)[:limit]]

    def get(self, submission_id: uuid.UUID) -> Submission | None:
        with self._lock:
            return self.rows.get(submission_id)

    def record_sent(self, sent: Mapping[uuid.UUID, str]) -> None:
        for submission_id, job_id in sent.items():
            self.record_enqueued(submission_id, job_id)

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
            verdict=lambda row: None if row.expected_output is None
            else VERDICT_FOR_REASON[Reason.INFRASTRUCTURE].value,
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
