"""What the API shows of a submission: the bare status while it is unfinished, the whole record
once it is finished, and for a submission with tests, each test's run and a summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.domain import Status, Submission, Verdict


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _run(submission: Submission) -> dict[str, Any]:
    return {"reason": submission.reason, "verdict": submission.verdict,
            "stdout": submission.stdout or "", "stdout_truncated": submission.stdout_truncated,
            "stderr": submission.stderr or "", "stderr_truncated": submission.stderr_truncated,
            "exit_code": submission.exit_code, "cpu_time_ms": submission.cpu_time_ms,
            "wall_time_ms": submission.duration_ms, "memory_kb": submission.memory_kb}


def shown_status(submission: Submission, tests: list[Submission]) -> Status:
    """A parent is Running as soon as one of its tests is no longer Pending."""
    if submission.is_parent and submission.status is Status.PENDING and any(
            test.status is not Status.PENDING for test in tests):
        return Status.RUNNING
    return submission.status


def passed(test: Submission) -> bool:
    """Accepted; or, when nothing was expected of it, Completed."""
    if test.verdict is not None:
        return test.verdict == Verdict.ACCEPTED
    return test.status is Status.COMPLETED


def public_view(submission: Submission, tests: list[Submission] | None = None
                ) -> str | dict[str, Any]:
    """The API's view of ``submission``; ``tests`` are its children, in order, if it has any."""
    tests = tests or []
    if not submission.status.is_terminal:
        return shown_status(submission, tests).value
    record: dict[str, Any] = {
        "submission_id": str(submission.submission_id),
        "status": submission.status.value,
        "language": submission.language,
        "result": submission.result,
        **_run(submission),
        "error": submission.error,
        "attempts": submission.attempts,
        "duration_ms": submission.duration_ms,
        "created_at": _iso(submission.created_at),
        "updated_at": _iso(submission.updated_at),
        "started_at": _iso(submission.started_at),
        "finished_at": _iso(submission.finished_at),
    }
    if submission.is_parent:
        record["tests"] = [{"name": test.test_name, "status": test.status.value, **_run(test),
                            "error": test.error} for test in tests]
        record["summary"] = {"total": len(tests), "passed": sum(1 for test in tests if passed(test))}
    return record
