"""The store contract: one suite that every SubmissionStore passes, the PostgreSQL store against a
real server (tests/unit/test_store.py) and its in-memory twin (tests/fast/test_memory_store.py).

A subclass provides a ``harness``: the store, and a way to let time pass for one submission
(``backdate`` moves its timestamps into the past, which is the same to every rule as the clock
moving on).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import pytest

from chalicelib.domain import NewSubmission, Reason, RunOutcome, Status, TestCase, Verdict
from chalicelib.states import InvalidTransition, SweepRules
from chalicelib.store import SubmissionStore

TIMESTAMPS = ("lease_until", "created_at", "queued_at", "started_at", "finished_at", "updated_at")
STALE_S = 60


class StoreHarness(Protocol):
    store: SubmissionStore

    def backdate(self, submission_id: uuid.UUID, **seconds: float) -> None:
        """Move the named timestamp columns of one submission ``seconds`` into the past."""


def completed(result: str = "4") -> RunOutcome:
    return RunOutcome(Reason.COMPLETED, result=result, stdout="out\n", duration_ms=12)


def rules(queue_created: datetime | None = None) -> SweepRules:
    """The sweep's rules, for a queue created a day ago unless said otherwise."""
    return SweepRules(stale_after_s=STALE_S, backstop_s=12 * STALE_S,
                      queue_created=queue_created or datetime.now(UTC) - timedelta(days=1))


def in_parallel(count: int, action: Callable[[], Any]) -> list[Any]:
    """``action`` in ``count`` threads released together; their results."""
    barrier = threading.Barrier(count)
    results: list[Any] = []

    def run() -> None:
        barrier.wait()
        results.append(action())

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


class StoreContract:
    """Subclasses define the ``harness`` fixture."""

    @pytest.fixture
    def store(self, harness: StoreHarness) -> SubmissionStore:
        return harness.store

    def later(self, harness: StoreHarness, sid: uuid.UUID, seconds: float) -> None:
        """Let ``seconds`` pass for submission ``sid``."""
        harness.backdate(sid, **dict.fromkeys(TIMESTAMPS, seconds))

    # ---- create, get, record_enqueued --------------------------------------------------------
    def test_create_then_get(self, store: SubmissionStore) -> None:
        created = store.create(NewSubmission("2 + 2", "JavaScript"))
        fetched = store.get(created.submission_id)
        assert fetched == created
        assert (fetched.status, fetched.attempts, fetched.job_id, fetched.code) == (
            Status.PENDING, 0, None, "2 + 2")
        assert fetched.created_at.tzinfo is not None and fetched.queued_at is None

    def test_get_unknown_is_none(self, store: SubmissionStore) -> None:
        assert store.get(uuid.uuid4()) is None

    def test_record_enqueued_keeps_the_message_id(self, store: SubmissionStore) -> None:
        sid = store.create(NewSubmission("1", "JavaScript")).submission_id
        store.record_enqueued(sid, "msg-1")
        row = store.get(sid)
        assert row.job_id == "msg-1" and row.queued_at is not None

    def test_record_sent_keeps_each_message_id_in_one_go(self, store: SubmissionStore) -> None:
        ids = [store.create(NewSubmission("1", "JavaScript")).submission_id for _ in range(3)]
        store.record_sent({ids[0]: "m-a", ids[2]: "m-c"})
        rows = [store.get(sid) for sid in ids]
        assert [row.job_id for row in rows] == ["m-a", None, "m-c"]
        assert rows[0].queued_at is not None and rows[1].queued_at is None

    # ---- claim, release, finish ---------------------------------------------------------------
    def test_claim_moves_pending_to_running_once(self, store: SubmissionStore) -> None:
        sid = store.create(NewSubmission("1", "JavaScript")).submission_id
        claimed = store.claim(sid, lease_s=30)
        assert claimed.status is Status.RUNNING and claimed.attempts == 1
        assert claimed.lease_until > claimed.started_at
        assert store.claim(sid, lease_s=30) is None  # held by a live lease

    def test_claim_after_the_lease_expires_is_a_new_attempt(self, harness, store) -> None:
        sid = store.create(NewSubmission("1", "JavaScript")).submission_id
        store.claim(sid, lease_s=30)
        self.later(harness, sid, 31)
        again = store.claim(sid, lease_s=30)
        assert again is not None and again.attempts == 2

    def test_claim_of_an_unknown_submission_is_none(self, store: SubmissionStore) -> None:
        assert store.claim(uuid.uuid4(), lease_s=30) is None

    def test_release_lets_the_retry_claim_at_once(self, store: SubmissionStore) -> None:
        sid = store.create(NewSubmission("1", "JavaScript")).submission_id
        store.claim(sid, lease_s=300)
        store.release(sid, "database hiccup", attempt=1)
        again = store.claim(sid, lease_s=300)
        assert again is not None and again.attempts == 2 and again.last_error == "database hiccup"

    def test_a_late_worker_cannot_free_a_lease_taken_since(self, harness, store) -> None:
        sid = store.create(NewSubmission("1", "JavaScript")).submission_id
        store.claim(sid, lease_s=30)           # attempt 1
        self.later(harness, sid, 31)           # its lease runs out
        second = store.claim(sid, lease_s=300)  # attempt 2 takes over
        store.release(sid, "late failure of attempt 1", attempt=1)
        assert store.get(sid).lease_until == second.lease_until
        assert store.claim(sid, lease_s=300) is None  # attempt 2 still holds it

    def test_finish_writes_the_result_exactly_once(self, store: SubmissionStore) -> None:
        sid = store.create(NewSubmission("2 + 2", "JavaScript")).submission_id
        store.claim(sid, lease_s=30)
        assert store.finish(sid, completed("4")) is True
        first = store.get(sid)
        assert store.finish(sid, RunOutcome(Reason.ERROR, error="late duplicate")) is False
        assert store.get(sid) == first
        assert (first.status, first.result, first.stdout, first.duration_ms, first.lease_until) == (
            Status.COMPLETED, "4", "out\n", 12, None)
        assert first.finished_at is not None and first.reason == "completed"

    def test_finish_needs_a_claim(self, store: SubmissionStore) -> None:
        sid = store.create(NewSubmission("1", "JavaScript")).submission_id
        assert store.finish(sid, completed()) is False
        assert store.get(sid).status is Status.PENDING

    def test_finish_refuses_an_outcome_that_is_not_terminal(self, store: SubmissionStore,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
        sid = store.create(NewSubmission("1", "JavaScript")).submission_id
        store.claim(sid, lease_s=30)
        monkeypatch.setattr(RunOutcome, "status", property(lambda self: Status.PENDING))
        with pytest.raises(InvalidTransition, match="finish cannot end in Pending"):
            store.finish(sid, completed())
        assert store.get(sid).status is Status.RUNNING

    @pytest.mark.parametrize("terminal_outcome", [
        completed(), RunOutcome(Reason.ERROR, error="x"), RunOutcome(Reason.TIME_LIMIT, error="t")])
    def test_terminal_submissions_never_change(self, harness, store,
                                               terminal_outcome: RunOutcome) -> None:
        sid = store.create(NewSubmission("1", "JavaScript")).submission_id
        store.claim(sid, lease_s=30)
        store.finish(sid, terminal_outcome)
        self.later(harness, sid, 3600)
        before = store.get(sid)
        assert before.status is terminal_outcome.status
        assert store.claim(sid, lease_s=30) is None
        assert store.abandon(sid, "gave up") is False
        store.release(sid, "ignored", attempt=1)
        assert store.mark_requeued([sid], rules()) == []
        assert sid not in {s.submission_id for s in store.lost_messages(rules(), 100)}
        assert store.get(sid) == before

    # ---- abandon ------------------------------------------------------------------------------
    def test_abandon_fails_it_with_the_last_error(self, store: SubmissionStore) -> None:
        sid = store.create(NewSubmission("1", "JavaScript")).submission_id
        store.claim(sid, lease_s=300)
        store.release(sid, "runtime missing", attempt=1)
        assert store.abandon(sid, "Gave up after 5 attempts") is True
        row = store.get(sid)
        assert (row.status, row.reason) == (Status.FAILED, Reason.INFRASTRUCTURE)
        assert row.error == "Gave up after 5 attempts: runtime missing"

    def test_abandon_of_one_that_never_ran_says_only_why(self, store: SubmissionStore) -> None:
        sid = store.create(NewSubmission("1", "JavaScript")).submission_id
        assert store.abandon(sid, "Gave up after 6 hours") is True
        row = store.get(sid)
        assert (row.status, row.error, row.attempts) == (Status.FAILED, "Gave up after 6 hours", 0)

    def test_abandon_leaves_a_submission_a_worker_holds(self, store: SubmissionStore) -> None:
        sid = store.create(NewSubmission("1", "JavaScript")).submission_id
        store.claim(sid, lease_s=300)
        assert store.abandon(sid, "gave up") is False
        assert store.get(sid).status is Status.RUNNING

    def test_concurrent_claims_have_one_winner(self, store: SubmissionStore) -> None:
        sid = store.create(NewSubmission("1", "JavaScript")).submission_id
        wins = in_parallel(8, lambda: store.claim(sid, lease_s=30))
        assert sum(win is not None for win in wins) == 1
        assert store.get(sid).attempts == 1

    # ---- the sweep's moves ---------------------------------------------------------------------
    def lost(self, store: SubmissionStore, sweep_rules: SweepRules | None = None) -> set[uuid.UUID]:
        return {s.submission_id for s in store.lost_messages(sweep_rules or rules(), 1000)}

    def test_a_submission_never_sent_is_lost_once_its_api_call_is_surely_over(self, harness, store):
        fresh = store.create(NewSubmission("1", "JavaScript")).submission_id
        old = store.create(NewSubmission("1", "JavaScript")).submission_id
        harness.backdate(old, created_at=60)
        assert old in self.lost(store) and fresh not in self.lost(store)

    def test_a_message_waiting_in_a_backlog_is_not_lost(self, harness, store) -> None:
        sid = store.create(NewSubmission("1", "JavaScript")).submission_id
        store.record_enqueued(sid, "m-1")
        harness.backdate(sid, created_at=STALE_S * 5, queued_at=STALE_S * 5)
        assert sid not in self.lost(store)

    def test_the_backstop_takes_what_a_purged_queue_lost(self, harness, store) -> None:
        sid = store.create(NewSubmission("1", "JavaScript")).submission_id
        store.record_enqueued(sid, "m-1")
        harness.backdate(sid, created_at=STALE_S * 13, queued_at=STALE_S * 12 + 1)
        assert sid in self.lost(store)

    def test_a_message_sent_before_the_queue_was_recreated_is_lost(self, harness, store) -> None:
        sid = store.create(NewSubmission("1", "JavaScript")).submission_id
        store.record_enqueued(sid, "m-1")
        harness.backdate(sid, created_at=600, queued_at=600)
        assert sid in self.lost(store, rules(queue_created=datetime.now(UTC) - timedelta(minutes=1)))
        assert sid not in self.lost(store)  # the queue is older than the message

    def test_a_dead_workers_submission_is_lost_once_its_lease_is_stale(self, harness, store):
        sid = store.create(NewSubmission("1", "JavaScript")).submission_id
        store.record_enqueued(sid, "m-1")
        store.claim(sid, lease_s=5)
        assert sid not in self.lost(store)  # its lease is live
        harness.backdate(sid, lease_until=STALE_S + 10, queued_at=3600)
        assert sid in self.lost(store)

    def test_lost_messages_come_least_recently_changed_first(self, harness, store) -> None:
        sids = [store.create(NewSubmission("1", "JavaScript")).submission_id for _ in range(3)]
        for age, sid in zip((300, 200, 100), sids, strict=True):
            harness.backdate(sid, created_at=age, updated_at=age)
        found = [s.submission_id for s in store.lost_messages(rules(), 1000) if s.submission_id in sids]
        assert found == sids
        assert len(store.lost_messages(rules(), 2)) == 2

    def test_mark_requeued_takes_each_lost_one_once(self, harness, store) -> None:
        lost = store.create(NewSubmission("1", "JavaScript")).submission_id
        fresh = store.create(NewSubmission("1", "JavaScript")).submission_id
        harness.backdate(lost, created_at=60)
        assert store.mark_requeued([lost, fresh], rules()) == [lost]
        row = store.get(lost)
        assert row.queued_at is not None and row.job_id is None and row.status is Status.PENDING
        assert store.mark_requeued([lost], rules()) == []  # no longer lost: it is being re-sent
        store.record_enqueued(lost, "m-2")
        assert store.get(lost).job_id == "m-2"

    def test_concurrent_marks_give_each_submission_to_one_sweeper(self, harness, store) -> None:
        sids = [store.create(NewSubmission("1", "JavaScript")).submission_id for _ in range(20)]
        for sid in sids:
            harness.backdate(sid, created_at=60)
        marked = in_parallel(4, lambda: store.mark_requeued(sids, rules()))
        taken = [sid for batch in marked for sid in batch]
        assert sorted(taken) == sorted(sids)  # each exactly once across the four

    def test_a_mark_whose_send_failed_is_forgotten(self, harness, store) -> None:
        sid = store.create(NewSubmission("1", "JavaScript")).submission_id
        harness.backdate(sid, created_at=60)
        store.mark_requeued([sid], rules())
        store.forget_requeued([sid])
        assert store.get(sid).queued_at is None and sid in self.lost(store)

    def test_forgetting_leaves_a_message_that_was_sent(self, harness, store) -> None:
        sid = store.create(NewSubmission("1", "JavaScript")).submission_id
        harness.backdate(sid, created_at=60)
        store.mark_requeued([sid], rules())
        store.record_enqueued(sid, "m-3")
        store.forget_requeued([sid])
        assert store.get(sid).job_id == "m-3" and store.get(sid).queued_at is not None

    def test_ping_answers(self, store: SubmissionStore) -> None:
        store.ping()

    # ---- submissions with tests ----------------------------------------------------------------
    def with_tests(self, store: SubmissionStore, count: int = 3) -> uuid.UUID:
        tests = tuple(TestCase(f"t{i}", stdin=str(i), args=(f"a{i}",),
                               expected_output=str(i) if i else None) for i in range(count))
        return store.create(NewSubmission("code", "JavaScript", stdin="top", tests=tests,
                                          limits=(("time_ms", 500),))).submission_id

    def test_a_submission_with_tests_is_a_parent_of_one_child_per_test(self, store) -> None:
        parent = store.get(self.with_tests(store))
        children = store.children(parent.submission_id)
        assert parent.is_parent and parent.tests_total == 3 and parent.stdin == "top"
        assert [(c.test_index, c.test_name, c.stdin, c.args, c.expected_output) for c in children] \
            == [(0, "t0", "0", ["a0"], None), (1, "t1", "1", ["a1"], "1"), (2, "t2", "2", ["a2"], "2")]
        assert all(c.parent_id == parent.submission_id and c.code == "code" and not c.is_parent
                   and c.limits == {"time_ms": 500} and c.status is Status.PENDING for c in children)
        assert store.children(children[0].submission_id) == []

    def test_a_parent_is_never_claimed_abandoned_or_lost(self, harness, store) -> None:
        parent = self.with_tests(store)
        self.later(harness, parent, 3600)
        assert store.claim(parent, lease_s=30) is None and not store.abandon(parent, "x")
        lost = {s.submission_id for s in store.lost_messages(rules(), 100)}
        assert parent not in lost and set(store.mark_requeued([parent], rules())) == set()

    def test_complete_waits_for_every_test_and_happens_once(self, store) -> None:
        parent = self.with_tests(store)
        children = store.children(parent)
        assert parent not in store.ready_parents(100) and not store.complete(parent, None)
        for child in children[:-1]:
            store.claim(child.submission_id, lease_s=30)
            store.finish(child.submission_id, completed())
        assert parent not in store.ready_parents(100) and not store.complete(parent, None)
        store.claim(children[-1].submission_id, lease_s=30)
        store.finish(children[-1].submission_id, completed(), Verdict.WRONG_ANSWER)
        assert parent in store.ready_parents(100)
        assert store.complete(parent, Verdict.WRONG_ANSWER) is True
        row = store.get(parent)
        assert (row.status, row.reason, row.verdict) == (Status.COMPLETED, "completed", "wrong_answer")
        assert row.finished_at is not None and parent not in store.ready_parents(100)
        assert store.complete(parent, Verdict.ACCEPTED) is False and store.get(parent) == row

    def test_an_abandoned_test_that_expected_output_is_a_runtime_error(self, store) -> None:
        parent = self.with_tests(store, 2)
        untested, judged = store.children(parent)
        for child in (untested, judged):
            assert store.abandon(child.submission_id, "Gave up")
        assert store.get(untested.submission_id).verdict is None
        assert store.get(judged.submission_id).verdict == "runtime_error"
        assert parent in store.ready_parents(100)

    def test_concurrent_completions_have_one_winner(self, store) -> None:
        parent = self.with_tests(store, 2)
        for child in store.children(parent):
            store.abandon(child.submission_id, "Gave up")
        assert sorted(in_parallel(8, lambda: store.complete(parent, None))) == [False] * 7 + [True]
