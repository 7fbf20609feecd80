"""The use-cases: accept a submission, show it, run queued ones, give up on dead letters.

app.py translates HTTP and SQS events into these calls and their results back; nothing here knows
about Chalice. Dependencies (store, queue, sandbox, config) are passed in.
"""

from __future__ import annotations

import contextlib
import functools
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chalicelib.config import Config, visibility_timeout_for
from chalicelib.errors import InfrastructureError, NotFound
from chalicelib.logs import get_logger
from chalicelib.queue import SubmissionQueue, parse_message_body
from chalicelib.sandbox import Limits, NodeSandbox
from chalicelib.store import Submission, SubmissionStore, SweepPolicy, SweepResult
from chalicelib.validation import parse_new_submission, parse_submission_id

api_log = get_logger("api")
worker_log = get_logger("worker")
dlq_log = get_logger("dlq")
sweep_log = get_logger("sweeper")
# A Pending submission whose message has waited this long is sent again even though the queue
# was not recreated: the backstop for a purged queue. Long, so that a backlog is never copied.
PURGED_QUEUE_BACKSTOP_S = 3600


@dataclass(frozen=True)
class QueueRecord:
    """What the worker needs of one SQS record (Lambda's event or the local poller's)."""

    message_id: str
    receipt_handle: str
    body: str
    receive_count: int

    @classmethod
    def from_event_record(cls, record: dict[str, Any]) -> QueueRecord:
        attributes = record.get("attributes") or {}
        return cls(
            message_id=record["messageId"],
            receipt_handle=record["receiptHandle"],
            body=record.get("body") or "",
            receive_count=int(attributes.get("ApproximateReceiveCount", "1")),
        )


class RetryLater(Exception):
    """Leave this message on the queue and deliver it again after ``delay_s`` seconds."""

    def __init__(self, reason: str, delay_s: int) -> None:
        super().__init__(reason)
        self.delay_s = delay_s


def public_view(submission: Submission) -> str | dict[str, Any]:
    """The API's view: the bare status while unfinished, the whole record once finished."""
    if not submission.status.is_terminal:
        return submission.status.value

    def iso(moment: Any) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "submission_id": str(submission.submission_id),
        "status": submission.status.value,
        "reason": submission.reason,
        "language": submission.language,
        "result": submission.result,
        "stdout": submission.stdout or "",
        "stdout_truncated": submission.stdout_truncated,
        "error": submission.error,
        "attempts": submission.attempts,
        "duration_ms": submission.duration_ms,
        "created_at": iso(submission.created_at),
        "updated_at": iso(submission.updated_at),
        "started_at": iso(submission.started_at),
        "finished_at": iso(submission.finished_at),
    }


class Evaluator:
    """The service's use-cases over a store, a queue and a sandbox."""

    def __init__(self, config: Config, store: SubmissionStore, queue: SubmissionQueue,
                 sandbox: NodeSandbox) -> None:
        self.config = config
        self.store = store
        self.queue = queue
        self.sandbox = sandbox

    @property
    def limits(self) -> Limits:
        return Limits(time_ms=self.config.time_limit_ms, memory_mb=self.config.memory_limit_mb,
                      output_bytes=self.config.output_limit_bytes)

    # ---- API ------------------------------------------------------------------------------
    def submit(self, body: bytes | None) -> Submission:
        """Validate, store as Pending, enqueue. The submission is accepted once it is stored:
        if the send fails, it stays Pending with no message and the sweeper enqueues it later.
        """
        new = parse_new_submission(body, self.config.max_code_bytes)
        submission = self.store.create(new.code, new.language)
        sid = str(submission.submission_id)
        api_log.info("submission_accepted", extra={"submission_id": sid,
                                                   "code_bytes": len(new.code.encode())})
        try:
            job_id = self.queue.send(submission.submission_id)
        except InfrastructureError as exc:
            api_log.error("enqueue_failed", extra={"submission_id": sid, "error": str(exc)})
            return submission
        try:
            self.store.record_enqueued(submission.submission_id, job_id)
        except InfrastructureError as exc:  # sent but not noted: the sweeper may send a copy
            api_log.warning("enqueue_not_recorded", extra={"submission_id": sid, "error": str(exc)})
            return submission
        api_log.info("submission_enqueued", extra={"submission_id": sid, "job_id": job_id})
        return submission

    def get(self, submission_id: str) -> Submission:
        found = self.store.get(parse_submission_id(submission_id))
        if found is None:
            raise NotFound(f"no submission with id {submission_id}")
        return found

    # ---- worker ---------------------------------------------------------------------------
    def process_batch(self, records: Iterable[QueueRecord], lease_s: int) -> list[str]:
        """Run each record's submission; return the message ids that must be delivered again.

        ``lease_s`` is how long a claim holds: the invocation's remaining time (the worker cannot
        outlive it). A failed record is pushed back with a back-off (``RetryLater``'s delay, or
        exponential for infrastructure failures); the others in the batch are acknowledged.
        """
        visibility_s = visibility_timeout_for(lease_s)
        failures = _each_record(records, functools.partial(self._process_one, lease_s=lease_s),
                                functools.partial(self.backoff_s, cap_s=visibility_s), worker_log)
        for record, delay_s in failures:
            try:
                self.queue.retry_after(record.receipt_handle, delay_s)
            except InfrastructureError as exc:  # then it returns after the visibility timeout
                worker_log.warning("retry_delay_not_set", extra={
                    "message_id": record.message_id, "error": str(exc)})
        return [record.message_id for record, _ in failures]

    def backoff_s(self, receive_count: int, cap_s: int) -> int:
        """Exponential back-off for infrastructure failures, capped at the visibility timeout."""
        return min(self.config.retry_delay_s * 2 ** max(receive_count - 1, 0), cap_s)

    def _process_one(self, record: QueueRecord, lease_s: int) -> None:
        submission_id = parse_message_body(record.body)
        if submission_id is None:
            worker_log.error("malformed_message_dropped", extra={
                "message_id": record.message_id, "body": record.body[:200]})
            return
        sid = str(submission_id)
        claimed = self.store.claim(submission_id, lease_s)
        if claimed is None:
            self._explain_unclaimed(submission_id, record, lease_s)
            return
        worker_log.info("run_started", extra={"submission_id": sid, "attempt": claimed.attempts,
                                              "message_id": record.message_id})
        try:
            outcome = self.sandbox.run(claimed.code, self.limits)
            written = self.store.finish(submission_id, outcome)
        except Exception as exc:  # ours, not the program's: hand the lease back, then retry
            self._release(submission_id, exc, claimed.attempts)
            raise
        worker_log.info("run_finished" if written else "result_discarded_already_finished", extra={
            "submission_id": sid, "status": outcome.status.value, "reason": outcome.reason.value,
            "duration_ms": outcome.duration_ms})

    def _explain_unclaimed(self, submission_id: uuid.UUID, record: QueueRecord,
                           lease_s: int) -> None:
        current = self.store.get(submission_id)
        sid = str(submission_id)
        if current is None:
            worker_log.warning("unknown_submission_dropped", extra={
                "submission_id": sid, "message_id": record.message_id})
        elif current.status.is_terminal:
            worker_log.info("duplicate_delivery_ignored", extra={
                "submission_id": sid, "status": current.status.value,
                "message_id": record.message_id})
        else:
            # Another worker holds a live lease. Do not drop the message: if that worker dies,
            # this delivery is what finishes the job once the lease runs out.
            delay = lease_s
            if current.lease_until is not None:
                remaining = (current.lease_until - datetime.now(UTC)).total_seconds()
                delay = max(1, min(int(remaining) + 1, visibility_timeout_for(lease_s)))
            worker_log.info("held_by_another_worker", extra={
                "submission_id": sid, "retry_in_s": delay, "message_id": record.message_id})
            raise RetryLater("held by another worker", delay)

    def _release(self, submission_id: uuid.UUID, exc: Exception, attempt: int) -> None:
        worker_log.error("run_failed_will_retry", extra={
            "submission_id": str(submission_id), "error": str(exc)})
        # If even this fails, the lease runs out by itself and the retry waits for that.
        with contextlib.suppress(Exception):
            self.store.release(submission_id, f"{type(exc).__name__}: {exc}", attempt)

    # ---- dead letters ---------------------------------------------------------------------
    def process_dead_letters(self, records: Iterable[QueueRecord]) -> list[str]:
        """Mark each dead-lettered submission Failed; return the ids to deliver again.

        A dead letter that could not be handled (database down) comes back after the DLQ's
        visibility timeout; there is no further queue to move it to.
        """
        failures = _each_record(records, self._dead_letter_one, lambda _: 0, dlq_log)
        return [record.message_id for record, _ in failures]

    def _dead_letter_one(self, record: QueueRecord) -> None:
        submission_id = parse_message_body(record.body)
        if submission_id is None:
            dlq_log.error("malformed_dead_letter_dropped", extra={
                "message_id": record.message_id, "body": record.body[:200]})
            return
        why = (f"Gave up after {self.config.max_receive_count} delivery attempts failed "
               "for infrastructure reasons")
        extra = {"submission_id": str(submission_id), "message_id": record.message_id}
        if self.store.abandon(submission_id, why):
            dlq_log.error("submission_abandoned", extra=extra)
        else:
            dlq_log.info("dead_letter_ignored_finished_or_running", extra=extra)


    # ---- sweeper ---------------------------------------------------------------------------
    def sweep(self) -> SweepResult:
        """Bring back what the queue lost: re-send stale Pending and Running submissions, and fail
        Running ones whose workers died with every attempt used. Safe beside workers and other
        sweeps (rows are locked, transitions are conditional); a duplicate message is harmless."""
        try:
            queue_created = self.queue.created_at()
        except InfrastructureError as exc:  # the sweep can still do everything else
            sweep_log.warning("queue_age_unknown", extra={"error": str(exc)})
            queue_created = None
        policy = SweepPolicy(
            stale_after_s=self.config.requeue_after_s,
            backstop_s=PURGED_QUEUE_BACKSTOP_S,
            limit=self.config.sweep_batch, max_attempts=self.config.max_receive_count,
            why=(f"Gave up after {self.config.max_receive_count} attempts: the worker stopped "
                 "without a result each time (it crashed or ran out of time)"),
            queue_created=queue_created)
        result = self.store.sweep(policy, self.queue.send_many)
        for sid in result.requeued:
            sweep_log.warning("submission_requeued", extra={"submission_id": str(sid)})
        for sid in result.abandoned:
            sweep_log.error("submission_abandoned", extra={"submission_id": str(sid)})
        if result.error:
            sweep_log.error("sweep_stopped", extra={"error": result.error})
        sweep_log.info("sweep_done", extra={"requeued": len(result.requeued),
                                            "abandoned": len(result.abandoned)})
        return result


def _each_record(records: Iterable[QueueRecord], handle: Callable[[QueueRecord], None],
                 backoff_s: Callable[[int], int], log: Any) -> list[tuple[QueueRecord, int]]:
    """Handle records one by one; return the failed ones with the delay before their retry."""
    failures = []
    for record in records:
        try:
            handle(record)
        except RetryLater as exc:
            failures.append((record, exc.delay_s))
        except InfrastructureError as exc:
            log.error("record_failed_infrastructure", extra={
                "message_id": record.message_id, "error": str(exc),
                "receive_count": record.receive_count})
            failures.append((record, backoff_s(record.receive_count)))
        except Exception:  # a bug of ours: retry, and let the DLQ end it if it persists
            log.exception("record_failed_unexpectedly", extra={"message_id": record.message_id})
            failures.append((record, backoff_s(record.receive_count)))
    return failures
