"""The use-cases: accept a submission, show it, run a queued one, handle a dead letter, sweep.

app.py translates HTTP and SQS events into these calls and their results back; nothing here knows
about Chalice. The adapters (store, queue, sandbox) are passed in and know nothing of each other;
every decision about a submission (retry or give up, re-send or fail) is made here, on the state
machine's predicates (chalicelib/states.py), and carried out by one move of the store.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chalicelib import metrics
from chalicelib.callbacks import CallbackFailed, CallbackRefused, check_destination, post, resolve
from chalicelib.config import Config, visibility_timeout_for
from chalicelib.constants import (
    PURGED_QUEUE_BACKSTOP_S,
    SWEEP_CHUNK,
    WAIT_FIRST_PAUSE_S,
    WAIT_MAX_PAUSE_S,
)
from chalicelib.domain import Limits, NewSubmission, Status, Submission
from chalicelib.errors import ClientError, InfrastructureError, Misconfigured, NotFound
from chalicelib.judging import overall_verdict, verdict
from chalicelib.logs import get_logger
from chalicelib.queue import QueueRecord, SubmissionQueue, parse_message_body
from chalicelib.sandbox import NodeSandbox
from chalicelib.states import SweepRules, is_held, out_of_attempts, past_retry_budget
from chalicelib.store import SubmissionStore
from chalicelib.validation import (
    parse_batch,
    parse_batch_ids,
    parse_new_submission,
    parse_payload,
    parse_submission_id,
    parse_wait,
)
from chalicelib.views import public_view

api_log = get_logger("api")
worker_log = get_logger("worker")
dlq_log = get_logger("dlq")
sweep_log = get_logger("sweeper")
callback_log = get_logger("callbacks")


def utc_now() -> datetime:
    return datetime.now(UTC)


class RetryLater(Exception):
    """Leave this message on the queue and deliver it again after ``delay_s`` seconds."""

    def __init__(self, reason: str, delay_s: int) -> None:
        super().__init__(reason)
        self.delay_s = delay_s


@dataclass
class SweepResult:
    """What one sweep did."""

    requeued: list[uuid.UUID] = field(default_factory=list)
    abandoned: list[uuid.UUID] = field(default_factory=list)
    completed: list[uuid.UUID] = field(default_factory=list)  # parents whose tests were done
    error: str | None = None


class Evaluator:
    """The service's use-cases over a store, the queue, its dead-letter queue and a sandbox."""

    def __init__(self, config: Config, store: SubmissionStore, queue: SubmissionQueue,
                 sandbox: NodeSandbox, dead_letters: SubmissionQueue | None = None,
                 callbacks: SubmissionQueue | None = None,
                 clock: Callable[[], datetime] = utc_now,
                 monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self.monotonic = monotonic
        self.sleep = sleep
        self.store = store
        self.queue = queue
        self.dead_letters = dead_letters
        self.callbacks = callbacks
        self.resolver = resolve  # how a callback's host is resolved (the SSRF check)
        self.poster = post       # how a callback is delivered
        self.sandbox = sandbox
        self.clock = clock

    @property
    def limits(self) -> Limits:
        return Limits(time_ms=self.config.time_limit_ms, memory_mb=self.config.memory_limit_mb,
                      output_bytes=self.config.output_limit_bytes,
                      cpu_time_ms=self.config.cpu_time_limit_ms)

    # ---- API ------------------------------------------------------------------------------
    def submit(self, body: bytes | None) -> Submission:
        """Validate, store as Pending, enqueue. The submission is accepted once it is stored:
        if the send fails, it stays Pending with no message and the sweeper enqueues it later.
        """
        return self._accept(parse_new_submission(body, self.config))

    def submit_batch(self, body: bytes | None) -> list[dict[str, str]]:
        """Each item of a batch accepted or refused on its own, in order: ``{"submission_id",
        "status"}`` or ``{"error"}``."""
        answers: list[dict[str, str]] = []
        for item in parse_batch(body, self.config):
            try:
                submission = self._accept(parse_payload(item, self.config))
            except ClientError as exc:
                answers.append({"error": str(exc)})
                continue
            answers.append({"submission_id": str(submission.submission_id),
                            "status": submission.status.value})
        return answers

    def view_batch(self, ids: str | None) -> list[str | dict[str, Any] | None]:
        """GET /submissions/batch?ids=...: each record (or bare status) in order, None for an id
        that names no submission."""
        views: list[str | dict[str, Any] | None] = []
        for submission_id in parse_batch_ids(ids):
            try:
                views.append(self.view(submission_id))
            except NotFound:
                views.append(None)
        return views

    def _accept(self, new: NewSubmission) -> Submission:
        """Store as Pending, then enqueue (see submit)."""
        if new.callback_url is not None:
            check_destination(new.callback_url, self.config.callback_allow_private, self.resolver)
        submission = self.store.create(new)
        sid = str(submission.submission_id)
        metrics.count("SubmissionsAccepted")
        api_log.info("submission_accepted", extra={"submission_id": sid, "tests": len(new.tests),
                                                   "code_bytes": len(new.code.encode())})
        # A submission with tests runs as its tests, one message each, so that they run at once.
        runs = [child.submission_id for child in self.store.children(submission.submission_id)] \
            if submission.is_parent else [submission.submission_id]
        try:
            sent = self.queue.send_many(runs) if len(runs) > 1 else {runs[0]: self.queue.send(runs[0])}
        except InfrastructureError as exc:
            api_log.error("enqueue_failed", extra={"submission_id": sid, "error": str(exc)})
            return submission
        try:
            self.store.record_sent(sent)
        except InfrastructureError as exc:  # sent but not noted: the sweeper may send a copy
            api_log.warning("enqueue_not_recorded", extra={"submission_id": sid, "error": str(exc)})
            return submission
        api_log.info("submission_enqueued", extra={"submission_id": sid, "messages": len(sent)})
        return submission

    def get(self, submission_id: str, wait: str | None = None) -> Submission:
        """The submission; with ``wait`` (seconds, from ``?wait=``), as soon as it is finished
        or once that long has passed, whichever comes first.

        Raises:
            NotFound: there is no such submission.
            BadRequest: ``wait`` is not a number of seconds up to MAX_WAIT_S.
        """
        sid = parse_submission_id(submission_id)
        deadline = self.monotonic() + parse_wait(wait, self.config.max_wait_s)
        pause = WAIT_FIRST_PAUSE_S
        while True:
            found = self.store.get(sid)
            if found is None:
                raise NotFound(f"no submission with id {submission_id}")
            remaining = deadline - self.monotonic()
            if found.status.is_terminal or remaining <= 0:
                return found
            self.sleep(min(pause, remaining))
            pause = min(pause * 2, WAIT_MAX_PAUSE_S)

    def view(self, submission_id: str, wait: str | None = None) -> str | dict[str, Any]:
        """What GET /submission/{id} answers (chalicelib/views.py), after ``wait`` as in get()."""
        submission = self.get(submission_id, wait)
        tests = self.store.children(submission.submission_id) if submission.is_parent else []
        return public_view(submission, tests)

    def health(self) -> dict[str, str]:
        """Whether the database answers now; raises ``StoreUnavailable`` if it does not."""
        self.store.ping()
        return {"status": "ok", "database": "ok"}

    # ---- retries ---------------------------------------------------------------------------
    def backoff_s(self, receive_count: int, cap_s: int) -> int:
        """Exponential back-off for infrastructure failures, capped at the visibility timeout."""
        return min(self.config.retry_delay_s * 2 ** max(receive_count - 1, 0), cap_s)

    @contextlib.contextmanager
    def _retried(self, record: QueueRecord, queue: SubmissionQueue | None, log: logging.Logger,
                 cap_s: int) -> Iterator[None]:
        """Let a failure of this record propagate (the batch reports it failed), after setting
        when the queue delivers it again: ``RetryLater``'s delay, or the back-off for our own
        failures. A misconfiguration is not retried sooner: it needs its operator."""
        try:
            yield
        except RetryLater as exc:
            self._push_back(record, queue, exc.delay_s, log)
            raise
        except Misconfigured:
            raise
        except Exception as exc:
            if isinstance(exc, InfrastructureError):
                log.error("record_failed_infrastructure", extra={
                    "message_id": record.message_id, "error": str(exc),
                    "receive_count": record.receive_count})
            else:  # a bug of ours: retry, and let the DLQ end it if it persists
                log.exception("record_failed_unexpectedly", extra={"message_id": record.message_id})
            metrics.count("Retries")
            self._push_back(record, queue, self.backoff_s(record.receive_count, cap_s), log)
            raise

    def _push_back(self, record: QueueRecord, queue: SubmissionQueue | None, delay_s: int,
                   log: logging.Logger) -> None:
        if queue is None:
            return
        try:
            queue.retry_after(record.receipt_handle, delay_s)
        except InfrastructureError as exc:  # then it returns after the visibility timeout
            log.warning("retry_delay_not_set", extra={"message_id": record.message_id,
                                                      "error": str(exc)})

    # ---- worker ---------------------------------------------------------------------------
    def run_record(self, record: QueueRecord, lease_s: int) -> None:
        """Run one record's submission; raise if the message must be delivered again.

        ``lease_s`` is how long a claim holds: the invocation's remaining time (the worker cannot
        outlive it)."""
        with self._retried(record, self.queue, worker_log, visibility_timeout_for(lease_s)):
            self._run_one(record, lease_s)

    def _run_one(self, record: QueueRecord, lease_s: int) -> None:
        submission_id = parse_message_body(record.body)
        if submission_id is None:
            worker_log.error("malformed_message_dropped", extra={
                "message_id": record.message_id, "body": record.body[:200]})
            return
        if record.sent_at is not None:
            metrics.seconds("QueueAge", max((self.clock() - record.sent_at).total_seconds(), 0))
        sid = str(submission_id)
        claimed = self.store.claim(submission_id, lease_s)
        if claimed is None:
            self._explain_unclaimed(submission_id, record, lease_s)
            return
        worker_log.info("run_started", extra={"submission_id": sid, "attempt": claimed.attempts,
                                              "message_id": record.message_id})
        try:
            outcome = self.sandbox.run(claimed.code, claimed.limits_within(self.limits),
                                       claimed.given)
            written = self.store.finish(submission_id, outcome,
                                        verdict(outcome, claimed.expected_output))
        except Exception as exc:  # ours, not the program's: hand the lease back, then retry
            self._release(submission_id, exc, claimed.attempts)
            raise
        if written:
            metrics.count("Runs", reason=outcome.reason.value)
            metrics.milliseconds("RunDuration", outcome.duration_ms)
            if claimed.parent_id is not None:
                self._complete_parent(claimed.parent_id)
            else:
                self._notify(submission_id, claimed.callback_url)
        worker_log.info("run_finished" if written else "result_discarded_already_finished", extra={
            "submission_id": sid, "status": outcome.status.value, "reason": outcome.reason.value,
            "duration_ms": outcome.duration_ms})

    def _explain_unclaimed(self, submission_id: uuid.UUID, record: QueueRecord,
                           lease_s: int) -> None:
        current = self.store.get(submission_id)
        sid = str(submission_id)
        if current is None or current.is_parent:  # a parent runs as its tests, never itself
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
                remaining = (current.lease_until - self.clock()).total_seconds()
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
    def dead_letter_record(self, record: QueueRecord) -> None:
        """Decide a dead-lettered submission's fate; raise if the dead letter must come back
        (the database is down: there is no further queue, it waits in this one)."""
        with self._retried(record, self.dead_letters, dlq_log, self.config.visibility_timeout_s):
            self._dead_letter_one(record)

    def _dead_letter_one(self, record: QueueRecord) -> None:
        """Its message was delivered MAX_RECEIVE_COUNT times without a result. If the submission
        is still within its retry budget and has runs left, send it to the queue again (an outage
        shorter than the budget fails nothing); otherwise fail it, saying why."""
        submission_id = parse_message_body(record.body)
        if submission_id is None:
            dlq_log.error("malformed_dead_letter_dropped", extra={
                "message_id": record.message_id, "body": record.body[:200]})
            return
        extra = {"submission_id": str(submission_id), "message_id": record.message_id}
        current = self.store.get(submission_id)
        now = self.clock()
        if current is None or current.status.is_terminal or is_held(current, now):
            dlq_log.info("dead_letter_ignored", extra={
                **extra, "status": current.status.value if current else "unknown"})
            return
        metrics.count("DeadLetters")
        why = self._why_give_up(current, now)
        if why is None:
            job_id = self.queue.send(submission_id)
            self.store.record_enqueued(submission_id, job_id)
            metrics.count("DeadLetterRedrives")
            dlq_log.warning("dead_letter_redriven", extra={
                **extra, "job_id": job_id, "attempts": current.attempts})
        elif self.store.abandon(submission_id, why):
            dlq_log.error("submission_abandoned", extra={**extra, "why": why})
            if current.parent_id is not None:
                self._complete_parent(current.parent_id)
            else:
                self._notify(submission_id, current.callback_url)
        else:
            dlq_log.info("dead_letter_ignored", extra={**extra, "status": "changed meanwhile"})

    # ---- submissions with tests ------------------------------------------------------------
    def _complete_parent(self, parent_id: uuid.UUID) -> bool:
        """Complete a submission whose tests have all finished (a no-op while one has not, or if
        another worker completed it first), with the verdict of its tests."""
        tests = self.store.children(parent_id)
        if any(not test.status.is_terminal for test in tests):
            return False
        completed = self.store.complete(parent_id, overall_verdict([t.verdict for t in tests]))
        if completed:
            worker_log.info("submission_completed", extra={
                "submission_id": str(parent_id), "tests": len(tests)})
            parent = self.store.get(parent_id)
            self._notify(parent_id, parent.callback_url if parent else None)
        return completed

    # ---- callbacks --------------------------------------------------------------------------
    def _notify(self, submission_id: uuid.UUID, callback_url: str | None) -> None:
        """Queue the delivery of a finished submission's record to its callback_url. Best
        effort: the submission is finished either way, and its record can always be read."""
        if not callback_url or self.callbacks is None:
            return
        try:
            self.callbacks.send(submission_id)
        except InfrastructureError as exc:
            worker_log.error("callback_not_queued", extra={
                "submission_id": str(submission_id), "error": str(exc)})

    def deliver_callback_record(self, record: QueueRecord) -> None:
        """POST one finished submission's record to its callback_url; raise (to be retried
        with back-off) if the destination did not take it."""
        with self._retried(record, self.callbacks, callback_log, self.config.visibility_timeout_s):
            self._deliver_one(record)

    def _deliver_one(self, record: QueueRecord) -> None:
        submission_id = parse_message_body(record.body)
        submission = self.store.get(submission_id) if submission_id is not None else None
        if submission is None or not submission.callback_url or not submission.status.is_terminal:
            callback_log.warning("callback_dropped", extra={"message_id": record.message_id})
            return
        extra = {"submission_id": str(submission_id), "attempt": record.receive_count}
        url = submission.callback_url
        try:  # again: what the name resolves to may have changed since the submission
            check_destination(url, self.config.callback_allow_private, self.resolver)
        except CallbackRefused as exc:
            callback_log.error("callback_refused", extra={**extra, "error": str(exc)})
            metrics.count("Callbacks", outcome="refused")
            return
        tests = self.store.children(submission.submission_id) if submission.is_parent else []
        try:
            status = self.poster(url, public_view(submission, tests),
                                 self.config.callback_timeout_s)
        except CallbackFailed as exc:
            callback_log.warning("callback_failed", extra={
                **extra, "error": str(exc),
                "given_up": record.receive_count >= self.config.callback_attempts})
            metrics.count("Callbacks", outcome="failed")
            raise
        callback_log.info("callback_delivered", extra={**extra, "status": status})
        metrics.count("Callbacks", outcome="delivered")

    def _why_give_up(self, submission: Submission, now: datetime) -> str | None:
        """Why to stop trying, or None to try again."""
        if out_of_attempts(submission, self.config.max_attempts):
            return f"Gave up after {submission.attempts} attempts, none of which stored a result"
        if past_retry_budget(submission, now, self.config.give_up_after_s):
            return (f"Gave up after {_duration(self.config.give_up_after_s)} of infrastructure "
                    "failures")
        return None

    # ---- sweeper ---------------------------------------------------------------------------
    def sweep(self) -> SweepResult:
        """Bring back what the queue lost: re-send Pending and Running submissions whose message
        is (or may be) gone, and fail Running ones whose workers died with every attempt used.
        Safe beside workers and other sweeps: every move is conditional, and a submission is
        marked as re-sent before it is sent, so of two sweeps only one sends it."""
        try:
            queue_created = self.queue.created_at()
        except InfrastructureError as exc:  # the sweep can still do everything else
            sweep_log.warning("queue_age_unknown", extra={"error": str(exc)})
            queue_created = None
        rules = SweepRules(stale_after_s=self.config.requeue_after_s,
                           backstop_s=PURGED_QUEUE_BACKSTOP_S, queue_created=queue_created)
        result = SweepResult()
        to_send = []
        for submission in self.store.lost_messages(rules, self.config.sweep_batch):
            sid = submission.submission_id
            if submission.status is Status.RUNNING and out_of_attempts(
                    submission, self.config.max_attempts):
                why = (f"Gave up after {submission.attempts} attempts: the worker stopped "
                       "without a result each time (it crashed or ran out of time)")
                if self.store.abandon(sid, why):
                    result.abandoned.append(sid)
                    sweep_log.error("submission_abandoned", extra={"submission_id": str(sid)})
                    if submission.parent_id is not None:
                        self._complete_parent(submission.parent_id)
                    else:
                        self._notify(sid, submission.callback_url)
            else:
                to_send.append(sid)
        for start in range(0, len(to_send), SWEEP_CHUNK):
            result.error = self._resend(to_send[start:start + SWEEP_CHUNK], rules, result)
            if result.error:
                sweep_log.error("sweep_stopped", extra={"error": result.error})
                break
        # A parent whose last test finished while its worker died before completing it.
        for parent_id in self.store.ready_parents(self.config.sweep_batch):
            if self._complete_parent(parent_id):
                result.completed.append(parent_id)
        sweep_log.info("sweep_done", extra={"requeued": len(result.requeued),
                                            "abandoned": len(result.abandoned),
                                            "completed": len(result.completed)})
        return result

    def _resend(self, chunk: list[uuid.UUID], rules: SweepRules, result: SweepResult
                ) -> str | None:
        """Mark, send, note: no network call while the database holds anything. Returns why the
        sweep must stop, if it must."""
        marked = self.store.mark_requeued(chunk, rules)
        if not marked:
            return None
        try:
            sent = self.queue.send_many(marked)
        except InfrastructureError as exc:
            self.store.forget_requeued(marked)
            return str(exc)
        self.store.record_sent(sent)
        for sid in sent:
            result.requeued.append(sid)
            metrics.count("SweeperResends")
            sweep_log.warning("submission_requeued", extra={"submission_id": str(sid)})
        refused = [sid for sid in marked if sid not in sent]
        if refused:
            self.store.forget_requeued(refused)
            return f"the queue refused {len(refused)} messages"
        return None


def _duration(seconds: int) -> str:
    """6 hours, 90 minutes, 45 seconds."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"
