"""The PostgreSQL store: each move one conditional UPDATE, its guard rendered from
chalicelib/states.py, every statement its own transaction (autocommit), no row lock held across
anything but the statement itself."""

from __future__ import annotations

import functools
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ParamSpec, TypeVar

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool, PoolTimeout

from chalicelib.domain import (
    SUBMISSION_FIELDS,
    NewSubmission,
    Reason,
    RunOutcome,
    Status,
    Submission,
    Verdict,
)
from chalicelib.errors import Misconfigured, StoreUnavailable
from chalicelib.judging import VERDICT_FOR_REASON
from chalicelib.states import ABANDON, CLAIM, COMPLETE, FINISH, RELEASE, REQUEUE, SweepRules

COLUMNS = ", ".join(SUBMISSION_FIELDS)
INSERT = ("INSERT INTO submissions (submission_id, code, language, stdin, args, expected_output,"
          " limits, callback_url, parent_id, test_index, test_name, tests_total)"
          " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)")
RECORD_ENQUEUED = ("UPDATE submissions SET job_id = %s, queued_at = now(), updated_at = now()"
                   " WHERE submission_id = %s")
# Consecutive refusals of the credentials after which they are wrong, not rotating: the second
# attempt has read the secret again (chalicelib/resources.py).
AUTH_FAILURES_MEANING_MISCONFIGURED = 2

P = ParamSpec("P")
R = TypeVar("R")


def is_authentication_failure(exc: BaseException) -> bool:
    """Whether the server refused the credentials (libpq reports it only as text)."""
    text = str(exc).lower()
    return "authentication failed" in text or "no password supplied" in text


def _insert_values(submission_id: uuid.UUID, new: NewSubmission, parent_id: uuid.UUID | None,
                   index: int | None) -> tuple:
    """A row of INSERT: the submission itself (a parent if it has tests), or its test ``index``,
    which takes the submission's input where the test gives none."""
    if index is None:
        return (submission_id, new.code, new.language, new.stdin, Jsonb(list(new.args)),
                new.expected_output, Jsonb(dict(new.limits)), new.callback_url, None, None, None,
                len(new.tests) if new.tests else None)
    test = new.tests[index]
    return (submission_id, new.code, new.language, test.stdin, Jsonb(list(test.args)),
            test.expected_output, Jsonb(dict(new.limits)), None, parent_id, index, test.name, None)


class ConnectionHealth:
    """What the pool's last connection attempts said, for telling a refusal (wrong credentials,
    an unreadable secret: retrying does not cure it) from an unreachable server (it may)."""

    def __init__(self, on_auth_failure: Callable[[], None] | None = None) -> None:
        self.on_auth_failure = on_auth_failure
        self.auth_failures = 0
        self.last_error: str | None = None
        self.misconfigured: Misconfigured | None = None
        self._lock = threading.Lock()

    def connected(self) -> None:
        with self._lock:
            self.auth_failures, self.last_error, self.misconfigured = 0, None, None

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            self.last_error = str(exc).strip()
            if isinstance(exc, Misconfigured):
                self.misconfigured = exc
            if not is_authentication_failure(exc):
                return
            self.auth_failures += 1
        if self.on_auth_failure is not None:
            self.on_auth_failure()

    def problem(self) -> Misconfigured | None:
        """The misconfiguration the last attempts showed, if they showed one."""
        if self.misconfigured is not None:
            return self.misconfigured
        if self.auth_failures >= AUTH_FAILURES_MEANING_MISCONFIGURED:
            return Misconfigured(f"the database refused the credentials: {self.last_error}")
        return None


def _connection_class(conninfo: str | Callable[[], str], health: ConnectionHealth
                      ) -> type[psycopg.Connection]:
    """Connections that take their conninfo from ``conninfo`` at each connect (a callable is
    asked every time: a rotated secret) and tell ``health`` how each attempt went."""

    class ObservedConnection(psycopg.Connection):
        @classmethod
        def connect(cls, _conninfo: str = "", **kwargs: Any) -> Any:
            try:
                conn = super().connect(conninfo() if callable(conninfo) else conninfo, **kwargs)
            except Exception as exc:
                health.failed(exc)
                raise
            health.connected()
            return conn

    return ObservedConnection


def create_pool(conninfo: str | Callable[[], str], max_size: int, timeout_s: float = 3.0, *,
                proxy: bool = False, health: ConnectionHealth | None = None) -> ConnectionPool:
    """A pool that checks a connection before lending it, so one that died idle is replaced.

    ``conninfo`` may be a callable, asked again for every new connection (a rotated secret);
    ``timeout_s`` bounds the wait for a connection: how long a caller waits for a 503. Behind a
    proxy (``proxy``), no statement is prepared on the server: RDS Proxy pins a connection that
    prepares one, and PgBouncer in transaction mode loses it between transactions."""
    kwargs: dict[str, Any] = {"autocommit": True}
    if proxy:
        kwargs["prepare_threshold"] = None
    return ConnectionPool(
        "",
        min_size=1,
        max_size=max_size,
        kwargs=kwargs,
        connection_class=_connection_class(conninfo, health or ConnectionHealth()),
        check=ConnectionPool.check_connection,
        timeout=timeout_s,
        open=True,
        name="evaluator",
    )


def _translated(method: Callable[P, R]) -> Callable[P, R]:
    """A database outage becomes ``StoreUnavailable`` (ours, worth a retry); what the connection
    attempts showed to be a misconfiguration becomes ``Misconfigured`` (retrying cannot help)."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout) as exc:
            health: ConnectionHealth | None = getattr(args[0], "health", None)
            problem = health.problem() if health is not None else None
            if problem is not None:
                raise problem from exc
            detail = health.last_error if health is not None and health.last_error else exc
            raise StoreUnavailable(f"database unavailable: {detail}") from exc

    return wrapper


class PostgresStore:
    """Submissions in PostgreSQL, behind a psycopg connection pool (see SubmissionStore)."""

    def __init__(self, pool: ConnectionPool, health: ConnectionHealth | None = None) -> None:
        self.pool = pool
        self.health = health

    @classmethod
    def connect(cls, conninfo: str | Callable[[], str], max_size: int, timeout_s: float = 3.0, *,
                proxy: bool = False, on_auth_failure: Callable[[], None] | None = None
                ) -> PostgresStore:
        """A store on a new pool (see ``create_pool``); ``on_auth_failure`` is called whenever
        the server refuses the credentials, so that their source can be read again."""
        health = ConnectionHealth(on_auth_failure)
        return cls(create_pool(conninfo, max_size, timeout_s, proxy=proxy, health=health), health)

    def _one(self, sql: str, params: Any) -> Submission | None:
        with self.pool.connection() as conn, conn.cursor(row_factory=class_row(Submission)) as cur:
            return cur.execute(sql, params).fetchone()

    def _rowcount(self, sql: str, params: Any) -> int:
        with self.pool.connection() as conn:
            return conn.execute(sql, params).rowcount

    @_translated
    def create(self, new: NewSubmission) -> Submission:
        """The submission, and with tests, its children in the same transaction."""
        parent_id = uuid.uuid4()
        rows = [_insert_values(parent_id, new, None, None)] + [
            _insert_values(uuid.uuid4(), new, parent_id, index) for index in range(len(new.tests))]
        with self.pool.connection() as conn, conn.transaction(), \
                conn.cursor(row_factory=class_row(Submission)) as cur:
            cur.executemany(INSERT, rows)
            row = cur.execute(f"SELECT {COLUMNS} FROM submissions WHERE submission_id = %s",
                              (parent_id,)).fetchone()
        if row is None:
            raise StoreUnavailable("the database stored the submission but returned no row")
        return row

    @_translated
    def children(self, parent_id: uuid.UUID) -> list[Submission]:
        with self.pool.connection() as conn, conn.cursor(row_factory=class_row(Submission)) as cur:
            return cur.execute(f"SELECT {COLUMNS} FROM submissions WHERE parent_id = %s"
                               " ORDER BY test_index", (parent_id,)).fetchall()

    @_translated
    def complete(self, parent_id: uuid.UUID, verdict: Verdict | None) -> bool:
        return self._rowcount(
            "UPDATE submissions SET status = %(completed)s, reason = %(reason)s,"
            " verdict = %(verdict)s, lease_until = NULL, finished_at = now(), updated_at = now()"
            f" WHERE submission_id = %(id)s AND {COMPLETE.condition.sql()}",
            {"completed": Status.COMPLETED, "reason": Reason.COMPLETED, "verdict": verdict,
             "id": parent_id}) == 1

    @_translated
    def ready_parents(self, limit: int) -> list[uuid.UUID]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                f"SELECT submission_id FROM submissions WHERE {COMPLETE.condition.sql()}"
                " ORDER BY updated_at LIMIT %s", (limit,)).fetchall()
        return [row[0] for row in rows]

    @_translated
    def get(self, submission_id: uuid.UUID) -> Submission | None:
        return self._one(f"SELECT {COLUMNS} FROM submissions WHERE submission_id = %s",
                         (submission_id,))

    @_translated
    def record_enqueued(self, submission_id: uuid.UUID, job_id: str) -> None:
        self._rowcount(RECORD_ENQUEUED, (job_id, submission_id))

    @_translated
    def record_sent(self, sent: Mapping[uuid.UUID, str]) -> None:
        self._rowcount(
            "UPDATE submissions AS s SET job_id = sent.job_id, queued_at = now(), updated_at = now()"
            " FROM unnest(%s::uuid[], %s::text[]) AS sent (submission_id, job_id)"
            " WHERE s.submission_id = sent.submission_id", (list(sent), list(sent.values())))

    @_translated
    def claim(self, submission_id: uuid.UUID, lease_s: int) -> Submission | None:
        return self._one(
            f"UPDATE submissions SET status = %(running)s, attempts = attempts + 1,"
            f" lease_until = now() + make_interval(secs => %(lease)s), started_at = now(),"
            f" updated_at = now()"
            f" WHERE submission_id = %(id)s AND {CLAIM.condition.sql()}"
            f" RETURNING {COLUMNS}",
            {"running": Status.RUNNING, "lease": lease_s, "id": submission_id})

    @_translated
    def finish(self, submission_id: uuid.UUID, outcome: RunOutcome,
               verdict: Verdict | None = None) -> bool:
        FINISH.check_target(outcome.status)
        return self._rowcount(
            "UPDATE submissions SET status = %(status)s, reason = %(reason)s, result = %(result)s,"
            " stdout = %(stdout)s, stdout_truncated = %(truncated)s, error = %(error)s,"
            " stderr = %(stderr)s, stderr_truncated = %(stderr_truncated)s,"
            " exit_code = %(exit_code)s, cpu_time_ms = %(cpu_time_ms)s, memory_kb = %(memory_kb)s,"
            " verdict = %(verdict)s,"
            " duration_ms = %(duration)s, lease_until = NULL, finished_at = now(),"
            f" updated_at = now() WHERE submission_id = %(id)s AND {FINISH.condition.sql()}",
            {"status": outcome.status, "reason": outcome.reason, "result": outcome.result,
             "stdout": outcome.stdout, "truncated": outcome.stdout_truncated,
             "error": outcome.error, "duration": outcome.duration_ms, "stderr": outcome.stderr,
             "stderr_truncated": outcome.stderr_truncated, "exit_code": outcome.exit_code,
             "cpu_time_ms": outcome.cpu_time_ms, "memory_kb": outcome.memory_kb,
             "verdict": verdict, "id": submission_id}) == 1

    @_translated
    def release(self, submission_id: uuid.UUID, error: str, attempt: int) -> None:
        self._rowcount(
            "UPDATE submissions SET lease_until = now(), last_error = %(error)s, updated_at = now()"
            f" WHERE submission_id = %(id)s AND {RELEASE.condition.sql()}",
            {"error": error, "id": submission_id, "attempt": attempt})

    @_translated
    def abandon(self, submission_id: uuid.UUID, why: str) -> bool:
        return self._rowcount(
            "UPDATE submissions SET status = %(failed)s, reason = %(reason)s,"
            " error = %(why)s || coalesce(': ' || last_error, ''), lease_until = NULL,"
            " verdict = CASE WHEN expected_output IS NULL THEN NULL ELSE %(verdict)s END,"
            " finished_at = now(), updated_at = now()"
            f" WHERE submission_id = %(id)s AND {ABANDON.condition.sql()}",
            {"failed": Status.FAILED, "reason": Reason.INFRASTRUCTURE, "why": why,
             "verdict": VERDICT_FOR_REASON[Reason.INFRASTRUCTURE],
             "id": submission_id}) == 1

    @_translated
    def lost_messages(self, rules: SweepRules, limit: int) -> list[Submission]:
        with self.pool.connection() as conn, conn.cursor(row_factory=class_row(Submission)) as cur:
            return cur.execute(
                f"SELECT {COLUMNS} FROM submissions WHERE {REQUEUE.condition.sql()}"
                " ORDER BY updated_at LIMIT %(limit)s", {**rules.params, "limit": limit}).fetchall()

    @_translated
    def mark_requeued(self, submission_ids: Iterable[uuid.UUID], rules: SweepRules
                      ) -> list[uuid.UUID]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                "UPDATE submissions SET queued_at = now(), job_id = NULL, updated_at = now()"
                f" WHERE submission_id = ANY(%(ids)s) AND {REQUEUE.condition.sql()}"
                " RETURNING submission_id", {**rules.params, "ids": list(submission_ids)}).fetchall()
        return [row[0] for row in rows]

    @_translated
    def forget_requeued(self, submission_ids: Iterable[uuid.UUID]) -> None:
        self._rowcount(
            "UPDATE submissions SET queued_at = NULL, updated_at = now()"
            " WHERE submission_id = ANY(%(ids)s) AND job_id IS NULL",
            {"ids": list(submission_ids)})

    @_translated
    def ping(self) -> None:
        with self.pool.connection() as conn:
            conn.execute("SELECT 1")

    def close(self) -> None:
        self.pool.close()
