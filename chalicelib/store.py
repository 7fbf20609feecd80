"""The Postgres store: submissions and their transitions, each one conditional UPDATE.

The state machine's transitions (chalicelib/states.py) become ``WHERE status = ANY(sources)``
clauses here, so whatever races — duplicate deliveries, two workers, a late retry, the sweeper —
at most one of them changes a row, and a terminal row never changes again.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

import psycopg
from psycopg.rows import class_row
from psycopg_pool import ConnectionPool, PoolTimeout

from chalicelib.errors import InfrastructureError, StoreUnavailable
from chalicelib.sandbox import RunOutcome
from chalicelib.states import ABANDON, CLAIM, FINISH, Reason, Status


@dataclass(frozen=True)
class Submission:
    """One row of ``submissions``."""

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


COLUMNS = ", ".join(Submission.__dataclass_fields__)
# A Pending submission with no message yet is left alone this long: its API call may still be
# sending it.
FRESH_SUBMISSION_S = 10
RECORD_ENQUEUED = ("UPDATE submissions SET job_id = %s, queued_at = now(), updated_at = now()"
                   " WHERE submission_id = %s")
# The sweeper sends (and holds row locks for) this many at a time: one SQS batch call.
SWEEP_CHUNK = 10
SWEEP_CANDIDATES = (
    "SELECT submission_id, status, attempts FROM submissions"
    " WHERE status = ANY(%(unfinished)s) AND ("
    "  (status = %(pending)s AND queued_at IS NULL"
    "   AND created_at < now() - make_interval(secs => %(fresh)s))"
    "  OR (queued_at < %(queue_created)s AND (status = %(pending)s OR lease_until < now()))"
    "  OR (status = %(running)s AND lease_until < now() - make_interval(secs => %(stale)s)"
    "   AND (queued_at IS NULL OR queued_at < now() - make_interval(secs => %(stale)s)))"
    "  OR (status = %(pending)s AND queued_at < now() - make_interval(secs => %(backstop)s)))"
    " ORDER BY updated_at LIMIT %(limit)s FOR UPDATE SKIP LOCKED")


@dataclass(frozen=True)
class SweepPolicy:
    """What the sweeper takes for a lost message, and when it gives up."""

    stale_after_s: int
    backstop_s: int
    limit: int
    max_attempts: int
    why: str
    queue_created: datetime | None = None  # when the queue was (re)created, if known


@dataclass
class SweepResult:
    """What one sweep did."""

    requeued: list[uuid.UUID] = field(default_factory=list)
    abandoned: list[uuid.UUID] = field(default_factory=list)
    error: str | None = None

P = ParamSpec("P")
R = TypeVar("R")


def _translated(method: Callable[P, R]) -> Callable[P, R]:
    """Turn a database outage into ``StoreUnavailable``: our failure, worth a retry."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout) as exc:
            raise StoreUnavailable(f"database unavailable: {exc}") from exc

    return wrapper


def create_pool(database_url: str, max_size: int, timeout_s: float = 3.0) -> ConnectionPool:
    """A pool that checks a connection before lending it, so one that died idle is replaced.
    ``timeout_s`` bounds the wait for a connection: how long a caller waits for a 503."""
    return ConnectionPool(
        database_url,
        min_size=1,
        max_size=max_size,
        kwargs={"autocommit": True},
        check=ConnectionPool.check_connection,
        timeout=timeout_s,
        open=True,
        name="evaluator",
    )


class SubmissionStore:
    """Submissions in PostgreSQL, behind a psycopg connection pool."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def _one(self, sql: str, params: tuple[Any, ...]) -> Submission | None:
        with self.pool.connection() as conn, conn.cursor(row_factory=class_row(Submission)) as cur:
            return cur.execute(sql, params).fetchone()

    @_translated
    def create(self, code: str, language: str) -> Submission:
        """Insert a new Pending submission and return it."""
        row = self._one(
            f"INSERT INTO submissions (submission_id, code, language) VALUES (%s, %s, %s)"
            f" RETURNING {COLUMNS}",
            (uuid.uuid4(), code, language))
        assert row is not None
        return row

    @_translated
    def record_enqueued(self, submission_id: uuid.UUID, job_id: str) -> None:
        """Remember the SQS message that carries a submission."""
        with self.pool.connection() as conn:
            conn.execute(RECORD_ENQUEUED, (job_id, submission_id))

    @_translated
    def get(self, submission_id: uuid.UUID) -> Submission | None:
        return self._one(f"SELECT {COLUMNS} FROM submissions WHERE submission_id = %s",
                         (submission_id,))

    @_translated
    def claim(self, submission_id: uuid.UUID, lease_s: int) -> Submission | None:
        """Pending, or Running with an expired lease -> Running, attempts + 1.

        Returns the claimed submission, or None when it is unknown, terminal, or held by a live
        lease of another worker.
        """
        return self._one(
            f"UPDATE submissions SET status = %s, attempts = attempts + 1,"
            f" lease_until = now() + make_interval(secs => %s), started_at = now(),"
            f" updated_at = now()"
            f" WHERE submission_id = %s AND status = ANY(%s)"
            f" AND (status = %s OR lease_until IS NULL OR lease_until <= now())"
            f" RETURNING {COLUMNS}",
            (Status.RUNNING, lease_s, submission_id, CLAIM.source_values, Status.PENDING))

    @_translated
    def finish(self, submission_id: uuid.UUID, outcome: RunOutcome) -> bool:
        """Running -> the outcome's terminal status. False if someone else finished it first."""
        assert FINISH.allows(Status.RUNNING, outcome.status)
        with self.pool.connection() as conn:
            cur = conn.execute(
                "UPDATE submissions SET status = %s, reason = %s, result = %s, stdout = %s,"
                " stdout_truncated = %s, error = %s, duration_ms = %s, lease_until = NULL,"
                " finished_at = now(), updated_at = now()"
                " WHERE submission_id = %s AND status = ANY(%s)",
                (outcome.status, outcome.reason, outcome.result, outcome.stdout,
                 outcome.stdout_truncated, outcome.error, outcome.duration_ms,
                 submission_id, FINISH.source_values))
            return cur.rowcount == 1

    @_translated
    def release(self, submission_id: uuid.UUID, error: str, attempt: int) -> None:
        """Give a Running submission's lease back after an infrastructure failure, noting why,
        so that the retried message can claim it at once. Only the claim numbered ``attempt``
        can: a late worker must not free a lease another worker has taken since."""
        with self.pool.connection() as conn:
            conn.execute(
                "UPDATE submissions SET lease_until = now(), last_error = %s, updated_at = now()"
                " WHERE submission_id = %s AND status = %s AND attempts = %s",
                (error, submission_id, Status.RUNNING, attempt))

    @_translated
    def abandon(self, submission_id: uuid.UUID, why: str) -> bool:
        """Pending or Running (not held by a live lease) -> Failed, with ``why`` and the last
        infrastructure error. False if it is terminal, unknown or still being run."""
        with self.pool.connection() as conn:
            return _abandon(conn, submission_id, why)

    @_translated
    def sweep(self, policy: SweepPolicy,
              resend: Callable[[list[uuid.UUID]], dict[uuid.UUID, str]]) -> SweepResult:
        """Re-send the unfinished submissions whose message is (or may be) gone, and abandon, as
        Failed, the Running ones that have used every attempt. ``resend`` sends a chunk and
        returns the MessageId of each one sent. Rows are locked (``SKIP LOCKED``) a chunk at a
        time, so concurrent sweeps share the work, workers wait at most one send for a row, and
        never see a half-done change. If ``resend`` fails, the sweep stops there.

        A message is taken for gone when: it was never sent (and the API call that should have
        sent it is surely over); it was sent before the queue was (re)created; the submission
        is Running with a lease that ran out ``stale_after_s`` ago and was not re-sent since (its
        worker died; its message may have died with the queue); or, as a backstop for a purged
        queue, it has waited ``backstop_s``. A message merely waiting in a backlog is not re-sent:
        that would feed the backlog with copies.
        """
        result = SweepResult()
        with self.pool.connection() as conn:
            while len(result.requeued) + len(result.abandoned) < policy.limit and not result.error:
                with conn.transaction():
                    rows = conn.execute(SWEEP_CANDIDATES, {
                        "unfinished": ABANDON.source_values, "pending": Status.PENDING,
                        "running": Status.RUNNING, "fresh": FRESH_SUBMISSION_S,
                        "queue_created": policy.queue_created or datetime.min.replace(tzinfo=UTC),
                        "stale": policy.stale_after_s, "backstop": policy.backstop_s,
                        "limit": SWEEP_CHUNK}).fetchall()
                    if not rows:
                        break
                    to_send = []
                    for submission_id, status, attempts in rows:
                        if status == Status.RUNNING and attempts >= policy.max_attempts:
                            if _abandon(conn, submission_id, policy.why):
                                result.abandoned.append(submission_id)
                        else:
                            to_send.append(submission_id)
                    try:
                        sent = resend(to_send) if to_send else {}
                    except InfrastructureError as exc:
                        result.error = str(exc)
                        sent = {}
                    for submission_id, job_id in sent.items():
                        conn.execute(RECORD_ENQUEUED, (job_id, submission_id))
                        result.requeued.append(submission_id)
                    if len(sent) < len(to_send) and not result.error:
                        result.error = f"the queue refused {len(to_send) - len(sent)} messages"
        return result


def _abandon(conn: psycopg.Connection, submission_id: uuid.UUID, why: str) -> bool:
    cur = conn.execute(
        "UPDATE submissions SET status = %s, reason = %s,"
        " error = %s || coalesce(': ' || last_error, ''), lease_until = NULL,"
        " finished_at = now(), updated_at = now()"
        " WHERE submission_id = %s AND status = ANY(%s)"
        " AND (lease_until IS NULL OR lease_until <= now())",
        (Status.FAILED, Reason.INFRASTRUCTURE, why, submission_id, ABANDON.source_values))
    return cur.rowcount == 1
