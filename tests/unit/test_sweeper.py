"""The sweeper against a real Postgres and moto's SQS: it re-sends what the queue lost, gives up on
submissions whose workers keep dying, leaves everything else alone, and is safe to run twice."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from moto import mock_aws

from chalicelib.domain import NewSubmission, Reason, RunOutcome, Status
from chalicelib.postgres_store import PostgresStore
from chalicelib.queue import QueueRecord, SubmissionQueue, create_sqs_client
from chalicelib.sandbox import NodeSandbox
from chalicelib.service import Evaluator
from infra.queues import ensure_queues
from tests.conftest import create_database, make_config

STALE_S = 60


@pytest.fixture
def env(postgres_server_url: str, sandbox: NodeSandbox) -> Iterator[tuple[Evaluator, Any, str]]:
    url = create_database(postgres_server_url)  # an empty table per test: sweeps see only ours
    config = make_config(DATABASE_URL=url, REQUEUE_AFTER_S=str(STALE_S))
    with mock_aws():
        sqs = create_sqs_client(config.aws_region, None)
        ensure_queues(sqs, config)
        store = PostgresStore.connect(url, 8)
        yield Evaluator(config, store, SubmissionQueue(sqs, config.queue_name), sandbox), sqs, url
        store.close()


def age(url: str, sid: uuid.UUID, **columns: str) -> None:
    """Move a submission's timestamps into the past, e.g. queued_at='1 hour'."""
    sets = ", ".join(f"{column} = now() - interval '{ago}'" for column, ago in columns.items())
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"UPDATE submissions SET {sets} WHERE submission_id = %s", (sid,))


def sent_ids(sqs: Any, evaluator: Evaluator) -> list[str]:
    messages = sqs.receive_message(QueueUrl=evaluator.queue.queue_url,
                                   MaxNumberOfMessages=10).get("Messages", [])
    return sorted(json.loads(m["Body"])["submission_id"] for m in messages)


def test_a_pending_submission_whose_send_failed_is_sent(env) -> None:
    evaluator, sqs, url = env
    sid = evaluator.store.create(NewSubmission("1", "JavaScript")).submission_id
    age(url, sid, created_at="1 minute")
    result = evaluator.sweep()
    assert result.requeued == [sid] and sent_ids(sqs, evaluator) == [str(sid)]
    row = evaluator.store.get(sid)
    assert row.job_id is not None and row.queued_at is not None and row.status is Status.PENDING


def test_a_brand_new_submission_is_left_to_its_api_call(env) -> None:
    evaluator, sqs, _ = env
    evaluator.store.create(NewSubmission("1", "JavaScript"))
    assert evaluator.sweep().requeued == [] and sent_ids(sqs, evaluator) == []


def test_a_message_sent_before_the_queue_was_recreated_is_sent_again_once(env) -> None:
    evaluator, sqs, url = env
    sid = evaluator.store.create(NewSubmission("1", "JavaScript")).submission_id
    evaluator.store.record_enqueued(sid, "m-1")
    age(url, sid, queued_at="10 minutes")  # moto's queue was created moments ago
    assert evaluator.sweep().requeued == [sid] and sent_ids(sqs, evaluator) == [str(sid)]
    assert evaluator.sweep().requeued == []  # sent to the current queue now: not again


def test_a_running_submission_whose_worker_vanished_is_re_sent_and_then_completes(env) -> None:
    evaluator, sqs, url = env
    sid = evaluator.store.create(NewSubmission("6 * 7", "JavaScript")).submission_id
    evaluator.store.claim(sid, lease_s=5)
    assert evaluator.sweep().requeued == []  # its lease is live
    age(url, sid, lease_until=f"{STALE_S + 1} seconds", queued_at="1 hour")
    assert evaluator.sweep().requeued == [sid]
    message = sqs.receive_message(QueueUrl=evaluator.queue.queue_url)["Messages"][0]
    evaluator.run_record(QueueRecord(message["MessageId"], message["ReceiptHandle"],
                                     message["Body"], 1), lease_s=30)
    row = evaluator.store.get(sid)
    assert (row.status, row.result, row.attempts) == (Status.COMPLETED, "42", 2)


def test_a_running_submission_out_of_attempts_is_failed_with_the_reason(env) -> None:
    evaluator, sqs, url = env
    sid = evaluator.store.create(NewSubmission("1", "JavaScript")).submission_id
    for _ in range(evaluator.config.max_attempts):
        evaluator.store.claim(sid, lease_s=0)
    evaluator.store.release(sid, "worker killed", attempt=evaluator.config.max_attempts)
    age(url, sid, lease_until="1 hour", queued_at="1 hour")
    result = evaluator.sweep()
    assert result.abandoned == [sid] and result.requeued == []
    row = evaluator.store.get(sid)
    assert (row.status, row.reason) == (Status.FAILED, Reason.INFRASTRUCTURE)
    assert row.error.startswith("Gave up after 5 attempts") and row.error.endswith("worker killed")
    assert sent_ids(sqs, evaluator) == []


def test_finished_submissions_are_never_touched(env) -> None:
    evaluator, _, url = env
    sid = evaluator.store.create(NewSubmission("1", "JavaScript")).submission_id
    evaluator.store.claim(sid, lease_s=30)
    evaluator.store.finish(sid, RunOutcome(Reason.COMPLETED, result="1"))
    age(url, sid, created_at="1 day", updated_at="1 day")
    before = evaluator.store.get(sid)
    result = evaluator.sweep()
    assert (result.requeued, result.abandoned) == ([], []) and evaluator.store.get(sid) == before


def test_concurrent_sweeps_send_each_submission_once(env) -> None:
    evaluator, _, url = env
    sids = [evaluator.store.create(NewSubmission("1", "JavaScript")).submission_id for _ in range(20)]
    for sid in sids:
        age(url, sid, created_at="1 minute")
    barrier = threading.Barrier(4)
    results = []

    def sweep() -> None:
        barrier.wait()
        results.append(evaluator.sweep())

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    requeued = [sid for result in results for sid in result.requeued]
    assert sorted(requeued) == sorted(sids)  # each exactly once across the four sweeps


def test_a_queue_outage_stops_the_sweep_without_losing_track(env) -> None:
    evaluator, sqs, url = env
    sid = evaluator.store.create(NewSubmission("1", "JavaScript")).submission_id
    age(url, sid, created_at="1 minute")
    sqs.delete_queue(QueueUrl=evaluator.queue.queue_url)  # moto answers: no such queue
    result = evaluator.sweep()
    assert result.requeued == [] and "does not exist" in result.error
    assert evaluator.store.get(sid).queued_at is None  # still unsent: the next sweep retries
    ensure_queues(sqs, evaluator.config)
    evaluator.queue = SubmissionQueue(sqs, evaluator.config.queue_name)
    assert evaluator.sweep().requeued == [sid] and sent_ids(sqs, evaluator) == [str(sid)]
