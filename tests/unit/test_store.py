"""The Postgres store against a real server: each transition happens at most once."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from chalicelib.sandbox import RunOutcome
from chalicelib.states import Reason, Status
from chalicelib.store import SubmissionStore, create_pool


@pytest.fixture(scope="module")
def store(database_url: str) -> SubmissionStore:
    store = SubmissionStore(create_pool(database_url, 8))
    yield store
    store.pool.close()


def completed(result: str = "4") -> RunOutcome:
    return RunOutcome(Reason.COMPLETED, result=result, stdout="out\n", duration_ms=12)


def test_create_then_get(store: SubmissionStore) -> None:
    created = store.create("2 + 2", "JavaScript")
    fetched = store.get(created.submission_id)
    assert fetched == created
    assert (fetched.status, fetched.attempts, fetched.job_id) == (Status.PENDING, 0, None)


def test_get_unknown_is_none(store: SubmissionStore) -> None:
    assert store.get(uuid.uuid4()) is None


def test_record_enqueued_keeps_the_message_id(store: SubmissionStore) -> None:
    sid = store.create("1", "JavaScript").submission_id
    store.record_enqueued(sid, "msg-1")
    row = store.get(sid)
    assert row.job_id == "msg-1" and row.queued_at is not None


def test_claim_moves_pending_to_running_once(store: SubmissionStore) -> None:
    sid = store.create("1", "JavaScript").submission_id
    claimed = store.claim(sid, lease_s=30)
    assert claimed.status is Status.RUNNING and claimed.attempts == 1
    assert store.claim(sid, lease_s=30) is None  # held by a live lease


def test_claim_after_the_lease_expires_is_a_new_attempt(store: SubmissionStore) -> None:
    sid = store.create("1", "JavaScript").submission_id
    store.claim(sid, lease_s=1)
    time.sleep(1.1)
    again = store.claim(sid, lease_s=30)
    assert again is not None and again.attempts == 2


def test_release_lets_the_retry_claim_at_once(store: SubmissionStore) -> None:
    sid = store.create("1", "JavaScript").submission_id
    store.claim(sid, lease_s=300)
    store.release(sid, "database hiccup", attempt=1)
    again = store.claim(sid, lease_s=300)
    assert again is not None and again.attempts == 2 and again.last_error == "database hiccup"


def test_a_late_worker_cannot_free_a_lease_taken_since(store: SubmissionStore) -> None:
    sid = store.create("1", "JavaScript").submission_id
    store.claim(sid, lease_s=0)          # attempt 1; its lease runs out at once
    second = store.claim(sid, lease_s=300)  # attempt 2 takes over
    store.release(sid, "late failure of attempt 1", attempt=1)
    assert store.get(sid).lease_until == second.lease_until
    assert store.claim(sid, lease_s=300) is None  # attempt 2 still holds it


def test_finish_writes_the_result_exactly_once(store: SubmissionStore) -> None:
    sid = store.create("2 + 2", "JavaScript").submission_id
    store.claim(sid, lease_s=30)
    assert store.finish(sid, completed("4")) is True
    first = store.get(sid)
    assert store.finish(sid, RunOutcome(Reason.ERROR, error="late duplicate")) is False
    assert store.get(sid) == first
    assert (first.status, first.result, first.stdout, first.duration_ms) == (
        Status.COMPLETED, "4", "out\n", 12)


def test_finish_needs_a_claim(store: SubmissionStore) -> None:
    sid = store.create("1", "JavaScript").submission_id
    assert store.finish(sid, completed()) is False
    assert store.get(sid).status is Status.PENDING


@pytest.mark.parametrize("terminal_outcome", [
    completed(), RunOutcome(Reason.ERROR, error="x"), RunOutcome(Reason.TIME_LIMIT, error="t")])
def test_terminal_submissions_never_change(store: SubmissionStore,
                                           terminal_outcome: RunOutcome) -> None:
    sid = store.create("1", "JavaScript").submission_id
    store.claim(sid, lease_s=30)
    store.finish(sid, terminal_outcome)
    before = store.get(sid)
    assert before.status is terminal_outcome.status
    assert store.claim(sid, lease_s=30) is None
    assert store.abandon(sid, "gave up") is False
    store.release(sid, "ignored", attempt=1)
    assert store.get(sid) == before


def test_abandon_fails_pending_with_the_last_error(store: SubmissionStore) -> None:
    sid = store.create("1", "JavaScript").submission_id
    store.claim(sid, lease_s=300)
    store.release(sid, "runtime missing", attempt=1)
    assert store.abandon(sid, "Gave up after 5 attempts") is True
    row = store.get(sid)
    assert (row.status, row.reason) == (Status.FAILED, Reason.INFRASTRUCTURE)
    assert row.error == "Gave up after 5 attempts: runtime missing"


def test_abandon_leaves_a_submission_a_worker_holds(store: SubmissionStore) -> None:
    sid = store.create("1", "JavaScript").submission_id
    store.claim(sid, lease_s=300)
    assert store.abandon(sid, "gave up") is False
    assert store.get(sid).status is Status.RUNNING


def test_concurrent_claims_have_one_winner(store: SubmissionStore) -> None:
    sid = store.create("1", "JavaScript").submission_id
    barrier = threading.Barrier(8)
    wins = []

    def claim() -> None:
        barrier.wait()
        wins.append(store.claim(sid, lease_s=30))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(win is not None for win in wins) == 1
    assert store.get(sid).attempts == 1


def test_database_outage_is_an_infrastructure_error(database_url: str) -> None:
    from chalicelib.errors import StoreUnavailable

    pool = create_pool(database_url.replace("dbname=", "dbname=no_such_db_"), 1)
    pool.timeout = 0.5
    try:
        with pytest.raises(StoreUnavailable):
            SubmissionStore(pool).get(uuid.uuid4())
    finally:
        pool.close()
